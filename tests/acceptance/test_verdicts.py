"""Verdict truth: red means a real difference, green means none (issue 12).

Normalisation rules, whole failures, artifacts by format, the user's noise rules,
comparators and exclusions, stderr. Fast: units, and inner sessions with the stand-in.
"""

from __future__ import annotations

import io
import json
import re
import textwrap
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from conftest import ROOT
from pytest_nuitka.check import artifacts
from pytest_nuitka.check.difference import Difference
from pytest_nuitka.run import failures
from pytest_nuitka.run.normalize import RULES, Policy, Rule, normalize, parse_noise

if TYPE_CHECKING:
    from conftest import PluginRun

README = ROOT / "README.md"


def write(pytester: pytest.Pytester, **files: str) -> None:
    pytester.makepyfile(**{name: textwrap.dedent(text) for name, text in files.items()})


# -- normalisation rules ----------------------------------------------------------------------


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_every_rule_has_a_readme_entry_with_its_example(rule: Rule) -> None:
    text = README.read_text(encoding="utf-8")
    assert f"`{rule.name}`" in text
    assert rule.example[0].split(" (")[0] in text


def test_every_artifact_exclusion_is_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    for name in artifacts.EXCLUSIONS:
        assert f"`{name}`" in text


def test_representations_nuitka_changes_are_normalised_on_both_sides() -> None:
    script = (
        "<function f at 0x7f3a2b1c9d10> <generator object g at 0x7f3a2b1c9d10>\n"
        "<module 'os' (frozen)>\n"
        "NameError: name 'fo' is not defined. Did you mean: 'foo'?"
    )
    binary = (
        "<compiled_function f at 0x7f3a2b1c9d10> <compiled_generator object g at 0x7f3a2b1c9d10>\n"
        "<module 'os' from '/usr/lib/python3.11/os.py'>\n"
        "NameError: name 'fo' is not defined"
    )
    assert normalize(script, {}) == normalize(binary, {})
    strict = Policy(strict=True)
    assert normalize(script, {}, policy=strict) != normalize(binary, {}, policy=strict)


def test_caret_lines_go_only_under_a_traceback_frame() -> None:
    text = '  File "<app>", line 3, in f\n    x = a[1]\n        ~^^^\nparser:\n    ^\n'
    assert normalize(text, {}) == '  File "<app>", line 3, in f\n    x = a[1]\nparser:\n    ^\n'


def test_opt_in_rules_and_turning_a_default_off() -> None:
    assert normalize("127.0.0.1:53411", {}) == "127.0.0.1:53411"
    assert normalize("127.0.0.1:53411", {}, policy=Policy(rules=("local-ports",))) == (
        "127.0.0.1:<port>"
    )
    assert "compiled_function" in normalize(
        "compiled_function", {}, policy=Policy(rules=("-compiled-types",))
    )
    with pytest.raises(ValueError, match="unknown normalisation rule"):
        Policy(rules=("no-such-rule",))


def test_noise_rules_from_a_mapping_pairs_or_ini_lines() -> None:
    assert parse_noise({r"seed=\d+": "seed=<n>"}) == parse_noise(["seed=\\d+ -> seed=<n>"])
    with pytest.raises(ValueError, match="REGEX -> REPLACEMENT"):
        parse_noise(["no arrow"])
    policy = Policy(noise=parse_noise([(r"took \d+ steps", "took <n> steps")]))
    assert normalize("took 12 steps", {}, policy=policy) == "took <n> steps"
    assert "noise: 'took \\\\d+ steps' -> 'took <n> steps'" in policy.describe()


# -- failures read whole ----------------------------------------------------------------------

KERAS_ERROR = """\
Traceback (most recent call last):
  File "/run/app.py", line 9, in <module>
    model.predict(x)
  File "/site/keras/src/utils/traceback_utils.py", line 122, in error_handler
    raise e.with_traceback(filtered_tb) from None
NameError: Exception encountered when calling Lambda.call().

{cause}

Arguments received by Lambda.call():
  • inputs=tf.Tensor(shape=(1, 4), dtype=float32)
"""


def _failure(stderr: str, failed: bool = True) -> failures.Failure:
    return failures.failure(stderr, failed, lambda t: t, lambda f: f == "/run/app.py")


