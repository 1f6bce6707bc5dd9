"""Fixtures of the personal-data tests: a child process with a permissive umask."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

CHILD = Path(__file__).with_name("umask_child.py")
# A script the tests run in a child process, not a test module (--doctest-modules imports
# every module it collects, and this one runs a lookup at import).
collect_ignore = [CHILD.name]


@pytest.fixture(scope="module")
def child_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """Run :mod:`umask_child` once (umask ``0o002``): its folder, and what it printed."""
    root = tmp_path_factory.mktemp("umask")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUBSPOT_")}
    done = subprocess.run(
        [sys.executable, str(CHILD), str(root)],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return root, json.loads(done.stdout)


@pytest.fixture(scope="module")
def child_modes(child_run: tuple[Path, dict[str, Any]]) -> tuple[Path, dict[str, int]]:
    """The child's folder, and the mode of each path under it (as seen by the child)."""
    root, printed = child_run
    return root, {path: int(mode, 8) for path, mode in printed["modes"].items()}
