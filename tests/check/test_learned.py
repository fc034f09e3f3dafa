"""Noise learned from a second script run, not guessed (issue 26): what two runs of the
script print differently may differ in the binary, there only and by kind only."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import pytest

from pytest_nuitka.check.learned import kind, learn

if TYPE_CHECKING:
    from conftest import PluginRun


def test_a_number_that_varies_may_be_any_number_there_only() -> None:
    found = learn("epoch 1 took 13.75s\nloss 0.25", "epoch 1 took 14.02s\nloss 0.25")
    assert found.explains("epoch 1 took 13.9s\nloss 0.25")
    assert not found.explains("epoch 1 took 13.9s\nloss 0.26")  # the loss never varied
    assert not found.explains("epoch 2 took 13.9s\nloss 0.25")  # nor the epoch
    assert not found.explains("epoch 1 took abc.9s\nloss 0.25")  # a word for a number
    assert [p.line for p in found.places] == [1, 1]


def test_a_computed_schedule_is_not_noise_when_the_script_repeats_it() -> None:
    found = learn("train ends at 13.75s", "train ends at 13.75s")
    assert not found.explains("train ends at 14.0s")
    assert found.places == []


def test_addresses_and_decimal_ids_vary_as_tokens_of_their_kind() -> None:
    spec = ": TensorSpec(shape=(), dtype=float32)"
    first = f"<Model object at 0x7f3a2b1c9d10>\nCaptures:\n  140234961{spec}"
    second = f"<Model object at 0x7fe0c1d2a3b4>\nCaptures:\n  139887012{spec}"
    found = learn(first, second)
    binary = (
        "<Model object at 0x55d0aa31>\nCaptures:\n  140000001: TensorSpec(shape=(), dtype=float32)"
    )
    assert found.explains(binary)
    assert not found.explains(binary.replace("float32", "float64"))
    assert not found.explains(binary.replace("140000001", "id-unknown"))


def test_a_line_one_script_run_printed_may_be_missing_but_nothing_else() -> None:
    found = learn("start\nretrying once\nend", "start\nend")
    assert found.explains("start\nend")
    assert found.explains("start\nretrying once\nend")
    assert not found.explains("start\nsomething new\nend")
    assert not found.explains("start")
    assert "printed by one script run only: 'retrying once'" in found.describe()


def test_kinds() -> None:
    assert [kind(t) for t in ("12", "abc", "0x7f", " ", ".:", "_")] == [
        "number",
        "word",
        "mixed",
        "space",
        "other",
        "word",
    ]


def write(pytester: pytest.Pytester, **files: str) -> None:
    pytester.makepyfile(**{name: textwrap.dedent(text) for name, text in files.items()})


def test_learned_in_a_session_passes_ids_and_times_fails_a_computed_difference(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    write(
        pytester,
        app="""
    import sys, time
    compiled = "__compiled__" in globals()
    print("Captures:")
    print(f"  {id(object()) + int(time.time_ns() % 997)}: TensorSpec(shape=(), dtype=float32)")
    print(f"took {time.perf_counter_ns() % 10**6 / 1e6:.6f}s", file=sys.stderr)
    if sys.argv[1:] == ["schedule"]:
        print(f"train ends at {14.0 if compiled else 13.75}s")
    """,
        test_app="""
    def test_ids_and_times(nuitka):
        nuitka.compile("app.py").run_both().assert_match()
    def test_ids_and_times_strict(nuitka):
        nuitka.compile("app.py").run_both().assert_match(strict=True)
    def test_schedule(nuitka):
        nuitka.compile("app.py").run_both("schedule").assert_match()
    """,
    )
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(passed=1, failed=2)
    # Three tests' two sides, and one second script run each where learning was allowed.
    result.stdout.fnmatch_lines(["nuitka: 8 run(s), *"])
    result.stdout.fnmatch_lines(
        [
            "*_ test_ids_and_times_strict _*",
            "binary differs from script in 2 check(s): stdout (normalised), stderr (normalised)",
            "*_ test_schedule _*",
            "binary differs from script in 1 check(s): stdout (normalised)",
            "  -train ends at 13.75s",
            "  +train ends at 14.0s",
            "  judged noise, as two runs of the script differ there (rule learned):",
            "    line 2: * in one script run, * in the other: any number there",
        ]
    )


def test_what_varies_is_named_with_its_line_and_kinds() -> None:
    found = learn("a\nid 12 at x\nz", "a\nid 9 at y\nz")
    assert found.describe() == [
        "line 2: '12' in one script run, '9' in the other: any number there",
        "line 2: 'x' in one script run, 'y' in the other: any word there",
    ]
    mixed = learn("took 12", "took soon")
    assert mixed.describe() == [
        "line 1: '12' in one script run, 'soon' in the other: any number or word there"
    ]
    assert mixed.explains("took 7") and mixed.explains("took later")
    assert not mixed.explains("took 7a") and not mixed.explains("took -")


def test_a_token_only_one_run_printed_may_be_absent() -> None:
    found = learn("retries: 3 left", "retries:  left")
    assert found.explains("retries:  left") and found.explains("retries: 12 left")
    assert not found.explains("retries: x left")


def test_many_places_are_summed_up() -> None:
    first = " ".join(str(n) for n in range(8))
    second = " ".join(str(n + 10) for n in range(8))
    described = learn(first, second).describe()
    assert len(described) == 6
    assert described[-1] == "... and 3 more"


def test_lines_only_one_run_printed_where_the_runs_differ_in_length() -> None:
    found = learn("start\nwarm-up 1\nwarm-up 2\nend", "start\ncold\nend")
    for binary in ("start\nend", "start\ncold\nend", "start\nwarm-up 1\nwarm-up 2\nend"):
        assert found.explains(binary)
    assert not found.explains("start\nhot\nend")
    assert found.places == []


def test_consecutive_lines_that_vary_keep_their_own_numbers_and_tokens() -> None:
    found = learn("a\nt 13.75\nu 7\nz", "a\nt 9\nu 8\nz")
    assert found.describe() == [
        "line 2: '13.75' in one script run, '9' in the other: any number or other there",
        "line 3: '7' in one script run, '8' in the other: any number there",
    ]
    assert found.explains("a\nt 1.5\nu 3\nz")
    assert not found.explains("a\nt 1.5\nu x\nz")
    assert not found.explains("a\nu 3\nt 1.5\nz")


def test_a_token_missing_from_either_run_may_be_missing_from_the_binary() -> None:
    for first, second in (("ok 3", "ok"), ("ok", "ok 3")):
        found = learn(first, second)
        assert found.explains("ok") and found.explains("ok 5")
        assert not found.explains("ok x")


def test_five_places_are_all_named() -> None:
    described = learn("1 2 3 4 5", "6 7 8 9 0").describe()
    assert len(described) == 5 and not described[-1].startswith("...")


def test_long_outputs_are_aligned_line_by_line_not_junked() -> None:
    """difflib's autojunk would treat a line repeated hundreds of times as junk, leave the
    outputs unaligned, and make every line optional: the binary could then drop any."""
    first = "\n".join(["step"] * 300 + ["retrying once", "done"])
    found = learn(first, "\n".join(["step"] * 300 + ["done"]))
    assert found.explains("\n".join(["step"] * 300 + ["done"]))
    assert not found.explains("\n".join(["step"] * 10 + ["done"]))
    words = " ".join(["a"] * 150)
    line = learn(f"{words} 1", f"{words} 2")
    assert line.explains(f"{words} 3")
    assert not line.explains(f"{' '.join(['b'] * 150)} 3")


def test_a_token_both_runs_printed_may_not_be_missing() -> None:
    found = learn("took 5 s", "took 7 s")
    assert found.explains("took 9 s")
    assert not found.explains("took  s")


def test_a_place_of_several_tokens_is_named_as_printed() -> None:
    (place,) = learn("id 12 x", "id 3 4 x").places
    assert place.describe() == (
        "line 1: '12' in one script run, '3 4' in the other: any number or space there"
    )


def test_a_long_line_of_numbers_varies_at_one_place_only() -> None:
    """Hundreds of tokens, most of them the same separator: none of them is junk."""
    printed = ", ".join(str(i) for i in range(150))
    found = learn(printed, printed.replace("77", "78"))
    assert [place.describe() for place in found.places] == [
        "line 1: '77' in one script run, '78' in the other: any number there"
    ]
    assert not found.explains(printed.replace("5", "6"))


def test_a_long_log_with_a_repeated_separator_keeps_its_lines_aligned() -> None:
    """Hundreds of lines, half of them the same separator: none of them is junk."""
    printed = "\n".join(line for i in range(150) for line in ("---", f"step {i}"))
    found = learn(printed, printed.replace("step 70\n", "step 71\n"))
    assert not [line for line in found.lines if line.optional]
    assert found.explains(printed.replace("step 70\n", "step 72\n"))
    assert not found.explains(printed.replace("step 69\n", "step 72\n"))