def test_detail_lines_below_the_exception_are_part_of_it() -> None:
    """Measured false pass: same type and first line, different cause below."""
    left = _failure(KERAS_ERROR.format(cause="name 'WIDTH' is not defined"))
    right = _failure(KERAS_ERROR.format(cause="Compiled function bytecode used"))
    assert (
        left.headline
        == right.headline
        == ("NameError: Exception encountered when calling Lambda.call().")
    )
    assert left != right
    assert "name 'WIDTH' is not defined" in left.lines()


def test_chained_causes_child_tracebacks_and_line_numbers() -> None:
    chain = (
        'Traceback (most recent call last):\n  File "/run/app.py", line {n}, in load\n'
        "KeyError: 'w'\n\nThe above exception was the direct cause of the following "
        'exception:\n\nTraceback (most recent call last):\n  File "/run/app.py", line 9, in '
        "<module>\nRuntimeError: cannot load\n"
    )
    left, right = _failure(chain.format(n=3)), _failure(chain.format(n=4))
    assert left == right  # the app's own line numbers: rule app-line-numbers
    assert left.lines()[2] == "-- direct cause --"
    assert "KeyError: 'w'" in left.lines()
    child = 'Traceback (most recent call last):\n  File "/c.py", line 1, in <module>\nOSError: x\n'
    assert _failure(child + chain.format(n=3)) != _failure(chain.format(n=3))
    strict = failures.failure(chain.format(n=3), True, str, lambda f: True, line_numbers=True)
    assert strict != failures.failure(chain.format(n=4), True, str, lambda f: True, True)


def test_exit_without_traceback_keeps_its_message_and_warnings_are_found() -> None:
    assert _failure("loading\nmodel file missing\n").headline == "exit message: model file missing"
    assert _failure("some log\n", failed=False).empty
    noise = "E0000 00:00:1700000000.1 123 cuda_dnn.cc:8310] Unable to register cuDNN factory\n"
    assert failures.drop_noise(noise + "real\n") == "real\n"
    assert failures.warnings("<app>:3: RuntimeWarning: coroutine 'main' was never awaited\n") == [
        "RuntimeWarning: coroutine 'main' was never awaited"
    ]


def test_an_exception_reported_as_ignored_is_not_a_failure_but_a_note() -> None:
    """An error in __del__ is printed as "Exception ignored in: ..." whenever garbage
    collection gets to it, which compiled frames change; the run goes on."""
    ignored = (
        "Exception ignored in: <function Cache.__del__ at 0x<addr>>\n"
        "Traceback (most recent call last):\n"
        '  File "/lib/cache.py", line 5, in __del__\n'
        "OSError: handle already closed\n"
    )
    ended = 'Traceback (most recent call last):\n  File "/run/app.py", line 2, in <module>\n'
    ended += "ValueError: bad input\n"
    assert _failure(ignored, failed=False).empty
    assert _failure(ignored + ended) == _failure(ended)
    assert failures.headline(ended + ignored) == "ValueError: bad input"
    assert failures.warnings(ignored) == ["OSError: handle already closed (exception ignored)"]


# -- artifacts --------------------------------------------------------------------------------


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _torchscript(serialization_id: bytes, debug: bytes, weights: bytes) -> bytes:
    return _zip(
        {
            "model/data.pkl": b"\x80\x02}q\x00.",
            "model/code/__torch__.py": b"def forward(self, x):\n  return x\n",
            "model/code/__torch__.py.debug_pkl": debug,
            "model/.data/serialization_id": serialization_id,
            "model/data/0": weights,
            "model/version": b"3\n",
        }
    )


def test_torchscript_archives_ignore_serialization_id_and_debug_tables() -> None:
    """Measured false alarm: only the id and the debug line table differed."""
    left = _torchscript(b"1234", b"line 12", b"\x00\x01")
    right = _torchscript(b"9876", b"line 31", b"\x00\x01")
    assert left != right
    comparator = artifacts.detect("model.pt", left)
    assert comparator is not None
    assert comparator("model.pt", left, right, 0, 0) is None
    changed = comparator("model.pt", left, _torchscript(b"5", b"line 31", b"\x00\x02"), 0, 0)
    assert changed is not None
    assert "member model/data/0 differs" in changed.detail
    assert "torch-serialization-id, torchscript-debug-info" in changed.detail


