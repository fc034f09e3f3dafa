"""The contract between a compiler and the cache: what a build leaves in its product directory
and what it read to make it, so that the cache can tell on every hit whether it still holds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pytest_nuitka.cache.footprint import Footprint


@dataclass(frozen=True)
class Built:
    """What a compiler leaves in its product directory, and what it read to make it."""

    executable: str  # path relative to the product directory
    sources: tuple[Path, ...]  # every local source file compiled in: checked by content
    # Optional, for a cache that stays true when installed files or import resolution change:
    installed: tuple[Path, ...] = ()  # other files carried: checked by size and mtime
    modules: Mapping[str, str] = field(default_factory=dict)  # compiled module -> its file
    absent: tuple[str, ...] = ()  # imports that found nothing
    imported: tuple[str, ...] = ()  # every top-level name imported, found or not

    @property
    def footprint(self) -> Footprint:
        return Footprint(self.sources, self.installed, self.modules, self.absent, self.imported)


class CompileFailed(Exception):
    """The compiler ran and failed; the message is the tail of its log."""
