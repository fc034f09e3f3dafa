"""Model zoo manifests collected as items, with the stand-in compiler."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import PluginRun

SAVER_APP = """
import sys
import numpy as np
from pytest_nuitka.emit import emit

compiled = "__compiled__" in globals()
command, path = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else None)
weights = np.float32([[0.2, 0.8], [0.6, 0.4]])
if command == "predict":
    emit("probs", weights)
elif command == "save":
    np.save(path, weights)
    emit("probs", weights)
elif command == "load":
    if compiled and "{binary_cannot_load}" == "yes":
        raise {load_error}
    emit("probs", np.load(path))
"""


def case(
    pytester: pytest.Pytester, manifest: str, app: str = SAVER_APP, folder: str = "demo", **fmt: str
) -> None:
    target = pytester.mkdir(folder)
    error = fmt.get(
        "load_error", "TypeError(\"'NoneType' object cannot be interpreted as an integer\")"
    )
    text = textwrap.dedent(app).replace("{binary_cannot_load}", fmt.get("binary_cannot_load", "no"))
    (target / "app.py").write_text(text.replace("{load_error}", error))
    (target / "nuitka-case.toml").write_text(textwrap.dedent(manifest))


ROUNDTRIP = """
description = "demo"

[[runs]]
name = "predict"
args = ["predict"]
argmax = ["probs"]

[[roundtrips]]
name = "npy"
save = ["save", "{artifact}"]
load = ["load", "{artifact}"]
artifact = "model.npy"
outputs = ["probs"]
"""


def test_items_have_readable_ids_and_pass(pytester: pytest.Pytester, plugin_run: PluginRun) -> None:
    case(pytester, ROUNDTRIP)
    result = plugin_run("--nuitka-compile", "-v")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(
        [
            "demo/nuitka-case.toml::run:predict PASSED*",
            "demo/nuitka-case.toml::roundtrip:npy:script->script PASSED*",
            "demo/nuitka-case.toml::roundtrip:npy:script->binary PASSED*",
            "demo/nuitka-case.toml::roundtrip:npy:binary->script PASSED*",
            "demo/nuitka-case.toml::roundtrip:npy:binary->binary PASSED*",
        ]
    )


def test_without_compile_only_script_checks_run(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    case(pytester, ROUNDTRIP)
    result = plugin_run("-v")
    result.assert_outcomes(passed=1, skipped=4)
    result.stdout.fnmatch_lines(["*roundtrip:npy:script->script PASSED*"])


def test_known_issue_is_a_strict_expected_failure(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    manifest = (
        ROUNDTRIP
        + """
    [[expect]]
    checks = ["roundtrip:npy:*->binary"]
    when = ["numpy>=1", "env:DEMO_CELL!=other"]
    issue = "the binary cannot load (demo)"
    """
    )
    case(pytester, manifest, binary_cannot_load="yes")
    result = plugin_run("--nuitka-compile", "-rx")
    result.assert_outcomes(passed=3, xfailed=2)
    result.stdout.fnmatch_lines(
        ["XFAIL*roundtrip:npy:script->binary - known issue: the binary cannot load (demo)"]
    )


DIAGNOSED = (
    ROUNDTRIP
    + """
