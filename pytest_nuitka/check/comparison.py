"""How two runs are compared, as one frozen value: the ini keys give the session's, a
manifest's case and run add theirs, and a test's keywords (``assert_match(rtol=...)``) the
last layer. Checks, round-trips and manifests all read the same value, so a new knob is added
once, here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypedDict, Unpack

from pytest_nuitka.base.settings import Settings
from pytest_nuitka.check.artifacts import check_name
from pytest_nuitka.check.difference import Comparator, Tolerance
from pytest_nuitka.run.normalize import Noise, Policy, check_rule_names, parse_noise

NoiseGiven = Mapping[str, str] | Sequence[Noise] | Sequence[str]


class Keywords(TypedDict, total=False):
    """What a test may say of a comparison besides ``rtol`` and ``atol`` (``assert_match``):
    the outputs whose argmax must agree, whether stdout and stderr are compared, the
    normalisation (``strict``, opt-in ``rules``, the user's ``noise``), ``comparators`` by
    output name or file pattern, and the outputs ``exclude``d."""

    argmax: Iterable[str]
    stdout: bool
    stderr: bool | None
    strict: bool | None
    rules: Iterable[str]
    noise: NoiseGiven
    comparators: Mapping[str, Comparator | str] | None
    exclude: Iterable[str]


@dataclass(frozen=True)
class Comparison:
    """What a check compares and how. ``None`` in ``stderr`` and ``strict`` means "as the
    layer below says"; tuples and mappings add to the layer below."""

    rtol: Tolerance = 0.0
    atol: Tolerance = 0.0
    argmax: tuple[str, ...] = ()
    stdout: bool = True
    stderr: bool | None = None
    strict: bool | None = None
    rules: tuple[str, ...] = ()
    noise: tuple[Noise, ...] = ()
    comparators: Mapping[str, Comparator | str] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()

    @classmethod
    def of(
        cls, rtol: Tolerance = 0.0, atol: Tolerance = 0.0, **given: Unpack[Keywords]
    ) -> Comparison:
        """From a test's keywords, in any form they accept (noise as a mapping, pairs or
        "REGEX -> REPLACEMENT" lines; any iterable for names). A keyword it does not know is
        a TypeError, as Python's own: a misspelt one must not compare less than asked."""
        unknown = sorted(given.keys() - Keywords.__annotations__.keys())
        if unknown:
            raise TypeError(
                f"unexpected keyword argument(s) {', '.join(unknown)}; the comparison takes "
                f"rtol, atol, {', '.join(Keywords.__annotations__)}"
            )
        return cls(
            rtol,
            atol,
            tuple(given.get("argmax", ())),
            given.get("stdout", True),
            given.get("stderr"),
            given.get("strict"),
            tuple(given.get("rules", ())),
            parse_noise(given.get("noise", ())),
            dict(given.get("comparators") or {}),
            tuple(given.get("exclude", ())),
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Comparison:
        """The session's layer, from the ini keys; a bad rule name, noise line or comparator
        line is a ValueError naming its ini key."""
        unknown = check_rule_names(settings.rules)
        if unknown:
            raise ValueError(f"nuitka_rules: unknown rule(s) {', '.join(unknown)}")
        try:
            noise = parse_noise(settings.noise)
        except ValueError as error:
            raise ValueError(f"nuitka_noise: {error}") from None
        comparators: dict[str, Comparator | str] = {}
        for line in settings.comparators:
            if "=" not in line:
                raise ValueError(
                    f"nuitka_comparators: {line!r}: write NAME-OR-PATTERN = comparator"
                )
            pattern, _, name = line.partition("=")
            try:
                comparators[pattern.strip()] = check_name(name.strip())
            except ValueError as error:
                raise ValueError(f"nuitka_comparators: {error}") from None
        return cls(
            stderr=settings.stderr,
            strict=settings.strict,
            rules=settings.rules,
            noise=noise,
            comparators=comparators,
            exclude=settings.exclude,
        )

    def then(self, other: Comparison) -> Comparison:
        """``other`` layered on this one: its tolerances, argmax and stdout switch are the
        check's own; its flags win where given; its rules, noise, comparators and exclusions
        add to these."""
        return Comparison(
            other.rtol,
            other.atol,
            other.argmax,
            other.stdout,
            self.stderr if other.stderr is None else other.stderr,
            self.strict if other.strict is None else other.strict,
            self.rules + other.rules,
            self.noise + other.noise,
            {**self.comparators, **other.comparators},
            self.exclude + other.exclude,
        )

    @property
    def policy(self) -> Policy:
        """The normalisation this comparison applies to text."""
        return Policy(bool(self.strict), self.rules, self.noise)

    @property
    def compares_stderr(self) -> bool:
        return self.stderr is not False


DEFAULT = Comparison()