def test_keras_zip_ignores_save_date_and_names_the_config_key() -> None:
    def keras(date: str, units: int) -> bytes:
        return _zip(
            {
                "metadata.json": json.dumps({"keras_version": "3", "date_saved": date}).encode(),
                "config.json": json.dumps({"layers": [{"units": units}]}).encode(),
                "model.weights.h5": b"not read here",
            }
        )

    same = artifacts.compare_zip("m.keras", keras("2024-01-01", 3), keras("2025-02-02", 3), 0, 0)
    assert same is None
    differs = artifacts.compare_zip("m.keras", keras("a", 3), keras("a", 4), 0, 0)
    assert differs is not None
    assert "member config.json differs" in differs.detail
    assert '"units": 4' in differs.detail


def test_h5_by_content_not_object_times(tmp_path: Path) -> None:
    h5py = pytest.importorskip("h5py")

    def save(name: str, value: float) -> bytes:
        with h5py.File(tmp_path / name, "w", track_order=True) as handle:
            handle.create_dataset("dense/kernel", data=np.full((2, 2), value), track_times=True)
            handle.attrs["keras_version"] = "3"
        return (tmp_path / name).read_bytes()

    first = save("a.h5", 1.0)
    import time

    time.sleep(1.1)
    second = save("b.h5", 1.0)
    assert artifacts.detect("w.h5", first) is artifacts.compare_h5
    assert artifacts.compare_h5("w.h5", first, second, 0, 0) is None
    changed = artifacts.compare_h5("w.h5", first, save("c.h5", 2.0), 0, 0)
    assert changed is not None
    assert "dataset dense/kernel" in changed.detail


def test_savedmodel_fingerprint_ignores_uuid() -> None:
    def fingerprint(checksum: int, uuid: bytes) -> bytes:
        return bytes([0x08, checksum, 0x3A, len(uuid)]) + uuid

    compare = artifacts.detect("saved/fingerprint.pb", fingerprint(5, b"ab"))
    assert compare is not None
    assert compare("f", fingerprint(5, b"ab"), fingerprint(5, b"cd"), 0, 0) is None
    changed = compare("f", fingerprint(5, b"ab"), fingerprint(6, b"ab"), 0, 0)
    assert changed is not None and changed.title == "f"
    assert changed.detail == (
        "  SavedModel fingerprint; left out: savedmodel-uuid\n"
        "  saved_model_checksum: script 5, binary 6"
    )
    unknown = bytes([0x40, 1, 0x08, 5]), bytes([0x40, 2, 0x08, 5])  # field 8, then field 1
    changed = compare("f", *unknown, 0, 0)
    assert changed is not None
    assert changed.detail.splitlines()[1:] == ["  8: script 1, binary 2"]
    assert compare("f", fingerprint(5, b"ab"), None, 0, 0) == Difference("f", "  not both files")


# -- inner sessions with the stand-in ---------------------------------------------------------


def test_compiled_function_repr_is_no_false_alarm_unless_strict(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    write(
        pytester,
        app="""
    kind = "compiled_function" if "__compiled__" in globals() else "function"
    print(f"<{kind} main at 0x7f3a2b1c9d10>")
    """,
        test_app="""
    def test_default(nuitka):
        nuitka.compile("app.py").run_both().assert_match()
    def test_strict(nuitka):
        nuitka.compile("app.py").run_both().assert_match(strict=True)
    """,
    )
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["  +<compiled_function main at 0x7f3a2b1c9d10>", "*(strict)*"])


def test_failures_compared_whole(pytester: pytest.Pytester, plugin_run: PluginRun) -> None:
    write(
        pytester,
        detail="""
    compiled = "__compiled__" in globals()
    cause = "Compiled function bytecode used" if compiled else "name 'W' is not defined"
    raise NameError("Exception encountered when calling Lambda.call().\\n\\n" + cause)
    """,
        same_detail="""
    raise NameError("Exception encountered when calling Lambda.call().\\n\\nsame cause")
    """,
        exit_message="""
    import sys
    sys.exit("model.bin missing" if "__compiled__" in globals() else "labels missing")
    """,
        child="""
    import subprocess, sys
    error = "OSError" if "__compiled__" in globals() else "ValueError"
    subprocess.run([sys.executable, "-c", f"raise {error}('worker')"])
    raise SystemExit(3)
    """,
        test_app="""
    import pytest
    @pytest.mark.parametrize("app", ["detail", "same_detail", "exit_message", "child"])
    def test_it(nuitka, app):
        nuitka.compile(f"{app}.py").run_both().assert_match()
    """,
    )
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(passed=1, failed=3)
    result.stdout.fnmatch_lines(
        [
            "*test_it?detail?*",
            "  -name 'W' is not defined",
            "  +Compiled function bytecode used",
            "*test_it?exit_message?*",
            "  script: exit message: labels missing",
            "  binary: exit message: model.bin missing",
            "*test_it?child?*",
            "  -ValueError: worker",
            "  +OSError: worker",
        ]
    )


