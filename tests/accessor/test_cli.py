"""The hubutk command line, connect() and the demo, against the sandbox over loopback."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from hubutk_pandas import HubSpotClient, SandboxClient, connect
from hubutk_pandas.cli import main
from hubutk_pandas.frames import FRAME_NAMES
from hubutk_pandas.sandbox import SandboxPortal

FRAMES = {*FRAME_NAMES, "wide"}  # every frame, plus the typed wide table
VISITORS = Path(__file__).resolve().parents[2] / "notebooks" / "data" / "visitors.csv"


def write_visitors(portal: SandboxPortal, path: Path) -> list[str]:
    known = portal.sample_utks(5, kind="contact") + portal.sample_utks(1, kind="merged")
    cells = [*known, "", portal.unknown_utks(1)[0], known[0], "bad;value"]
    pd.DataFrame({"when": range(len(cells)), "token": cells}).to_csv(path, index=False)
    return known


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_lookup_writes_every_frame(
    portal_env: SandboxPortal, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    known = write_visitors(portal_env, tmp_path / "visitors.csv")
    out = tmp_path / "out"
    status = main(
        [
            "lookup",
            str(tmp_path / "visitors.csv"),
            "--column",
            "token",
            "--out",
            str(out),
            "--format",
            fmt,
            "--property-mode",
            "value_and_history",
            "--form-submission-mode",
            "all",
            "--no-cache",
        ]
    )
    assert status == 0, capsys.readouterr().err
    assert {p.stem for p in out.iterdir()} == FRAMES
    read = pd.read_parquet if fmt == "parquet" else pd.read_csv
    contacts = read(out / f"contacts.{fmt}")
    assert contacts["utk"].tolist() == known
    missing = read(out / f"missing.{fmt}")
    assert sorted(missing["reason"]) == ["invalid", "not_found"]
    assert len(read(out / f"history.{fmt}")) > len(read(out / f"properties.{fmt}")) > 0
    merged = read(out / f"contacts.{fmt}")["merged_vids"].iloc[-1]
    as_list = json.loads(merged) if fmt == "csv" else list(merged)
    assert len(as_list) >= 2  # the merged contact's list survives the round trip
    captured = capsys.readouterr()
    assert "6 contacts, 2 missing" in captured.out
    # A warning reads as one plain line in a terminal, not as a source location.
    assert "warning: 1 value cannot be a utk" in captured.err
    assert "UserWarning" not in captured.err


def test_lookup_reports_a_missing_column_and_a_refused_token(
    portal_env: SandboxPortal,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_visitors(portal_env, tmp_path / "v.csv")
    assert main(["lookup", str(tmp_path / "v.csv"), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "'utk' is not in the frame" in err
    assert "'token'" in err
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "pat-na1-not-a-real-token")
    argv = ["lookup", str(tmp_path / "v.csv"), "--column", "token", "--out", str(tmp_path / "o")]
    assert main([*argv, "--no-cache"]) == 1
    err = capsys.readouterr().err
    assert "Authentication credentials not found" in err
    assert "pat-na1-not-a-real-token" not in err


def test_lookup_rejects_an_invalid_option_before_any_request(
    portal_env: SandboxPortal, tmp_path: Path
) -> None:
    write_visitors(portal_env, tmp_path / "v.csv")
    portal_env.reset_stats()
    with pytest.raises(SystemExit):
        main(["lookup", str(tmp_path / "v.csv"), "--property-mode", "all_of_it"])
    assert portal_env.stats.requests == 0


def test_connect_uses_the_sandbox_without_credentials_and_the_env_with_them(
    portal_env: SandboxPortal, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = connect(cache=False)
    try:
        assert type(real) is HubSpotClient
        assert real.settings.base_url == portal_env.base_url
    finally:
        real.close()
    monkeypatch.delenv("HUBSPOT_ACCESS_TOKEN")
    client = connect(contacts=50, seed=3)
    assert isinstance(client, SandboxClient)
    with client:
        utks = client.sandbox.sample_utks(2)
        assert client.lookup_utks(utks, progress=False).contacts["utk"].tolist() == utks
        assert client.sandbox.base_url != portal_env.base_url
    assert "stopped" in repr(client.sandbox)


def test_demo_looks_up_the_sample_visitors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # any folder: the sample ships in the package
    out = tmp_path / "demo-output"
    assert main(["demo"]) == 0
    text = capsys.readouterr().out
    assert "Contacts found:" in text
    assert "Top sources:" in text
    assert "Lifecycle stages:" in text
    written = {p.name for p in out.iterdir()}
    assert {f"{name}.csv" for name in FRAMES} <= written
    assert {"lifecycle_funnel.png", "sources.png", "form_submissions.png"} <= written
    contacts = pd.read_csv(out / "contacts.csv")
    missing = pd.read_csv(out / "missing.csv")
    visitors = pd.read_csv(VISITORS, dtype="string", keep_default_na=False)
    distinct = visitors["utk"].str.strip().replace("", pd.NA).dropna().nunique()
    assert len(contacts) + len(missing) == distinct
    assert (out / "sources.png").read_bytes().startswith(b"\x89PNG")
