"""Errors the plugin reports as a plain message: each says what went wrong and what to do."""

from __future__ import annotations


class NuitkaPluginError(Exception):
    """A failure of the set-up, not of the app; reported without a traceback."""


class BuildError(NuitkaPluginError):
    """The binary could not be built."""
