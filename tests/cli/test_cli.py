"""The hubutk command line, connect() and the demo, against the sandbox over loopback."""

from __future__ import annotations

import argparse
import gc
import json
import tempfile
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
    assert "6 utks matched 6 contacts, 2 missing" in captured.out
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
            "--column", "token", "--out", str(out), "--format", "dataset", *FULL_ARGS]  # fmt: skip
    assert main(argv) == 0, capsys.readouterr().err
    captured = capsys.readouterr()
    assert "26 utks matched 26 contacts, 2 missing; wrote the dataset" in captured.out
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
        for fmt in ("csv", "dataset"):
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
    spills = tmp_path / "tmp"
    spills.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spills))  # where DuckDB's spill folder goes
    argv = ["lookup", str(tmp_path / "v.csv"), "--column", "token", "--out", str(tmp_path / "o")]
    for fmt in ("csv", "dataset"):
        assert main([*argv, "--no-cache", "--format", fmt]) == 1
        err = capsys.readouterr().err
        assert "Authentication credentials not found" in err
        assert "pat-na1-not-a-real-token" not in err
        assert not (tmp_path / "o").exists()  # refused before anything is written
        gc.collect()
        # The inputs' reader was never read: its connection and spill folder went with it
        # (they were left behind, one folder a refused run).
        assert list(spills.iterdir()) == []


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


@pytest.mark.slow
def test_demo_looks_up_the_sample_visitors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # any folder: the sample ships in the package
    out = tmp_path / "demo-output"
    assert main(["demo"]) == 0
    text = capsys.readouterr().out
    assert "Contacts found:" in text
    assert "Top sources (contacts):" in text
    assert "Lifecycle stages (contacts at each stage now):" in text
    assert "Marketing Qualified Lead" in text
    assert "Funnel (contacts that got at least this far" in text
    assert "Lead -> customer: median" in text
    written = {p.name for p in out.iterdir()}
    assert {f"{name}.csv" for name in FRAMES} <= written
    assert {"current_stages.png", "funnel.png", "sources.png", "form_submissions.png"} <= written
    contacts = pd.read_csv(out / "contacts.csv")
    missing = pd.read_csv(out / "missing.csv")
    visitors = pd.read_csv(VISITORS, dtype="string", keep_default_na=False)
    distinct = visitors["utk"].str.strip().replace("", pd.NA).dropna().nunique()
    assert len(contacts) + len(missing) == distinct
    assert (out / "sources.png").read_bytes().startswith(b"\x89PNG")


# -- --format: one name per thing written ---------------------------------------------------


