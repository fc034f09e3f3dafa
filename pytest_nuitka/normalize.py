"""Make stdout comparable: what legitimately differs between two runs is masked."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# Keras progress bars: "1/1 ━━━━━━━━ 0s 45ms/step" (Keras 3), "1/1 [=====] - 0s 5ms/step" (2).
TERMINAL_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x08")
PROGRESS_BAR = re.compile(r"^\s*\d+/\d+ +(?:[━─]+|\[[=>.]*\]).*$")
RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b0x[0-9a-fA-F]{6,}\b"), "0x<addr>"),
    (
        re.compile(r"\b\d+(?:\.\d+)?(?:e-?\d+)?\s?(?:ns|us|µs|ms|s|sec|secs|seconds)(?:/step)?\b"),
        "<time>",
    ),
    (re.compile(r"(?<![\w/])/tmp/[^\s'\":,)\]]+"), "<tmp>"),
)


def normalize(text: str, paths: Mapping[str, str], extra: Iterable[tuple[str, str]] = ()) -> str:
    """``paths`` maps literal strings (run directories, the script or binary path) to the
    placeholders that replace them; ``extra`` adds (regex, replacement) rules."""
    for literal in sorted(paths, key=len, reverse=True):
        if literal:
            text = text.replace(literal, paths[literal])
    lines = []
    text = TERMINAL_CONTROL.sub("", text).replace("\r\n", "\n")
    for line in text.split("\n"):
        line = line.rsplit("\r", 1)[-1]  # what a terminal would show last
        if PROGRESS_BAR.match(line):
            continue
        for pattern, replacement in RULES:
            line = pattern.sub(replacement, line)
        for pattern_text, replacement in extra:
            line = re.sub(pattern_text, replacement, line)
        lines.append(line)
    return "\n".join(lines)
