"""Check the built site offline: internal links and anchors, and a page for every public name.

Sphinx's ``linkcheck`` would go to the internet; this reads the HTML on disk instead.

``python docs/check_site.py docs/_build/html`` exits 1 and lists the problems when

- a relative ``href`` or ``src`` points at a file that is not there, or at an ``#anchor``
  that no element of the target page has;
- a name in ``hubutk_pandas.__all__``, or in the ``__all__`` of a documented module
  (``hubutk_api_modules`` in ``conf.py``), has no page, or its page lacks the opening
  words of its docstring;
- a command or option is printed with a typographic dash (``–format`` for ``--format``:
  a pasted command fails);
- a page's sidebar lists nothing, or lists a name that is not a public module, class or
  function (a constant, ``__version__``, a private name).
"""

from __future__ import annotations

import inspect
import re
import runpy
import sys
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

HERE = Path(__file__).resolve().parent


class _Page(HTMLParser):
    """The ids, the outgoing links and the visible text of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.html = ""
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if values.get(key):
                self.ids.add(str(values[key]))
        for key in ("href", "src"):
            if values.get(key) and tag in ("a", "img", "link", "script"):
                self.links.append(str(values[key]))
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def read_pages(root: Path) -> dict[Path, _Page]:
    """Every HTML page under ``root``, parsed."""
    pages = {}
    for path in sorted(root.rglob("*.html")):
        if path.relative_to(root).parts[0] in ("_static", "_sources", "_images"):
            continue  # theme templates and assets, not pages
        page = _Page()
        page.html = path.read_text(encoding="utf-8")
        page.feed(page.html)
        pages[path.resolve()] = page
    return pages


def broken_links(root: Path, pages: dict[Path, _Page] | None = None) -> list[str]:
    """Relative links of the site whose file or anchor does not exist."""
    pages = read_pages(root) if pages is None else pages
    problems = []
    for path, page in pages.items():
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("mailto:", "javascript:")):
                continue  # the outside world is not checked here
            target = path if not parts.path else (path.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            where = f"{path.relative_to(root.resolve())}: {link}"
            if not target.exists():
                problems.append(f"{where}: no such file")
            elif parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else set()
                if unquote(parts.fragment) not in ids:
                    problems.append(f"{where}: no such anchor")
    return problems


def _shown(match: re.Match[str]) -> str:
    """What Sphinx shows for a role: its title, or the target (``~`` keeps the last part)."""
    target, title = match["target"], match["title"]
    if title:
        return title
    return target[1:].rpartition(".")[2] if target.startswith("~") else target


def _letters(text: str) -> str:
    """Only the letters and digits of ``text``, lowercased: markup and typography vary."""
    text = re.sub(r":[a-z:]+:`(?:(?P<title>[^`<]+?) <)?(?P<target>[^`>]+)>?`", _shown, text)
    return re.sub(r"\W|_", "", text).lower()


def opening(obj: object) -> str | None:
    """The first words of ``obj``'s own docstring as the page shows them, or None."""
    if not (inspect.isclass(obj) or inspect.isroutine(obj) or inspect.ismodule(obj)):
        return None  # a constant: its page shows its value, there is no docstring of its own
    doc = inspect.getdoc(obj)
    if not doc:
        return None
    return " ".join(doc.splitlines()[0].split()[:5])


def _documented(home: str, modules: list[str], resolve: Callable[[str], Any]) -> Any:
    """The object the page of ``home`` documents.

    An object page documents the attribute, which may shadow a submodule of the same name
    (``hubutk_pandas.lead.funnel`` is the function there, not the module).
    """
    if home not in modules:
        parent, _, last = home.rpartition(".")
        try:
            return getattr(resolve(parent), last)
        except (LookupError, AttributeError):
            pass
    return resolve(home)


