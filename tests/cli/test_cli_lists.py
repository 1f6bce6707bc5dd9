"""``hubutk lookup --show-list-memberships``: memberships from the Lists API, in files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from hubutk_pandas import open_dataset
from hubutk_pandas.cli import main
from hubutk_pandas.sandbox import SandboxPortal


def _visitors(portal: SandboxPortal, path: Path, n: int = 30) -> list[str]:
    utks = portal.sample_utks(n)
    pd.DataFrame({"utk": utks}).to_csv(path, index=False)
    return utks


def test_csv_and_dataset_both_hold_the_memberships_with_names(
    portal_env: SandboxPortal, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _visitors(portal_env, tmp_path / "v.csv")
    argv = ["lookup", str(tmp_path / "v.csv"), "--show-list-memberships", "--no-cache"]
    assert main([*argv, "--out", str(tmp_path / "csv")]) == 0, capsys.readouterr().err
    from_csv = pd.read_csv(tmp_path / "csv" / "list_memberships.csv")
    assert len(from_csv) > 10 and set(from_csv["source"]) == {"lists_api"}
    assert from_csv["list_name"].notna().all() and from_csv["processing_type"].notna().all()
    expected = {d["listId"]: d["name"] for d in portal_env.list_definitions()}
    pairs = zip(from_csv["list_id"], from_csv["list_name"], strict=True)
    assert all(expected[str(i)] == n for i, n in pairs)
    assert main([*argv, "--out", str(tmp_path / "ds"), "--format", "parquet"]) == 0
    on_disk = open_dataset(tmp_path / "ds").to_pandas("list_memberships")
    assert on_disk["list_id"].tolist() == from_csv["list_id"].astype(str).tolist()


def test_a_contacts_only_credential_is_refused_before_the_lookup(
    portal_env: SandboxPortal,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account = portal_env.add_account(seed=0, contacts=100, scopes=["crm.objects.contacts.read"])
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", account.access_token)
    _visitors(portal_env, tmp_path / "v.csv", 200)
    portal_env.reset_stats()
    argv = ["lookup", str(tmp_path / "v.csv"), "--show-list-memberships", "--no-cache"]
    for fmt in ("csv", "parquet"):
        assert main([*argv, "--out", str(tmp_path / fmt), "--format", fmt]) == 1
        err = capsys.readouterr().err
        assert "crm.lists.read" in err and "Development > Keys" in err
        assert account.access_token not in err
    assert not (tmp_path / "csv").exists() and not (tmp_path / "parquet").exists()
    assert portal_env.stats.by_path.get("/contacts/v1/contact/byUtk/batch/", 0) == 0
    assert portal_env.stats.requests == 2  # one probe per run, nothing else
