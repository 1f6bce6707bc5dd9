"""connect() says what it is: a sandbox client's repr and the fallback's notice say so."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

from hubutk_pandas import HubSpotClient, SandboxClient, connect
from hubutk_pandas.sandbox import SandboxPortal

NOTICE_LOGGER = "hubutk_pandas.connection"


def test_a_fallback_to_the_sandbox_says_synthetic_data_in_one_line_and_in_its_repr(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger=NOTICE_LOGGER):
        client = connect(contacts=50, seed=3)  # no credential in the test environment
    with client:
        assert isinstance(client, SandboxClient)
        assert "sandbox (synthetic data)" in repr(client) and "sandbox" in str(client)
        assert client.sandbox.access_token not in repr(client)
        notices = [r for r in caplog.records if r.name == NOTICE_LOGGER]
        assert [r.levelno for r in notices] == [logging.WARNING]
        text = notices[0].getMessage()
        assert "sandbox (synthetic data)" in text and client.sandbox.base_url in text
        assert "\n" not in text and "HUBSPOT_ACCESS_TOKEN" in text


def test_an_asked_for_sandbox_needs_no_warning_but_its_repr_still_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger=NOTICE_LOGGER):
        client = connect(sandbox=True, contacts=50)
    with client:
        assert "sandbox (synthetic data)" in repr(client)
        levels = [r.levelno for r in caplog.records if r.name == NOTICE_LOGGER]
        assert levels == [logging.INFO]


def test_a_real_portal_is_not_called_a_sandbox(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with SandboxPortal(contacts=10) as portal:
        monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", portal.access_token)
        monkeypatch.setenv("HUBSPOT_BASE_URL", portal.base_url)
        with caplog.at_level(logging.INFO, logger=NOTICE_LOGGER), connect(cache=False) as real:
            assert type(real) is HubSpotClient
            assert "sandbox" not in repr(real)
        assert not [r for r in caplog.records if r.name == NOTICE_LOGGER]


def test_the_notice_reaches_a_user_who_configured_no_logging() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUBSPOT_")}
    code = (
        "import hubutk_pandas\n"
        "with hubutk_pandas.connect(contacts=10) as client:\n"
        "    print(repr(client))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "sandbox (synthetic data)" in lines[0], done.stderr
    assert "sandbox (synthetic data)" in done.stdout
