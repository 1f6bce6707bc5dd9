"""docs/check_site.py finds what it promises to find: broken links, missing anchors, missing pages.

The checker runs on every ``make docs``; these tests give it small sites built by hand, with
one defect each, so that a checker that silently passes everything fails here.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from pathlib import Path

import pytest

import hubutk_pandas
from hubutk_pandas import utks

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def check_site():
    spec = importlib.util.spec_from_file_location("check_site", DOCS / "check_site.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_site"] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("check_site", None)


def write(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<html><body>{body}</body></html>", encoding="utf-8")


def test_links_to_existing_files_and_anchors_pass(tmp_path: Path, check_site) -> None:
    write(
        tmp_path / "index.html",
        '<a href="guide/a.html#top">a</a> <a href="#here">me</a>'
        '<p id="here"></p> <a href="https://example.org/x.html">out</a> <a href="guide/">g</a>',
    )
    write(tmp_path / "guide" / "a.html", '<h1 id="top">A</h1><img src="../img.png">')
    write(tmp_path / "guide" / "index.html", "")
    (tmp_path / "img.png").write_bytes(b"png")
    assert check_site.broken_links(tmp_path) == []


def test_a_missing_file_is_reported(tmp_path: Path, check_site) -> None:
    write(tmp_path / "index.html", '<a href="guide/gone.html">gone</a>')
    assert check_site.broken_links(tmp_path) == ["index.html: guide/gone.html: no such file"]


def test_a_missing_anchor_is_reported_on_other_pages_and_the_same_page(
    tmp_path: Path, check_site
) -> None:
    write(tmp_path / "index.html", '<a href="a.html#nowhere">x</a><a href="#lost">y</a>')
    write(tmp_path / "a.html", '<h1 id="somewhere">A</h1>')
    assert sorted(check_site.broken_links(tmp_path)) == [
        "index.html: #lost: no such anchor",
        "index.html: a.html#nowhere: no such anchor",
    ]


def test_theme_templates_under_static_are_not_pages(tmp_path: Path, check_site) -> None:
    write(tmp_path / "index.html", "")
    write(tmp_path / "_static" / "macros.html", "<a href=\"{{ pathto('x') }}\">t</a>")
    assert check_site.broken_links(tmp_path) == []


def _site_for_utks(root: Path, *, skip: str | None = None, no_doc: str | None = None) -> None:
    """A hand-made API site for hubutk_pandas.utks and the top-level names."""

    def page(home: str, obj: object) -> None:
        if home == skip:
            return
        doc = inspect.getdoc(obj) if home != no_doc else "Something else entirely."
        text = (doc or "").splitlines()[0] if doc else ""
        write(
            root / "api" / "generated" / f"{home}.html",
            f'<dt id="{home}">{home}</dt><dd>{text}</dd>',
        )

    for name in hubutk_pandas.__all__:
        page(f"hubutk_pandas.{name}", getattr(hubutk_pandas, name))
    for name in utks.__all__:
        page(f"hubutk_pandas.utks.{name}", getattr(utks, name))
    write(root / "api" / "modules" / "hubutk_pandas.utks.html", utks.__doc__.splitlines()[0])


def test_every_public_name_with_a_page_passes(tmp_path: Path, check_site) -> None:
    _site_for_utks(tmp_path)
    assert check_site.missing_pages(tmp_path, ["hubutk_pandas.utks"]) == []


def test_a_public_name_without_a_page_is_reported(tmp_path: Path, check_site) -> None:
    _site_for_utks(tmp_path, skip="hubutk_pandas.LookupResult")
    assert check_site.missing_pages(tmp_path, ["hubutk_pandas.utks"]) == [
        "hubutk_pandas.LookupResult: no page documents hubutk_pandas.LookupResult"
    ]


def test_a_page_without_its_docstring_is_reported(tmp_path: Path, check_site) -> None:
    _site_for_utks(tmp_path, no_doc="hubutk_pandas.utks.clean_utks")
    problems = check_site.missing_pages(tmp_path, ["hubutk_pandas.utks"])
    assert len(problems) == 1
    assert problems[0].startswith("hubutk_pandas.utks.clean_utks: the page of")


def test_a_docstring_role_reads_as_sphinx_shows_it(check_site) -> None:
    # ":meth:`~a.B.forget`" shows as "forget()"; a titled role shows its title.
    page = "What forget() removed, and where. See the guide here."
    for doc in (
        "What :meth:`~hubutk_pandas.HubSpotClient.forget` removed, and where.",
        "See :doc:`the guide here </guide/personal-data>`.",
    ):
        assert check_site._letters(doc) in check_site._letters(page), doc
    assert check_site._letters(":class:`hubutk_pandas.X`") == "hubutkpandasx"


def test_a_typographic_dash_before_an_option_is_reported(tmp_path: Path, check_site) -> None:
    # What docutils' smart quotes made of the CLI reference's "--format" and "--out".
    write(tmp_path / "cli.html", "<p>what to write into \u2013out: \u2014format csv</p>")
    write(tmp_path / "ok.html", "<p>pages 3\u20135, a pause \u2014 then --format; x\u2013y</p>")
    assert check_site.typographic_dashes(tmp_path) == [
        "cli.html: typographic dash in \u2013out, \u2014format (write --)"
    ]


def _nav(*names: str) -> str:
    links = "".join(f'<li><a class="reference internal" href="x.html">{n}</a></li>' for n in names)
    return f'<nav class="bd-docs-nav bd-links"><ul>{links}</ul></nav>'


def test_an_empty_sidebar_and_a_constant_in_the_navigation_are_reported(
    tmp_path: Path, check_site
) -> None:
    write(tmp_path / "empty.html", '<nav class="bd-docs-nav bd-links"><p>Section</p></nav>')
    write(tmp_path / "none.html", "<p>no sidebar at all</p>")
    write(
        tmp_path / "api.html",
        _nav("Getting started", "hubutk_pandas.connect", "hubutk_pandas.<wbr>utks",
             "hubutk_pandas.utks.MAX_UTK_LENGTH", "hubutk_pandas.__version__",
             "hubutk_pandas.nothing_here"),
    )  # fmt: skip
    write(tmp_path / "good.html", _nav("Guide", "hubutk_pandas.LookupResult", "hubutk_pandas"))
    problems = check_site.navigation_problems(tmp_path)
    assert problems == [
        "api.html: the sidebar lists hubutk_pandas.utks.MAX_UTK_LENGTH (a constant: document it "
        "on its module's page), hubutk_pandas.__version__ (private), "
        "hubutk_pandas.nothing_here (no such name)",
        "empty.html: the sidebar lists nothing",
        "none.html: the sidebar lists nothing",
    ]
