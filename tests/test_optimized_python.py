"""The package under ``python -OO`` (docstrings stripped): nothing reads a docstring to work.

Some deployments and frozen apps run with ``-OO``. The options and settings are declared as
fields, so signatures, checks and the CLI's flags do not depend on docstrings; this runs a
real sandbox lookup in such an interpreter, in memory and to a dataset.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import contextlib, importlib, inspect, io, pkgutil, sys

    import pandas as pd

    import hubutk_pandas
    from hubutk_pandas import HubSpotClient, InvalidOptionError, LookupOptions
    from hubutk_pandas.cli import main
    from hubutk_pandas.sandbox import SandboxPortal

    assert sys.flags.optimize == 2 and LookupOptions.__doc__ is None, "not under -OO"
    for module in pkgutil.walk_packages(hubutk_pandas.__path__, "hubutk_pandas."):
        importlib.import_module(module.name)

    # The declared options: signature, checks, query.
    params = inspect.signature(HubSpotClient.lookup_utks).parameters
    assert params["property_mode"].default == "value_only", params
    try:
        LookupOptions(property_mode="history")
    except InvalidOptionError as exc:
        assert "choose from 'value_only', 'value_and_history'" in str(exc)
    else:
        raise AssertionError("a refused option was accepted")
    help_text = io.StringIO()
    with contextlib.redirect_stdout(help_text), contextlib.suppress(SystemExit):
        main(["lookup", "--help"])
    assert "--property-mode {value_only,value_and_history}" in help_text.getvalue()

    out = sys.argv[1]
    with SandboxPortal(contacts=100) as portal, HubSpotClient(
        portal.access_token, base_url=portal.base_url, cache=False
    ) as client:
        utks = portal.sample_utks(5)
        result = client.lookup_utks(
            [*utks, "nobody"], property_mode="value_and_history", progress=False
        )
        assert result.contacts["utk"].tolist() == utks
        assert result.missing["reason"].tolist() == ["not_found"]
        assert len(result.history) > 0
        wide = pd.DataFrame({"utk": utks}).hubspot.lookup_utks(client=client, progress=False)
        assert len(wide.contacts) == 5
        dataset = client.lookup_utks(utks, out=out, progress=False)
        assert dataset.counts["contacts"] == 5
    print("lookup under -OO:", len(result.contacts), "contacts")
    """
)


def test_a_sandbox_lookup_runs_under_python_OO(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-OO", "-c", SCRIPT, str(tmp_path / "ds")],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "lookup under -OO: 5 contacts" in done.stdout
