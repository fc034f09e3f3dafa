"""With the real Nuitka and the real frameworks: small apps compiled, run and compared."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from conftest import APPS
from pytest_nuitka.api.app import SKIP_REASON

if TYPE_CHECKING:
    from conftest import NuitkaRun
    from pytest_nuitka.api.session import Nuitka


def test_numpy_app_with_a_local_module_matches(nuitka: Nuitka) -> None:
    app = nuitka.compile("tests/apps/numpy_stats/app.py")
    run = app.run_both("--n", "200", "--seed", "3")
    run.assert_match(argmax=["logits"])
    assert sorted(run.binary.outputs) == ["config", "logits", "mean", "std"]
    assert run.binary.outputs["config"] == {"n": 200, "seed": 3}
    assert run.script.outputs["mean"].dtype == np.float32
    assert app.binary is not None and app.binary.suffix == ".bin"


def test_keras_predict_app_matches_bit_for_bit(nuitka: Nuitka) -> None:
    run = nuitka.compile("tests/apps/keras_predict/app.py").run_both("--batch", "8")
    run.assert_match(argmax=["probs"])
    assert run.binary.outputs["probs"].shape == (8, 3)
    assert "argmax [" in run.binary.stdout


def test_binary_that_really_differs_fails_with_a_table(
    pytester: pytest.Pytester, nuitka_run: NuitkaRun
) -> None:
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


def test_compile_failure_shows_nuitka_log_and_keeps_it(
    pytester: pytest.Pytester, nuitka_run: NuitkaRun, tmp_path: Path
) -> None:
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


def test_xdist_workers_compile_a_shared_app_once(
    pytester: pytest.Pytester, nuitka_run: NuitkaRun, tmp_path: Path
) -> None:
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


def test_zoo_case_with_an_unexpected_divergence_fails_with_a_table(
    pytester: pytest.Pytester, nuitka_run: NuitkaRun
) -> None:
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
    nuitka: Nuitka, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nuitka bakes TF_USE_LEGACY_KERAS in at compile time: the cache keys on it."""
    monkeypatch.setenv("TF_USE_LEGACY_KERAS", "1")  # as tox sets it in the legacy cells
    legacy = nuitka.compile("tests/apps/numpy_stats/app.py")
    without = nuitka.compile("tests/apps/numpy_stats/app.py", env={"TF_USE_LEGACY_KERAS": None})
    if not nuitka.enabled:
        pytest.skip(SKIP_REASON)
    assert legacy.binary is not None and without.binary is not None
    assert legacy.binary != without.binary
    for app, recorded in ((legacy, "1"), (without, None)):
        assert app.binary is not None
        meta = json.loads((app.binary.parents[1] / "meta.json").read_text())
        assert meta["inputs"]["env"]["TF_USE_LEGACY_KERAS"] == recorded


def test_a_module_imported_by_a_computed_name_is_found_beside_the_source(nuitka: Nuitka) -> None:
    """The accelerated binary lies in the cache; it must still see the modules beside its
    source, as it would where `python -m nuitka` leaves it."""
    app = nuitka.compile("tests/apps/dynamic_import/app.py")
    run = app.run_both("plugin_upper", "hello")
    run.assert_match()
    assert run.binary.stdout.strip() == "HELLO"
    assert "NUITKA_PYTHONPATH" not in run.binary.env  # the app's environment is the script's


def test_only_what_the_app_imports_is_followed(nuitka: Nuitka, tmp_path: Path) -> None:
    """A folder of many programs: each build names only the local modules its app imports,
    and Nuitka's log has no warning about modules it was told to follow and did not use."""
    for n in range(6):
        (tmp_path / f"program_{n}.py").write_text(f"print({n})\n")
    (tmp_path / "shared.py").write_text("import program_3\nVALUE = program_3.__name__\n")
    (tmp_path / "app.py").write_text("import shared\nprint(shared.VALUE)\n")
    app = nuitka.compile(tmp_path / "app.py")
    app.run_both().assert_match()
    if app.binary is None:
        return
    log = (app.binary.parent.parent / "build.log").read_text()
    command = log.splitlines()[0]
    assert sorted(w for w in command.split() if w.startswith("--follow-import-to=")) == [
        "--follow-import-to=program_3",
        "--follow-import-to=shared",
    ]
    assert "unused" not in log


def test_torchscript_archives_compare_by_content_not_bytes(nuitka: Nuitka) -> None:
    """Measured false alarm: the script's and the binary's torch.jit.save archives differ in
    the serialization id and the debug tables' line numbers only; a changed weight is named."""
    app = nuitka.compile(APPS / "torchscript" / "app.py")
    same = app.run_both("{out}")
    raw_left, raw_right = same.script.outputs["model.pt"], same.binary.outputs["model.pt"]
    assert raw_left != raw_right  # the bytes do differ
    same.assert_match()
    differs = app.run_both("{out}", "--differ")
    found = differs.differences()
    titles = [d.title for d in found]
    assert "model.pt" in titles and "stdout (normalised)" in titles
    detail = next(d.detail for d in found if d.title == "model.pt")
    assert "torch archive; left out: zip-metadata" in detail
    assert "member model/data/" in detail or "member model/constants.pkl" in detail
