"""Make output comparable: each rule masks one named kind of difference that is not behaviour.

Every rule has a name, an example (the README's table is checked against ``RULES``) and a
reason. What two runs of the same program print differently anyway (addresses, times, ids) is
not guessed here but learned (rule ``learned``, ``check/learned.py``): the script runs a second
time where a comparison fails. The hand-written default rules mask only what a second script
run cannot show: what Nuitka represents differently without the program behaving differently
(``compiled_function``, frozen modules, a warning's source line) or what CPython prints while
compiling the script, which the binary did at build time. Each is narrow enough that no
computed value matches it. Opt-in rules could hide a real difference, so a test turns them on
by name. ``strict`` turns every rule off but the run folders and the program's name, which the
plugin itself makes different.
"""

from __future__ import annotations

import re
import sys
import sysconfig
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

Noise = tuple[str, str]  # (regex, replacement), the user's own rules


@dataclass(frozen=True)
class Rule:
    name: str
    example: tuple[str, str]  # (before, after), shown in the README
    why: str  # why it cannot hide behaviour, or (opt-in) why it could
    apply: Callable[[str], str]
    default: bool = True
    streams: tuple[str, ...] = ("stdout", "stderr")  # where it applies


@dataclass(frozen=True)
class Substitute:
    """A rule that replaces what a regex matches (compiled once, by ``re``'s cache)."""

    pattern: str
    replacement: str

    def __call__(self, text: str) -> str:
        return re.sub(self.pattern, self.replacement, text)


def _unchanged(text: str) -> str:
    """A rule applied elsewhere (failures, the comparison itself), named here for its switch."""
    return text


# Keras progress bars: "1/1 ━━━━━━━━ 0s 45ms/step" (Keras 3), "1/1 [=====] - 0s 5ms/step" (2).
TERMINAL_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x08")
PROGRESS_BAR = re.compile(r"^\s*\d+/\d+ +(?:[━─]+|\[[=>.]*\]).*$")


def _progress(text: str) -> str:
    text = TERMINAL_CONTROL.sub("", text).replace("\r\n", "\n")
    lines = (line.rsplit("\r", 1)[-1] for line in text.split("\n"))  # what a terminal shows
    return "\n".join(line for line in lines if not PROGRESS_BAR.match(line))