[[expect]]
checks = ["roundtrip:npy:*->binary"]
issue = "stub code objects (demo)"
diagnosis = "compiled-bytecode"
"""
)


def test_expected_diagnosis_makes_the_failure_expected(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    error = "RuntimeError('Compiled function bytecode used')"
    case(pytester, DIAGNOSED, binary_cannot_load="yes", load_error=error)
    result = plugin_run("--nuitka-compile", "-rx")
    result.assert_outcomes(passed=3, xfailed=2)
    result.stdout.fnmatch_lines(
        ["XFAIL*script->binary - known issue: stub code*[[]compiled-bytecode[]]"]
    )


def test_a_failure_with_another_cause_is_not_the_expected_one(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    case(pytester, DIAGNOSED, binary_cannot_load="yes")
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(passed=3, failed=2)
    result.stdout.fnmatch_lines(["*the binary failed to load the model.npy*TypeError*"])


def test_standalone_mode_adds_portable_checks(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    case(pytester, ROUNDTRIP)
    result = plugin_run("--nuitka-compile", "--nuitka-mode=standalone", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["*::run:predict", "*::portable:predict", "*::roundtrip:npy:*"])
    accelerated = plugin_run("--nuitka-compile", "--collect-only", "-q")
    assert "portable:" not in accelerated.stdout.str()


def test_fixed_known_issue_fails_as_strict_xpass(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    case(
        pytester,
        ROUNDTRIP
        + """
    [[expect]]
    checks = ["roundtrip:npy:binary->binary"]
    issue = "fixed upstream by now"
    """,
    )
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["*[[]XPASS(strict)[]] known issue: fixed upstream by now*"])


def test_condition_not_met_means_no_expectation(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    case(
        pytester,
        ROUNDTRIP
        + """
    [[expect]]
    checks = ["roundtrip:npy:binary->binary"]
    when = ["numpy<1"]
    issue = "only on ancient numpy"
    """,
    )
    plugin_run("--nuitka-compile").assert_outcomes(passed=5)


def test_unexpected_divergence_fails_with_a_table(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    case(pytester, ROUNDTRIP, binary_cannot_load="yes")
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(passed=3, failed=2)
    result.stdout.fnmatch_lines(
        [
            "the binary failed to load the model.npy that the script saved: TypeError: 'NoneType' "
            "object cannot be interpreted as an integer",
            "[[]binary stderr, last * lines; args: load *; exit status 1; cwd *[]]",
        ]
    )


def test_loader_tool_and_value_table(pytester: pytest.Pytester, plugin_run: PluginRun) -> None:
    tool = pytester.path / "bin" / "fake-serving"
    tool.parent.mkdir()
    tool.write_text(
        "#!/bin/sh\nexec python3 -c 'import sys, shutil; shutil.copy(sys.argv[1], "
        'sys.argv[2] + "/probs.npy")\' "$@"\n'
    )
    tool.chmod(0o755)
    case(
        pytester,
        f"""
    description = "served by a tool"
    [[roundtrips]]
    name = "served"
    save = ["save", "{{artifact}}"]
    tool = "{tool}"
    load = ["{{artifact}}", "{{out}}"]
    artifact = "model.npy"
    outputs = ["probs"]
    """,
    )
    result = plugin_run("--nuitka-compile", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([f"*roundtrip:served:binary->{tool} PASSED*"])


SERVED = """
description = "served by a declared tool"
[tools.serving]
command = ["{{python}}", "{{case}}/serve.py"]
needs = ["{needs}"]
install = "pip install {needs}"
[[roundtrips]]
name = "served"
save = ["save", "{{artifact}}"]
tool = "serving"
load = ["{{artifact}}", "{{out}}"]
artifact = "model.npy"
outputs = ["probs"]
"""


def test_a_declared_tool_runs_beside_the_case_with_the_interpreter_under_test(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    case(pytester, SERVED.format(needs="numpy"))
    (pytester.path / "demo" / "serve.py").write_text(
        "import shutil, sys\nshutil.copy(sys.argv[1], sys.argv[2] + '/probs.npy')\n"
    )
    result = plugin_run("--nuitka-compile", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*roundtrip:served:binary->serving PASSED*"])


def test_a_tool_that_is_not_installed_says_what_to_install(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    case(pytester, SERVED.format(needs="no-such-serving-runtime"))
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*the loader tool 'serving' needs no-such-serving-runtime: "
            "pip install no-such-serving-runtime*"
        ]
    )


def test_baseline_written_when_missing_then_held(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    case(
        pytester,
        """
    description = "baseline"
    [[runs]]
    name = "predict"
    args = ["predict"]
    baseline = ["probs"]
    """,
    )
    first = plugin_run()
    first.assert_outcomes(failed=1, passed=0, skipped=1)
    first.stdout.fnmatch_lines(
        ["baseline written to */demo/baselines/predict.npz: review it and commit it"]
    )
    plugin_run().assert_outcomes(passed=1, skipped=1)
    app = pytester.path / "demo" / "app.py"
    app.write_text(app.read_text().replace("[0.2, 0.8]", "[0.2, 0.81]"))
    changed = plugin_run()
    changed.assert_outcomes(failed=1, skipped=1)
    changed.stdout.fnmatch_lines(
        [
            "script outputs differ from the committed baseline (rtol=1e-05, atol=1e-06; "
            "--nuitka-force-regen rewrites it)",
            "  index * baseline * this cell * |diff| * rel",
            "  (0, 1) * 0.8 * 0.81 *",
            "[[]baseline cell[]]",
        ]
    )
    regen = plugin_run("--nuitka-force-regen")
    regen.assert_outcomes(failed=1, skipped=1)
    plugin_run().assert_outcomes(passed=1, skipped=1)


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (
            'description = "x"\n[[runs]]\nname = "a"\nargz = []\n',
            "*nuitka-case.toml: runs[[]0[]].argz: unknown key; allowed: argmax, args, atol, "
            "baseline, comparators, exclude, files, name, noise, rtol, rules, stderr, stdin, "
            "stdout, strict",
        ),
        (
            'description = "x"\n[[runs]]\nname = "a"\nargmax = "probs"\n',
            "*nuitka-case.toml: runs[[]0[]].argmax: expected a list of strings, got 'probs'",
        ),
        (
            'description = "x"\n[[runs]]\nname = "a"\n[[expect]]\nchecks = ["run:b"]\n'
            'issue = "i"\n',
            "*nuitka-case.toml: expect[[]0[]].checks: 'run:b' matches no check; the checks are: "
            "run:a",
        ),
        (
            'description = "x"\n[[runs]]\nname = "a"\n[[expect]]\nchecks = ["run:a"]\n'
            'when = ["tensorflow=>2"]\nissue = "i"\n',
            "*nuitka-case.toml: expect[[]0[]].when: 'tensorflow=>2' is neither a requirement*",
        ),
        (
            'description = "x"\nmode = "fast"\n[[runs]]\nname = "a"\n',
            "*nuitka-case.toml: mode: 'fast' is not one of accelerated, standalone, onefile",
        ),
        ("description = \n", "*nuitka-case.toml: (file): not valid TOML: *"),
        (
            'description = "x"\n[[runs]]\nname = "a"\n[[expect]]\nchecks = ["run:a"]\n'
            'issue = "i"\ndiagnosis = "gremlins"\n',
            "*expect[[]0[]].diagnosis: 'gremlins' is not in the known issues: tf-keras-rewrite,*",
        ),
        (
            'description = "x"\nship = "torch"\n[[runs]]\nname = "a"\n',
            "*nuitka-case.toml: ship: expected a list of strings, got 'torch'",
        ),
    ],
)
def test_malformed_manifest_is_a_collection_error(
    pytester: pytest.Pytester, plugin_run: PluginRun, manifest: str, message: str
) -> None:
    case(pytester, manifest)
    result = plugin_run("--nuitka-compile")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*ERROR collecting demo/nuitka-case.toml*", message])
    assert "Traceback" not in result.stdout.str()


def test_two_cases_in_one_session_run_in_folders_of_their_own(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    case(pytester, ROUNDTRIP, folder="a")
    case(pytester, ROUNDTRIP, folder="b")
    plugin_run("--nuitka-compile").assert_outcomes(passed=10)
    plugin_run("--nuitka-compile", "-n", "2", subprocess=True).assert_outcomes(passed=10)
