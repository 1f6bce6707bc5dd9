"""The hubutk command line, connect() and the demo, against the sandbox over loopback."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from hubutk_pandas import HubSpotClient, SandboxClient, connect, open_dataset
from hubutk_pandas.cli import main
from hubutk_pandas.frames import FRAME_NAMES
from hubutk_pandas.sandbox import SandboxPortal

FRAMES = {*FRAME_NAMES, "wide"}  # every frame, plus the typed wide table
VISITORS = Path(__file__).resolve().parents[2] / "notebooks" / "data" / "visitors.csv"
FULL_ARGS = ["--property-mode", "value_and_history", "--form-submission-mode", "all", "--no-cache"]


def write_visitors(portal: SandboxPortal, path: Path) -> list[str]:
    known = portal.sample_utks(5, kind="contact") + portal.sample_utks(1, kind="merged")
    cells = [*known, "", portal.unknown_utks(1)[0], known[0], "bad;value"]
    pd.DataFrame({"when": range(len(cells)), "token": cells}).to_csv(path, index=False)
    return known


def test_lookup_writes_every_frame_as_csv(
    portal_env: SandboxPortal, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    known = write_visitors(portal_env, tmp_path / "visitors.csv")
    out = tmp_path / "out"
    status = main(["lookup", str(tmp_path / "visitors.csv"), "--column", "token",
                   "--out", str(out), *FULL_ARGS])  # fmt: skip
    assert status == 0, capsys.readouterr().err
    assert {p.stem for p in out.iterdir()} == FRAMES
    contacts = pd.read_csv(out / "contacts.csv")
    assert contacts["utk"].tolist() == known
    missing = pd.read_csv(out / "missing.csv")
    assert sorted(missing["reason"]) == ["invalid", "not_found"]
    assert len(pd.read_csv(out / "history.csv")) > len(pd.read_csv(out / "properties.csv")) > 0
    merged = contacts["merged_vids"].iloc[-1]
    assert len(json.loads(merged)) >= 2  # the merged contact's list survives the round trip
    captured = capsys.readouterr()
    assert "6 contacts, 2 missing" in captured.out
    # A warning reads as one plain line in a terminal, not as a source location.
    assert "warning: 1 value cannot be a utk" in captured.err
    assert "UserWarning" not in captured.err


def test_lookup_streams_csv_parquet_and_json_lines_inputs_to_a_dataset(
    portal_env: SandboxPortal, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    known = write_visitors(portal_env, tmp_path / "a.csv")
    more = portal_env.sample_utks(40)[20:]
    logs = tmp_path / "logs"
    logs.mkdir()
    pd.DataFrame({"when": range(10), "token": [*more[:8], known[0], ""]}).to_parquet(
        logs / "b.parquet"
    )
    rows = [{"when": i, "token": u} for i, u in enumerate([*more[8:], known[1]])]
    (logs / "c.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "ds"
    argv = ["lookup", str(tmp_path / "a.csv"), str(logs / "*.parquet"), str(logs / "*.jsonl"),
            "--column", "token", "--out", str(out), "--format", "parquet", *FULL_ARGS]  # fmt: skip
    assert main(argv) == 0, capsys.readouterr().err
    captured = capsys.readouterr()
    assert "26 contacts, 2 missing; wrote the dataset" in captured.out
    assert "HubSpot lookup" in captured.err  # the progress bar
    ds = open_dataset(out)
    assert ds.complete and (out / "_manifest.json").exists()
    assert {p.name for p in out.iterdir() if not p.name.startswith("_")} == set(FRAME_NAMES)
    contacts = ds.to_pandas("contacts")
    assert contacts["utk"].tolist() == [*known, *more]  # first-seen order across the files
    assert ds.counts["history"] > ds.counts["properties"] > 0
    assert len(contacts["merged_vids"].iloc[5]) >= 2  # lists come back as lists
    portal_env.reset_stats()
    assert main(argv) == 0  # the same command again: everything is written, nothing fetched
    assert portal_env.stats.requests == 0


def test_lookup_explains_bad_inputs_before_any_request(
    portal_env: SandboxPortal, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_visitors(portal_env, tmp_path / "v.csv")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    (tmp_path / "other.csv").write_text("token,page\nabc,/\n")
    (tmp_path / "visits.xlsx").write_text("x")
    portal_env.reset_stats()
    cases = [
        (["v.csv"], "column 'utk' is not in"),
        (["broken.parquet", "--column", "token"], "cannot read"),
        (["v.csv", "other.csv", "--column", "token"], "mixed schema"),
        (["nothing-*.csv"], "no file matches"),
        (["missing.csv"], "no such file"),
        (["visits.xlsx"], "does not end in one of"),
    ]
    for args, message in cases:
        files = [str(tmp_path / a) if "." in a else a for a in args]
        for fmt in ("csv", "parquet"):
            out = tmp_path / f"out-{fmt}"
            assert main(["lookup", *files, "--out", str(out), "--format", fmt]) == 1
            err = capsys.readouterr().err
            assert message in err, (args, err)
            assert not out.exists()  # nothing written
    assert portal_env.stats.requests == 0


def test_lookup_reports_a_missing_column_and_a_refused_token(
    portal_env: SandboxPortal,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_visitors(portal_env, tmp_path / "v.csv")
    assert main(["lookup", str(tmp_path / "v.csv"), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "column 'utk' is not in" in err
    assert "'when', 'token'" in err
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "pat-na1-not-a-real-token")
    argv = ["lookup", str(tmp_path / "v.csv"), "--column", "token", "--out", str(tmp_path / "o")]
    for fmt in ("csv", "parquet"):
        assert main([*argv, "--no-cache", "--format", fmt]) == 1
        err = capsys.readouterr().err
        assert "Authentication credentials not found" in err
        assert "pat-na1-not-a-real-token" not in err
        assert not (tmp_path / "o").exists()  # refused before anything is written


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
    assert "Funnel (contacts that got at least this far" in text
    assert "Lead -> customer: median" in text
    written = {p.name for p in out.iterdir()}
    assert {f"{name}.csv" for name in FRAMES} <= written
    assert {"lifecycle_funnel.png", "funnel.png", "sources.png", "form_submissions.png"} <= written
    contacts = pd.read_csv(out / "contacts.csv")
    missing = pd.read_csv(out / "missing.csv")
    visitors = pd.read_csv(VISITORS, dtype="string", keep_default_na=False)
    distinct = visitors["utk"].str.strip().replace("", pd.NA).dropna().nunique()
    assert len(contacts) + len(missing) == distinct
    assert (out / "sources.png").read_bytes().startswith(b"\x89PNG")