# CPython 3.11+ imports these frozen: their repr says "(frozen)" where a compiled binary,
# which carries its own copy, names a file.
FROZEN = frozenset(
    getattr(sys, "_stdlib_frozen", ())
    or [
        *("_collections_abc", "_sitebuiltins", "abc", "codecs", "genericpath", "io"),
        *("ntpath", "os", "os.path", "posixpath", "site", "stat", "zipimport"),
        *("importlib._bootstrap", "importlib._bootstrap_external"),
    ]
)
STDLIB_DIRS = tuple(
    sorted(
        {sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib")},
        key=len,
        reverse=True,
    )
)


def _frozen(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"<module '{name}' (stdlib)>" if name in FROZEN else match.group(0)

    return re.sub(r"<module '([\w.]+)' (?:\(frozen\)|from '[^']*')>", one, text)


def _stdlib(text: str) -> str:
    for folder in STDLIB_DIRS:
        text = re.sub(re.escape(folder) + r"(?=/)", "<stdlib>", text)
    # A standalone dist carries the standard library beside the binary: <appdir>/json/...
    top = "|".join(sorted(sys.stdlib_module_names, key=len, reverse=True))
    return re.sub(rf"<appdir>/(?=(?:{top})(?:/|\.py\b))", "<stdlib>/", text)


CARET = re.compile(r"^ *[~^]+ *$")
FRAME = re.compile(r'^ +File "[^"]*", line \d+')


def _carets(text: str) -> str:
    """PEP 657 markers under a traceback's source line: CPython prints them, Nuitka's frames
    carry no column positions. Only a line right after a frame's source line goes."""
    lines, kept = text.split("\n"), []
    for i, line in enumerate(lines):
        if CARET.match(line) and i >= 2 and FRAME.match(lines[i - 2]):
            continue
        kept.append(line)
    return "\n".join(kept)


# "<file>:<line>: Category: message": the warnings module's header, followed by the source
# line it read back from the file (absent where a standalone dist has no source).
WARNING_HEADER = re.compile(r"^\S.*:\d+: \w*Warning: ")


def _warning_source(text: str) -> str:
    lines, kept = text.split("\n"), []
    for i, line in enumerate(lines):
        if i and line.startswith(" ") and WARNING_HEADER.match(lines[i - 1]):
            continue
        kept.append(line)
    return "\n".join(kept)


# CPython warns while compiling the script; the binary was compiled at build time, silently.
COMPILE_WARNING = re.compile(
    r"^\S.*:\d+: (?:SyntaxWarning: |DeprecationWarning: invalid (?:escape sequence|octal))"
)
NEVER_AWAITED = re.compile(r"(?:^|: )RuntimeWarning: coroutine '[^']*' was never awaited$")
TRACEMALLOC_HINT = "RuntimeWarning: Enable tracemalloc to get the object allocation traceback"


@dataclass(frozen=True)
class Dropping:
    """A rule that drops each line ``header`` matches, with the indented source line (and
    tracemalloc hint) printed under it."""

    header: re.Pattern[str]

    def __call__(self, text: str) -> str:
        kept, skipping = [], False
        for line in text.split("\n"):
            if self.header.search(line):
                skipping = True
                continue
            if skipping and line.startswith(" "):
                continue
            if skipping and line == TRACEMALLOC_HINT:  # printed once, after the source line
                skipping = False
                continue
            skipping = False
            kept.append(line)
        return "\n".join(kept)


def _without_blank_lines(text: str) -> str:
    return "\n".join(line for line in text.split("\n") if line.strip())


def _older_wordings(text: str) -> str:
    return text.replace(
        "super() argument 1 must be a type", "super() argument 1 must be type"
    ).replace("global name '", "name '")


RULES: tuple[Rule, ...] = (
    Rule(
        "progress-bars",
        ("1/1 ━━━━━━━━━━━━━━━━━━━━ 0s 45ms/step", "(line dropped)"),
        "Keras progress bars and terminal redraws (\\r, \\b, colours) show elapsed time, "
        "not results; a line overwritten by \\r keeps what a terminal shows last",
        _progress,
    ),
    Rule(
        "learned",
        ("train ends at 13.75s (second script run: 14.02s)", "13.75s and 14.02s vary: any number"),
        "where a comparison fails, the script runs a second time; the tokens (runs of digits, "
        "of letters, of other characters) that differ between its two runs are noise, and "
        "there the binary's token must be of the same kind; the failure names them",
        _unchanged,
    ),
    Rule(
        "compile-warnings",
        ('<app>:2: SyntaxWarning: "is" with a literal', "(line dropped, with its source line)"),
        "CPython warns while it compiles the script (SyntaxWarning, invalid escapes); the "
        "binary was compiled at build time, where Nuitka reported them",
        Dropping(COMPILE_WARNING),
        streams=("stderr",),
    ),
    Rule(
        "never-awaited",
        ("RuntimeWarning: coroutine 'main' was never awaited", "(line dropped)"),
        "Nuitka's compiled coroutines do not warn when they are dropped unawaited (CPython's "
        "warning comes from its own coroutine type); only that warning and its source line "
        "and tracemalloc hint go",
        Dropping(NEVER_AWAITED),
        streams=("stderr",),
    ),
    Rule(
        "warning-source",
        ("  warnings.warn('old', DeprecationWarning) (under a warning)", "(line dropped)"),
        "the source line under a warning is read back from the file by the warnings module "
        "(a standalone dist has none); the warning's location, category and message are "
        "compared",
        _warning_source,
        streams=("stderr",),
    ),
    Rule(
        "blank-lines",
        ("an empty line", "(line dropped)"),
        "on stderr only: interpreter and library messages end with blank lines where their "
        "printer chooses; stdout's blank lines are the program's and are compared",
        _without_blank_lines,
        streams=("stderr",),
    ),
    Rule(
        "temp-paths",
        ("wrote /tmp/tmpk2j1/x.npy", "wrote <tmp>"),
        "temporary names are random in every run",
        Substitute(r"(?<![\w/])/tmp/[^\s'\":,)\]]+", "<tmp>"),
    ),
    Rule(
        "compiled-types",
        ("<compiled_function f at 0x<addr>>", "<function f at 0x<addr>>"),
        "Nuitka's function, generator, coroutine, async generator, method, frame and cell "
        "types print as compiled_<kind>; the object does what the CPython kind does",
        Substitute(
            r"\bcompiled_(function|generator|coroutine|async_generator|method|frame|cell"
            r"|module|FrameLocalsProxy)\b(?!\.h)",
            r"\1",
        ),
    ),
    Rule(
        "frozen-modules",
        ("<module 'os' (frozen)>", "<module 'os' (stdlib)>"),
        "CPython imports a few standard-library modules frozen, a binary from its own copy; "
        "only those module names are touched, and both sides are the same standard library",
        _frozen,
    ),
    Rule(
        "stdlib-paths",
        ("/usr/lib/python3.11/json/decoder.py", "<stdlib>/json/decoder.py"),
        "the standard library's folder, and the copy of it a standalone dist carries, are "
        "the same modules of the same Python",
        _stdlib,
    ),
    Rule(
        "traceback-carets",
        ("    ~~~~^^^ (under a traceback's source line)", "(line dropped)"),
        "PEP 657 column markers are drawn by the traceback printer from column tables that "
        "compiled frames do not carry; the frame, line and exception are still compared",
        _carets,
    ),
    Rule(
        "did-you-mean",
        (
            "NameError: name 'fo' is not defined. Did you mean: 'foo'?",
            "NameError: name 'fo' is not defined",
        ),
        "the suggestion is added by the traceback printer from the frame's variables, "
        "not part of the exception; its type and message are still compared",
        Substitute(r"\. Did you mean:? '[^']*'\?", ""),
    ),
    Rule(
        "older-wordings",
        ("super() argument 1 must be a type", "super() argument 1 must be type"),
        "a few messages that Nuitka words as an older CPython did; each is one fixed "
        "sentence mapped to its current form, the values in it are kept",
        _older_wordings,
    ),
    Rule(
        "app-line-numbers",
        ('File "<app>", line 41, in main', 'File "<app>", line <n>, in main'),
        "in a failure's traceback, frames in the app's own (compiled) code: Nuitka attributes "
        "some statements spanning lines to another of their lines; the frame's file and "
        "function, every library frame's line, and the exception are still compared",
        _unchanged,
    ),
    Rule(
        "traceback-source",
        ("    result = model(x)", "(not compared, under a traceback frame)"),
        "in a failure's traceback, the source line under a frame is read back from the file "
        "by the printer (a standalone dist has none); the frame itself is compared",
        _unchanged,
    ),
    Rule(
        "addresses",
        ("<Model object at 0x7f3a2b1c9d10>", "<Model object at 0x<addr>>"),
        "opt-in: `learned` tells the addresses that change from run to run; this masks any "
        "long hexadecimal number, also one the program computed",
        Substitute(r"\b0x[0-9a-fA-F]{6,}\b", "0x<addr>"),
        default=False,
    ),
    Rule(
        "timings",
        ("done in 1.25s, 45ms/step", "done in <time>, <time>"),
        "opt-in: `learned` tells the durations that change from run to run; this masks any "
        "number followed by a unit of time, also a computed schedule",
        Substitute(
            r"\b\d+(?:\.\d+)?(?:e-?\d+)?\s?(?:ns|us|µs|ms|s|sec|secs|seconds)(?:/step)?\b",
            "<time>",
        ),
        default=False,
    ),
    Rule(
        "local-ports",
        ("connected to 127.0.0.1:53411", "connected to 127.0.0.1:<port>"),
        "opt-in: ephemeral ports are random, but a fixed port the app chose is behaviour",
        Substitute(r"\b(127\.0\.0\.1|localhost):\d{2,5}\b", r"\1:<port>"),
        default=False,
    ),
    Rule(
        "module-paths",
        ("<module 'helper' from '/site/helper.py'>", "<module 'helper' from <path>>"),
        "opt-in: where a module was loaded from matters (a binary that imports a module "
        "from the wrong place behaves differently)",
        Substitute(r"(<module '[\w.]+' from )'[^']*'>", r"\1<path>>"),
        default=False,
    ),
    Rule(
        "del-ignored",
        ("Exception ignored in: <function C.__del__ at 0x<addr>>", "(line dropped)"),
        "opt-in: CPython and Nuitka report an exception in __del__ at different times, but "
        "the exception is the program's",
        Substitute(r"(?m)^Exception ignored in: .*__del__.*\n?", ""),
        default=False,
    ),
)
BY_NAME = {rule.name: rule for rule in RULES}


def check_rule_names(names: Iterable[str]) -> list[str]:
    """The unknown names among ``names`` ("-name" turns a default rule off)."""
    return [n for n in names if n.removeprefix("-") not in BY_NAME]


@dataclass(frozen=True)
class Policy:
    """Which rules apply: the defaults unless ``strict``, plus the opt-in rules named in
    ``rules`` ("-name" turns a default off), then the user's ``noise`` rules."""

    strict: bool = False
    rules: tuple[str, ...] = ()
    noise: tuple[Noise, ...] = field(default=())

    def __post_init__(self) -> None:
        unknown = check_rule_names(self.rules)
        if unknown:
            raise ValueError(
                f"unknown normalisation rule(s) {', '.join(unknown)}; the rules are: "
                + ", ".join(BY_NAME)
            )
        for pattern, _ in self.noise:
            re.compile(pattern)

    def active(self) -> list[Rule]:
        off = {n[1:] for n in self.rules if n.startswith("-")}
        on = {n for n in self.rules if not n.startswith("-")}
        return [
            rule
            for rule in RULES
            if rule.name not in off and (rule.name in on or (rule.default and not self.strict))
        ]

    def has(self, name: str) -> bool:
        return any(rule.name == name for rule in self.active())

    def merged(self, other: Policy) -> Policy:
        return Policy(
            self.strict or other.strict, self.rules + other.rules, self.noise + other.noise
        )

    def describe(self) -> str:
        names = [rule.name for rule in self.active()]
        text = (
            "rules: "
            + (", ".join(names) if names else "none")
            + (" (strict)" if self.strict else "")
        )
        for pattern, replacement in self.noise:
            text += f"\nnoise: {pattern!r} -> {replacement!r}"
        return text


DEFAULT = Policy()


def parse_noise(entries: Iterable[str] | Mapping[str, str] | Sequence[Noise]) -> tuple[Noise, ...]:
    """A mapping regex -> replacement, pairs, or "REGEX -> REPLACEMENT" lines (ini)."""
    if isinstance(entries, Mapping):
        return tuple((str(k), str(v)) for k, v in entries.items())
    found: list[Noise] = []
    for entry in entries:
        if isinstance(entry, str):
            if " -> " not in entry:
                raise ValueError(f"noise rule {entry!r}: write it as REGEX -> REPLACEMENT")
            pattern, replacement = entry.rsplit(" -> ", 1)
            found.append((pattern.strip(), replacement.strip()))
        else:
            pattern, replacement = entry
            found.append((str(pattern), str(replacement)))
    for pattern, _ in found:
        try:
            re.compile(pattern)
        except re.error as error:
            raise ValueError(f"noise rule {pattern!r}: not a valid regex ({error})") from None
    return tuple(found)


def replace_paths(text: str, paths: Mapping[str, str]) -> str:
    """The run folders, script and binary paths (rule ``run-paths``, kept under strict)."""
    for literal in sorted(paths, key=len, reverse=True):
        if literal:
            text = text.replace(literal, paths[literal])
    return text


def normalize(
    text: str,
    paths: Mapping[str, str],
    extra: Iterable[Noise] = (),
    policy: Policy = DEFAULT,
    stream: str = "stdout",
) -> str:
    """``paths`` maps literal strings (run directories, the script or binary path) to the
    placeholders that replace them; then the policy's rules for ``stream``, then ``extra`` and
    the policy's noise rules (regex, replacement), line by line."""
    text = replace_paths(text, paths)
    for rule in policy.active():
        if stream in rule.streams:
            text = rule.apply(text)
    noise = [*policy.noise, *extra]
    if noise:
        compiled = [(re.compile(p), r) for p, r in noise]
        lines = []
        for line in text.split("\n"):
            for pattern, replacement in compiled:
                line = pattern.sub(replacement, line)
            lines.append(line)
        text = "\n".join(lines)
    return text
