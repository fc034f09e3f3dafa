"""Noise learned, not guessed: what two runs of the same script print differently.

Where a text comparison fails, the script runs a second time (Twitter's Diffy does the same
for services). The tokens that differ between its two runs (an address, a time, an id) are
what the program does not control: there, and only there, the binary may print something
else, of the same kind (a number for a number). A line only one of the script's runs printed
may be printed by the binary or not. Everything else is compared exactly.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass

# A token is a run of letters and digits, a run of other characters, or a run of spaces.
TOKEN = re.compile(r"\w+|[^\w\s]+|\s+")
# What a token of each kind may be replaced by: a whole token (a number is not the start of
# a word).
KIND_PATTERN = {
    "number": r"(?<!\w)\d+(?!\w)",
    "word": r"(?<!\w)[^\W\d]+(?!\w)",
    "mixed": r"(?<!\w)\w+(?!\w)",
    "other": r"(?<![^\w\s])[^\w\s]+(?![^\w\s])",
    "space": r"(?<!\s)\s+(?!\s)",
}
SHOWN = 5  # varying places named in a message


def kind(token: str) -> str:
    if token.isspace():
        return "space"
    if not re.fullmatch(r"\w+", token):
        return "other"
    if token.isdigit():
        return "number"
    return "word" if not any(c.isdigit() for c in token) else "mixed"


def tokens(line: str) -> list[str]:
    return TOKEN.findall(line)


@dataclass(frozen=True)
class Place:
    """Tokens of a line that differ between the script's two runs."""

    line: int  # 1-based, in the first run's text
    first: str
    second: str
    kinds: tuple[str, ...]

    def describe(self) -> str:
        return (
            f"line {self.line}: {self.first!r} in one script run, {self.second!r} in the "
            f"other: any {' or '.join(self.kinds)} there"
        )


@dataclass(frozen=True)
class Line:
    """A line of the first run, and where the runs differ a pattern for it."""

    text: str
    pattern: re.Pattern[str] | None = None
    places: tuple[Place, ...] = ()
    optional: bool = False  # printed by one of the script's runs only

    def fits(self, line: str) -> bool:
        return line == self.text if self.pattern is None else bool(self.pattern.fullmatch(line))


def _line(number: int, first: str, second: str) -> Line:
    a, b = tokens(first), tokens(second)
    parts: list[str] = []
    places: list[Place] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            parts += [re.escape(t) for t in a[i1:i2]]
            continue
        kinds = tuple(sorted({kind(t) for t in [*a[i1:i2], *b[j1:j2]]}))
        one = "|".join(KIND_PATTERN[k] for k in kinds)
        # a token may be missing on one side (an empty span) only if it was on one run
        repeat = "*" if i1 == i2 or j1 == j2 else "+"
        parts.append(f"(?:{one}){repeat}")
        places.append(Place(number, "".join(a[i1:i2]), "".join(b[j1:j2]), kinds))
    return Line(first, re.compile("".join(parts)), tuple(places))


@dataclass(frozen=True)
class Learned:
    """What the script's two runs printed alike, and where they differ."""

    lines: tuple[Line, ...]

    @property
    def places(self) -> list[Place]:
        return [place for line in self.lines for place in line.places]

    def describe(self) -> list[str]:
        shown = [place.describe() for place in self.places[:SHOWN]]
        optional = [line for line in self.lines if line.optional]
        if len(self.places) > SHOWN:
            shown.append(f"... and {len(self.places) - SHOWN} more")
        shown += [f"printed by one script run only: {line.text!r}" for line in optional[:SHOWN]]
        return shown

    def explains(self, binary: str) -> bool:
        """Whether the binary's text differs from the script's only where the script's two
        runs differ from each other."""
        got = binary.split("\n")

        @functools.cache
        def fits(i: int, j: int) -> bool:
            if i == len(self.lines):
                return j == len(got)
            line = self.lines[i]
            if line.optional and fits(i + 1, j):
                return True
            if j == len(got):
                return False
            return line.fits(got[j]) and fits(i + 1, j + 1)

        return fits(0, 0)


def learn(first: str, second: str) -> Learned:
    """Align the two runs' lines; lines changed one for one become patterns, lines only one
    run printed become optional."""
    a, b = first.split("\n"), second.split("\n")
    lines: list[Line] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            lines += [Line(text) for text in a[i1:i2]]
        elif op == "replace" and i2 - i1 == j2 - j1:
            lines += [_line(i1 + k + 1, a[i1 + k], b[j1 + k]) for k in range(i2 - i1)]
        else:
            for text in [*a[i1:i2], *b[j1:j2]]:
                lines.append(Line(text, optional=True))
    return Learned(tuple(lines))
