"""Names the package's docstring examples use, so ``pytest --doctest-modules`` runs them.

The examples run for real, against an in-process sandbox portal over loopback.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest


@pytest.fixture(scope="session", autouse=True)
def _own_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The tests' and examples' temporary files go in the session's own folder.

    The examples make their folders with ``tempfile.mkdtemp()``, as an analyst would, and
    so do the package's temporary files (DuckDB's spill folder, a sandbox client's cache);
    pytest removes the session's folder after a few runs, where the system's temporary
    folder kept them (about 50 folders a run piled up there). Subprocesses get it too.
    """
    folder = tmp_path_factory.mktemp("tmp")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tempfile, "tempdir", str(folder))
        mp.setenv("TMPDIR", str(folder))
        yield


@pytest.fixture(scope="session")
def _doctest_cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The examples' per-user cache folder (``cache=False`` clients keep their rate window
    there) is a temporary one, never the developer's."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("doctest-cache")))
        yield


@pytest.fixture(scope="session")
def _doctest_client(_doctest_cache_home: None) -> Iterator[Any]:
    import hubutk_pandas

    with hubutk_pandas.connect(sandbox=True, contacts=2000) as client:
        yield client


@pytest.fixture(autouse=True)
def _doctest_names(request: pytest.FixtureRequest, doctest_namespace: dict[str, Any]) -> None:
    if not isinstance(request.node, pytest.DoctestItem):
        return
    request.getfixturevalue("_doctest_cache_home")
    client = request.getfixturevalue("_doctest_client")
    doctest_namespace.update(
        pd=pd,
        client=client,
        df=pd.DataFrame({"utk": client.sandbox.sample_utks(3)}),
    )
