from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pytest_nuitka.check import compare
from pytest_nuitka.check.difference import Difference, compare_array, tolerance_for
from pytest_nuitka.run.normalize import Policy
from pytest_nuitka.run.runs import Run


def make_run(
    side: str,
    outputs: dict[str, Any] | None = None,
    stdout: str = "",
    stderr: bytes = b"",
    returncode: int = 0,
) -> Run:
    return Run(
        side=side,
        argv=(),
        cwd=Path("/x"),
        returncode=returncode,
        raw_stdout=b"",
        raw_stderr=stderr,
        stdout=stdout,
        outputs=outputs or {},
        seconds=0.0,
        timed_out=False,
        timeout=1.0,
    )


def test_default_is_bit_identical_even_for_signed_zero() -> None:
    assert (
        compare_array(
            "x", np.array([0.0], dtype=np.float32), np.array([-0.0], dtype=np.float32), 0, 0
        )
        is not None
    )
    assert (
        compare_array(
            "x", np.array([np.nan], dtype=np.float32), np.array([np.nan], dtype=np.float32), 0, 0
        )
        is None
    )


def test_worst_elements_come_first() -> None:
    a = np.zeros((3, 4), np.float32)
    b = a.copy()
    b[0, 1], b[2, 3], b[1, 0] = 0.5, 3.0, 1.0
    difference = compare_array("logits", a, b, 0, 0)
    assert difference is not None
    rows = difference.detail.splitlines()
    assert rows[0] == "  3 of 12 elements differ (bit-identical); worst 3:"
    assert [r.split()[:2] for r in rows[2:5]] == [["(2,", "3)"], ["(1,", "0)"], ["(0,", "1)"]]


def test_tolerance_and_dtype_shape() -> None:
    a = np.array([1.0, 2.0], dtype=np.float64)
    assert compare_array("x", a, a + 1e-9, 1e-6, 0) is None
    assert compare_array("x", a, a + 1e-3, 1e-6, 0) is not None
    difference = compare_array("x", a, a.astype(np.float32), 0, 0)
    assert difference is not None
    assert "float32 (2,)" in difference.detail
    assert tolerance_for({"x": 0.1}, "y") == 0.0


def test_argmax_and_missing_outputs() -> None:
    script = make_run("script", {"p": np.array([[1, 0], [0, 1]], dtype=np.float32), "only": 1})
    binary = make_run("binary", {"p": np.array([[1, 0], [1, 0]], dtype=np.float32)})
    titles = [d.title for d in compare.check_outputs(script, binary)]
    assert titles == ["outputs", "p"]
    (argmax,) = compare.check_argmax(script, binary, ["p"])
    assert "1 of 2 rows disagree" in argmax.detail


def test_json_values_compare_by_type_and_value() -> None:
    assert compare.compare_equal("m", {"a": 1}, {"a": 1}, 0, 0) is None
    assert compare.compare_equal("m", 1, 1.0, 0, 0) is not None


def test_pluggable_comparator_per_name() -> None:
    script = make_run("script", {"label": "Bird"})
    binary = make_run("binary", {"label": "bird"})

    def case_insensitive(name: str, a: str, b: str, rtol: float, atol: float) -> Difference | None:
        return None if a.lower() == b.lower() else Difference(name, "differs")

    assert compare.check_outputs(script, binary)
    assert not compare.check_outputs(script, binary, comparators={"label": case_insensitive})


def test_exception_must_match_when_script_fails() -> None:
    trace = b"Traceback (most recent call last):\n  File 'x'\nValueError: bad\n"
    script = make_run("script", stderr=trace, returncode=1)
    same = make_run("binary", stderr=trace, returncode=1)
    other = make_run("binary", stderr=trace.replace(b"bad", b"worse"), returncode=1)
    assert compare.check_exit(script, same) == []
    assert [d.title for d in compare.check_exit(script, other)] == ["exception"]


@pytest.mark.parametrize(
    "returncode, status", [(-9, "killed by SIGKILL (signal 9)"), (3, "exit status 3")]
)
def test_status_names_signals(returncode: int, status: str) -> None:
    assert make_run("binary", returncode=returncode).status == status


def test_each_outputs_tolerances_are_its_own() -> None:
    """rtol and atol, given per output or for all, reach each output's comparison as given:
    an absolute difference of 1e-3 at 0 passes only an atol, never an rtol."""
    script = make_run("script", {"a": np.array([0.0, 1.0]), "b": np.array([0.0, 1.0])})
    binary = make_run("binary", {"a": np.array([1e-3, 1.0]), "b": np.array([1e-3, 1.0])})
    titles = [d.title for d in compare.check_outputs(script, binary, rtol=0.5, atol=0.0)]
    assert titles == ["a", "b"]
    titles = [d.title for d in compare.check_outputs(script, binary, rtol=0.5, atol={"a": 1e-2})]
    assert titles == ["b"]
    titles = [d.title for d in compare.check_outputs(script, binary, rtol={"b": 0.5}, atol=1e-2)]
    assert titles == []


