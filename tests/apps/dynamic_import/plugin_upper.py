def transform(text: str) -> str:
    return text.upper()