def test_format_parquet_files_writes_flat_parquet_and_dataset_a_dataset(
    portal_env: SandboxPortal, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_visitors(portal_env, tmp_path / "v.csv")
    argv = ["lookup", str(tmp_path / "v.csv"), "--column", "token", "--no-cache"]
    assert main([*argv, "--out", str(tmp_path / "files"), "--format", "parquet-files"]) == 0
    files = tmp_path / "files"
    assert {p.name for p in files.iterdir()} == {f"{name}.parquet" for name in FRAMES}
    assert len(pd.read_parquet(files / "contacts.parquet")) == 6
    assert main([*argv, "--out", str(tmp_path / "ds"), "--format", "dataset"]) == 0
    assert open_dataset(tmp_path / "ds").counts["contacts"] == 6
    assert "deprecated" not in capsys.readouterr().err


def test_the_old_format_parquet_still_works_with_a_deprecation_warning(
    portal_env: SandboxPortal, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_visitors(portal_env, tmp_path / "v.csv")
    out = tmp_path / "ds"
    argv = ["lookup", str(tmp_path / "v.csv"), "--column", "token", "--out", str(out)]
    assert main([*argv, "--no-cache", "--format", "parquet"]) == 0
    err = capsys.readouterr().err
    assert "warning: --format parquet is deprecated; it means --format dataset" in err
    assert open_dataset(out).complete  # as before: `lookup --format parquet` was a dataset


def test_the_demo_takes_parquet_files_and_the_old_spelling_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    visitors = tmp_path / "visitors.csv"
    pd.read_csv(VISITORS, dtype="string", keep_default_na=False).head(40).to_csv(
        visitors, index=False
    )  # quick
    out = tmp_path / "demo"
    assert (
        main(["demo", "--visitors", str(visitors), "--out", str(out), "--format", "parquet"]) == 0
    )
    err = capsys.readouterr().err
    assert "--format parquet is deprecated; it means --format parquet-files" in err
    assert (out / "contacts.parquet").exists() and (out / "wide.parquet").exists()
    assert not (out / "contacts.csv").exists()


def test_an_unknown_format_lists_the_current_names(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["lookup", "v.csv", "--format", "feather"])
    assert stopped.value.code == 2
    assert "invalid format 'feather' (choose from csv, parquet-files, dataset)" in (
        capsys.readouterr().err
    )


def test_refresh_with_a_dataset_is_refused_before_any_request(
    portal_env: SandboxPortal, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_visitors(portal_env, tmp_path / "v.csv")
    portal_env.reset_stats()
    out = tmp_path / "ds"
    for fmt in ("dataset", "parquet"):
        with pytest.raises(SystemExit) as stopped:
            main(["lookup", str(tmp_path / "v.csv"), "--column", "token", "--out", str(out),
                  "--format", fmt, "--refresh"])  # fmt: skip
        assert stopped.value.code == 2
        assert "--refresh does not apply to --format dataset" in capsys.readouterr().err
    assert portal_env.stats.requests == 0
    assert not out.exists()


# -- help: every default, in shell words ----------------------------------------------------


def _help(capsys: pytest.CaptureFixture[str], *command: str) -> str:
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    return capsys.readouterr().out


@pytest.mark.parametrize(
    "command",
    [(), ("lookup",), ("sandbox",), ("demo",), ("proxy",), ("forget",), ("cache",),
     ("cache", "info"), ("cache", "clear")],
)  # fmt: skip
def test_help_shows_every_options_default(
    capsys: pytest.CaptureFixture[str], command: tuple[str, ...]
) -> None:
    from hubutk_pandas.cli.parser import build_parser

    parser = build_parser()
    for word in command:  # down to the (sub)command's own parser
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[word]
    text = _help(capsys, *command)
    assert parser.description or not command, "the command says what it does"
    # The help's entries: a line "  --flag ..." and the deeper-indented lines after it.
    entries: dict[str, str] = {}
    head = ""
    for line in text.splitlines():
        if line.startswith("  -"):
            head = line.split()[0].rstrip(",")
            entries[head] = line
        elif line.startswith("   ") and head:
            entries[head] += line
        else:
            head = ""
    optional = [
        a
        for a in parser._actions
        if a.option_strings and not a.required and a.default is not argparse.SUPPRESS
    ]
    assert len(optional) >= (15 if command == ("lookup",) else 0 if command == ("cache",) else 1)
    for action in optional:
        entry = " ".join(entries[action.option_strings[0]].split())
        assert "default" in entry, entry
        described = entry.split(None, 1 + (action.nargs != 0))[-1]  # past "--flag METAVAR"
        assert len(described.replace("(default", "").split()) >= 3, f"undescribed: {entry}"
    for python in ("None", "True", "False", "``"):  # shell words, not Python
        assert python not in text.split(), (command, python)


def test_lookup_help_speaks_shell_not_python(capsys: pytest.CaptureFixture[str]) -> None:
    text = " ".join(_help(capsys, "lookup").split())
    for python in ("None", "True", "False", "``", "result.history", "(100, 10.0)"):
        assert python not in text, python
    assert "--properties NAMES only these properties, comma-separated" in text
    assert "(default: every property that has a value)" in text
    assert "--show-list-memberships also fetch list memberships" in text
    assert "(default: off)" in text
    assert "--rate-limit N/SECONDS" in text and "default: 100/10" in text
    assert (
        "--max-workers N requests in flight at once (default: 16 for each 100 requests of "
        "the rate limit, from 16 to 40)" in text
    )
    assert "--out OUT output folder (default: results)" in text
    assert "(default: csv up to 50,000 distinct utks, dataset above them" in text
    assert "--quiet, -q print errors and warnings only" in text


def test_sandbox_help_speaks_n_per_seconds(capsys: pytest.CaptureFixture[str]) -> None:
    text = " ".join(_help(capsys, "sandbox").split())
    assert "--rate-limit N/SECONDS at most N requests per rolling SECONDS" in text
    assert "the old MAX/MS spelling (100/10000) still works (default: 100/10)" in text
    assert "MAX/MS such as" not in text and "--rate-limit MAX/MS" not in text
    assert "--contacts CONTACTS portal size (default: 20000, with --seed 2026 the portal " in text


def test_demo_help_says_what_the_demo_does(capsys: pytest.CaptureFixture[str]) -> None:
    text = " ".join(_help(capsys, "demo").split())
    assert "no portal and no credential" in text
    assert "sandbox portal (synthetic data)" in text
    assert "--visitors CSV a CSV of visits with a utk column (default: the sample" in text
    assert "--format {csv,parquet-files}" in text


# -- client settings from the command line --------------------------------------------------


def test_client_settings_flags_reach_the_client(
    portal: SandboxPortal,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", portal.access_token)  # no HUBSPOT_BASE_URL
    write_visitors(portal, tmp_path / "v.csv")
    argv = ["lookup", str(tmp_path / "v.csv"), "--column", "token", "--no-cache"]
    settings = ["--base-url", portal.base_url, "--rate-limit", "190/10", "--max-workers", "2"]
    portal.reset_stats()
    assert main([*argv, *settings, "--out", str(tmp_path / "o")]) == 0
    assert "6 utks matched 6 contacts, 2 missing" in capsys.readouterr().out
    assert portal.stats.requests > 0  # it was the flag that pointed the client here


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--max-workers", "0", "--max-workers=0 is not valid; use an integer >= 1"),
        ("--rate-limit", "100", "'100' is not N/SECONDS with N >= 1 and SECONDS > 0"),
        ("--rate-limit", "0/10", "'0/10' is not N/SECONDS with N >= 1 and SECONDS > 0"),
        ("--timeout", "soon", "'soon' is not a number of seconds"),
        ("--timeout", "0", "--timeout=0.0 is not valid; use a number >= 0.001"),
        ("--max-retries", "2.5", "'2.5' is not a whole number"),
        ("--expire-after", "-1", "'-1' is neither a number of seconds >= 0 nor never"),
        ("--base-url", "api.hubapi.com", "--base-url='api.hubapi.com' is not valid"),
    ],
)
def test_a_refused_client_setting_names_the_flag(
    capsys: pytest.CaptureFixture[str], flag: str, value: str, message: str
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["lookup", "v.csv", flag, value])
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


# -- credentials, said for a shell ----------------------------------------------------------


@pytest.mark.parametrize("command", [["lookup", "v.csv"], ["proxy", "--allow-origin",
                                     "https://a.example", "--properties", "email"]])  # fmt: skip
def test_no_credential_says_what_to_set_in_a_shell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    assert main(command) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert err.startswith("error: No HubSpot credential. Create a Service Key in HubSpot")
    assert "(Development > Keys)" in err and "crm.objects.contacts.read" in err
    assert "set the HUBSPOT_ACCESS_TOKEN environment variable" in err
    assert "run `hubutk demo`" in err and "`hubutk sandbox`" in err
    for python in ("connect(", "hubutk_pandas.", "access_token="):
        assert python not in err


# -- --quiet, and big inputs never silently in memory --------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "dataset"])
def test_quiet_prints_nothing_but_problems(
    portal_env: SandboxPortal, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    write_visitors(portal_env, tmp_path / "v.csv")
    argv = ["lookup", str(tmp_path / "v.csv"), "--column", "token", "--no-cache",
            "--out", str(tmp_path / fmt), "--format", fmt]  # fmt: skip
    assert main([*argv, "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "HubSpot" not in captured.err  # no progress bar
    assert "warning: 1 value cannot be a utk" in captured.err  # warnings still said
    assert (tmp_path / fmt).exists()
    assert main([*argv, "-q", "--column", "nope"]) == 1  # errors too
    assert "column 'nope' is not in" in capsys.readouterr().err


def _big_input(portal: SandboxPortal, path: Path, n: int) -> list[str]:
    utks = portal.sample_utks(n)
    pd.DataFrame({"utk": utks + utks[:3]}).to_csv(path, index=False)
    return utks


def test_a_big_input_without_format_streams_to_a_dataset_and_says_so(
    portal_env: SandboxPortal,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("hubutk_pandas.cli.lookup.MEMORY_UTKS", 20)
    utks = _big_input(portal_env, tmp_path / "v.csv", 30)
    out = tmp_path / "out"
    assert main(["lookup", str(tmp_path / "v.csv"), "--out", str(out), "--no-cache"]) == 0
    captured = capsys.readouterr()
    assert "note: more than 20 distinct utks: streaming them into a dataset" in captured.err
    assert "say --format csv to hold them in memory" in captured.err
    ds = open_dataset(out)
    assert ds.complete and ds.to_pandas("contacts")["utk"].tolist() == utks  # none lost
    small = tmp_path / "small.csv"
    pd.DataFrame({"utk": utks[:20]}).to_csv(small, index=False)
    assert main(["lookup", str(small), "--out", str(tmp_path / "flat"), "--no-cache"]) == 0
    assert (tmp_path / "flat" / "contacts.csv").exists()  # at the threshold: CSV files
    assert "note:" not in capsys.readouterr().err


def test_a_big_input_held_in_memory_on_request_is_said(
    portal_env: SandboxPortal,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("hubutk_pandas.cli.lookup.MEMORY_UTKS", 20)
    utks = _big_input(portal_env, tmp_path / "v.csv", 30)
    out = tmp_path / "out"
    argv = ["lookup", str(tmp_path / "v.csv"), "--out", str(out), "--no-cache"]
    assert main([*argv, "--format", "csv"]) == 0
    err = capsys.readouterr().err
    assert "note: more than 20 distinct utks, held in memory for --format csv" in err
    assert pd.read_csv(out / "contacts.csv")["utk"].tolist() == utks


def test_a_bug_of_ours_surfaces_with_its_traceback_not_as_an_error_line(
    portal_env: SandboxPortal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the errors a user can act on become ``error: ...``; a KeyError of ours does not."""
    write_visitors(portal_env, tmp_path / "visitors.csv")

    def broken(*args: object, **kwargs: object) -> list[Path]:
        raise KeyError("a bug in writing the files")

    monkeypatch.setattr("hubutk_pandas.result.LookupResult.to_files", broken)
    with pytest.raises(KeyError, match="a bug in writing the files"):
        main(["lookup", str(tmp_path / "visitors.csv"), "--column", "token",
              "--out", str(tmp_path / "out"), "--no-cache", "--quiet"])  # fmt: skip


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"", "No columns to parse"),
        (b"\xff\xfe\x00bad", "codec can't decode"),
        (b'utk,page\nu1\n"unclosed,/\n', "EOF inside string"),
    ],
)
def test_the_demo_says_which_visits_file_it_cannot_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, said: str
) -> None:
    visits = tmp_path / "visits.csv"
    visits.write_bytes(content)
    assert main(["demo", "--visitors", str(visits), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert f"error: cannot read the visits {str(visits)!r}" in err and said in err
    assert not (tmp_path / "out").exists()  # nothing was looked up or written


def test_a_missing_column_or_an_unreadable_input_is_an_error_line(
    portal_env: SandboxPortal, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_visitors(portal_env, tmp_path / "visitors.csv")
    (tmp_path / "visits.xlsx").write_text("not a table")
    portal_env.reset_stats()
    assert main(["lookup", str(tmp_path / "visitors.csv"), "--column", "utk"]) == 1
    assert "error: column 'utk' is not in" in capsys.readouterr().err
    assert main(["lookup", str(tmp_path / "visits.xlsx")]) == 1
    assert "its name does not end in one of" in capsys.readouterr().err
    assert portal_env.stats.requests == 0
