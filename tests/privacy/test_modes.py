"""Private by default: modes on real files after real lookups, datasets and proxy runs.

The work runs in a child process with the umask ``0o002`` (see ``umask_child.py``), which
would make folders ``0775`` and files ``0664``: everything we wrote must still be ``0700`` /
``0600``. The folder the child works in is ``0775`` itself: a second user could walk into
it, and must find nothing to read.
"""

from __future__ import annotations

import stat
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

from hubutk_pandas import (
    DatasetInUseError,
    HubSpotClient,
    InvalidOptionError,
    LookupOptions,
    open_dataset,
)
from hubutk_pandas._filemodes import file_mode, folder_mode
from hubutk_pandas.dataset import set_dataset_access
from hubutk_pandas.dataset.state import DatasetLock
from hubutk_pandas.lookup import lookup_to_dataset
from hubutk_pandas.sandbox import SandboxPortal

# The parents created for the caller's path (xdg/ stands for ~/.cache) follow the umask;
# they hold nothing but our private folder.
PARENTS = {".", "xdg"}
# The datasets the child opened to the group (set_dataset_access).
GROUP = {"team", "enriched"}


def written(modes: dict[str, int], top: str) -> dict[str, int]:
    return {p: m for p, m in modes.items() if p == top or p.startswith(top + "/")}


def test_every_folder_is_0700_and_every_file_0600_whatever_the_umask(
    child_modes: tuple[Path, dict[str, int]],
) -> None:
    root, modes = child_modes
    assert modes["."] == 0o775  # the child's umask let the folder be opened...
    ours = {p: m for p, m in modes.items() if p not in PARENTS}
    assert len(ours) > 100
    wrong = {}
    for path, mode in ours.items():
        group = path.split("/")[0] in GROUP
        want = folder_mode(group) if (root / path).is_dir() else file_mode(group)
        if mode != want:
            wrong[path] = oct(mode)
    assert not wrong, wrong  # ...and nothing we wrote in it is open


@pytest.mark.parametrize(
    "expected",
    [
        # the HTTP cache, the record store and the salt, with SQLite's rollback journals
        ["cache", "cache/salt", "cache/http_cache.sqlite", "cache/http_cache.sqlite-journal",
         "cache/records.sqlite", "cache/records.sqlite-journal", "cache/rate_window.sqlite"],
        # the per-user cache folder (cache=True)
        ["xdg/hubutk-pandas", "xdg/hubutk-pandas/http_cache.sqlite",
         "xdg/hubutk-pandas/records.sqlite", "xdg/hubutk-pandas/salt",
         "xdg/hubutk-pandas/rate_window.sqlite"],
        # a dataset while it was written (the state's WAL), its parts and manifest
        ["visits", "visits/_state.sqlite", "visits/_state.sqlite-wal",
         "visits/_state.sqlite-shm", "visits/_manifest.json", "visits/_lock",
         "visits/contacts", "visits/contacts/part-000001.parquet",
         "visits/history/part-000000.parquet", "visits/identities/part-000003.parquet"],
        # parts rewritten by forget
        ["visits/contacts/part-000001.parquet"],
        # to_files, both formats
        ["files", "files/contacts.csv", "files/wide.csv", "files-parquet/wide.parquet"],
        # the proxy's client, after serving a browser
        ["proxy-cache", "proxy-cache/http_cache.sqlite", "proxy-cache/records.sqlite",
         "proxy-cache/salt", "proxy-cache/rate_window.sqlite"],
    ],
    ids=["cache", "per-user-cache", "dataset", "forget", "to_files", "proxy"],
)  # fmt: skip
def test_each_place_was_written_and_is_private(
    child_modes: tuple[Path, dict[str, int]], expected: list[str]
) -> None:
    root, modes = child_modes
    for path in expected:
        assert path in modes, f"{path} was never written: the test would prove nothing"
        want = 0o700 if (root / path).is_dir() else 0o600
        assert modes[path] == want, (path, oct(modes[path]))
    top = expected[0]
    for path, mode in written(modes, top).items():
        assert mode & 0o077 == 0, (path, oct(mode))


def test_forget_rewrote_parts_with_the_datasets_modes(child_run: tuple[Path, Any]) -> None:
    _, printed = child_run
    private, team = printed["forget"]
    assert private.startswith("dataset ") and "removed rows: contacts 1" in private
    assert "1 part rewritten" in private or "parts rewritten" in private
    assert "/team: removed rows: contacts 1" in team and "rewritten" in team


def test_a_dataset_opened_to_the_group_is_0750_0640_and_what_is_written_later_follows(
    child_modes: tuple[Path, dict[str, int]],
) -> None:
    root, modes = child_modes
    later = [
        "team/_state.sqlite-wal",  # caught while the second run wrote
        "team/contacts/part-000004.parquet",  # a part of the second run
        "team/_manifest.json",
    ]
    for path in later:
        assert modes[path] == 0o640, (path, oct(modes[path]))
    enrich = [p for p in modes if p.startswith("enriched/_enrich/")]
    assert len(enrich) == 2  # one from before the sharing, one after
    for top in GROUP:
        for path, mode in written(modes, top).items():
            want = 0o750 if (root / path).is_dir() else 0o640
            assert mode == want, (path, oct(mode))


