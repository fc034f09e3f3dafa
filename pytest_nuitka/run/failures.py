"""How a run failed, read whole from its stderr: every traceback with its chained causes,
the exception's detail lines, and the message of an exit without a traceback.

Comparing only the last line misses what Keras 3 and others put below it (the real cause),
a child process that failed differently, and a ``sys.exit("message")`` that changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

HEADER = "Traceback (most recent call last):"
CHAIN = (
    "The above exception was the direct cause of the following exception:",
    "During handling of the above exception, another exception occurred:",
)
FRAME = re.compile(r'^\s*File "(?P<file>[^"]*)", line (?P<line>\d+)(?:, in (?P<func>.*))?$')
# Printed by CPython and by Nuitka on stderr, not by the program: never part of a failure.
NOT_THE_PROGRAM = re.compile(
    r"^(?:\s*\[Previous line repeated \d+ more times?\]"
    r"|Nuitka(?:-[\w]+)?:(?:WARNING|INFO)?.*)$"
)
# What a warning looks like on stderr: "file.py:3: RuntimeWarning: ..." or the coroutine one.
WARNING = re.compile(r"(?:^|: )(?P<kind>\w*Warning): (?P<message>.*)$")
# TensorFlow's and XLA's start-up chatter about CUDA plugins, cuDNN, TensorRT and CPU features.
TF_NOISE = re.compile(
    r"(?:^[EWI]\d{4} [\d:.]+\s+\d+ \S+\.(?:cc|h):\d+\]"
    r"|^WARNING: All log messages before absl::InitializeLog"
    r"|Unable to register cu(?:DNN|FFT|BLAS) factory"
    r"|TF-TRT Warning: Could not find TensorRT"
    r"|oneDNN custom operations are on"
    r"|This TensorFlow binary is optimized to use available CPU instructions"
    r"|To enable the following instructions: .* rebuild TensorFlow"
    r"|computation placer already registered"
    r"|Could not find cuda drivers on your machine)"
)


IGNORED = "Exception ignored in"
APP_LINE = re.compile(r'(File "(?:<app>|<appdir>/[^"]*)", line )\d+')


@dataclass(frozen=True)
class Frame:
    file: str
    line: int
    function: str
    source: str = ""  # the line the printer read back from the file, if any


@dataclass(frozen=True)
class Raised:
    """One exception of a chain: its frames, then its text (``Type: message`` and the detail
    lines below it)."""

    frames: tuple[Frame, ...]
    text: tuple[str, ...]

    @property
    def headline(self) -> str:
        return self.text[0] if self.text else "(no exception line)"


@dataclass(frozen=True)
class Traceback:
    """A chain as printed: the first cause first, the exception that ended it last."""

    chain: tuple[Raised, ...]
    links: tuple[str, ...]  # the sentence between each two: "direct cause" or "during handling"
    # Reported under "Exception ignored in: ..." (an error in __del__ or a callback): the run
    # went on, and when it is printed depends on garbage collection, which Nuitka's
    # compiled frames change. Not part of a failure; named in a note when one side only.
    ignored: bool = False

    @property
    def last(self) -> Raised:
        return self.chain[-1]


def drop_noise(text: str) -> str:
    return "\n".join(line for line in text.split("\n") if not TF_NOISE.search(line))


def tracebacks(stderr: str) -> list[Traceback]:
    """Every traceback chain in ``stderr``, in order (a child's before its parent's)."""
    lines = stderr.split("\n")
    found: list[Traceback] = []
    chain: list[Raised] = []
    links: list[str] = []
    ignored = False
    i = 0
    while i < len(lines):
        if lines[i].rstrip() != HEADER:
            i += 1
            continue
        if not chain:
            before = [line for line in lines[max(0, i - 2) : i] if line.strip()]
            ignored = bool(before) and before[-1].startswith(IGNORED)
        raised, i = _one(lines, i + 1)
        chain.append(raised)
        j = i
        while j < len(lines) and not lines[j].strip():
            j += 1
        if j < len(lines) and lines[j].strip() in CHAIN:
            links.append("direct cause" if lines[j].strip() == CHAIN[0] else "during handling")
            i = j + 1
            continue
        found.append(Traceback(tuple(chain), tuple(links), ignored))
        chain, links = [], []
    if chain:
        found.append(Traceback(tuple(chain), tuple(links), ignored))
    return found


def _one(lines: Sequence[str], i: int) -> tuple[Raised, int]:
    """Frames (indented lines), then the exception's lines up to the next traceback, chain
    sentence or the end; trailing blank lines are not part of it."""
    frames: list[Frame] = []
    while i < len(lines) and (lines[i].startswith((" ", "\t")) or not lines[i]):
        match = FRAME.match(lines[i])
        if match:
            frames.append(Frame(match["file"], int(match["line"]), (match["func"] or "").strip()))
        elif frames and not frames[-1].source and lines[i].strip():
            last = frames[-1]
            frames[-1] = Frame(last.file, last.line, last.function, lines[i].strip())
        i += 1
    text: list[str] = []
    while i < len(lines) and lines[i].rstrip() != HEADER and lines[i].strip() not in CHAIN:
        if _ends_exception(lines, i):
            break
        if not NOT_THE_PROGRAM.match(lines[i]):
            text.append(lines[i].rstrip())
        i += 1
    while text and not text[-1]:
        text.pop()
    return Raised(tuple(frames), tuple(text)), i


def _ends_exception(lines: Sequence[str], i: int) -> bool:
    """A blank line followed by a chain sentence or a new traceback closes the exception;
    so does the "Exception ignored" report of an atexit or __del__ failure."""
    line = lines[i]
    if line.startswith(("Exception ignored in", "Error in atexit")):
        return True
    if line.strip():
        return False
    j = i
    while j < len(lines) and not lines[j].strip():
        j += 1
    return j < len(lines) and (lines[j].rstrip() == HEADER or lines[j].strip() in CHAIN)


def warnings(stderr: str) -> list[str]:
    """The warnings a run printed, as ``Kind: message`` (the location left out), and the
    exceptions it reported as ignored, as their ``Type: message``."""
    found = []
    for line in stderr.split("\n"):
        match = WARNING.search(line)
        if match:
            found.append(f"{match['kind']}: {match['message'].strip()}")
    for traceback in tracebacks(stderr):
        if traceback.ignored:
            found.append(f"{traceback.last.headline} (exception ignored)")
    return found


TRACEBACK_SHOWN = "(a traceback: compared by the exit check, see [exception])"


def without_tracebacks(stderr: str) -> str:
    """Stderr with each traceback chain replaced by one line, and without the lines CPython
    or Nuitka print themselves: the exit check compares a failure whole, with the rules for
    compiled frames (line numbers, source lines) that plain text cannot apply."""
    lines = stderr.split("\n")
    kept: list[str] = []
    i = 0
    while i < len(lines):
        if lines[i].rstrip() != HEADER:
            if not NOT_THE_PROGRAM.match(lines[i]):
                kept.append(lines[i])
            i += 1
            continue
        while True:  # one chain: tracebacks joined by "The above exception ..." sentences
            _, i = _one(lines, i + 1)
            j = i
            while j < len(lines) and not lines[j].strip():
                j += 1
            if j < len(lines) and lines[j].strip() in CHAIN:
                j += 1
                while j < len(lines) and not lines[j].strip():
                    j += 1
                if j < len(lines) and lines[j].rstrip() == HEADER:
                    i = j
                    continue
            break
        kept.append(TRACEBACK_SHOWN)
    return "\n".join(kept)


def exit_message(stderr: str) -> str | None:
    """The last line a run printed on stderr when it ended without a traceback
    (``sys.exit("message")``, ``raise SystemExit("message")``, a tool's own error)."""
    for line in reversed(drop_noise(stderr).split("\n")):
        if line.strip():
            return line.rstrip()
    return None


@dataclass(frozen=True)
class Failure:
    """What a run's stderr says went wrong, normalised for comparing."""

    tracebacks: tuple[tuple[str, ...], ...]  # each chain as comparable lines
    exit_message: str | None  # when the run failed without a traceback

    def lines(self) -> list[str]:
        out: list[str] = []
        for number, chain in enumerate(self.tracebacks, 1):
            if len(self.tracebacks) > 1:
                out.append(f"(traceback {number} of {len(self.tracebacks)})")
            out += chain
        if self.exit_message is not None:
            out.append(f"exit message: {self.exit_message}")
        return out

    @property
    def headline(self) -> str:
        """The last exception's first line, or the exit message."""
        if self.exit_message is not None:
            return f"exit message: {self.exit_message}"
        head = None
        for line in self.tracebacks[-1] if self.tracebacks else ():
            if line.startswith(("  File ", "    ", "-- ")):
                head = None
            elif head is None and line:
                head = line
        return head or "(no traceback)"

    @property
    def empty(self) -> bool:
        return not self.tracebacks and self.exit_message is None


def failure(
    stderr: str,
    failed: bool,
    clean: Callable[[str], str],
    is_compiled: Callable[[str], bool],
    line_numbers: bool = False,
    source: bool = False,
) -> Failure:
    """``clean`` normalises a piece of text (paths, addresses, the rules in force);
    ``is_compiled`` tells a frame in the app's own code, whose line numbers are compared only
    with ``line_numbers``; ``source``: the source lines under frames are compared too."""
    stderr = drop_noise(stderr)
    chains = []
    for found in tracebacks(stderr):
        if found.ignored:
            continue
        lines: list[str] = []
        for index, raised in enumerate(found.chain):
            if index:
                lines.append(f"-- {found.links[index - 1]} --")
            for frame in raised.frames:
                file = clean(frame.file)
                where = f"line {frame.line}"
                if not line_numbers and is_compiled(file):
                    where = "line <n>"
                lines.append(f'  File "{file}", {where}, in {frame.function}')
                if source and frame.source:
                    lines.append(f"    {frame.source}")
            text = [clean(line) for line in raised.text]
            if not line_numbers:  # the app's frames quoted in a message (TensorFlow does)
                text = [APP_LINE.sub(r"\1<n>", line) for line in text]
            lines += text
        chains.append(tuple(lines))
    message = None
    if failed and not chains:
        message = exit_message(stderr)
        message = clean(message) if message is not None else None
    return Failure(tuple(chains), message)


def headline(stderr: str) -> str | None:
    """'Type: message' of the last exception printed, if any."""
    found = [t for t in tracebacks(drop_noise(stderr)) if not t.ignored]
    return found[-1].last.headline if found else None
