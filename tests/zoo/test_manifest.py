"""The manifest reader alone: a ``nuitka-case.toml`` becomes plain dataclasses, and a
malformed one is one error naming the file, the key and what is allowed."""

from __future__ import annotations

import dataclasses
import textwrap
import types
from pathlib import Path

import pytest

from pytest_nuitka.api.roundtrip import Reference, Tool
from pytest_nuitka.base.settings import Mode
from pytest_nuitka.check.comparison import Comparison
from pytest_nuitka.zoo.cases import CaseState, case_checks
from pytest_nuitka.zoo.manifest import ManifestError, load_case

FULL = """
description = "a classifier"
requires = ["numpy>=1"]
mode = "standalone"
ship = ["numpy"]
options = ["--noinclude-data-files=*.txt"]
data = ["labels.json"]
env = { APP_SEED = "7" }
timeout = 90
baseline_rtol = 0.001
rules = ["local-ports"]
exclude = ["*.log"]

[[runs]]
name = "predict"
args = ["predict", "--out", "{out}"]
argmax = ["probs"]
rtol = { probs = 1e-6 }
baseline = ["probs"]
strict = true
rules = ["module-paths"]

[[roundtrips]]
name = "h5"
save = ["save", "{artifact}"]
load = ["load", "{artifact}"]
artifact = "model.h5"
outputs = ["probs"]
against = "run:predict"

[[expect]]
checks = ["roundtrip:h5:binary->*"]
when = ["env:TF_USE_LEGACY_KERAS=1"]
issue = "the binary writes Keras 3's config"
diagnosis = "legacy-keras-rewrite"
"""


TOOL = """
description = "d"
[[roundtrips]]
name = "t"
save = ["save", "{artifact}"]
tool = "serve"
load = ["{artifact}"]
artifact = "m.onnx"
"""
SERVE = "[tools.serve]\n"


def test_a_declared_loader_tool_reads_into_a_tool(tmp_path: Path) -> None:
    text = TOOL + SERVE + 'command = ["{python}", "{case}/serve.py"]\nneeds = ["onnxruntime"]\n'
    case = load_case(case_file(tmp_path, text + 'install = "pip install onnxruntime"\n'))
    assert case.roundtrips[0].plan.tool == Tool(
        "serve",
        ("{python}", f"{tmp_path}/serve.py"),
        ("onnxruntime",),
        "pip install onnxruntime",
    )
    bare = load_case(
        case_file(tmp_path, TOOL.replace('tool = "serve"', 'tool = "saved_model_cli"'))
    )
    assert bare.roundtrips[0].plan.tool == Tool("saved_model_cli")


def case_file(tmp_path: Path, text: str) -> Path:
    (tmp_path / "app.py").write_text("print('hi')\n")
    (tmp_path / "labels.json").write_text("{}\n")
    path = tmp_path / "nuitka-case.toml"
    path.write_text(textwrap.dedent(text))
    return path


def test_a_full_manifest_reads_into_its_dataclasses(tmp_path: Path) -> None:
    case = load_case(case_file(tmp_path, FULL))
    assert (case.description, case.mode, case.app) == (
        "a classifier",
        Mode.STANDALONE,
        tmp_path / "app.py",
    )
    assert case.requires == ("numpy>=1",) and case.ship == ("numpy",)
    assert case.data == (tmp_path / "labels.json",) and case.env == {"APP_SEED": "7"}
    assert (case.timeout, case.baseline_rtol, case.baseline_atol) == (90.0, 0.001, 1e-6)
    assert case.comparison == Comparison(rules=("local-ports",), exclude=("*.log",))
    (run,) = case.runs
    assert (run.name, run.args, run.comparison.argmax, run.baseline) == (
        "predict",
        ("predict", "--out", "{out}"),
        ("probs",),
        ("probs",),
    )
    own = run.comparison
    assert own.rtol == {"probs": 1e-6} and own.atol == 0.0 and own.stdout is True
    merged = case.comparison.then(run.comparison)
    assert merged.strict is True and merged.rules == ("local-ports", "module-paths")
    (trip,) = case.roundtrips
    assert (trip.plan.artifact, trip.outputs, trip.against_run, trip.plan.tool) == (
        "model.h5",
        ("probs",),
        "predict",
        None,
    )
    (expect,) = case.expectations
    assert (expect.outcome, expect.diagnosis) == ("xfail", "legacy-keras-rewrite")
    assert expect.modes == tuple(Mode)  # every mode unless it says


