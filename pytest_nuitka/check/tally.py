"""Checks that passed with both sides failing the same way, counted apart from the others.

Such a test passes (the binary does what the script does), but it compared failures, not
results: the terminal summary and the results file say how many did.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_seen: ContextVar[list[str] | None] = ContextVar("pytest_nuitka_both_failed", default=None)


@contextmanager
def watching() -> Iterator[list[str]]:
    """While a test runs: the headlines of its passing checks whose sides both failed."""
    found: list[str] = []
    token = _seen.set(found)
    try:
        yield found
    finally:
        _seen.reset(token)


def both_failed(headline: str) -> None:
    found = _seen.get()
    if found is not None and headline not in found:
        found.append(headline)
