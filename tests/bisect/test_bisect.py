"""The bisect's own logic, with a stand-in for the install-and-run step (``--trial``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from packaging.version import Version

from pytest_nuitka.bisect import releases
from pytest_nuitka.bisect.__main__ import main
from pytest_nuitka.bisect.search import Answer, BisectError, Check, Step, Verdict, bisect, summary
from pytest_nuitka.bisect.trial import Setup, classify

VERSIONS = [Version(f"1.{minor}") for minor in range(10)]
CHECK = "model_zoo/case/nuitka-case.toml::run:predict"


class Standin:
    """A trial whose verdict is a function of the release; it records what it was asked."""

    def __init__(
        self, bad_from: str | None = None, good_from: str | None = None, skip: tuple[str, ...] = ()
    ) -> None:
        self.bad_from, self.good_from, self.skip = bad_from, good_from, skip
        self.asked: list[str] = []

    def __call__(self, version: str) -> Step:
        self.asked.append(version)
        if version in self.skip:
            return Step(version, Verdict.SKIP, "cannot install: no wheel")
        v = Version(version)
        bad = (self.bad_from is not None and v >= Version(self.bad_from)) or (
            self.good_from is not None and v < Version(self.good_from)
        )
        check = Check("failed", "binary differs: probs", ("legacy-keras-rewrite",))
        checks = {CHECK: check if bad else Check("passed")}
        return Step(version, Verdict.BAD if bad else Verdict.GOOD, "", 1.0, checks)


def run(trial: Standin, good: str, bad: str, explicit: tuple[bool, bool] = (True, True)) -> Answer:
    return bisect(
        "nuitka",
        VERSIONS,
        good=Version(good),
        bad=Version(bad),
        trial=trial,
        explicit=explicit,
        say=lambda _: None,
    )


def test_the_first_bad_release_after_a_good_one() -> None:
    trial = Standin(bad_from="1.6")
    answer = run(trial, "1.0", "1.9")
    assert (answer.question, answer.last_before, answer.first_after) == ("regression", "1.5", "1.6")
    assert len(trial.asked) <= 2 + 4  # both ends, then log2 of the 9 places between them
    assert len(set(trial.asked)) == len(trial.asked)  # no release tried twice
    assert [c.nodeid for c in answer.changes] == [CHECK]
    assert answer.changes[0].after.known_issues == ("legacy-keras-rewrite",)
    text = summary(answer)
    assert "first bad: nuitka 1.6" in text and "last good: nuitka 1.5" in text
    assert "passed -> failed  [known issue: legacy-keras-rewrite]" in text
    assert "binary differs: probs" in text


def test_the_first_good_release_after_a_bad_one() -> None:
    answer = run(Standin(good_from="1.3"), "1.9", "1.0")
    assert (answer.question, answer.last_before, answer.first_after) == ("fix", "1.2", "1.3")
    assert "first good: nuitka 1.3" in summary(answer)


def test_skipped_releases_are_never_counted_and_are_named() -> None:
    answer = run(Standin(bad_from="1.6", skip=("1.5", "1.4")), "1.0", "1.9")
    assert (answer.last_before, answer.first_after) == ("1.3", "1.6")
    assert answer.untested == ("1.4", "1.5")
    assert "the change is in one of these or in 1.6" in summary(answer)


def test_a_default_endpoint_that_cannot_be_tried_moves_inward() -> None:
    answer = run(
        Standin(bad_from="1.6", skip=("1.0", "1.1")), "1.0", "1.9", explicit=(False, False)
    )
    assert answer.steps[0].verdict == Verdict.SKIP
    assert answer.first_after == "1.6"


def test_an_explicit_endpoint_that_cannot_be_tried_is_an_error() -> None:
    with pytest.raises(
        BisectError, match=r"nuitka 1.0 \(good\) could not be tried: cannot install"
    ):
        run(Standin(bad_from="1.6", skip=("1.0",)), "1.0", "1.9")


def test_good_and_bad_that_behave_the_same_are_an_error() -> None:
    with pytest.raises(
        BisectError,
        match=r"1.9, given as --bad, is good \(every selected"
        r" test passes\); good and bad behave the same",
    ):
        run(Standin(bad_from="2.0"), "1.0", "1.9")


def test_a_release_the_index_lacks_is_an_error() -> None:
    with pytest.raises(BisectError, match=r"no release 1.42; pick from: 1.0, 1.1"):
        run(Standin(), "1.0", "1.42")


@pytest.mark.parametrize(
    ("returncode", "outcomes", "expected"),
    [
        (0, ["passed", "skipped"], Verdict.GOOD),
        (0, ["skipped"], Verdict.SKIP),
        (1, ["failed", "passed"], Verdict.BAD),
        (5, [], Verdict.SKIP),
        (2, [], None),
        (4, [], None),
    ],
)
def test_classify(returncode: int, outcomes: list[str], expected: Verdict | None) -> None:
    checks = {f"t{i}": Check(outcome, "assert 1 == 2") for i, outcome in enumerate(outcomes)}
    assert classify(returncode, checks, build_failure_is_bad=False)[0] == expected


def test_with_match_only_the_failure_asked_about_is_bad() -> None:
    checks = {"t": Check("failed", "killed by SIGSEGV (signal 11)"), "u": Check("passed")}
    assert classify(1, checks, False, match="SIGSEGV") == (Verdict.BAD, "1 failed: t")
    other = {"t": Check("failed", "TypeError: 'NoneType' object ...")}
    assert classify(1, other, False, match="SIGSEGV") == (
        Verdict.GOOD,
        "1 failed, none matching 'SIGSEGV'",
    )


def test_a_release_that_cannot_build_is_skipped_whatever_is_matched() -> None:
    checks = {"t": Check("failed", "BuildError: Nuitka exited with status 1")}
    assert classify(1, checks, False, match="SIGSEGV")[0] == Verdict.SKIP


def test_a_release_that_cannot_build_is_skipped_unless_asked() -> None:
    checks = {"t": Check("failed", "BuildError: Nuitka exited with status 1\nno such option")}
    verdict, reason = classify(1, checks, build_failure_is_bad=False)
    assert (verdict, reason) == (
        Verdict.SKIP,
        "cannot build: BuildError: Nuitka exited with status 1",
    )
    assert classify(1, checks, build_failure_is_bad=True)[0] == Verdict.BAD
    with_a_check = {**checks, "u": Check("failed", "binary differs")}
    assert classify(1, with_a_check, build_failure_is_bad=False)[0] == Verdict.BAD


def test_the_index_listing_is_ordered_and_final_releases_only() -> None:
    output = (
        "nuitka (4.3.3)\n"
        "Available versions: 4.3.3, 4.0, 2.4.10, 2.4.9, 4.1rc1, 0.4.0.linux-x86_64\n"
    )
    assert releases.parse(output, pre=False) == [
        Version(v) for v in ("2.4.9", "2.4.10", "4.0", "4.3.3")
    ]
    assert Version("4.1rc1") in releases.parse(output, pre=True)
    assert releases.parse("ERROR: No matching distribution found for nope\n", pre=False) == []


# The command, with releases and trial stood in.

STANDIN = "test_bisect:command_trial"


def command_trial(setup: Setup, say: Callable[[str], None]) -> Standin:
    return Standin(bad_from=setup.env.get("BAD_FROM", "1.6"))


@pytest.fixture
def offered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(releases, "available", lambda package, pre=False: list(VERSIONS))


@pytest.mark.usefixtures("offered")
def test_the_command_writes_every_step(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = tmp_path / "bisect.json"
    argv = ["example", "--trial", STANDIN, "--json", str(record), "--env", "BAD_FROM=1.3"]
    assert main([*argv, "--", "model_zoo/case"]) == 0
    out = capsys.readouterr().out
    assert "first bad: example 1.3" in out
    assert "bisect: step 1 of about 6: example 1.0 ..." in out  # defaults: oldest good, newest bad
    data = json.loads(record.read_text())
    assert (data["first_after"], data["last_before"], data["question"]) == (
        "1.3",
        "1.2",
        "regression",
    )
    assert data["selection"] == ["model_zoo/case"] and data["env"] == {"BAD_FROM": "1.3"}
    assert [s["version"] for s in data["steps"]][:2] == ["1.0", "1.9"]
    assert {s["verdict"] for s in data["steps"]} == {"good", "bad"}


@pytest.mark.usefixtures("offered")
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--good", "1.5", "--bad", "1.2"],
            "--good (1.5) must be older than --bad (1.2); to find the release that fixes it, "
            "add --fix",
        ),
        (["--fix", "--good", "1.2", "--bad", "1.5"], "--bad (1.5) must be older than --good (1.2)"),
        (["--good", "1.0", "--bad", "1.77"], "the index offers no release 1.77"),
        (["--good", "1.7", "--bad", "1.9"], "given as --good, is bad"),
    ],
)
def test_the_command_refuses_bad_input(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["example", "--trial", STANDIN, *argv]) == 2
    assert message in capsys.readouterr().err


def test_an_unknown_package_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-distribution-pytest-nuitka", "--trial", STANDIN]) == 2
    assert (
        "the package index has no releases of 'no-such-distribution-pytest-nuitka'"
        in capsys.readouterr().err
    )


def test_a_selection_that_collects_nothing_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(releases, "available", lambda package, pre=False: list(VERSIONS))
    assert main(["example", "--work", str(tmp_path), "--", str(tmp_path), "-k", "nothing"]) == 2
    assert "collects nothing here" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--match", "(SIGSEGV"], "argument --match: not a regular expression"),
        (["--json", "/nonexistent-folder/steps.json"], "the folder /nonexistent-folder does"),
        (["--json", "."], "is a folder: give a file name"),
        (["--timeout", "0"], "argument --timeout: not a number of seconds above 0"),
        (["--with", "tensorflow=>2"], "argument --with: not a requirement"),
        (["--work", "/dev/null/work"], "--work /dev/null/work: /dev/null is not a folder"),
    ],
)
def test_every_argument_is_checked_before_anything_is_installed(
    args: list[str],
    said: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def no_index(*_: object, **__: object) -> None:
        raise AssertionError("the index was asked before the arguments were checked")

    monkeypatch.setattr(releases, "available", no_index)
    with pytest.raises(SystemExit) as ended:
        main(["nuitka", *args, "--", "model_zoo/float_sum"])
    assert ended.value.code == 2
    assert said in capsys.readouterr().err
