"""The sandbox command line: argument parsing, `run()` in-process, and `python -m` for real."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import requests

from hubutk_pandas.connection import DEMO_CONTACTS, DEMO_SEED
from hubutk_pandas.sandbox import cli

from .helpers import BY_UTK


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_defaults_and_options() -> None:
    args = _parse()
    # The portal the sample visits come from, as connect() and the demo start it.
    assert (args.port, args.contacts, args.seed, args.rate_limit) == (
        8765, DEMO_CONTACTS, DEMO_SEED, (100, 10_000),
    )  # fmt: skip
    assert args.daily_limit is None and args.faults is None
    args = _parse(
        "--port",
        "0",
        "--contacts",
        "5000",
        "--rate-limit",
        "10/2",
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


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("100/10", (100, 10_000)),  # N/SECONDS, as the client's and the proxy's --rate-limit
        ("190/10", (190, 10_000)),
        ("5/0.5", (5, 500)),
        ("100/10000", (100, 10_000)),  # the old MAX/MS spelling still works
        ("10/2000", (10, 2000)),
    ],
)
def test_rate_limit_is_n_per_seconds_and_the_old_spelling_still_works(
    text: str, rate: tuple[int, int]
) -> None:
    assert _parse("--rate-limit", text).rate_limit == rate


@pytest.mark.parametrize("text", ["ten", "100", "0/10", "10/0", "10/-1", "1/0.0001"])
def test_a_refused_rate_says_n_per_seconds(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _parse("--rate-limit", text)
    assert f"{text!r} is not N/SECONDS with N >= 1 and SECONDS > 0" in capsys.readouterr().err


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


def test_the_sample_constants_are_connects() -> None:
    # The sandbox imports nothing of the client side, so it keeps its own copy.
    assert (cli.SAMPLE_CONTACTS, cli.SAMPLE_SEED) == (DEMO_CONTACTS, DEMO_SEED)


def _serve(args: argparse.Namespace, capsys: pytest.CaptureFixture[str]) -> tuple[str, Any]:
    """Start ``run(args)`` in a thread; its printed lines once it serves, and the stopper."""
    stop = threading.Event()
    thread = threading.Thread(target=cli.run, args=(args,), kwargs={"stop": stop})
    thread.start()
    out, deadline = "", time.monotonic() + 10
    while "Ctrl-C" not in out and time.monotonic() < deadline:
        out += capsys.readouterr().out
        time.sleep(0.02)

    def close() -> None:
        stop.set()
        thread.join(10)

    return out, close


def test_the_default_portal_is_the_sample_visits_and_says_how_to_look_them_up(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from hubutk_pandas.cli import main

    out, close = _serve(_parse("--port", "0"), capsys)
    try:
        assert f"({DEMO_CONTACTS} contacts, seed {DEMO_SEED}; rate limit 100 per 10 s)" in out
        command = out.split("\n  hubutk lookup ", 1)[1].split("\n")[0]
        sample, rest = command.split(" ", 1)
        assert Path(sample).name == "visitors.csv" and rest == "--out results/"
        lines = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
        monkeypatch.setenv("HUBSPOT_BASE_URL", lines["HUBSPOT_BASE_URL"])
        monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", lines["HUBSPOT_ACCESS_TOKEN"])
        monkeypatch.delenv("HUBSPOT_API_KEY", raising=False)
        # What the printed command does, on a slice of the file (quick).
        visits = pd.read_csv(sample, dtype="string", keep_default_na=False).head(300)
        visits.to_csv(tmp_path / "visits.csv", index=False)
        capsys.readouterr()
        out_dir = tmp_path / "results"
        assert main(["lookup", str(tmp_path / "visits.csv"), "--out", str(out_dir), "--no-cache",
                     "--quiet"]) == 0  # fmt: skip
        contacts = pd.read_csv(out_dir / "contacts.csv")
        distinct = visits["utk"].str.strip().replace("", pd.NA).dropna().nunique()
        assert len(contacts) > distinct * 0.7  # most visitors are contacts of this portal
    finally:
        close()


def test_another_portal_says_which_one_the_sample_visits_need(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out, close = _serve(_parse("--port", "0", "--contacts", "1000", "--seed", "0"), capsys)
    close()
    assert "come from another portal: start this one with --contacts 20000 --seed 2026" in out


def test_ctrl_c_just_after_the_banner_is_a_clean_stop(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Ctrl-C landing after "Press Ctrl-C to stop." but before the wait began exits 0."""

    def interrupted(close: Any, stop: Any = None, **kwargs: Any) -> None:
        raise KeyboardInterrupt  # as a Ctrl-C between the last print and the wait

    monkeypatch.setattr(cli, "serve_until_stopped", interrupted)
    assert cli.run(_parse("--port", "0", "--contacts", "10")) == 0
    printed = capsys.readouterr().out
    assert "Press Ctrl-C to stop." in printed
    base_url = next(
        line.split("=", 1)[1]
        for line in printed.splitlines()
        if line.startswith("HUBSPOT_BASE_URL=")
    )
    with pytest.raises(requests.ConnectionError):  # the portal was closed: its port is free
        requests.get(base_url + BY_UTK, timeout=2)
