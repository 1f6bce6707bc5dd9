"""Errors that finish the sentence: which credential HubSpot refused and what to run next; a
network failure with its cause (a refused connection, a name that does not resolve)."""

from __future__ import annotations

import socket
import tempfile
from pathlib import Path

import pytest

from hubutk_pandas import AuthenticationError, HubSpotClient, LookupFailedError, ServerError
from hubutk_pandas.cli import main
from hubutk_pandas.sandbox import SandboxPortal

BAD_TOKEN = "pat-na1-00000000-0000-0000-0000-000000000000"
BAD_KEY = "00000000-aaaa-bbbb-cccc-000000000000"


@pytest.fixture
def env(portal: SandboxPortal, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("HUBSPOT_ACCESS_TOKEN", "HUBSPOT_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HUBSPOT_BASE_URL", portal.base_url)
    return monkeypatch


def _refusal(client: HubSpotClient, portal: SandboxPortal, *, out: bool) -> str:
    with client, pytest.raises(AuthenticationError) as caught:
        where = tempfile.mkdtemp() + "/ds" if out else None
        client.lookup_utks(portal.sample_utks(3), progress=False, out=where)
    return str(caught.value)


@pytest.mark.parametrize("out", [False, True], ids=["memory", "dataset"])
def test_a_refused_token_says_which_credential_and_what_to_run(
    env: pytest.MonkeyPatch, portal: SandboxPortal, out: bool
) -> None:
    env.setenv("HUBSPOT_ACCESS_TOKEN", BAD_TOKEN)
    text = _refusal(HubSpotClient(cache=False), portal, out=out)
    assert text.startswith("HubSpot refused the access token from HUBSPOT_ACCESS_TOKEN: ")
    assert "Authentication credentials not found" in text  # HubSpot's own words, kept
    assert "Run `hubutk doctor` (client.check() in Python)" in text
    assert "HTTP 401" in text and BAD_TOKEN not in text
    by_argument = _refusal(HubSpotClient(BAD_TOKEN, cache=False), portal, out=out)
    assert "the access token from the access_token argument" in by_argument


def test_a_refused_api_key_says_api_keys_are_refused(
    env: pytest.MonkeyPatch, portal: SandboxPortal
) -> None:
    env.setenv("HUBSPOT_API_KEY", BAD_KEY)
    with pytest.warns(UserWarning, match="retired API keys"):
        client = HubSpotClient(cache=False)
    text = _refusal(client, portal, out=False)
    assert text.startswith("HubSpot refused the API key from HUBSPOT_API_KEY: ")
    assert "HubSpot has refused API keys since 2022-11-30" in text
    assert "hubutk doctor" in text and BAD_KEY not in text


def test_the_cli_says_which_credential_was_refused(
    env: pytest.MonkeyPatch,
    portal: SandboxPortal,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env.setenv("HUBSPOT_ACCESS_TOKEN", BAD_TOKEN)
    (tmp_path / "v.csv").write_text("utk\n" + "\n".join(portal.sample_utks(3)) + "\n")
    for fmt in ("csv", "dataset"):
        argv = ["lookup", str(tmp_path / "v.csv"), "--out", str(tmp_path / fmt), "--no-cache"]
        assert main([*argv, "--format", fmt]) == 1
        err = " ".join(capsys.readouterr().err.split())
        assert "error: HubSpot refused the access token from HUBSPOT_ACCESS_TOKEN" in err
        assert "Run `hubutk doctor`" in err and BAD_TOKEN not in err


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed when the block ends: nothing listens


@pytest.mark.parametrize(
    ("base_url", "cause"),
    [
        (f"http://127.0.0.1:{_closed_port()}", "Connection refused"),
        ("http://no-such-host.invalid", "Failed to resolve 'no-such-host.invalid'"),
    ],
    ids=["refused", "dns"],
)
def test_a_network_failure_keeps_its_cause(base_url: str, cause: str) -> None:
    with (
        HubSpotClient(BAD_TOKEN, base_url=base_url, cache=False, max_retries=0) as client,
        pytest.raises((ServerError, LookupFailedError)) as caught,
    ):
        client.lookup_utks(["0" * 32], progress=False)
    text = str(caught.value)
    assert "network error talking to HubSpot: ConnectionError: " in text
    assert cause in text, text  # it said "ConnectionError" and no more
    assert BAD_TOKEN not in text
