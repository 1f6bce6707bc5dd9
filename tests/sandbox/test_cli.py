"""The sandbox command line: argument parsing, `run()` in-process, and `python -m` for real."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import requests

from hubutk_pandas.sandbox import cli

from .helpers import BY_UTK


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_defaults_and_options() -> None:
    args = _parse()
    assert (args.port, args.contacts, args.seed, args.rate_limit) == (8765, 1000, 0, (100, 10_000))
    assert args.daily_limit is None and args.faults is None
    args = _parse(
        "--port",
        "0",
        "--contacts",
        "5000",
        "--rate-limit",
        "10/2000",
        "--daily-limit",
        "7",
        "--latency",
        "0.1",
        "--fault-rate",
        "0.2",
        "--faults",
        "502,drop",
    )
    assert (args.contacts, args.rate_limit, args.daily_limit) == (5000, (10, 2000), 7)
    assert (args.latency, args.fault_rate, args.faults) == (0.1, 0.2, ["502", "drop"])


@pytest.mark.parametrize("argv", [["--rate-limit", "ten"], ["--faults", "502,boom"]])
def test_bad_options_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        _parse(*argv)
    assert exc.value.code == 2
    assert argv[0] in capsys.readouterr().err


def test_run_prints_credentials_and_serves(capsys: pytest.CaptureFixture[str]) -> None:
    stop = threading.Event()
    codes: list[int] = []
    thread = threading.Thread(
        target=lambda: codes.append(cli.run(_parse("--port", "0"), stop=stop))
    )
    thread.start()
    try:
        out, deadline = "", time.monotonic() + 5
        while "Ctrl-C" not in out and time.monotonic() < deadline:
            out += capsys.readouterr().out
            time.sleep(0.02)
        lines = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
        utk = out.split("sample utk: ")[1].split()[0]
        resp = requests.get(
            lines["HUBSPOT_BASE_URL"] + BY_UTK,
            params={"utk": utk},
            headers={"Authorization": f"Bearer {lines['HUBSPOT_ACCESS_TOKEN']}"},
            timeout=5,
        )
        assert resp.status_code == 200 and list(resp.json()) == [utk]
        assert lines["HUBSPOT_API_KEY"]
    finally:
        stop.set()
        thread.join(5)
    assert codes == [0]


def test_python_dash_m_runs_until_interrupted() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "hubutk_pandas.sandbox", "--port", "0", "--contacts", "5000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(4)]
        info = dict(line.strip().split("=", 1) for line in lines if "=" in line)
        resp = requests.get(
            info["HUBSPOT_BASE_URL"] + "/properties/v1/contacts/properties",
            params={"hapikey": info["HUBSPOT_API_KEY"]},
            timeout=5,
        )
        assert resp.status_code == 200 and resp.json()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