def test_values_that_differ_are_shown_whole_up_to_300_characters() -> None:
    assert compare.compare_equal("m", {"a": 1}, {"a": 2}, 0, 0) == Difference(
        "m", "  script: {'a': 1}\n  binary: {'a': 2}"
    )
    long = compare.compare_equal("m", "x" * 400, "y", 0, 0)
    assert long is not None and long.detail == f"  script: '{'x' * 299}\n  binary: 'y'"


def test_a_stdout_difference_is_a_unified_diff_with_two_lines_of_context() -> None:
    lines = [f"epoch {i}" for i in range(1, 8)]
    script = make_run("script", stdout="\n".join(lines))
    binary = make_run("binary", stdout="\n".join(lines).replace("epoch 4", "epoch four"))
    (difference,) = compare.check_stdout(script, binary)
    assert difference.title == "stdout (normalised)"
    assert difference.detail == "\n".join(
        [
            "  --- script stdout",
            "  +++ binary stdout",
            "  @@ -2,5 +2,5 @@",
            "   epoch 2",
            "   epoch 3",
            "  -epoch 4",
            "  +epoch four",
            "   epoch 5",
            "   epoch 6",
        ]
    )


def test_rows_whose_class_differs_are_tabled_by_row() -> None:
    script = [[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]
    binary = [[0.9, 0.1], [0.8, 0.2], [0.6, 0.4]]
    difference = compare.argmax_difference("p", script, binary)
    assert difference is not None and difference.title == "argmax(p)"
    assert difference.detail == "\n".join(
        [
            "  2 of 3 rows disagree:",
            "  row  script  binary",
            "  0    1       0",
            "  2    1       0",
        ]
    )


def test_warnings_only_one_side_printed_are_noted_one_a_line() -> None:
    script = make_run("script")
    binary = make_run(
        "binary",
        stderr=b"/x/app.py:3: UserWarning: first\n  warnings.warn('first')\n"
        b"/x/app.py:4: DeprecationWarning: second\n  f()\n",
    )
    assert compare.warning_notes(script, binary) == [
        "note: printed only by the binary:\n  UserWarning: first\n  DeprecationWarning: second"
    ]
    assert compare.warning_notes(binary, script) == [
        "note: printed only by the script:\n  UserWarning: first\n  DeprecationWarning: second"
    ]


def test_both_sides_fail_the_same_way_under_the_checks_own_normalisation() -> None:
    """A failure whose message differs only where the test's noise rule masks it is the same
    failure; without the rule it is not."""

    def failing(side: str, port: int) -> Run:
        stderr = f"Traceback (most recent call last):\nOSError: port {port} is taken\n"
        return make_run(side, stderr=stderr.encode(), returncode=1)

    script, binary = failing("script", 8001), failing("binary", 8002)
    assert not compare.same_failure(script, binary)
    masked = Policy(noise=((r"port \d+", "port N"),))
    assert compare.same_failure(script, binary, masked)


@pytest.mark.parametrize("seed", range(20))
def test_the_tolerance_a_drift_needs_is_one_that_passes(seed: int) -> None:
    """The failure says the smallest atol and rtol that would pass: each, given alone, does."""
    rng = np.random.default_rng(seed)
    script = rng.standard_normal((4, 5)).astype(np.float32)
    drift = rng.standard_normal((4, 5)) * 10.0 ** -int(rng.integers(2, 7))
    binary = (script + drift).astype(np.float32)
    difference = compare_array("x", script, binary, 0, 0)
    assert difference is not None
    line = difference.detail.splitlines()[-2]
    found = re.fullmatch(r"  passes with atol=(\S+) \(rtol=0\) or rtol=(\S+) \(atol=0; .*\)", line)
    assert found, line
    atol, rtol = float(found[1]), float(found[2])
    assert compare_array("x", script, binary, 0, atol) is None
    assert compare_array("x", script, binary, rtol, 0) is None
    assert compare_array("x", script, binary, 0, atol / 2) is not None


def test_what_a_drift_does_to_the_argmax_and_when_no_tolerance_passes() -> None:
    script = np.array([[0.1, 0.9], [0.6, 0.4]], np.float32)
    kept = compare_array("p", script, script + np.float32(1e-3), 0, 0)
    assert kept is not None and kept.detail.endswith(
        "argmax over the last axis still agrees in all 2 row(s)"
    )
    flipped = compare_array("p", script, script[:, ::-1].copy(), 0, 0)
    assert flipped is not None and flipped.detail.endswith("differs in 2 of 2 row(s)")
    nan = compare_array("p", script, np.where(script > 0.5, np.nan, script), 0, 0)
    assert nan is not None and "no tolerance passes: a value is NaN or infinite" in nan.detail
    zero = compare_array("z", np.array([1.0]), np.array([0.0]), 0, 0)
    assert zero is not None and zero.detail.endswith("no rtol alone (a binary value is 0)")
    signed = compare_array("s", np.array([0.0]), np.array([-0.0]), 0, 0)
    assert signed is not None and signed.detail.endswith("any tolerance passes")
