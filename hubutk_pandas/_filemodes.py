"""Private by default: the modes of every folder and file that holds contacts' data.

A lookup copies personal data (names, emails, form answers, page URLs) onto the disk: the
HTTP cache, the record store and every dataset. On a shared machine (a JupyterHub server,
a team VM) the usual umask (``022``, or ``002``) would leave all of it readable by every
user. So whatever the umask, a folder we create is ``0700`` and a file ``0600``
(``0750``/``0640`` for a dataset its owner shared with a group:
:func:`~hubutk_pandas.dataset.set_dataset_access`):

* a folder is created, then given its mode exactly (``mkdir``'s mode is masked by the umask,
  which can only remove bits, so it is never more open than that in between);
* a file is created by ``os.open`` with its mode and then ``fchmod``-ed to it, before a
  byte is written, including the SQLite databases, which are created empty (an empty file is
  an empty database) before SQLite opens them: SQLite gives its journal, WAL and
  shared-memory files the database file's mode;
* a file written by another library (``DataFrame.to_parquet``) is given its mode right
  after, while it is still under a temporary name in a private folder.

A folder that already exists is never changed: if it is open to others (any permission
for the group or others; for a shared dataset, for others), :func:`check_folder` warns and
says how to close it.

Examples
--------
>>> import os, stat, tempfile
>>> from pathlib import Path
>>> root = Path(tempfile.mkdtemp())
>>> make_folder(root / "a" / "cache", what="cache folder")
>>> oct(stat.S_IMODE(os.stat(root / "a" / "cache").st_mode))
'0o700'
>>> create_file(root / "a" / "cache" / "db.sqlite")
True
>>> oct(stat.S_IMODE(os.stat(root / "a" / "cache" / "db.sqlite").st_mode))
'0o600'
"""

from __future__ import annotations

import os
import shlex
import stat
from collections.abc import Callable
from pathlib import Path

from hubutk_pandas._warnings import warn

__all__ = [
    "check_folder",
    "create_file",
    "exposed",
    "file_mode",
    "folder_mode",
    "make_folder",
    "make_private",
    "opener",
    "set_tree_modes",
]


def folder_mode(group: bool = False) -> int:
    """``0o700``, or ``0o750`` for a folder shared with its group.

    Examples
    --------
    >>> oct(folder_mode()), oct(folder_mode(group=True))
    ('0o700', '0o750')
    """
    return 0o750 if group else 0o700


def file_mode(group: bool = False) -> int:
    """``0o600``, or ``0o640`` for a file shared with its group.

    Examples
    --------
    >>> oct(file_mode()), oct(file_mode(group=True))
    ('0o600', '0o640')
    """
    return 0o640 if group else 0o600


def exposed(path: Path, *, group: bool = False) -> int:
    """The permission bits of ``path`` that let someone else in (``0`` when none).

    Private: any bit for the group or others. Shared with a group: any bit for others.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> exposed(folder)
    0
    >>> folder.chmod(0o755)
    >>> oct(exposed(folder)), exposed(folder, group=True) == 0o005
    ('0o55', True)
    """
    mode = stat.S_IMODE(os.stat(path).st_mode)
    return mode & (0o007 if group else 0o077)


def check_folder(path: Path, *, what: str, group: bool = False) -> bool:
    """Warn if the existing folder ``path`` is open to others; never change it.

    Returns whether it was open. The warning names the folder, its mode and the command
    that closes it.

    Examples
    --------
    >>> import tempfile, warnings
    >>> folder = Path(tempfile.mkdtemp())
    >>> folder.chmod(0o755)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     check_folder(folder, what="cache folder")
    True
    >>> "chmod -R go-rwx" in str(caught[0].message), oct(folder.stat().st_mode & 0o777)
    (True, '0o755')
    """
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:  # gone, or not ours to look at: whoever opens it next will say
        return False
    if not mode & (0o007 if group else 0o077):
        return False
    who = "other users" if group else "other users (its group, or everyone)"
    fix = "o-rwx" if group else "go-rwx"
    warn(
        f"the {what} {str(path)!r} is open to {who}: its mode is {mode:04o}, and it holds "
        f"HubSpot contacts' personal data. Make it private with: chmod -R {fix} "
        f"{shlex.quote(str(path))}"
    )
    return True


def make_folder(
    path: Path, *, what: str, group: bool = False, check: bool = True, parents: bool = True
) -> None:
    """Create the folder ``path`` with exactly its private mode, or check the existing one.

    Missing parents are created as the umask says (they hold only this folder). An existing
    folder keeps its mode: with ``check``, :func:`check_folder` warns when it is open.
    ``FileExistsError`` when ``path`` is a file; other ``OSError`` as raised.
    """
    mode = folder_mode(group)
    try:
        path.mkdir(mode=mode, parents=parents)
    except FileExistsError:
        if not path.is_dir():
            raise
        if check:
            check_folder(path, what=what, group=group)
        return
    os.chmod(path, mode)  # mkdir's mode went through the umask


def create_file(path: Path, *, group: bool = False) -> bool:
    """Create ``path`` empty with exactly its private mode; ``False`` if it exists (unchanged).

    For a SQLite database: create it with this before SQLite opens it, and its journal, WAL
    and shared-memory files get the same mode.
    """
    mode = file_mode(group)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, mode)
    finally:
        os.close(fd)
    return True


def opener(group: bool = False) -> Callable[[str, int], int]:
    """An ``opener=`` for :func:`open` that creates the file with exactly its private mode.

    For files we write in full (temporary files, the salt): the mode is set on the open
    descriptor before anything is written, whatever the umask.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "x.tmp"
    >>> with open(path, "w", opener=opener()) as handle:
    ...     _ = handle.write("secret")
    >>> oct(path.stat().st_mode & 0o777)
    '0o600'
    """
    mode = file_mode(group)

    def open_private(path: str, flags: int) -> int:
        fd = os.open(path, flags | os.O_CLOEXEC, mode)
        try:
            os.fchmod(fd, mode)
        except BaseException:
            os.close(fd)
            raise
        return fd

    return open_private


def make_private(path: Path, *, group: bool = False) -> None:
    """Give a file another library just wrote (and we own) its private mode."""
    os.chmod(path, file_mode(group))


def set_tree_modes(root: Path, *, group: bool) -> int:
    """Set every folder and file under ``root`` (included) to the private or group mode.

    Symbolic links are left alone (and not followed). Returns how many entries changed.
    """
    changed = 0
    entries = [root, *root.rglob("*")]
    for entry in entries:
        if entry.is_symlink():
            continue
        want = folder_mode(group) if entry.is_dir() else file_mode(group)
        have = stat.S_IMODE(entry.stat().st_mode)
        # Keep a set-group-ID bit on a folder: it makes new files take the folder's group.
        keep = have & stat.S_ISGID if entry.is_dir() else 0
        if have != want | keep:
            os.chmod(entry, want | keep)
            changed += 1
    return changed
