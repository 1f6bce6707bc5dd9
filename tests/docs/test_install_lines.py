"""Every ``pip install 'hubutk-pandas[extra]'`` the package and its docs print names an extra
that exists and adds something: an extra that only repeats core dependencies (``[parquet]``,
kept for old install lines) sends a reader on a useless errand."""

from __future__ import annotations

import re
from importlib.metadata import requires
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
LINE = re.compile(r"hubutk-pandas\[([\w,\s-]+)\]")


def _texts() -> dict[Path, str]:
    files = [*ROOT.joinpath("hubutk_pandas").rglob("*.py"), ROOT / "README.md"]
    files += [p for p in ROOT.joinpath("docs").rglob("*.rst") if "_build" not in p.parts]
    files += list(ROOT.joinpath("notebooks").glob("*.ipynb"))
    return {path: path.read_text(encoding="utf-8") for path in files}


def test_every_extra_named_exists_and_adds_a_dependency() -> None:
    core: set[str] = set()
    extras: dict[str, set[str]] = {}  # as installed: pyproject's, read on any Python
    for line in requires("hubutk-pandas") or []:
        req = Requirement(line)
        found = re.search(r"extra\s*==\s*['\"]([\w-]+)['\"]", str(req.marker or ""))
        if found:
            extras.setdefault(found[1], set()).add(req.name)
        else:
            core.add(req.name)
    named: dict[str, set[str]] = {}
    for path, text in _texts().items():
        for match in LINE.finditer(text):
            for extra in (e.strip() for e in match[1].split(",")):
                named.setdefault(extra, set()).add(str(path.relative_to(ROOT)))
    assert {"dask", "redis"} <= set(named)  # the lines are found
    for extra, where in sorted(named.items()):
        assert extra in extras, f"[{extra}] is no extra (named in {sorted(where)})"
        adds = extras[extra] - core - {"hubutk-pandas"}
        assert adds, f"[{extra}] adds nothing to the core dependencies (named in {sorted(where)})"
