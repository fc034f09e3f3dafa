"""The script's run and the binary's on the same inputs, and the checks that compare them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Unpack

from pytest_nuitka.check import compare, diagnose, tally
from pytest_nuitka.check.comparison import DEFAULT, Comparison, Keywords, NoiseGiven
from pytest_nuitka.check.difference import Comparator, Difference, Tolerance
from pytest_nuitka.run import runs
from pytest_nuitka.run.normalize import Policy


@dataclass(frozen=True)
class RunPair:
    """The script's run and the binary's, on the same inputs. ``session``: the comparison
    every check starts from (ini keys, a manifest's case); a check's own keywords add to it."""

    script: runs.Run
    binary: runs.Run
    session: Comparison = DEFAULT
    # variables set for one side only (run_both's script_env, binary_env), named in failures
    one_sided: Mapping[str, Mapping[str, str | None]] = field(default_factory=dict)

    def _fail_on(self, differences: list[Difference], policy: Policy) -> None:
        if not differences and compare.same_failure(self.script, self.binary, policy):
            tally.both_failed(self.script.failure(policy).headline)
        if differences:
            title = f"binary differs from script in {len(differences)} check(s): " + ", ".join(
                d.title for d in differences
            )
            after = compare.warning_notes(self.script, self.binary, policy)
            if any(d.title.startswith(("stdout", "stderr", "exception")) for d in differences):
                after.append("normalised with " + policy.describe())
            for side, env in self.one_sided.items():
                if env:
                    values = ", ".join(
                        f"{k}={'(unset)' if v is None else v}" for k, v in env.items()
                    )
                    after.append(f"note: set for the {side} only: {values}")
            diagnose.fail(title, differences, [self.script, self.binary], after)

    def _text(
        self,
        check: compare.TextCheck,
        strict: bool | None,
        rules: Iterable[str],
        noise: NoiseGiven,
    ) -> None:
        policy = self.session.then(Comparison.of(strict=strict, rules=rules, noise=noise)).policy
        self._fail_on(check(self.script, self.binary, policy), policy)

    def check_exit(
        self, *, strict: bool | None = None, rules: Iterable[str] = (), noise: NoiseGiven = ()
    ) -> None:
        """Same exit status and the same failure: every traceback (type, message, detail
        lines, chained causes), or the last stderr line of an exit without one."""
        self._text(compare.check_exit, strict, rules, noise)

    def check_stdout(
        self, *, strict: bool | None = None, rules: Iterable[str] = (), noise: NoiseGiven = ()
    ) -> None:
        self._text(compare.check_stdout, strict, rules, noise)

    def check_stderr(
        self, *, strict: bool | None = None, rules: Iterable[str] = (), noise: NoiseGiven = ()
    ) -> None:
        """The whole stderr, normalised: what ``assert_match`` compares by default, alone."""
        self._text(compare.check_stderr, strict, rules, noise)

    def check_outputs(
        self,
        rtol: Tolerance = 0.0,
        atol: Tolerance = 0.0,
        *,
        comparators: Mapping[str, Comparator | str] | None = None,
        exclude: Iterable[str] = (),
    ) -> None:
        """Every emitted output by name; arrays bit-identical unless a tolerance is given
        (a number, or a mapping from output name to number); files by format.
        ``comparators`` maps an output name or file pattern to a function or a built-in's
        name; ``exclude`` names outputs (or patterns) not compared."""
        how = self.session.then(Comparison.of(rtol, atol, comparators=comparators, exclude=exclude))
        self._fail_on(self._outputs(how), how.policy)

    def _outputs(self, how: Comparison) -> list[Difference]:
        return compare.check_outputs(
            self.script, self.binary, how.rtol, how.atol, how.comparators, how.exclude
        )

    def check_argmax(self, names: Iterable[str], axis: int = -1) -> None:
        policy = self.session.policy
        self._fail_on(compare.check_argmax(self.script, self.binary, names, axis, policy), policy)

    def differences(self, comparison: Comparison = DEFAULT) -> list[Difference]:
        """Every difference ``comparison`` (layered on the session's) finds."""
        how = self.session.then(comparison)
        policy = how.policy
        found = compare.check_exit(self.script, self.binary, policy)
        if how.stdout:
            found += compare.check_stdout(self.script, self.binary, policy)
        if how.compares_stderr:
            found += compare.check_stderr(self.script, self.binary, policy)
        found += self._outputs(how)
        found += compare.check_argmax(self.script, self.binary, how.argmax, -1, policy)
        return found + compare.check_runtime(self.script, self.binary)

    def check(self, comparison: Comparison = DEFAULT) -> None:
        """Fail with every difference ``comparison`` finds, in one message."""
        self._fail_on(self.differences(comparison), self.session.then(comparison).policy)

    def assert_match(
        self, rtol: Tolerance = 0.0, atol: Tolerance = 0.0, **given: Unpack[Keywords]
    ) -> None:
        """All checks at once; one failure message lists every difference. ``rtol``, ``atol``:
        the outputs' tolerances (a number, or one per output name); the other keywords are
        ``Keywords``': ``argmax``, ``stdout``, ``stderr``, ``strict``, ``rules``, ``noise``
        (README, "Normalisation"), ``comparators``, ``exclude``."""
        self.check(Comparison.of(rtol, atol, **given))
