"""Run by the mode tests in a child process whose umask is ``0o002`` (a permissive one).

``os.umask`` is process-wide, so it is set here, in a process of its own, never in the
test process. The child does real work against a sandbox portal over loopback, in the
folder given as ``argv[1]`` (which it first opens to everyone, as ``0o775``): lookups with
the HTTP cache and the record store (``cache/``) and the default per-user cache folder
(``XDG_CACHE_HOME`` is ``xdg/``), a dataset written in chunks (``visits/``) and enriched with
Dask (``enriched/``), a contact forgotten in ``visits/``, a dataset opened to the group
(``team/``) and written to after, tables written by ``to_files`` (``files/``), and the proxy
serving a browser's request from its own cache folder (``proxy-cache/``). It prints, as
JSON, every path under the folder with its mode, including the SQLite journal, WAL and
shared-memory files, caught while they exist, and what the two ``forget`` calls said about
the datasets.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import sys
import urllib.request
from pathlib import Path
from typing import Any

os.umask(0o002)

root = Path(sys.argv[1])
root.chmod(0o775)
os.environ["XDG_CACHE_HOME"] = str(root / "xdg")
for name in ("HUBSPOT_ACCESS_TOKEN", "HUBSPOT_API_KEY", "HUBSPOT_BASE_URL"):
    os.environ.pop(name, None)

import pandas as pd  # noqa: E402

from hubutk_pandas import HubSpotClient, LookupOptions  # noqa: E402
from hubutk_pandas.dataset import set_dataset_access  # noqa: E402
from hubutk_pandas.lookup import lookup_to_dataset  # noqa: E402
from hubutk_pandas.proxy import ProxyServer, make_app  # noqa: E402
from hubutk_pandas.sandbox import SandboxPortal  # noqa: E402

modes: dict[str, str] = {}
reports: list[Any] = []


def snapshot(*_: Any) -> None:
    """Record the mode of every path under the folder now (WAL files exist only while open)."""
    for path in [root, *root.rglob("*")]:
        modes[str(path.relative_to(root))] = oct(stat.S_IMODE(path.lstat().st_mode))


def journal_of(database: Path) -> None:
    """Hold a write transaction open so that SQLite creates the rollback journal; snapshot."""
    con = sqlite3.connect(database, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        table = "records" if database.name == "records.sqlite" else "responses"
        con.execute(f"DELETE FROM {table}")  # never committed
        assert Path(f"{database}-journal").exists(), database
        snapshot()
        con.execute("ROLLBACK")
    finally:
        con.close()


with SandboxPortal(contacts=300, rate_limit=(10_000, 10_000)) as portal:
    utks = portal.sample_utks(60)
    with HubSpotClient(portal.access_token, base_url=portal.base_url, cache=root / "cache") as c:
        c.lookup_utks(utks[:30], progress=False)
        c.lookup_utks(utks[:30], endpoint="utks", progress=False)
        c.fetch_batch(utks[30:35])
        c.lookup_utks(utks[:5], progress=False).to_files(root / "files", format="csv")
        c.lookup_utks(utks[:5], progress=False).to_files(root / "files-parquet")
        journal_of(root / "cache" / "records.sqlite")
        journal_of(root / "cache" / "http_cache.sqlite")
        # A dataset in chunks of 20: the snapshot after each chunk sees the state's WAL.
        lookup_to_dataset(
            c.fetcher, utks, root / "visits", LookupOptions(), progress=snapshot, chunk_size=20
        )
        import dask.dataframe as dd

        import hubutk_pandas.dask  # noqa: F401  (ddf.hubspot)

        visits = dd.from_pandas(pd.DataFrame({"utk": utks[:10]}), npartitions=2)
        visits.hubspot.enrich(out=root / "enriched", client=c, progress=False).compute()
        # forget rewrites the parts holding a contact
        reports.append(c.forget(utks=utks[3], datasets=[root / "visits"], quiet=True))
        # A dataset opened to the group: what is written to it later follows.
        lookup_to_dataset(c.fetcher, utks[:20], root / "team", LookupOptions(), chunk_size=10)
        set_dataset_access(root / "team", "group")
        lookup_to_dataset(
            c.fetcher, utks[:40], root / "team", LookupOptions(), progress=snapshot, chunk_size=10
        )
        reports.append(c.forget(utks=utks[25], datasets=[root / "team"], quiet=True))
        set_dataset_access(root / "enriched", "group")
        more = dd.from_pandas(pd.DataFrame({"utk": utks[:15]}), npartitions=2)
        more.hubspot.enrich(out=root / "enriched", client=c, progress=False).compute()
    with HubSpotClient(portal.access_token, base_url=portal.base_url) as default:
        default.lookup_utks(utks[:3], progress=False)  # the per-user folder, under xdg/
    proxied = HubSpotClient(
        portal.access_token, base_url=portal.base_url, cache=root / "proxy-cache", max_retries=0
    )
    with (
        proxied,
        ProxyServer(
            make_app(proxied, allow_origins=["https://shop.example"], properties=["firstname"])
        ).start() as server,
    ):
        query = "&".join(f"utk={u}" for u in utks[:3])
        url = f"{server.url}/contacts/v1/contact/byUtk/batch/?{query}"
        request = urllib.request.Request(url, headers={"Origin": "https://shop.example"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            assert answer.status == 200 and json.loads(answer.read())
snapshot()
print(json.dumps({"modes": modes, "forget": [str(r.removals[-1]) for r in reports]}))
