"""With the real Nuitka and the real frameworks: small apps compiled, run and compared."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest

from conftest import APPS
from pytest_nuitka.app import SKIP_REASON


def test_numpy_app_with_a_local_module_matches(nuitka):
    app = nuitka.compile("apps/numpy_stats/app.py")
    run = app.run_both("--n", "200", "--seed", "3")
    run.assert_match(argmax=["logits"])
    assert sorted(run.binary.outputs) == ["config", "logits", "mean", "std"]
    assert run.binary.outputs["config"] == {"n": 200, "seed": 3}
    assert run.script.outputs["mean"].dtype == np.float32
    assert app.binary is not None and app.binary.suffix == ".bin"


def test_keras_predict_app_matches_bit_for_bit(nuitka):
    run = nuitka.compile("apps/keras_predict/app.py").run_both("--batch", "8")
    run.assert_match(argmax=["probs"])
    assert run.binary.outputs["probs"].shape == (8, 3)
    assert "argmax [" in run.binary.stdout


def test_binary_that_really_differs_fails_with_a_table(pytester, nuitka_run):
    pytester.makepyfile(
        test_app=f"""
        def test_it(nuitka):
            app = nuitka.compile({str(APPS / "divergent" / "app.py")!r})
            app.run_both().assert_match(argmax=["logits"])
    """
    )
    result = nuitka_run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "binary differs from script in 3 check(s): stdout (normalised), logits, argmax(logits)",
            "  -compiled: False",
            "  +compiled: True",
            "  3 of 6 elements differ (bit-identical); worst 3:",
            "  (1, 2) * 0.2 * 0.7 * 0.5 * 2.5",
            "  1 * 0 * 2",
        ]
    )


def test_compile_failure_shows_nuitka_log_and_keeps_it(pytester, nuitka_run, tmp_path):
    pytester.makepyfile(
        app="print(1)\n",
        test_app="""
        def test_it(nuitka):
            nuitka.compile("app.py", options=["--no-such-option"])
    """,
    )
    result = nuitka_run(cache=tmp_path / "cache")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*BuildError: Nuitka exited with status 2",
            "*no such option: --no-such-option*",
            "full log: */failed/*/entry/build.log",
            "build directory kept: */failed/*/work",
        ]
    )
    (log,) = (tmp_path / "cache").rglob("build.log")
    assert "--no-such-option" in log.read_text()


def test_xdist_workers_compile_a_shared_app_once(pytester, nuitka_run, tmp_path):
    (pytester.path / "app.py").write_text("import sys\nprint(sys.argv[1:])\n")
    pytester.makepyfile(
        test_app="".join(
            textwrap.dedent(f"""
        def test_{i}(nuitka):
            nuitka.compile("app.py").run_both("{i}").assert_match()
    """)
            for i in range(4)
        )
    )
    result = nuitka_run("-n", "2", cache=tmp_path / "cache", subprocess=True)
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["nuitka: 1 build(s) in *s, 3 cache hit(s), 0 failed build(s)"])


def test_zoo_case_with_an_unexpected_divergence_fails_with_a_table(pytester, nuitka_run):
    case = pytester.mkdir("drifting")
    (case / "nuitka-case.toml").write_text(
        f'description = "drifts once compiled"\napp = "{APPS / "divergent" / "app.py"}"\n'
        '[[runs]]\nname = "predict"\nargmax = ["logits"]\n'
    )
    result = nuitka_run("-v")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "drifting/nuitka-case.toml::run:predict FAILED*",
            "binary differs from script in 3 check(s): stdout (normalised), logits, argmax(logits)",
            "  (1, 2) * 0.2 * 0.7 * 0.5 * 2.5",
        ]
    )


def test_binary_built_without_a_frozen_variable_is_not_served_to_the_legacy_cell(
    nuitka, monkeypatch
):
    """Nuitka bakes TF_USE_LEGACY_KERAS in at compile time: the cache keys on it."""
    monkeypatch.setenv("TF_USE_LEGACY_KERAS", "1")  # as tox sets it in the legacy cells
    legacy = nuitka.compile("apps/numpy_stats/app.py")
    without = nuitka.compile("apps/numpy_stats/app.py", env={"TF_USE_LEGACY_KERAS": None})
    if not nuitka.enabled:
        pytest.skip(SKIP_REASON)
    assert legacy.binary is not None and without.binary is not None
    assert legacy.binary != without.binary
    for app, recorded in ((legacy, "1"), (without, None)):
        meta = json.loads((app.binary.parents[1] / "meta.json").read_text())
        assert meta["inputs"]["env"]["TF_USE_LEGACY_KERAS"] == recorded