def missing_pages(
    root: Path, modules: list[str], pages: dict[Path, _Page] | None = None
) -> list[str]:
    """Public names without a page (or whose page lacks their docstring)."""
    sys.path.insert(0, str(HERE / "_ext"))
    from hubutk_api import Catalogue, resolve

    pages = read_pages(root) if pages is None else pages
    catalogue = Catalogue(modules)
    root = root.resolve()
    wanted: dict[str, str] = {}  # name as users see it -> canonical name
    for name in catalogue.top:
        wanted[f"{catalogue.top_package}.{name}"] = f"{catalogue.top_package}.{name}"
    for module in modules:
        wanted[module] = module
        for name in catalogue.owned[module]:
            wanted[f"{module}.{name}"] = f"{module}.{name}"
        for name, home in catalogue.reexported[module]:
            wanted[f"{module}.{name}"] = home
    problems = []
    for public, home in wanted.items():
        candidates = [root / "api" / "generated" / f"{home}.html"]
        if home in modules:
            candidates = [root / "api" / "modules" / f"{home}.html"]
        else:  # constants and type aliases are documented on their module's page
            candidates.append(root / "api" / "modules" / f"{home.rpartition('.')[0]}.html")
            if home.rpartition(".")[0] == catalogue.top_package:  # and the package's on the index
                candidates.append(root / "api" / "index.html")
        found = [pages[p] for p in candidates if p in pages and home in pages[p].ids]
        if home in modules:
            found = [pages[p] for p in candidates if p in pages]
        if not found:
            problems.append(f"{public}: no page documents {home}")
            continue
        words = opening(_documented(home, modules, resolve))
        if words and _letters(words) not in _letters(" ".join(found[0].text)):
            problems.append(f"{public}: the page of {home} lacks its docstring ({words!r} ...)")
    return problems


#: A hyphen's typographic look-alikes: hyphen, non-breaking hyphen, figure dash, en and em
#: dashes, horizontal bar, minus sign. Before a letter, outside a word, they were an option.
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_DASHED_OPTION = re.compile(rf"(?<![\w{_DASHES}])[{_DASHES}]+[A-Za-z][\w-]*")


def typographic_dashes(root: Path, pages: dict[Path, _Page] | None = None) -> list[str]:
    """Commands and options printed with a typographic dash (``–format``), per page."""
    pages = read_pages(root) if pages is None else pages
    problems = []
    for path, page in pages.items():
        found = sorted(set(_DASHED_OPTION.findall(" ".join(page.text))))
        if found:
            where = path.relative_to(root.resolve())
            problems.append(f"{where}: typographic dash in {', '.join(found)} (write --)")
    return problems


_SIDEBAR = re.compile(r'<nav class="bd-docs-nav[^"]*".*?</nav>', re.S)
_NAV_LINK = re.compile(r"<a [^>]*href=\"([^\"]*)\"[^>]*>(.*?)</a>", re.S)


def _sidebar_names(page: _Page) -> list[str] | None:
    """The link texts of a page's sidebar navigation, or None when it has no sidebar."""
    match = _SIDEBAR.search(page.html)
    if match is None:
        return None
    texts = [re.sub(r"<[^>]+>", "", text) for _, text in _NAV_LINK.findall(match[0])]
    return [" ".join(text.split()) for text in texts]


def navigation_problems(
    root: Path, pages: dict[Path, _Page] | None = None, package: str = "hubutk_pandas"
) -> list[str]:
    """Pages whose sidebar is empty, or lists a name that is no public module, class or function."""
    sys.path.insert(0, str(HERE / "_ext"))
    from hubutk_api import resolve

    pages = read_pages(root) if pages is None else pages
    problems = []
    verdicts: dict[str, str | None] = {}  # a name -> what is wrong with listing it, or None
    for path, page in pages.items():
        where = path.relative_to(root.resolve())
        names = _sidebar_names(page)
        if not names:
            problems.append(f"{where}: the sidebar lists nothing")
            continue
        for name in names:
            if name.startswith(f"{package}.") and name not in verdicts:
                verdicts[name] = _not_navigable(name, resolve)
        wrong = [f"{name} ({verdicts[name]})" for name in names if verdicts.get(name)]
        if wrong:
            problems.append(f"{where}: the sidebar lists {', '.join(wrong)}")
    return problems


def _not_navigable(name: str, resolve: Callable[[str], Any]) -> str | None:
    """Why ``name`` has no place in the navigation, or None if it has one."""
    try:
        obj = resolve(name)
    except LookupError:
        return "no such name"
    if any(part.startswith("_") for part in name.split(".")):
        return "private"
    if not (inspect.ismodule(obj) or callable(obj)):
        return "a constant: document it on its module's page"
    return None


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else HERE / "_build" / "html")
    if not (root / "index.html").exists():
        print(f"{root} holds no built site: run make docs", file=sys.stderr)
        return 1
    modules = list(runpy.run_path(str(HERE / "conf.py"))["hubutk_api_modules"])
    pages = read_pages(root)
    problems = (
        broken_links(root, pages)
        + missing_pages(root, modules, pages)
        + typographic_dashes(root, pages)
        + navigation_problems(root, pages)
    )
    for problem in problems:
        print(problem, file=sys.stderr)
    n_links = sum(len(p.links) for p in pages.values())
    print(
        f"check_site: {len(pages)} pages, {n_links} links, "
        f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
