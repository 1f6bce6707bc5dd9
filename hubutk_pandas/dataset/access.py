"""Who may read a dataset: you alone (the default), or your group too.

A dataset holds contacts' personal data, so it is private by default: its folders are
``0700`` and its files ``0600``, whatever the umask. A team sharing a machine can open one
dataset to a Unix group with :func:`set_dataset_access`; the choice is kept in the manifest
(``"access": "group"``), so every file written to it later (parts of a resumed lookup, the
manifest, rewritten parts after ``forget``, Dask's ``enrich`` table) is ``0640`` in
``0750`` folders. Group members can then read everything in it: every frame (names, emails,
phone numbers, form answers, page URLs, companies), the input utks in ``_state.sqlite``,
and the manifest (options, the API address, the portal id, the property definitions). They
cannot change it. Which group: the folder's (``chgrp -R TEAM PATH``; ``chmod g+s PATH``
makes new files take it, and is kept).

Examples
--------
>>> import stat, tempfile
>>> ds = client.lookup_utks(client.sandbox.sample_utks(3), progress=False,
...                         out=tempfile.mkdtemp() + "/visits")
>>> oct(stat.S_IMODE(ds.path.stat().st_mode))
'0o700'
>>> _ = set_dataset_access(ds.path, "group")
>>> oct(stat.S_IMODE((ds.path / "contacts" / "part-000001.parquet").stat().st_mode))
'0o640'
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from hubutk_pandas._filemodes import set_tree_modes
from hubutk_pandas.dataset.manifest import read_manifest, write_manifest
from hubutk_pandas.dataset.state import DatasetLock
from hubutk_pandas.errors import InvalidOptionError

__all__ = ["ACCESS", "set_dataset_access"]

ACCESS: tuple[str, ...] = ("private", "group")
"""``"private"``: folders ``0700``, files ``0600``; ``"group"``: ``0750`` / ``0640``."""


def set_dataset_access(path: str | os.PathLike[str], access: Literal["private", "group"]) -> int:
    """Make the dataset at ``path`` private to you, or readable by your group too.

    Every folder and file in it gets the mode now, and every file written to it later
    follows (the choice is kept in the manifest). A group can read everything the dataset
    holds, personal data included: see :mod:`hubutk_pandas.dataset.access`.

    Parameters
    ----------
    path
        The dataset folder.
    access
        ``"private"`` (folders ``0700``, files ``0600``: the default of every dataset) or
        ``"group"`` (``0750`` / ``0640``: readable, not writable, by the folder's group).

    Returns
    -------
    int
        How many folders and files changed mode.

    Raises
    ------
    InvalidOptionError
        ``access`` is neither, before anything changes.
    DatasetError, DatasetInUseError
        ``path`` is not a dataset, or a lookup is writing it.

    Examples
    --------
    >>> set_dataset_access("somewhere", "everyone")
    Traceback (most recent call last):
    hubutk_pandas.errors.InvalidOptionError: access='everyone' is not valid; choose from ...
    """
    if access not in ACCESS:
        raise InvalidOptionError.for_value("access", access, ACCESS)
    root = Path(path)
    read_manifest(root)  # a DatasetError if it is not one
    with DatasetLock(root):
        manifest = read_manifest(root)
        if access == "group":
            manifest["access"] = "group"
        else:
            manifest.pop("access", None)
        write_manifest(root, manifest)
        return set_tree_modes(root, group=access == "group")
