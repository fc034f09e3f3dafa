from pathlib import Path

from pytest_nuitka.run.failures import TRACEBACK_SHOWN, without_tracebacks
from pytest_nuitka.run.normalize import Policy, normalize
from pytest_nuitka.run.runs import program_names


def test_paths_and_progress_bars_by_default_addresses_and_timings_learned() -> None:
    text = (
        "model at 0x7f3a2b1c9d10 loaded from /run/1/app.py\n"
        "1/1 ━━━━━━━━━━━━━━━━━━━━ 0s 45ms/step\r\n"
        "1/1 [==============================] - 0s 5ms/step\n"
        "done in 1.25s, wrote /tmp/pytest-of-root/x/out/a.npy\n"
        "5 samples, 3 classes"
    )
    assert normalize(text, {"/run/1/app.py": "<app>"}) == (
        "model at 0x7f3a2b1c9d10 loaded from <app>\n"
        "done in 1.25s, wrote <tmp>\n5 samples, 3 classes"
    )
    opted = Policy(rules=("addresses", "timings"))
    assert normalize(text, {"/run/1/app.py": "<app>"}, policy=opted) == (
        "model at 0x<addr> loaded from <app>\ndone in <time>, wrote <tmp>\n5 samples, 3 classes"
    )


def test_the_address_rule_masks_only_long_hexadecimal_numbers() -> None:
    opted = Policy(rules=("addresses",))
    assert normalize("flags 0x1f, id 0xabcde", {}, policy=opted) == "flags 0x1f, id 0xabcde"
    assert normalize("at 0x7f3a2b", {}, policy=opted) == "at 0x<addr>"


def test_stderr_rules_leave_stdout_alone() -> None:
    text = '<app>:2: SyntaxWarning: "is" with a literal\n  if x is 1:\n\nok'
    assert normalize(text, {}) == text
    assert normalize(text, {}, stream="stderr") == "ok"


def test_coloured_keras_bar_with_backspaces_is_dropped() -> None:
    bar = (
        b"\r\x1b[1m1/1\x1b[0m \x1b[32m" + "━".encode() * 20 + b"\x1b[0m\x1b[37m\x1b[0m "
        b"\x1b[1m0s\x1b[0m 120ms/step" + b"\x08" * 38
    )
    text = (bar + b"\r" + bar.lstrip(b"\r") + b"\nkeras 3.15.1\n").decode()
    assert normalize(text, {}) == "keras 3.15.1\n"


def test_carriage_returns_keep_the_last_frame_and_extra_rules_apply() -> None:
    assert normalize("step 1\rstep 2\nseed=42", {}, [(r"seed=\d+", "seed=<n>")]) == (
        "step 2\nseed=<n>"
    )


def test_the_harness_names_read_as_the_scripts() -> None:
    """The binary's file name, a dist's or an unpacked onefile's copy of the main module, and
    an accelerated binary's own folder ahead of the source folder on sys.path."""
    script, binary = Path("/src/app.py"), Path("/cache/product/app.bin")
    printed = b"/tmp/onefile_123_456_H-b_C9/app.py:3: UserWarning: x"
    names = program_names([script, binary], printed, source_dir=script.parent)
    text = (
        "usage: app.bin [-h]\napp.bin: error: bad\n"
        "/cache/product/app.py:3: UserWarning: x\n"
        "/tmp/onefile_123_456_H-b_C9/app.py:3: UserWarning: x\n"
        "['/cache/product', '/src', '/lib']\n/cache/product:/src"
    )
    assert normalize(text, names, policy=Policy(strict=True)) == (
        "usage: app.py [-h]\napp.py: error: bad\n<app>:3: UserWarning: x\n<app>:3: UserWarning: x\n"
        "['<appdir>', '/lib']\n<appdir>"
    )
    assert "'/cache/product', " not in program_names([script, binary], b"")


def test_tracebacks_leave_stderr_as_one_line_each() -> None:
    stderr = (
        "start\nNuitka:WARNING: something\nTraceback (most recent call last):\n"
        '  File "<app>", line 3, in <module>\n    f()\nValueError: bad\n\n'
        "The above exception was the direct cause of the following exception:\n\n"
        'Traceback (most recent call last):\n  File "<app>", line 5, in <module>\n'
        "RuntimeError: worse\n  (its detail lines, compared by the exit check)"
    )
    assert without_tracebacks(stderr) == f"start\n{TRACEBACK_SHOWN}"


def test_compile_warnings_go_with_their_source_line_only() -> None:
    text = "\n".join(
        [
            '<app>:2: SyntaxWarning: "is" with a literal. Did you mean "=="?',
            "  if x is 1:",
            "<app>:4: DeprecationWarning: invalid escape sequence '\\d'",
            '  y = "\\d"',
            "kept",
            "  kept too: not under a warning",
            "<app>:9: UserWarning: kept",
            "  warnings.warn('kept')",
        ]
    )
    policy = Policy(rules=("-warning-source",))
    assert normalize(text, {}, policy=policy, stream="stderr") == "\n".join(
        [
            "kept",
            "  kept too: not under a warning",
            "<app>:9: UserWarning: kept",
            "  warnings.warn('kept')",
        ]
    )


def test_a_coroutine_never_awaited_goes_with_its_hint_and_nothing_else() -> None:
    text = "\n".join(
        [
            "<app>:5: RuntimeWarning: coroutine 'fetch' was never awaited",
            "  fetch()",
            "RuntimeWarning: Enable tracemalloc to get the object allocation traceback",
            "RuntimeWarning: Enable tracemalloc to get the object allocation traceback",
            "after",
        ]
    )
    assert normalize(text, {}, stream="stderr") == "\n".join(
        ["RuntimeWarning: Enable tracemalloc to get the object allocation traceback", "after"]
    )


def test_blank_lines_go_from_stderr_only() -> None:
    assert normalize("\na\n\n  \nb\n", {}, stream="stderr") == "a\nb"
    assert normalize("\na\n\nb\n", {}) == "\na\n\nb\n"


def test_the_normalisation_used_is_described() -> None:
    assert Policy(strict=True).describe() == "rules: none (strict)"
    assert Policy(strict=True, rules=("timings", "local-ports")).describe() == (
        "rules: timings, local-ports (strict)"
    )
    assert (
        Policy(rules=("-learned",), noise=(("a+", "b"),))
        .describe()
        .endswith("traceback-source\nnoise: 'a+' -> 'b'")
    )
    assert "learned" not in Policy(rules=("-learned",)).describe()