def test_an_expectation_for_some_modes_is_only_checked_in_them(tmp_path: Path) -> None:
    text = (
        'description = "d"\n[[runs]]\nname = "r"\n[[expect]]\nchecks = ["portable:r"]\n'
        'issue = "i"\nmodes = ["standalone"]\n'
    )
    case = load_case(case_file(tmp_path, text))
    assert case.expectations[0].modes == (Mode.STANDALONE,)
    state = CaseState(case, lambda: pytest.fail("nothing is built to list checks"))
    assert "portable:r" in case_checks(case, state, Mode.STANDALONE, False)
    assert list(case_checks(case, state, Mode.ACCELERATED, False)) == ["run:r"]


def test_defaults_fill_what_a_minimal_manifest_leaves_out(tmp_path: Path) -> None:
    case = load_case(case_file(tmp_path, 'description = "d"\n[[runs]]\nname = "r"\n'))
    assert case.mode is None and case.timeout is None and case.expectations == ()
    assert case.runs[0].args == () and case.runs[0].stdin is None
    assert case.comparison == Comparison()


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ('description = "d"\n[[runs]]\nname = \n', "(file)", "not valid TOML"),
        ('description = "d"\ncolour = "red"\n[[runs]]\nname = "r"\n', "colour", "unknown key"),
        ('description = "d"\n[[runs]]\nname = "r"\nargz = []\n', "runs[0].argz", "unknown key"),
        ('[[runs]]\nname = "r"\n', "description", "required"),
        ('description = "d"\nmode = "fast"\n[[runs]]\nname = "r"\n', "mode", "'fast' is not one"),
        ('description = "d"\napp = "gone.py"\n[[runs]]\nname = "r"\n', "app", "does not exist"),
        ('description = "d"\ndata = ["gone"]\n[[runs]]\nname = "r"\n', "data", "does not exist"),
        ('description = "d"\n', "runs", "at least one [[runs]] or [[roundtrips]]"),
        ('description = "d"\n[[runs]]\nname = "r"\n[[runs]]\nname = "r"\n', "runs", "used twice"),
        ('description = "d"\n[[runs]]\nname = "r"\nrtol = -1\n', "runs[0].rtol", ">= 0"),
        ('description = "d"\n[[runs]]\nname = "r"\nrules = ["nope"]\n', "runs[0].rules", "nope"),
        ('description = "d"\nrequires = ["tf=>2"]\n[[runs]]\nname = "r"\n', "requires", "tf=>2"),
        (
            'description = "d"\n[[roundtrips]]\nname = "t"\nsave = []\nload = []\n'
            'artifact = "m.h5"\nagainst = "run:nope"\n',
            "roundtrips[0].against",
            "none here",
        ),
        (
            'description = "d"\n[[roundtrips]]\nname = "t"\nsave = []\nload = []\n'
            'artifact = "../m.h5"\n',
            "roundtrips[0].artifact",
            "",
        ),
        (
            'description = "d"\n[[runs]]\nname = "r"\n[[expect]]\nchecks = ["run:*"]\n'
            'issue = "i"\noutcome = "pass"\n',
            "expect[0].outcome",
            "not one of xfail, skip",
        ),
        (
            'description = "d"\n[[runs]]\nname = "r"\n[[expect]]\nchecks = ["run:*"]\n'
            'issue = "i"\ndiagnosis = "no-such-issue"\n',
            "expect[0].diagnosis",
            "not in the known issues",
        ),
        (
            'description = "d"\n[[runs]]\nname = "r"\n[[expect]]\nchecks = ["run:*"]\n'
            'issue = "i"\noutcome = "skip"\ndiagnosis = "compiled-bytecode"\n',
            "expect[0].diagnosis",
            "only an xfail",
        ),
        (
            'description = "d"\n[[runs]]\nname = "r"\n[[expect]]\nissue = "i"\n',
            "expect[0].checks",
            "required",
        ),
        (
            'description = "d"\n[[runs]]\nname = "r"\n[[expect]]\nchecks = ["run:*"]\n'
            'issue = "i"\nmodes = ["fast"]\n',
            "expect[0].modes",
            "'fast' is not one",
        ),
        (TOOL + SERVE + 'command = ["x"]\nbogus = 1\n', "tools.serve.bogus", "unknown key"),
        (TOOL + SERVE + 'needs = ["onnxruntime"]\n', "tools.serve.command", "required"),
        (TOOL.replace('tool = "serve"', 'tool = "script"'), "roundtrips[0].tool", "other than"),
        (TOOL.replace('tool = "serve"', 'tool = "a->b"'), "roundtrips[0].tool", "without '->'"),
        (
            TOOL.replace('tool = "serve"', 'tool = "x->y"') + '[tools."x->y"]\ncommand = ["x"]\n',
            "tools.x->y",
            "without '->'",
        ),
        ('description = "d"\ntools = 3\n[[runs]]\nname = "r"\n', "tools", "expected tables"),
        # A name becomes a baseline's file name: none may lead out of the case's folder.
        ('description = "d"\n[[runs]]\nname = "../../../X"\n', "runs[0].name", "without '/'"),
        ('description = "d"\n[[runs]]\nname = ".."\n', "runs[0].name", "leading '.'"),
        ('description = "d"\n[[runs]]\nname = "a\\\\b"\n', "runs[0].name", "without '/'"),
        ('description = "d"\ntimeout = 0\n[[runs]]\nname = "r"\n', "timeout", "above 0"),
        ('description = "d"\ntimeout = inf\n[[runs]]\nname = "r"\n', "timeout", "above 0"),
    ],
)
def test_a_malformed_manifest_names_the_file_and_the_key(
    tmp_path: Path, text: str, key: str, problem: str
) -> None:
    path = case_file(tmp_path, text)
    with pytest.raises(ManifestError) as caught:
        load_case(path)
    assert str(caught.value).startswith(f"{path}: {key}: ")
    assert problem in str(caught.value)


