"""``client.check()`` and ``hubutk doctor``: a good, a contacts-only and a refused credential."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from hubutk_pandas.cli import main
from hubutk_pandas.doctor import (
    CHECKS,
    Check,
    CheckReport,
    Probes,
    check_portal,
    report_from_mapping,
    run_checks,
)
from hubutk_pandas.sandbox import SandboxPortal
from hubutk_pandas.settings import ClientSettings
from tests.conftest import MakeClient

NAMES = [
    "credential",
    "contacts scope",
    "lists scope",
    "rate limits",
    "rate window",
    "cache folder",
    "portal",
    "support horizon",
]


@pytest.fixture(scope="module")
def portal_of_today() -> Iterator[SandboxPortal]:
    with SandboxPortal(contacts=200, seed=21, daily_limit=5000) as portal:
        yield portal


def _shown(report: CheckReport) -> str:
    """Every form a report is shown in."""
    return "\n".join([str(report), repr(report), report._repr_html_(), report.to_json()])


def test_a_good_credential_passes_every_check_with_two_requests(
    portal_of_today: SandboxPortal, make_client: MakeClient, tmp_path: Path
) -> None:
    client = make_client(portal_of_today, cache=tmp_path / "cache")
    portal_of_today.reset_stats()
    report = client.check()
    assert portal_of_today.stats.requests == 2  # the contacts probe, the lists probe
    assert [c.name for c in report] == NAMES
    assert report.ok and report.lookups_work, report
    assert report["credential"].detail == "accepted (token)"
    assert report["lists scope"].detail.startswith("crm.lists.read granted")
    limits = report["rate limits"].detail
    assert "burst: 100 requests per 10 s for this app (Free/Starter tier)" in limits
    assert "calls left of 5,000" in limits
    assert str(tmp_path / "cache") in report["cache folder"].detail
    assert report["portal"].detail.startswith("not HubSpot: http://127.0.0.1:")
    assert "September 2027" in report["support horizon"].detail
    assert portal_of_today.access_token not in _shown(report)
    assert report.summary() == "Everything works."


def test_a_contacts_only_credential_is_told_how_to_add_the_lists_scope(
    portal_of_today: SandboxPortal, make_client: MakeClient
) -> None:
    account = portal_of_today.add_account(seed=21, scopes=["crm.objects.contacts.read"])
    report = make_client(portal_of_today, account.access_token).check()
    assert report.lookups_work and not report.ok  # lookups work, without memberships
    lists = report["lists scope"]
    assert not lists.ok and not lists.blocking
    assert "crm.lists.read" in lists.detail and "2026-04-30" in lists.detail
    assert "Development > Keys" in lists.fix and "crm.lists.read" in lists.fix
    assert report["credential"].ok and report["contacts scope"].ok
    assert [c.name for c in report.failed] == ["lists scope"]
    assert account.access_token not in _shown(report)


def test_a_refused_credential_fails_at_once_and_blocks_lookups(
    portal_of_today: SandboxPortal, make_client: MakeClient
) -> None:
    account = portal_of_today.add_account(seed=22)
    portal_of_today.revoke(account.access_token)
    client = make_client(portal_of_today, account.access_token)
    portal_of_today.reset_stats()
    report = client.check()
    assert portal_of_today.stats.requests == 1  # the lists probe is not sent
    assert not report.lookups_work
    credential = report["credential"]
    assert not credential.ok and credential.blocking and "401" in credential.detail
    assert "Development > Keys" in credential.fix and "HUBSPOT_ACCESS_TOKEN" in credential.fix
    assert report["contacts scope"].detail == "not checked (see credential)"
    assert account.access_token not in _shown(report)


def test_a_credential_without_the_contacts_scope_blocks_lookups(
    portal_of_today: SandboxPortal, make_client: MakeClient
) -> None:
    account = portal_of_today.add_account(seed=23, scopes=["crm.lists.read"])
    report = make_client(portal_of_today, account.access_token).check()
    scope = report["contacts scope"]
    assert not scope.ok and scope.blocking and "crm.objects.contacts.read" in scope.fix
    assert report["credential"].ok and report["lists scope"].ok
    assert not report.lookups_work


def test_a_legacy_api_key_is_named(portal_of_today: SandboxPortal, make_client: MakeClient) -> None:
    with pytest.warns(UserWarning):
        client = make_client(portal_of_today, api_key=portal_of_today.api_key)
    report = client.check()
    assert report["credential"].detail == "accepted (legacy API key)"
    assert portal_of_today.api_key not in _shown(report)


def test_the_tier_and_the_daily_calls_come_from_hubspots_headers(make_client: MakeClient) -> None:
    with SandboxPortal(contacts=50, rate_limit=(190, 10_000), daily_limit=625_000) as portal:
        report = make_client(portal).check()
        limits = report["rate limits"]
        assert "190 requests per 10 s for this app (Professional/Enterprise tier)" in limits.detail
        assert "the client paces at 100 requests per 10 s" in limits.detail
        assert "rate_limit=(190, 10)" in limits.fix
        assert "624,998 calls left of 625,000" in limits.detail  # two requests spent


def test_a_spent_daily_limit_blocks_lookups(make_client: MakeClient) -> None:
    with SandboxPortal(contacts=50, daily_limit=1) as portal:
        client = make_client(portal)
        client.lookup_utks(portal.sample_utks(1), progress=False)  # the day's one call
        report = client.check()
        limits = report["rate limits"]
        assert not limits.ok and limits.blocking and "daily limit is spent" in limits.detail
        assert not report.lookups_work
        assert report["credential"].ok  # HubSpot counts only authenticated calls
        assert report["lists scope"].detail == "not checked (see rate limits)"
        assert [c.name for c in report.failed] == ["contacts scope", "lists scope", "rate limits"]


def test_an_unwritable_cache_folder_is_reported(
    portal_of_today: SandboxPortal, make_client: MakeClient, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    client = make_client(portal_of_today, cache=cache)
    for item in cache.iterdir():  # the folder is replaced by a file under the client's feet
        item.unlink()
    cache.rmdir()
    cache.write_text("not a folder")
    line = client.check()["cache folder"]
    assert not line.ok and line.blocking and "cache=False" in line.fix


def test_without_a_cache_there_is_nothing_to_write(
    portal_of_today: SandboxPortal, make_client: MakeClient
) -> None:
    line = make_client(portal_of_today).check()["cache folder"]
    assert line.ok and line.detail.startswith("no cache")


def test_the_portal_line_tells_hubspot_from_the_sandbox() -> None:
    hubspot = ClientSettings(
        base_url="https://api.hubapi.com", credential_kind="access_token", cache_dir=None
    )
    assert check_portal(Probes(hubspot)).detail == "HubSpot (https://api.hubapi.com): a real portal"
    sandbox = ClientSettings(base_url="http://127.0.0.1:8765", credential_kind="access_token",
                             cache_dir=None)  # fmt: skip
    assert check_portal(Probes(sandbox)).detail.startswith("not HubSpot: http://127.0.0.1:8765")


def test_after_the_support_horizon_the_line_fails_without_blocking(
    portal_of_today: SandboxPortal, make_client: MakeClient
) -> None:
    client = make_client(portal_of_today)
    late = run_checks(client.fetcher, client.settings, today=dt.date(2027, 10, 1))  # type: ignore[arg-type]
    horizon = late["support horizon"]
    assert not horizon.ok and not horizon.blocking and late.lookups_work
    early = run_checks(client.fetcher, client.settings, today=dt.date(2026, 12, 6))  # type: ignore[arg-type]
    assert "about 9 months" in early["support horizon"].detail


def test_an_extra_check_takes_its_place_in_the_report(
    portal_of_today: SandboxPortal, make_client: MakeClient
) -> None:
    def window_share(probes: Probes) -> Check:
        left = probes.rate_limits.get("remaining")
        return Check("window", left is not None, f"{left} requests left in the window")

    client = make_client(portal_of_today)
    report = run_checks(client.fetcher, client.settings, checks=(*CHECKS, window_share))  # type: ignore[arg-type]
    assert [c.name for c in report][-1] == "window" and report["window"].ok


def test_the_report_reads_well_in_jupyter_and_round_trips_as_json(
    portal_of_today: SandboxPortal, make_client: MakeClient
) -> None:
    account = portal_of_today.add_account(seed=21, scopes=["crm.objects.contacts.read"])
    report = make_client(portal_of_today, account.access_token).check()
    html = report._repr_html_()
    assert html.count("<tr>") == 1 + len(NAMES) and "Development &gt; Keys" in html
    assert "Check('lists scope', FAILED" in repr(report)
    assert report_from_mapping(json.loads(report.to_json())) == report


# -- hubutk doctor -----------------------------------------------------------------------


def _doctor(
    monkeypatch: pytest.MonkeyPatch, portal: SandboxPortal, token: str | None, *args: str
) -> int:
    monkeypatch.setenv("HUBSPOT_BASE_URL", portal.base_url)
    if token is None:
        monkeypatch.delenv("HUBSPOT_ACCESS_TOKEN", raising=False)
    else:
        monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", token)
    return main(["doctor", *args])


def test_hubutk_doctor_good_contacts_only_and_refused(
    portal_of_today: SandboxPortal,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _doctor(monkeypatch, portal_of_today, portal_of_today.access_token) == 0
    out = capsys.readouterr()
    assert "Everything works." in out.out and out.err == ""
    assert portal_of_today.access_token not in out.out

    partial = portal_of_today.add_account(seed=21, scopes=["crm.objects.contacts.read"])
    assert _doctor(monkeypatch, portal_of_today, partial.access_token) == 0
    out = capsys.readouterr()
    assert "!! lists scope" in out.out and "fix: Grant crm.lists.read" in out.out
    assert "Lookups work; to fix: lists scope." in out.out
    assert partial.access_token not in out.out + out.err

    refused = "pat-na1-00000000-0000-0000-0000-000000000000"
    assert _doctor(monkeypatch, portal_of_today, refused) == 1
    out = capsys.readouterr()
    assert "XX credential" in out.out and "Lookups cannot work" in out.out
    assert refused not in out.out + out.err


def test_hubutk_doctor_json_is_the_same_report(
    portal_of_today: SandboxPortal,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    partial = portal_of_today.add_account(seed=21, scopes=["crm.objects.contacts.read"])
    assert _doctor(monkeypatch, portal_of_today, partial.access_token, "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert [c["name"] for c in data["checks"]] == NAMES
    assert data["lookups_work"] is True and data["ok"] is False
    lists = next(c for c in data["checks"] if c["name"] == "lists scope")
    assert lists["ok"] is False and "crm.lists.read" in lists["fix"]
    assert set(lists) == {"name", "ok", "detail", "fix", "blocking"}

    refused = "pat-na1-11111111-0000-0000-0000-000000000000"
    assert _doctor(monkeypatch, portal_of_today, refused, "--json") == 1
    text = capsys.readouterr().out
    assert json.loads(text)["lookups_work"] is False and refused not in text


def test_hubutk_doctor_without_a_credential_says_what_to_do(
    portal_of_today: SandboxPortal,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    portal_of_today.reset_stats()
    assert _doctor(monkeypatch, portal_of_today, None) == 1
    out = capsys.readouterr().out
    assert "XX credential" in out and "Development > Keys" in out
    assert portal_of_today.stats.requests == 0


def test_hubutk_doctor_reports_an_unusable_cache_folder(
    portal_of_today: SandboxPortal,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    blocked = tmp_path / "xdg"
    blocked.write_text("a file where the cache folder's parent should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    assert _doctor(monkeypatch, portal_of_today, portal_of_today.access_token) == 1
    out = capsys.readouterr().out
    assert "XX cache folder" in out and "ok credential" in out
    # Without the cache, the per-user folder still holds the rate window this machine's
    # processes share: lookups work only pacing alone, which the fix says how to choose.
    assert _doctor(monkeypatch, portal_of_today, portal_of_today.access_token, "--no-cache") == 1
    assert "HUBUTK_RATE_WINDOW=client" in capsys.readouterr().out
    monkeypatch.setenv("HUBUTK_RATE_WINDOW", "client")
    assert _doctor(monkeypatch, portal_of_today, portal_of_today.access_token, "--no-cache") == 0


def test_the_report_shows_who_else_uses_the_rate_window(
    portal_of_today: SandboxPortal, make_client: MakeClient, tmp_path: Path
) -> None:
    """Another process on the token holds slots: the report's "rate window" line says so."""
    import subprocess
    import sys

    folder = tmp_path / "shared"
    script = (
        "import sys; from hubutk_pandas import HubSpotClient; "
        "c = HubSpotClient(sys.argv[1], base_url=sys.argv[2], cache=False, "
        "rate_window=sys.argv[3]); "
        "c.lookup_utks([f'{i:032x}' for i in range(600)], progress=False); c.close()"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, portal_of_today.access_token, portal_of_today.base_url,
         str(folder)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = make_client(portal_of_today, rate_window=folder).check()
    line = report["rate window"]
    assert line.ok and str(folder / "rate_window.sqlite") in line.detail
    # the other process's 6 requests, within the window, and the report's own 2 probes
    assert "(6 by 1 other processes" in line.detail and "2 by this client" in line.detail
    alone = make_client(portal_of_today, rate_window="client").check()["rate window"]
    assert alone.detail.startswith("client window memory") and "paces alone" in alone.fix
