"""Functions that are serialised by their code object: kept out of the compiled binary."""


def scale(x: float) -> float:
    return x * 2
