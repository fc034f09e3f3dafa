"""One comparison value for every check: a test's keywords read into it (a misspelt one is an
error, never a check quietly left out), the ini keys checked with their names, and layers
that add up in order."""

from __future__ import annotations

import dataclasses

import pytest

from pytest_nuitka.base.settings import Settings
from pytest_nuitka.check.comparison import Comparison


def test_a_misspelt_keyword_is_an_error_that_names_it() -> None:
    with pytest.raises(TypeError, match=r"argmx.*rtol, atol, argmax, stdout"):
        Comparison.of(argmx=["probs"])  # type: ignore[call-arg]


def test_keywords_in_every_form_they_accept() -> None:
    given = Comparison.of(
        1e-3,
        argmax=iter(["probs"]),
        noise={"id=\\d+": "id=N"},
        rules=["local-ports"],
        comparators={"*.png": "image"},
    )
    assert (given.rtol, given.argmax, given.noise) == (1e-3, ("probs",), (("id=\\d+", "id=N"),))
    assert given.policy.rules == ("local-ports",) and given.comparators == {"*.png": "image"}
    assert Comparison.of(noise=["a -> b"]).noise == (("a", "b"),)


def test_layers_add_up_and_the_last_says_what_it_gives() -> None:
    session = Comparison(stderr=False, rules=("local-ports",), exclude=("*.log",))
    case = Comparison(strict=True, comparators={"a": "image"})
    run = Comparison(rtol=0.5, argmax=("p",), stderr=True, rules=("module-paths",))
    merged = session.then(case.then(run))
    assert (merged.rtol, merged.argmax, merged.stderr, merged.strict) == (0.5, ("p",), True, True)
    assert merged.rules == ("local-ports", "module-paths") and merged.exclude == ("*.log",)
    assert merged.comparators == {"a": "image"}
    assert session.then(Comparison()).compares_stderr is False
    assert Comparison().compares_stderr is True  # unset: compared


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (Settings(rules=("no-such-rule",)), "nuitka_rules: unknown rule"),
        (Settings(noise=("no arrow",)), "nuitka_noise: "),
        (Settings(comparators=("*.png image",)), "nuitka_comparators: .*NAME-OR-PATTERN"),
        (Settings(comparators=("*.png = no such",)), "nuitka_comparators: comparator"),
    ],
)
def test_the_ini_keys_are_checked_with_their_names(settings: Settings, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Comparison.from_settings(settings)


def test_the_session_layer_reads_the_ini_keys() -> None:
    settings = dataclasses.replace(
        Settings(), strict=True, noise=("x -> y",), comparators=(" *.png = image ",)
    )
    session = Comparison.from_settings(settings)
    assert (session.strict, session.noise, session.comparators) == (
        True,
        (("x", "y"),),
        {"*.png": "image"},
    )
