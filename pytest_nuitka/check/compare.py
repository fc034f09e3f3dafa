"""Script vs binary: one check per kind of data, each returning the differences it found.

A difference carries a ready-to-print table, in the manner of pytest-regressions: per
output, how many elements differ and the worst of them.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from pytest_nuitka.base.errors import NuitkaPluginError
from pytest_nuitka.check import artifacts, learned
from pytest_nuitka.check.difference import (
    WORST,
    Comparator,
    Difference,
    Tolerance,
    compare_array,
    table,
    tolerance_for,
)
from pytest_nuitka.run import failures
from pytest_nuitka.run.normalize import DEFAULT, Policy
from pytest_nuitka.run.runs import Run, Side

STDERR_TAIL = 15


TextCheck = Callable[[Run, Run, Policy], list[Difference]]


def check_exit(script: Run, binary: Run, policy: Policy = DEFAULT) -> list[Difference]:
    """Same exit status, and the same failure: every traceback printed (chained causes,
    detail lines, a child process's), or for a failure without one its last stderr line.
    Two runs killed at their time limit are not a match: nothing was compared."""
    if script.timed_out and binary.timed_out:
        return [
            Difference(
                "inconclusive",
                f"  both sides were killed at their time limit ({script.timeout:g}s, "
                f"{binary.timeout:g}s): nothing was compared; give the runs more time "
                "(timeout=..., --nuitka-run-timeout) or smaller inputs",
            )
        ]
    found = []
    if (script.returncode, script.timed_out) != (binary.returncode, binary.timed_out):
        found.append(Difference("exit", f"  script: {script.status}\n  binary: {binary.status}"))
    if script.timed_out or binary.timed_out:
        return found  # a killed run's stderr stops anywhere
    left, right = script.failure(policy), binary.failure(policy)
    if left != right:
        found.append(
            Difference(
                "exception",
                f"  script: {left.headline}\n  binary: {right.headline}\n"
                + _diff(left.lines(), right.lines(), "failure"),
            )
        )
    return found


def same_failure(script: Run, binary: Run, policy: Policy = DEFAULT) -> bool:
    """Both sides failed, and the same way."""
    return not script.ok and not binary.ok and not check_exit(script, binary, policy)


def _diff(left: list[str], right: list[str], what: str) -> str:
    diff = difflib.unified_diff(left, right, f"script {what}", f"binary {what}", lineterm="", n=2)
    return "\n".join("  " + line for line in diff)


def check_stdout(script: Run, binary: Run, policy: Policy = DEFAULT) -> list[Difference]:
    return _text_diff("stdout", script, binary, policy) + _past_capture(script, binary)


def check_stderr(script: Run, binary: Run, policy: Policy = DEFAULT) -> list[Difference]:
    """The whole stderr, normalised, without TensorFlow's start-up chatter; tracebacks are
    the exit check's."""
    return _text_diff("stderr", script, binary, policy)


def _text(run: Run, stream: str, policy: Policy) -> str:
    return run.normalized_stdout(policy) if stream == "stdout" else run.normalized_stderr(policy)


def _text_diff(stream: str, script: Run, binary: Run, policy: Policy) -> list[Difference]:
    """Equal once normalised, or different only where a second run of the script differs
    from its first (rule ``learned``)."""
    left, right = _text(script, stream, policy), _text(binary, stream, policy)
    if left == right:
        return []
    detail = _diff(left.splitlines(), right.splitlines(), stream)
    again = second_run(script, policy)
    if isinstance(again, str):
        detail += f"\n  (no noise learned: {again})"
    elif again is not None:
        found = learned.learn(left, _text(again, stream, policy))
        if found.explains(right):
            return []
        judged = found.describe()
        detail += "\n  judged noise, as two runs of the script differ there (rule learned):"
        detail += "".join(f"\n    {line}" for line in judged) if judged else " nothing"
    return [Difference(f"{stream} (normalised)", detail)]


def second_run(script: Run, policy: Policy) -> Run | str | None:
    """The script's run again, the same way (once per run), where noise is learned; a
    sentence where it could not run."""
    if not policy.has("learned") or script.redo is None:
        return None
    try:
        return script.redo({})
    except (OSError, NuitkaPluginError) as error:
        return f"the script's second run failed to start ({error})"


def check_runtime(script: Run, binary: Run) -> list[Difference]:
    """Which Keras implementations each process loaded the model code of, from its own record:
    the same predictions from tf_keras and from Keras 3 are still two implementations (other
    saving formats, other layers), and a binary that silently switched is a difference."""
    left, right = script.runtime.get("keras"), binary.runtime.get("keras")
    if not left or not right or left == right:
        return []
    versions = {run.side: run.runtime.get("versions", {}) for run in (script, binary)}
    rows = [
        [
            run.side,
            " and ".join(kinds),
            ", ".join(f"{k} {v}" for k, v in versions[run.side].items()),
        ]
        for run, kinds in ((script, left), (binary, right))
    ]
    return [
        Difference(
            "keras implementation",
            "  the processes loaded the model code of different Keras implementations:\n"
            + table(["side", "keras", "loaded"], rows),
        )
    ]


def warning_notes(script: Run, binary: Run, policy: Policy = DEFAULT) -> list[str]:
    """A warning one side printed and the other did not (a binary that never says
    "coroutine ... was never awaited" passes stdout and exit checks)."""
    left, right = script.warnings(policy), binary.warnings(policy)
    notes = []
    for side, mine, theirs in ((Side.SCRIPT, left, right), (Side.BINARY, right, left)):
        only = [w for w in dict.fromkeys(mine) if w not in theirs]
        if only:
            notes.append(
                f"note: printed only by the {side}:\n" + "\n".join(f"  {w}" for w in only[:WORST])
            )
    return notes


def _past_capture(script: Run, binary: Run) -> list[Difference]:
    """Stdout past the capture limit is not kept, only counted and hashed: compared byte for
    byte (not normalised), so that two runs differing only there do not pass."""
    streams = {run.side: run.stdout_stream for run in (script, binary)}
    past = {(s.dropped, s.dropped_sha256) for s in streams.values()}
    if not any(s.dropped for s in streams.values()) or len(past) == 1:
        return []
    return [
        Difference(
            "stdout (past the capture limit)",
            "  not kept, compared raw by size and sha256:\n"
            + "\n".join(
                f"  {side}: {s.dropped} bytes after the first {s.total - s.dropped}, "
                f"sha256 {s.dropped_sha256[:16]}"
                for side, s in streams.items()
            ),
        )
    ]


def compare_equal(
    name: str, script: Any, binary: Any, rtol: float, atol: float
) -> Difference | None:
    if type(script) is type(binary) and script == binary:
        return None
    return Difference(name, f"  script: {script!r:.300}\n  binary: {binary!r:.300}")


def default_comparator(value: Any) -> Comparator:
    return compare_array if isinstance(value, np.ndarray) else compare_equal


def comparator_for(
    name: str, value: Any, comparators: Mapping[str, Comparator | str] | None
) -> Comparator:
    """The user's comparator for this output (its name, then the first matching file
    pattern), else the one for its format (TorchScript, .keras, .h5, zip, SavedModel file),
    else arrays by value and everything else by equality."""
    chosen = artifacts.registered(name, comparators or {})
    return chosen or artifacts.detect(name, value) or default_comparator(value)


def check_outputs(
    script: Run,
    binary: Run,
    rtol: Tolerance = 0.0,
    atol: Tolerance = 0.0,
    comparators: Mapping[str, Comparator | str] | None = None,
    exclude: Iterable[str] = (),
    labels: tuple[str, str] = ("script", "binary"),
) -> list[Difference]:
    """``exclude``: output names or file patterns not compared at all; ``labels`` name the
    two runs in the tables (a round-trip compares a load with its reference)."""
    return compare_outputs(script.outputs, binary.outputs, rtol, atol, comparators, exclude, labels)


def compare_outputs(
    left: Mapping[str, Any],
    right: Mapping[str, Any],
    rtol: Tolerance = 0.0,
    atol: Tolerance = 0.0,
    comparators: Mapping[str, Comparator | str] | None = None,
    exclude: Iterable[str] = (),
    labels: tuple[str, str] = ("script", "binary"),
) -> list[Difference]:
    found = []
    skipped = tuple(exclude)
    names_left = {n for n in left if not artifacts.excluded(n, skipped)}
    names_right = {n for n in right if not artifacts.excluded(n, skipped)}
    missing = sorted(names_left ^ names_right)
    if missing:
        rows = [
            [n, "yes" if n in names_left else "-", "yes" if n in names_right else "-"]
            for n in missing
        ]
        found.append(
            Difference(
                "outputs",
                "  emitted by one side only:\n" + table(["name", *labels], rows),
            )
        )
    for name in sorted(names_left & names_right):
        value = left[name]
        compare = comparator_for(name, value, comparators)
        rt, at = tolerance_for(rtol, name), tolerance_for(atol, name)
        if compare is compare_array:
            difference = compare_array(name, value, right[name], rt, at, labels)
        else:
            difference = compare(name, value, right[name], rt, at)
        if difference:
            found.append(difference)
    return found


def check_argmax(
    script: Run, binary: Run, names: Iterable[str], axis: int = -1, policy: Policy = DEFAULT
) -> list[Difference]:
    """Where neither side emitted an output because both failed the same way, there is
    nothing to compare and that is a match (the exit check holds the failure)."""
    found = []
    for name in names:
        absent = [r.side for r in (script, binary) if name not in r.outputs]
        if len(absent) == 2 and not script.ok and not binary.ok:
            if not same_failure(script, binary, policy):
                found.append(
                    Difference(
                        f"argmax({name})",
                        "  nothing to compare: neither side emitted it, and they failed "
                        "differently (see [exception])",
                    )
                )
            continue
        if absent:
            found.append(Difference(f"argmax({name})", "  not emitted by " + " and ".join(absent)))
            continue
        difference = argmax_difference(name, script.outputs[name], binary.outputs[name], axis)
        if difference:
            found.append(difference)
    return found


def argmax_difference(
    name: str,
    left: Any,
    right: Any,
    axis: int = -1,
    labels: tuple[str, str] = ("script", "binary"),
) -> Difference | None:
    """Rows whose predicted class differs; shapes that differ are compare_array's to name."""
    a, b = np.asarray(left), np.asarray(right)
    if a.shape != b.shape:
        return None
    first, second = np.atleast_1d(a.argmax(axis)), np.atleast_1d(b.argmax(axis))
    rows = [[i, int(first[i]), int(second[i])] for i in np.argwhere(first != second)[:, 0]]
    if not rows:
        return None
    return Difference(
        f"argmax({name})",
        f"  {len(rows)} of {first.size} rows disagree:\n" + table(["row", *labels], rows[:WORST]),
    )


def render(
    title: str,
    differences: list[Difference],
    *runs: Run,
    notes: Sequence[str] = (),
    after: Sequence[str] = (),
) -> str:
    """The failure message: a title, notes (known issues), one table per difference, notes
    on them (``after``), then each run's stderr tail without TensorFlow's start-up chatter."""
    lines = [title]
    for note in notes:
        lines += ["", note]
    for difference in differences:
        lines += ["", f"[{difference.title}]", difference.detail]
    for note in after:
        lines += ["", note]
    for run in runs:
        tail = failures.drop_noise(run.stderr).rstrip().splitlines()[-STDERR_TAIL:]
        lines += [
            "",
            f"[{run.side} stderr, last {len(tail)} lines; args: {run.shown_args}; {run.status}; "
            f"cwd {run.cwd}]",
            *("  " + line for line in tail),
        ]
        if run.dropped_bytes:
            lines.append(
                f"  (past the capture limit, not kept: {run.stdout_stream.dropped} of "
                f"{run.stdout_stream.total} bytes of stdout, {run.stderr_stream.dropped} of "
                f"{run.stderr_stream.total} bytes of stderr)"
            )
    return "\n".join(lines)
