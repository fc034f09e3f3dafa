"""Errors the plugin reports as a plain message: each says what went wrong and what to do.

The library raises these and nothing of pytest's; the plugin layer turns them into pytest's
outcomes (a failure shown as its message, a skip with its reason)."""

from __future__ import annotations


class NuitkaPluginError(Exception):
    """A failure of the set-up, not of the app; reported without a traceback."""


class BuildError(NuitkaPluginError):
    """The binary could not be built."""


class NotRun(Exception):
    """A check that cannot run here (no binary was built, the kernel refuses a clean room);
    reported as skipped, with this reason."""


class CheckFailed(AssertionError):
    """A check found a difference; reported as its message alone, which says it all."""


def printable(text: str) -> str:
    """``text`` with the bytes that are not UTF-8 (a file named ``bad\\xff.txt``, which Python
    holds as lone surrogates) written as ``\\xff``: such text cannot be printed, written to a
    UTF-8 file or sent to an xdist controller as it is."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that no byte decodes to
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