def test_same_failure_on_both_sides_matches_every_check(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    """Measured wrong fail: argmax of an output neither side emitted, both failing alike."""
    write(
        pytester,
        app="""
    import sys
    if sys.argv[1] == "other" and "__compiled__" in globals():
        raise OSError("weights.bin")
    raise FileNotFoundError("weights.bin")
    """,
        test_app="""
    def test_same(nuitka):
        run = nuitka.compile("app.py").run_both("same")
        run.assert_match(argmax=["y"])
        run.check_argmax(["y"])
    def test_other(nuitka):
        nuitka.compile("app.py").run_both("other").check_argmax(["y"])
    """,
    )
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*nothing to compare: neither side emitted it, and they failed*"])
    assert "not emitted by script and binary" not in result.stdout.str()


def test_warning_on_one_side_stderr_and_tensorflow_noise(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    write(
        pytester,
        app="""
    import sys, warnings
    sys.stderr.write("E0000 00:00:1.5 7 cuda_blas.cc:1407] Unable to register cuBLAS factory\\n")
    if "__compiled__" not in globals():
        warnings.warn("model saved without its optimizer", UserWarning)
    print("done")
    """,
        test_app="""
    def test_default(nuitka):
        nuitka.compile("app.py").run_both().assert_match()
    def test_stderr_off(nuitka):
        nuitka.compile("app.py").run_both().assert_match(stderr=False)
    """,
    )
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_default*",
            "binary differs from script in 1 check(s): stderr (normalised)",
            "*-<app>:4: UserWarning: model saved without its optimizer",
            "note: printed only by the script:",
            "  UserWarning: model saved without its optimizer",
        ]
    )
    assert "Unable to register cuBLAS" not in result.stdout.str()


def test_noise_comparators_and_exclusions_from_test_ini_and_manifest(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    app = """
    import pathlib, random, sys
    out = pathlib.Path(sys.argv[1])
    print("seed", random.randint(0, 10**9), object())
    (out / "run.log").write_text(f"pid {random.random()}")
    (out / "label.txt").write_text("Heron" if "__compiled__" in globals() else "heron")
    """
    write(
        pytester,
        app=app,
        cmp="""
    from pytest_nuitka.check.difference import Difference
    def casefold(name, a, b, rtol, atol):
        return None if a.lower() == b.lower() else Difference(name, "differs")
    """,
        test_app="""
    def test_call(nuitka):
        run = nuitka.compile("app.py").run_both("{out}")
        run.assert_match(noise={r"seed \\d+": "seed <n>"}, exclude=["*.log"],
                         comparators={"label.txt": "cmp:casefold"})
    def test_ini(nuitka):
        nuitka.compile("app.py").run_both("{out}").assert_match()
    def test_unnormalised(nuitka):
        nuitka.compile("app.py").run_both("{out}").assert_match(strict=True)
    """,
    )
    (pytester.path / "demo").mkdir()
    (pytester.path / "demo" / "app.py").write_text(textwrap.dedent(app))
    (pytester.path / "demo" / "nuitka-case.toml").write_text(
        textwrap.dedent(
            """
        description = "noise from the manifest"
        exclude = ["run.log"]
        [[runs]]
        name = "r"
        args = ["{out}"]
        noise = { 'seed \\d+' = "seed <n>" }
        comparators = { "*.txt" = "cmp:casefold" }
        """
        )
    )
    pytester.makeini(
        """
        [pytest]
        nuitka_noise = seed \\d+ -> seed <n>
        nuitka_comparators = label.txt = cmp:casefold
        nuitka_exclude = run.log
        """
    )
    result = plugin_run("--nuitka-compile", "-p", "no:randomly", "test_app.py", "demo")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        ["*test_unnormalised*", "normalised with rules: none (strict)", "noise: *seed*"]
    )
    assert re.search(r"\[stdout \(normalised\)\]", result.stdout.str())


def test_bad_rule_name_in_ini_is_a_usage_error(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    pytester.makeini("[pytest]\nnuitka_rules = no-such-rule\n")
    pytester.makepyfile(test_x="def test_x(): pass")
    result = plugin_run()
    result.stderr.fnmatch_lines(["*nuitka_rules: unknown rule(s) no-such-rule*"])
