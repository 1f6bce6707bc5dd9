"""The README's examples run, in order, as a reader would, so that they cannot drift again.

Its ``python`` blocks run in one namespace; its ``console`` blocks' ``$`` commands run as
typed (``hubutk ...`` and ``.venv/bin/hubutk ...`` through :func:`hubutk_pandas.cli.main`;
the servers, ``hubutk sandbox`` and ``hubutk proxy``, in a process of their own, stopped with
Ctrl-C), and the lines a block shows after a command must be what it prints (``...`` stands
for anything). They run against the sandbox portal the sample visits come from, its
credentials in ``HUBSPOT_ACCESS_TOKEN`` and ``HUBSPOT_BASE_URL`` as a reader would export
them, in an empty folder holding the files the examples name (the sample visits at
``notebooks/data/visitors.csv``, and as ``logs/2026-*.csv`` and ``extra.parquet``).

Not run: ``make demo`` and ``make test`` (``make test`` runs this test; ``make demo`` is
``hubutk demo``, tested in tests/cli), and ``export`` lines (the test sets those variables).
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import hubutk_pandas
from hubutk_pandas.accessor import close_default_clients
from hubutk_pandas.cli import main
from hubutk_pandas.connection import DEMO_CONTACTS, DEMO_SEED
from hubutk_pandas.sandbox import SandboxPortal

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SAMPLE = ROOT / "hubutk_pandas" / "data" / "visitors.csv"
BLOCK = re.compile(r"^```(python|console)\n(.*?)^```", re.S | re.M)
NOT_RUN = ("make demo", "make test")
SERVERS = ("sandbox", "proxy")


def blocks() -> list[tuple[int, str, str]]:
    """``(line, language, text)`` of each python and console block, in order."""
    text = README.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 1, m[1], m[2]) for m in BLOCK.finditer(text)]


def commands(text: str) -> list[tuple[str, list[str]]]:
    """Each ``$`` command of a console block and the output lines shown after it."""
    out: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("$ "):
            out.append((line[2:], []))
        elif out and line.strip() and not line.lstrip().startswith("#"):
            out[-1][1].append(line)
    return out


def _shown(expected: list[str], printed: str) -> None:
    """Each line shown must be printed, in order; ``...`` matches anything, ports vary."""
    lines = [re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", x) for x in printed.splitlines()]
    at = 0
    for want in expected:
        if want.strip() == "...":
            continue
        pattern = re.escape(re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", want))
        pattern = "^" + pattern.replace(re.escape("..."), ".*") + "$"
        while at < len(lines) and not re.match(pattern, lines[at]):
            at += 1
        assert at < len(lines), f"the README shows {want!r}; the command printed:\n{printed}"
        at += 1


def _server(argv: list[str], shown: list[str]) -> None:
    """Start a server command, check what it prints, ask it something, stop it with Ctrl-C."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "hubutk_pandas.cli", *argv, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        printed, deadline = "", time.monotonic() + 60
        while "Press Ctrl-C to stop." not in printed and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            printed += line
        assert "Press Ctrl-C to stop." in printed, (
            printed,
            proc.stderr.read() if proc.stderr else "",
        )
        _shown(shown, printed)
        if argv[0] == "proxy":  # it answers
            url = re.search(r"hubutk proxy on (\S+)", printed)
            assert url is not None
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            with opener.open(url[1].rstrip("/") + "/healthz", timeout=10) as answer:
                assert answer.status == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _shell(command: str, shown: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    words = shlex.split(command, comments=True)
    if command.startswith(NOT_RUN):
        return
    if words[0] == "export":
        name = words[1].split("=", 1)[0]
        assert os.environ.get(name), f"{name} is exported by the README and set by this test"
        return
    assert words[0] in ("hubutk", ".venv/bin/hubutk"), f"a command this test cannot run: {command}"
    argv = words[1:]
    if argv[0] in SERVERS:
        _server(argv, shown)
        return
    capsys.readouterr()
    status = main(argv)
    printed = capsys.readouterr()
    assert status == 0, (command, printed.err)
    _shown(shown, printed.out)


@pytest.fixture
def reader_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder holding the files the examples name."""
    (tmp_path / "notebooks" / "data").mkdir(parents=True)
    (tmp_path / "notebooks" / "data" / "visitors.csv").write_bytes(SAMPLE.read_bytes())
    visits = pd.read_csv(SAMPLE, dtype="string", keep_default_na=False)
    (tmp_path / "logs").mkdir()
    half = len(visits) // 2
    visits.iloc[:half].to_csv(tmp_path / "logs" / "2026-01.csv", index=False)
    visits.iloc[half:-100].to_csv(tmp_path / "logs" / "2026-02.csv", index=False)
    visits.iloc[-100:].to_parquet(tmp_path / "extra.parquet")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.slow
def test_the_readme_examples_run_as_written(
    reader_folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    found = blocks()
    assert sum(lang == "python" for _, lang, _ in found) >= 6
    assert sum(lang == "console" for _, lang, _ in found) >= 6
    with SandboxPortal(contacts=DEMO_CONTACTS, seed=DEMO_SEED, rate_limit=(1000, 1000)) as portal:
        monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", portal.access_token)
        monkeypatch.setenv("HUBSPOT_BASE_URL", portal.base_url)
        # The opening line looks up a frame of visits the reader already has.
        namespace: dict[str, Any] = {
            "visitors": pd.read_csv(SAMPLE, dtype="string", keep_default_na=False)
        }
        ran = 0
        try:
            for line, lang, text in found:
                where = f"README.md, the {lang} block at line {line}"
                with warnings.catch_warnings():
                    # the sample's odd cells and N/A revenues are announced, as they should be
                    warnings.filterwarnings("ignore", "wide\\(\\)", UserWarning)
                    warnings.filterwarnings("ignore", ".*cannot be a utk", UserWarning)
                    warnings.simplefilter("error", FutureWarning)  # no deprecated spelling
                    warnings.simplefilter("error", DeprecationWarning)
                    try:
                        if lang == "python":
                            exec(compile(text, where, "exec"), namespace)
                        else:
                            for command, shown in commands(text):
                                _shell(command, shown, capsys)
                    except Exception as exc:
                        raise AssertionError(f"{where} failed: {exc!r}") from exc
                ran += 1
                plt.close("all")
        finally:
            for value in namespace.values():
                if isinstance(value, hubutk_pandas.HubSpotClient):
                    value.close()
            close_default_clients()
    assert ran == len(found)
    # What the examples made is what they say.
    assert namespace["ds"].complete and (reader_folder / "visits-ds" / "_manifest.json").exists()
    assert hubutk_pandas.open_dataset(reader_folder / "logs-ds").complete
    assert (reader_folder / "results" / "wide.parquet").exists()
    assert namespace["ds"].counts["missing"] == 246  # "N/A" sent as a utk: read one way


def test_the_readme_reads_the_sample_one_way() -> None:
    """Every read_csv of the sample visits in the README keeps "N/A" a cell (246 missing)."""
    text = README.read_text(encoding="utf-8")
    reads = re.findall(r"read_csv\([^)]*visitors\.csv[^)]*\)", text)
    assert reads and all("keep_default_na=False" in r for r in reads), reads
