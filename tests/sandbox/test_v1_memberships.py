"""What v1 reads hold for list memberships: HubSpot of today by default, old answers on demand."""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from hubutk_pandas.sandbox import SandboxPortal, cli

from .helpers import BY_UTK, UTKS, batch, get

SHOW = {"showListMemberships": "true"}


def _members(portal: SandboxPortal, n: int = 40) -> list[str]:
    """Utks of contacts that are in at least one list."""
    utks = [u for u in portal.sample_utks(n) if portal.list_memberships(u)]
    assert len(utks) >= 5
    return utks


@pytest.fixture(scope="module")
def today() -> Iterator[SandboxPortal]:
    with SandboxPortal(contacts=300, seed=12) as portal:
        yield portal


@pytest.mark.parametrize("path", [BY_UTK, UTKS])
def test_by_default_v1_batches_carry_no_membership_key(today: SandboxPortal, path: str) -> None:
    utks = _members(today)
    body = batch(today, utks, path, **SHOW)
    assert len(body) == len(utks)
    assert all("list-memberships" not in record for record in body.values())
    # Visitors, which carried an empty array, carry none either; the rest of the record stays.
    visitors = batch(today, today.sample_utks(3, kind="visitor"), path, **SHOW)
    assert all("list-memberships" not in r and "identity-profiles" in r for r in visitors.values())


def test_by_default_profile_reads_carry_none_either(today: SandboxPortal) -> None:
    utk = _members(today)[0]
    resp = get(today, f"/contacts/v1/contact/utk/{utk}/profile")
    assert resp.status_code == 200
    record = resp.json()
    assert "list-memberships" not in record and record["form-submissions"] is not None


def test_the_empty_array_variant_is_selectable_and_switchable() -> None:
    with SandboxPortal(contacts=300, seed=12, v1_memberships="empty") as portal:
        utks = _members(portal)
        body = batch(portal, utks, **SHOW)
        assert [r["list-memberships"] for r in body.values()] == [[]] * len(utks)
        assert all("list-memberships" not in r for r in batch(portal, utks).values())  # not asked
        profile = get(portal, f"/contacts/v1/contact/utk/{utks[0]}/profile").json()
        assert profile["list-memberships"] == []
        portal.configure(v1_memberships="absent")
        assert all("list-memberships" not in r for r in batch(portal, utks, **SHOW).values())
        portal.configure(v1_memberships="legacy")
        assert all(r["list-memberships"] for r in batch(portal, utks, **SHOW).values())


def test_the_legacy_mode_serves_the_pre_2026_entries() -> None:
    with SandboxPortal(contacts=300, seed=12, v1_memberships="legacy") as portal:
        utks = _members(portal)
        body = batch(portal, utks, **SHOW)
        for utk, record in body.items():
            entries = record["list-memberships"]
            assert (
                entries
                and entries == portal.record(utk, show_list_memberships=True)["list-memberships"]
            )  # type: ignore[index]
            for entry in entries:
                assert set(entry) == {
                    "static-list-id",
                    "internal-list-id",
                    "timestamp",
                    "vid",
                    "is-member",
                }
                assert entry["vid"] == record["vid"] and entry["is-member"] is True
            assert len(entries) == len(portal.list_memberships(utk) or [])


def test_every_mode_answers_the_rest_of_the_record_identically() -> None:
    answers = []
    for mode in ("absent", "empty", "legacy"):
        with SandboxPortal(contacts=300, seed=12, v1_memberships=mode) as portal:
            body = batch(portal, _members(portal), propertyMode="value_and_history", **SHOW)
            answers.append(
                {
                    u: {k: v for k, v in r.items() if k != "list-memberships"}
                    for u, r in body.items()
                }
            )
    assert answers[0] == answers[1] == answers[2]


def test_record_follows_the_portal_mode_unless_told(today: SandboxPortal) -> None:
    utk = _members(today)[0]
    assert "list-memberships" not in today.record(utk, show_list_memberships=True)  # type: ignore[operator]
    legacy = today.record(utk, show_list_memberships=True, v1_memberships="legacy")
    assert legacy is not None and legacy["list-memberships"]


def test_a_bad_mode_is_refused_before_anything_changes() -> None:
    with pytest.raises(ValueError, match="v1_memberships must be one of absent, empty, legacy"):
        SandboxPortal(contacts=10, v1_memberships="pre-2026")
    with SandboxPortal(contacts=50, seed=1, v1_memberships="legacy") as portal:
        with pytest.raises(ValueError, match="v1_memberships"):
            portal.configure(v1_memberships="old", latency=0.5)
        utks = portal.sample_utks(20)
        shown = batch(portal, utks, **SHOW)
        assert all("list-memberships" in r for r in shown.values())  # still legacy


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_the_command_line_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert _parse().v1_memberships == "absent"
    with pytest.raises(SystemExit):
        _parse("--v1-memberships", "yes")
    assert "--v1-memberships" in capsys.readouterr().err
    stop, codes = threading.Event(), []
    thread = threading.Thread(
        target=lambda: codes.append(
            cli.run(
                _parse(
                    "--port", "0", "--contacts", "300", "--seed", "12", "--v1-memberships", "legacy"
                ),
                stop=stop,
            )
        )
    )
    thread.start()
    try:
        out, deadline = "", time.monotonic() + 10
        while "Ctrl-C" not in out and time.monotonic() < deadline:
            out += capsys.readouterr().out
            time.sleep(0.02)
        lines = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
        with SandboxPortal(contacts=300, seed=12) as twin:  # the same data: pick list members
            utks = _members(twin)
        resp = requests.get(
            lines["HUBSPOT_BASE_URL"] + BY_UTK,
            params={"utk": utks, **SHOW},
            headers={"Authorization": f"Bearer {lines['HUBSPOT_ACCESS_TOKEN']}"},
            timeout=5,
        )
        assert resp.status_code == 200
        assert all(r["list-memberships"] for r in resp.json().values())
    finally:
        stop.set()
        thread.join(5)
    assert codes == [0]
