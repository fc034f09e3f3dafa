"""The releases a package index offers, as pip sees them (its index, mirrors and find-links)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Sequence

from packaging.version import InvalidVersion, Version

from pytest_nuitka.bisect.search import BisectError


def parse(output: str, pre: bool) -> list[Version]:
    """``pip index versions`` prints ``Available versions: 4.3.3, 4.3.1, ...``."""
    found = re.search(r"^Available versions: (.*)$", output, re.MULTILINE)
    if not found:
        return []
    versions = []
    for text in found.group(1).split(","):
        try:
            version = Version(text.strip())
        except InvalidVersion:
            continue  # such as 0.4.0.linux-x86_64, which no installer takes
        if pre or not (version.is_prerelease or version.is_devrelease):
            versions.append(version)
    return sorted(set(versions))


def available(package: str, *, pre: bool = False, pip: Sequence[str] = ()) -> list[Version]:
    command = [*(pip or (sys.executable, "-m", "pip")), "index", "versions", package]
    if pre:
        command.append("--pre")
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    versions = parse(done.stdout, pre)
    if not versions:
        said = (done.stderr.strip().splitlines() or ["(nothing)"])[-1]
        raise BisectError(
            f"the package index has no releases of {package!r} (pip said: {said}). "
            f"Check the name: it is a distribution, as in `pip install {package}`"
        )
    return versions