def test_an_existing_cache_folder_open_to_others_gets_a_warning_and_is_left_alone(
    portal: SandboxPortal, tmp_path: Path
) -> None:
    folder = tmp_path / "old-cache"
    folder.mkdir()
    folder.chmod(0o755)  # as an older version, or a permissive umask, left it
    with pytest.warns(UserWarning, match="is open to other users") as caught:
        client = HubSpotClient(portal.access_token, base_url=portal.base_url, cache=folder)
    with client:
        client.lookup_utks(portal.sample_utks(3), progress=False)
    message = str(caught[0].message)
    assert str(folder) in message and "0755" in message
    assert f"chmod -R go-rwx {folder}" in message  # says how to fix it
    assert caught[0].filename == __file__  # points at the caller's line
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755  # never changed silently
    # The files created in it are private all the same.
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {
        "salt": 0o600,
        "http_cache.sqlite": 0o600,
        "records.sqlite": 0o600,
        "rate_window.sqlite": 0o600,
    }
    folder.chmod(0o700)  # fixed as told: no more warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        HubSpotClient(portal.access_token, base_url=portal.base_url, cache=folder).close()


def test_an_existing_dataset_folder_open_to_others_gets_a_warning_and_is_left_alone(
    portal: SandboxPortal, tmp_path: Path
) -> None:
    with HubSpotClient(portal.access_token, base_url=portal.base_url, cache=False) as client:
        empty = tmp_path / "made-by-hand"
        empty.mkdir(mode=0o755)
        empty.chmod(0o755)
        with pytest.warns(UserWarning, match="dataset folder .* is open to other users"):
            lookup_to_dataset(client.fetcher, portal.sample_utks(3), empty, LookupOptions())
        assert stat.S_IMODE(empty.stat().st_mode) == 0o755
        assert stat.S_IMODE((empty / "contacts").stat().st_mode) == 0o700

        mine = tmp_path / "visits"
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a folder we create: no warning
            lookup_to_dataset(client.fetcher, portal.sample_utks(3), mine, LookupOptions())
        mine.chmod(0o750)  # opened to the group afterwards, by hand
        with pytest.warns(UserWarning, match=r"chmod -R go-rwx") as caught:
            lookup_to_dataset(client.fetcher, portal.sample_utks(5), mine, LookupOptions())
        assert "0750" in str(caught[0].message)
        assert stat.S_IMODE(mine.stat().st_mode) == 0o750
        assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in mine.rglob("*.parquet"))


def test_the_modes_are_set_exactly_under_an_umask_that_closes_more(tmp_path: Path) -> None:
    """Set, not just masked: a stricter umask (in a child process) does not lock us out."""
    code = (
        "import os, sys; from pathlib import Path; os.umask(0o277)\n"
        "from hubutk_pandas._filemodes import create_file, make_folder\n"
        "root = Path(sys.argv[1]); make_folder(root / 'c', what='cache folder')\n"
        "create_file(root / 'c' / 'f')"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, timeout=60)
    assert stat.S_IMODE((tmp_path / "c").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "c" / "f").stat().st_mode) == 0o600


def test_a_group_dataset_warns_only_when_others_can_get_in(
    portal: SandboxPortal, tmp_path: Path
) -> None:
    root = tmp_path / "team"
    with HubSpotClient(portal.access_token, base_url=portal.base_url, cache=False) as client:
        lookup_to_dataset(client.fetcher, portal.sample_utks(3), root, LookupOptions())
        with pytest.raises(InvalidOptionError, match="access='world' is not valid"):
            set_dataset_access(root, "world")  # type: ignore[arg-type]
        with DatasetLock(root), pytest.raises(DatasetInUseError):
            set_dataset_access(root, "group")
        assert stat.S_IMODE(root.stat().st_mode) == 0o700  # nothing changed
        assert set_dataset_access(root, "group") > 10
        assert stat.S_IMODE(root.stat().st_mode) == 0o750
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the group may read it: no warning
            lookup_to_dataset(client.fetcher, portal.sample_utks(5), root, LookupOptions())
        root.chmod(0o755)
        with pytest.warns(UserWarning, match=r"open to other users: its mode is 0755") as got:
            lookup_to_dataset(client.fetcher, portal.sample_utks(6), root, LookupOptions())
        assert "chmod -R o-rwx" in str(got[0].message)
        set_dataset_access(root, "private")
        modes = {stat.S_IMODE(p.stat().st_mode) for p in [root, *root.rglob("*")]}
        assert modes == {0o700, 0o600}
        assert "access" not in open_dataset(root).manifest
