"""``hubutk demo``: the whole pipeline against the in-process sandbox, end to end.

It reads the sample visitors file (web-visit rows with a ``utk`` column, with
unknown utks, blanks and duplicates; shipped in the package as ``hubutk_pandas/data/
visitors.csv``, so the demo runs from any folder), looks them up with full history and every
form submission, prints a short summary and writes every frame plus a few PNG
plots. Built on the public API only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from hubutk_pandas.errors import InputError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hubutk_pandas.result import FileFormat, LookupResult

__all__ = ["run_demo", "summarize"]


def summarize(visitors: pd.DataFrame, result: LookupResult, elapsed: float) -> str:
    """Return the demo's plain-text summary of a lookup.

    Every figure that says "contacts" counts distinct contacts (vids), though a contact may
    have several utks in the file: the sources and stages are those the plots show.

    Examples
    --------
    >>> import hubutk_pandas
    >>> visitors = pd.DataFrame({"utk": client.sandbox.sample_utks(2) + ["", "nope"]})
    >>> result = visitors.hubspot.lookup_utks(client=client, progress=False)
    >>> print(summarize(visitors, result, 0.5).splitlines()[0])
    Visitors file: 4 rows, 3 distinct utks
    """
    # wide() has a row per matched utk; two utks may share a contact, which counts once.
    contacts = result.wide(per="contact")
    cells = visitors["utk"].str.strip()
    missing = result.missing["reason"].value_counts()
    lines = [
        f"Visitors file: {len(visitors):,} rows, {cells[cells != ''].nunique():,} distinct utks",
        f"Contacts found: {len(result.contacts):,} utks -> "
        f"{result.contacts['vid'].nunique():,} contacts in {elapsed:.1f} s",
        "Missing: "
        + (", ".join(f"{n:,} {reason}" for reason, n in missing.items()) if len(missing) else "0"),
        "",
        "Rows per frame:",
    ]
    lines += [f"  {name:<18}{len(frame):>9,}" for name, frame in result.frames.items()]
    label = _labels(result)  # the portal's words, as the plots say them
    if "hs_analytics_source" in contacts:
        lines += ["", "Top sources (contacts):"]
        top = contacts["hs_analytics_source"].value_counts().head(5)
        lines += [f"  {label('hs_analytics_source', s):<18}{n:>9,}" for s, n in top.items()]
    if "lifecyclestage" in contacts:
        lines += ["", "Lifecycle stages (contacts at each stage now):"]
        stages = contacts["lifecyclestage"].value_counts(sort=False)
        lines += [f"  {label('lifecyclestage', s):<24}{n:>9,}" for s, n in stages.items()]
    lines += _lead_lines(result)
    return "\n".join(lines)


def _labels(result: LookupResult) -> Callable[[str, Any], str]:
    """``label(property, value)``: the option's label in the definitions, else the value."""
    options = {
        str(d.get("name")): {str(o.get("value")): str(o["label"]) for o in d.get("options") or ()
                             if isinstance(o, dict) and o.get("label")}
        for d in result.definitions()
    }  # fmt: skip
    return lambda name, value: options.get(name, {}).get(str(value), str(value))


def _lead_lines(result: LookupResult) -> list[str]:
    """The true funnel (contacts that got at least this far) and the time to customer."""
    funnel = result.lead.funnel()
    lines = ["", "Funnel (contacts that got at least this far; of the first stage):"]
    label = _labels(result)
    lines += [
        f"  {label('lifecyclestage', row.stage):<24}{row.reached:>9,}  "
        f"{row.cumulative_conversion:>7.1%}"
        for row in funnel.itertuples()
        if row.reached or row.Index == 0
    ]
    times = result.lead.time_to_stage_summary("lead", "customer").iloc[0]
    if times["contacts"]:
        lines += [
            "",
            f"Lead -> customer: median {times['median_days']:.0f} days, "
            f"p75 {times['p75_days']:.0f}, p90 {times['p90_days']:.0f} "
            f"({times['contacts']:,} contacts)",
        ]
    return lines


def _save_plots(result: LookupResult, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plots = {
        "current_stages.png": lambda ax: result.plot.current_stages(ax=ax),
        "funnel.png": lambda ax: result.plot.funnel(ax=ax),
        "sources.png": lambda ax: result.plot.sources(ax=ax),
        "form_submissions.png": lambda ax: result.plot.form_submissions(ax=ax),
        "lifecycle_timeline.png": lambda ax: result.plot.timeline("lifecyclestage", ax=ax),
    }
    paths = []
    for name, draw in plots.items():
        fig, ax = plt.subplots(figsize=(9, 5))
        draw(ax)
        fig.tight_layout()
        path = out / name
        fig.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(fig)
        paths.append(path)
    return paths


def run_demo(visitors_path: Path | None, out: Path, fmt: FileFormat = "csv") -> int:
    """Look the sample visitors up in a fresh sandbox; print a summary; write frames and plots.

    ``visitors_path=None`` reads the sample shipped in the package. Returns the exit
    status (0 on success).

    Examples
    --------
    From a shell, in any folder, ``hubutk demo`` (or ``make demo``) runs
    ``run_demo(None, Path("demo-output"))``.
    """
    from hubutk_pandas.connection import connect

    with ExitStack() as stack:
        if visitors_path is None:  # a real file even if the package is zipped
            sample = resources.files("hubutk_pandas") / "data" / "visitors.csv"
            visitors_path = stack.enter_context(resources.as_file(sample))
        try:
            visitors = pd.read_csv(visitors_path, dtype="string", keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read the visits {str(visitors_path)!r}: {exc}") from None
    with connect(sandbox=True) as client:
        print(f"Sandbox portal at {client.settings.base_url}; looking up {visitors_path.name} ...")
        started = time.perf_counter()
        result = visitors.hubspot.lookup_utks(
            "utk",
            client=client,
            property_mode="value_and_history",
            form_submission_mode="all",
            show_list_memberships=True,
        )
        elapsed = time.perf_counter() - started
        print(summarize(visitors, result, elapsed))
        paths = result.to_files(out, fmt) + _save_plots(result, out)
    print(f"\nWrote {len(paths)} files to {out}/")
    return 0
