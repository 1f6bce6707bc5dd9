"""``python -m hubutk_pandas.proxy`` and ``hubutk proxy`` as processes, against the sandbox."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from hubutk_pandas._serve import serve_until_stopped
from hubutk_pandas.cli import main as hubutk_main
from hubutk_pandas.sandbox import SandboxPortal
from tests.proxy.conftest import ORIGIN, Wire

pytestmark = pytest.mark.timeout(120)

BY_UTK = "/contacts/v1/contact/byUtk/batch/"


def _env(upstream: SandboxPortal, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUBSPOT_")}
    env.update(
        HUBSPOT_ACCESS_TOKEN=upstream.access_token,
        HUBSPOT_BASE_URL=upstream.base_url,
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.mark.parametrize(
    "command",
    [["-m", "hubutk_pandas.proxy"], ["-m", "hubutk_pandas.cli", "-v", "proxy"]],
    ids=["python -m hubutk_pandas.proxy", "hubutk -v proxy"],
)
def test_the_command_serves_prints_its_setup_and_never_the_token_or_a_utk(
    upstream: SandboxPortal, tmp_path: Path, command: list[str]
) -> None:
    args = [
        sys.executable,
        *command,
        "--port",
        "0",
        "--allow-origin",
        ORIGIN,
        "--properties",
        "firstname,city",
        "--client-rate",
        "50/10",
        "--daily-budget",
        "1000",
    ]
    stderr_path = tmp_path / "stderr.txt"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            args, env=_env(upstream, tmp_path), stdout=subprocess.PIPE, stderr=stderr
        )
    assert process.stdout is not None
    printed: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while not printed or not printed[-1].startswith("Press Ctrl-C"):
            line = process.stdout.readline().decode()
            assert line and time.monotonic() < deadline, (printed, stderr_path.read_text())
            printed.append(line.strip())
        url = printed[0].split(" on ")[1].split()[0]
        assert url.startswith("http://127.0.0.1:")
        assert f"allowed origins: {ORIGIN}" in printed
        assert "allowed properties: firstname, city" in printed
        assert any(line.startswith("budgets: 1,000 HubSpot calls in 24 hours") for line in printed)
        utks = upstream.sample_utks(3)
        wire = Wire(url)
        answer = wire.get(BY_UTK, {"utk": utks, "property": "email"}, headers={"Origin": ORIGIN})
        assert answer.status == 200
        assert all(record["properties"] == {} for record in answer.json().values())
        body = wire.get(BY_UTK, {"utk": utks}, headers={"Origin": ORIGIN}).json()
        assert {p for r in body.values() for p in r["properties"]} <= {"firstname", "city"}
        assert wire.get("/healthz", headers={"Origin": "https://evil.example"}).status == 403
        assert wire.get(BY_UTK, {"utk": utks}).status == 403  # no Origin: not a page
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    out = "\n".join(printed) + rest.decode()
    err = stderr_path.read_text()
    assert "utk_hash=" in err  # the access log
    for text in (out, err):
        assert upstream.access_token not in text
        assert not any(u in text for u in utks)
    for answer in wire.answers:
        assert upstream.access_token.encode() not in answer.raw()
    # Its HTTP cache is a folder of its own: its cap never trims the lookups' cache.
    assert (tmp_path / "cache" / "hubutk-pandas" / "proxy" / "http_cache.sqlite").is_file()
    assert not (tmp_path / "cache" / "hubutk-pandas" / "http_cache.sqlite").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["proxy", "--properties", "firstname"],  # no origin
        ["proxy", "--allow-origin", ORIGIN],  # no properties
        ["proxy", "--allow-origin", "*", "--properties", "firstname"],
        ["proxy", "--allow-origin", ORIGIN, "--properties", "*"],
        ["proxy", "--allow-origin", ORIGIN, "--properties", "a", "--client-rate", "fast"],
        ["proxy", "--allow-origin", ORIGIN, "--properties", "a", "--daily-budget", "0"],
        ["proxy", "--allow-origin", ORIGIN, "--properties", "a", "--max-wait", "-1"],
        ["proxy", "--allow-origin", ORIGIN, "--properties", "a", "--client-budget", "1"],
    ],
)
def test_the_command_refuses_missing_or_wildcard_options(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        hubutk_main(args)
    assert exit_.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_lookups_may_not_take_every_thread(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["proxy", "--allow-origin", ORIGIN, "--properties", "a", "--max-upstream", "16"]
    assert hubutk_main(args) == 1
    assert "--max-upstream 16 is not valid with --threads 16" in capsys.readouterr().err


def test_allow_lists_is_refused_at_start_with_the_reason() -> None:
    """Refused before a credential is read or a port opened (no token needed to learn why)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUBSPOT_")}
    for command in (
        ["-m", "hubutk_pandas.proxy"],
        ["-c", "import sys; from hubutk_pandas.cli import main; sys.exit(main(sys.argv[1:]))",
         "proxy"],
    ):  # fmt: skip
        done = subprocess.run(
            [sys.executable, *command, "--allow-origin", ORIGIN, "--properties", "firstname",
             "--allow-lists", "--port", "0", "--no-cache"],
            env=env, capture_output=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 1, done.stderr
        err = done.stderr.decode()
        assert "--allow-lists" in err and "2026-04-30" in err and "Lists API" in err
        assert "HUBSPOT_ACCESS_TOKEN" not in err  # refused before the credential is looked for
        assert "Traceback" not in err and "hubutk proxy on" not in done.stdout.decode()


def test_without_a_credential_it_says_so(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUBSPOT_")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "hubutk_pandas.proxy",
            "--allow-origin",
            ORIGIN,
            "--properties",
            "firstname",
            "--port",
            "0",
            "--no-cache",
        ],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert b"HUBSPOT_ACCESS_TOKEN" in done.stderr


def test_the_shared_serve_loop_closes_once_on_stop_or_ctrl_c() -> None:
    class CtrlC(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            raise KeyboardInterrupt

    closed: list[str] = []
    serve_until_stopped(lambda: closed.append("ctrl-c"), CtrlC())
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    serve_until_stopped(lambda: closed.append("stop"), stop, poll=0.05)
    assert closed == ["ctrl-c", "stop"] and time.monotonic() - started < 2
