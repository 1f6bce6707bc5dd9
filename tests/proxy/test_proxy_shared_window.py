"""``hubutk proxy`` and a notebook on one credential share one rate window.

The proxy is a process of its own (``python -m hubutk_pandas.proxy``), its client a normal
:class:`~hubutk_pandas.HubSpotClient` on the default window (``"machine"``, in its cache
folder); this test process plays the notebook, with a lookup on the same folder's window,
while browsers keep the proxy busy with cold utks. Together they must stay under the
sandbox's window of 10 requests per rolling second: a handful of 429s at most (each
pacing alone, they earn dozens), and nothing lost on either side.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from hubutk_pandas.client import HubSpotClient
from hubutk_pandas.sandbox import SandboxPortal
from tests.proxy.conftest import ORIGIN, Wire

pytestmark = [pytest.mark.slow, pytest.mark.system, pytest.mark.timeout(180)]

BY_UTK = "/contacts/v1/contact/byUtk/batch/"
FAST = {"backoff_factor": 0.01, "backoff_max": 0.05, "max_retry_time": 30.0, "timeout": 10.0}


def _start_proxy(portal: SandboxPortal, cache_home: Path) -> tuple[subprocess.Popen[bytes], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUBSPOT_", "HUBUTK_"))}
    env.update(
        HUBSPOT_ACCESS_TOKEN=portal.access_token,
        HUBSPOT_BASE_URL=portal.base_url,
        XDG_CACHE_HOME=str(cache_home),
        PYTHONUNBUFFERED="1",
    )
    args = [
        sys.executable, "-m", "hubutk_pandas.proxy", "--port", "0",
        "--allow-origin", ORIGIN, "--properties", "firstname",
        "--client-rate", "1000/1", "--rate-limit", "10/1",
        # one address stands for four browsers here: the per-client budget of HubSpot calls
        # (20 per 10 min by default) is not what this test is about
        "--client-budget", "100000/600",
    ]  # fmt: skip
    process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    while True:
        line = process.stdout.readline().decode()
        assert line and time.monotonic() < deadline, "the proxy did not start"
        if " on http://" in line:
            return process, line.split(" on ")[1].split()[0]


def test_a_proxy_and_a_notebook_on_one_credential_stay_under_the_limit_together(
    tmp_path: Path,
) -> None:
    with SandboxPortal(contacts=6000, rate_limit=(10, 1000), latency=0.02) as portal:
        utks = portal.sample_utks(2000)
        portal.prebuild(utks)
        proxy, url = _start_proxy(portal, tmp_path)
        statuses: list[int] = []
        stop = threading.Event()

        def browser(mine: list[str]) -> None:  # cold utks, five at a time
            wire = Wire(url)
            for start in range(0, len(mine), 5):
                if stop.is_set():
                    return
                answer = wire.get(
                    BY_UTK, {"utk": mine[start : start + 5]}, headers={"Origin": ORIGIN}
                )
                statuses.append(answer.status)

        browsers = [
            threading.Thread(target=browser, args=(utks[1000 + 200 * i : 1200 + 200 * i],))
            for i in range(4)
        ]
        try:
            portal.reset_stats()
            for thread in browsers:
                thread.start()
            with HubSpotClient(
                portal.access_token,
                base_url=portal.base_url,
                cache=False,
                rate_window=tmp_path / "hubutk-pandas",  # the proxy's cache folder
                rate_limit=(10, 1.0),
                max_url_length=1100,
                **FAST,
            ) as notebook:
                result = notebook.lookup_utks(utks[:1000], progress=False, properties=["email"])
                usage_seen = notebook.rate_window_usage()
            stop.set()
            for thread in browsers:
                thread.join(60)
        finally:
            stop.set()
            proxy.send_signal(signal.SIGINT)
            proxy.communicate(timeout=30)
        by_status = portal.stats.by_status
    assert len(result.contacts) == 1000
    assert statuses and set(statuses) == {200}, sorted(set(statuses))
    assert by_status[200] >= 40 + 10  # the lookup's 40 requests, and the proxy's
    assert by_status[429] <= 3, by_status
    # Seen from the notebook as its lookup ended: the proxy (another process) in the window.
    assert usage_seen.processes >= 1 and usage_seen.others >= 1, usage_seen