def test_a_manifest_that_is_not_utf8_is_named_with_what_to_do(tmp_path: Path) -> None:
    path = case_file(tmp_path, "")
    path.write_bytes('description = "鸟类识别"\n'.encode("gb18030"))
    with pytest.raises(ManifestError, match=r"\(file\): not UTF-8 \(byte \d+\): save it as UTF-8"):
        load_case(path)


def test_a_run_named_in_chinese_is_a_name(tmp_path: Path) -> None:
    case = load_case(case_file(tmp_path, 'description = "d"\n[[runs]]\nname = "推理"\n'))
    assert [run.name for run in case.runs] == ["推理"]


def test_a_round_trip_starts_the_run_it_is_held_against_ahead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Starting a direction also starts what its loads are held against: the named run's
    script (against = "run:NAME") or the first direction (against = "loads")."""
    case = load_case(case_file(tmp_path, FULL))
    state = CaseState(case, lambda: pytest.fail("nothing is built"))
    started: list[object] = []

    class Trips:
        def start(self, saver: str, loader: str) -> None:
            started.append((saver, loader))

    monkeypatch.setattr(state, "app", lambda: types.SimpleNamespace(binary=tmp_path / "app.bin"))
    monkeypatch.setattr(state, "trips", lambda spec: Trips())
    monkeypatch.setattr(state, "script", lambda spec: started.append(spec.name))
    state.start_trip(case.roundtrips[0], "script", "script")
    assert started == [("script", "script"), "predict"]
    loads = dataclasses.replace(case.roundtrips[0], against_run=None, against=Reference.LOADS)
    started.clear()
    state.start_trip(loads, "script", "binary")
    assert started == [("script", "binary"), ("script", "script")]
