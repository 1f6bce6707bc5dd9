"""A dataset knows its source: the portal and the credential that made it, even when nothing
matched; another portal, or a credential HubSpot does not vouch for, is refused; its missing
utks can be looked up again, and only those."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from hubutk_pandas import DatasetError, HubSpotClient, InvalidOptionError, open_dataset
from hubutk_pandas.cli import main
from hubutk_pandas.sandbox import SandboxPortal

from .helpers import tree_bytes

CONTACT_PATHS = ("/contacts/v1/contact/byUtk/batch/", "/contacts/v1/contact/utks/batch/")


def _client(portal: SandboxPortal, token: str | None = None, **kwargs: object) -> HubSpotClient:
    return HubSpotClient(token or portal.access_token, base_url=portal.base_url, cache=False,
                         **kwargs)  # type: ignore[arg-type]  # fmt: skip


def test_a_dataset_where_nothing_matched_still_knows_its_portal_and_credential(
    tmp_path: Path,
) -> None:
    with SandboxPortal(contacts=200, seed=4) as portal, _client(portal) as client:
        ds = client.lookup_utks(portal.unknown_utks(30), progress=False, out=tmp_path / "ds")
    assert ds.complete and ds.counts["contacts"] == 0 and ds.counts["missing"] == 30
    source = ds.manifest["source"]
    assert source["portal_id"] == portal.portal_id  # it was null: known from a match only
    assert re.fullmatch("[0-9a-f]{16}", source["credential_fingerprint"])
    assert re.fullmatch("[0-9a-f]{32}", source["salt"])  # the dataset's own
    for data in tree_bytes(ds.path).values():
        assert portal.access_token.encode() not in data and portal.api_key.encode() not in data


def test_the_right_credential_after_the_wrong_one_is_refused_though_nothing_matched(
    tmp_path: Path,
) -> None:
    # The trap: a dataset made with the wrong token, every utk not_found, portal unknown,
    # answered "complete; 40 utks: 0 matched" to the right token, sending no request.
    out = tmp_path / "ds"
    with SandboxPortal(contacts=300, seed=1) as right:
        wrong = right.add_account(seed=99, contacts=300)
        utks = right.sample_utks(40)
        with _client(right, wrong.access_token) as client:
            ds = client.lookup_utks(utks, progress=False, out=out)
        assert ds.counts["contacts"] == 0 and ds.counts["missing"] == 40
        assert ds.manifest["source"]["portal_id"] == wrong.portal_id
        before = tree_bytes(out)
        right.reset_stats()
        with _client(right) as client:
            expected = (
                f"holds portal {wrong.portal_id}'s answers; this lookup's credential is for "
                f"portal {right.portal_id}. Use another folder per portal"
            )
            with pytest.raises(DatasetError, match=re.escape(expected)):
                client.lookup_utks(utks, progress=False, out=out)
            with pytest.raises(DatasetError, match="holds portal"):
                client.lookup_utks(utks, progress=False, out=out, retry_missing=True)
        assert not any(path in right.stats.by_path for path in CONTACT_PATHS)
        assert tree_bytes(out) == before  # nothing changed
        # The right credential in a new folder finds them.
        with _client(right) as client:
            fresh = client.lookup_utks(utks, progress=False, out=tmp_path / "right")
        assert fresh.counts["contacts"] == 40


def test_another_credential_of_the_same_portal_continues_it(tmp_path: Path) -> None:
    # A rotated key or a refreshed OAuth token: HubSpot says which portal it is for.
    out = tmp_path / "ds"
    with SandboxPortal(contacts=300, seed=3) as portal:
        utks = portal.sample_utks(30)
        with _client(portal) as client:
            client.lookup_utks(utks[:10], progress=False, out=out)
        first = open_dataset(out).manifest["source"]["credential_fingerprint"]
        with (
            pytest.warns(UserWarning, match="API key"),
            HubSpotClient(api_key=portal.api_key, base_url=portal.base_url, cache=False) as other,
        ):
            ds = other.lookup_utks(utks, progress=False, out=out)
    assert ds.counts["contacts"] == 30
    assert ds.manifest["source"]["credential_fingerprint"] != first  # the one now in use


def test_retry_missing_looks_up_only_the_missing_utks_and_adds_what_now_matches(
    tmp_path: Path,
) -> None:
    out = tmp_path / "ds"
    with SandboxPortal(contacts=300, seed=2) as portal, _client(portal) as client:
        known = portal.sample_utks(60)
        unknown = portal.unknown_utks(5)
        later = known[40:]  # visitors who are not contacts yet
        portal.hide(*later)
        with pytest.warns(UserWarning, match="1 value cannot be a utk"):
            ds = client.lookup_utks([*known, *unknown, "bad;utk"], progress=False, out=out)
        assert (ds.counts["contacts"], ds.counts["missing"]) == (40, 26)
        portal.reveal()  # they became contacts
        portal.reset_stats()
        ds = client.lookup_utks([*known, *unknown], progress=False, out=out)
        assert portal.stats.requests == 0  # a plain rerun keeps what the dataset found
        assert ds.counts["contacts"] == 40
        ds = client.lookup_utks([], progress=False, out=out, retry_missing=True)
        assert portal.stats.utks_requested == 25  # the 20 and the 5 unknown, nothing else
        assert ds.complete and ds.pending == 0
        contacts = ds.to_pandas("contacts")
        assert sorted(contacts["utk"]) == sorted(known) and contacts["utk"].is_unique
        missing = ds.to_pandas("missing")
        assert sorted(missing["utk"]) == sorted([*unknown, "bad;utk"])
        assert (ds.counts["contacts"], ds.counts["missing"]) == (60, 6)
        assert len(ds.to_pandas("properties")) > 0 and set(
            ds.to_pandas("properties")["vid"]
        ) == set(contacts["vid"])
        portal.reset_stats()
        ds = client.lookup_utks([], progress=False, out=out, retry_missing=True)
        assert portal.stats.utks_requested == 5  # still unknown: asked again, still missing
        assert (ds.counts["contacts"], ds.counts["missing"]) == (60, 6)


def test_retry_missing_needs_a_dataset_and_a_bool(tmp_path: Path) -> None:
    with SandboxPortal(contacts=50, seed=2) as portal, _client(portal) as client:
        portal.reset_stats()
        with pytest.raises(InvalidOptionError, match="retry_missing=True needs out="):
            client.lookup_utks(portal.sample_utks(2), retry_missing=True)
        with pytest.raises(InvalidOptionError, match="retry_missing='yes' is not valid"):
            client.lookup_utks([], out=tmp_path / "ds", retry_missing="yes")  # type: ignore[call-overload]
        assert portal.stats.requests == 0 and not (tmp_path / "ds").exists()


def test_the_cli_retries_missing_utks_with_a_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with SandboxPortal(contacts=300, seed=2) as portal:
        monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", portal.access_token)
        monkeypatch.setenv("HUBSPOT_BASE_URL", portal.base_url)
        utks = portal.sample_utks(12)
        pd.DataFrame({"utk": utks}).to_csv(tmp_path / "v.csv", index=False)
        portal.hide(*utks[:4])
        argv = ["lookup", str(tmp_path / "v.csv"), "--out", str(tmp_path / "ds"), "--no-cache",
                "-q"]  # fmt: skip
        assert main([*argv, "--format", "dataset"]) == 0
        assert open_dataset(tmp_path / "ds").counts["missing"] == 4
        portal.reveal()
        assert main([*argv, "--retry-missing"]) == 0  # implies --format dataset
        ds = open_dataset(tmp_path / "ds")
        assert (ds.counts["contacts"], ds.counts["missing"]) == (12, 0)
        with pytest.raises(SystemExit):
            main([*argv, "--retry-missing", "--format", "csv"])
        assert "--retry-missing does not apply to --format csv" in capsys.readouterr().err
    manifest = json.loads((tmp_path / "ds" / "_manifest.json").read_text())
    assert manifest["source"]["portal_id"] == portal.portal_id
