"""Sphinx extension: the API reference pages and cross-references of hubutk-pandas.

Two jobs, both driven by the package itself rather than by hand-kept lists:

1. **Module pages.** For each module in the ``hubutk_api_modules`` setting, write
   ``api/modules/<module>.rst`` (before Sphinx reads the sources): the module docstring, then
   an autosummary of the classes and functions in its ``__all__`` whose page lives there
   (the navigation lists those), its constants and type aliases on the page itself (a value
   needs no page of its own, nor a place in the navigation), then links to the names it
   re-exports. Each object has exactly one page (its *canonical* name): a name in
   ``hubutk_pandas.__all__`` is documented as ``hubutk_pandas.NAME`` (as users import it);
   anything else in the first listed module that defines it, else the first that lists it.
2. **References.** Docstrings say ``:class:`~hubutk_pandas.result.LookupResult``` or just
   ``:class:`HubSpotError```. When Sphinx cannot find such a target, the object is imported
   and the reference goes to its canonical page. An object of the package that exists but has
   no page (a private helper) is shown as plain code; a target that does not exist stays a
   missing reference, which ``-n -W`` turns into an error. A docstring's short names are
   looked up where Python would: its class, the module it was written in, then the packages
   above.
3. **Set signatures.** A function given a ``__signature__`` on purpose (the lookup options of
   ``takes_lookup_options``) keeps it: Sphinx's ``autodoc_preserve_defaults`` step, which
   reads defaults from the source, is skipped for it.
"""

from __future__ import annotations

import importlib
import inspect
import re
import types
import typing
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import BuildEnvironment
from sphinx.pycode import ModuleAnalyzer

PACKAGE = "hubutk_pandas"
MODULE_DIR = Path("api") / "modules"
#: A constant whose value's repr is longer than this shows its docstring only.
LONG_VALUE = 120


def resolve(dotted: str) -> Any:
    """The object named ``dotted`` (a module, or attributes below the longest importable one).

    Attributes of classes are read statically, so a classmethod or property is the same
    object every time (needed to compare identities). Raises ``LookupError`` if missing.
    """
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for name in parts[split:]:
            try:
                obj = (
                    inspect.getattr_static(obj, name)
                    if inspect.isclass(obj)
                    else getattr(obj, name)
                )
            except AttributeError:
                raise LookupError(dotted) from None
        return obj
    raise LookupError(dotted)


def _key(obj: Any, name: str) -> Any:
    """A hashable identity for ``obj``, bound to ``name`` when it is a plain value.

    Small ints and strings are shared by unrelated constants, so a constant is the same
    object only under the same name; functions, classes and descriptors are keyed by id.
    """
    if (
        callable(obj)
        or inspect.ismodule(obj)
        or isinstance(obj, (property, classmethod, staticmethod))
    ):
        return id(obj)
    return (name, id(obj))


def _is_alias(obj: Any) -> bool:
    """A typing construct (``list[dict[str, Any]]``, ``Literal[...]``, ``Callable[...]``).

    A ``TypedDict`` is a class with a docstring of its own, so it gets a page.
    """
    if typing.is_typeddict(obj) or inspect.isclass(obj):
        return False  # a class (a Protocol's metaclass is typing's) has a page of its own
    return isinstance(obj, types.GenericAlias) or type(obj).__module__ == "typing"


def _is_constant(obj: Any) -> bool:
    """A plain value (a number, a string, a mapping ...): no class, function or module."""
    return not (callable(obj) or inspect.ismodule(obj))


class Catalogue:
    """Which page documents which object: canonical names and the module pages."""

    def __init__(self, modules: list[str]) -> None:
        package = importlib.import_module(PACKAGE)
        self.modules = modules
        self.top_package = PACKAGE
        self.canonical: dict[Any, str] = {}  # _key(obj, name) -> documented full name
        self.keep: list[Any] = []  # hold the objects so their ids stay theirs
        self.top = list(package.__all__)
        for name in self.top:
            self._claim(getattr(package, name), name, f"{PACKAGE}.{name}")
        self.owned: dict[str, list[str]] = {}
        self.reexported: dict[str, list[tuple[str, str]]] = {}
        listings = {m: list(getattr(importlib.import_module(m), "__all__", [])) for m in modules}
        # First pass: objects defined in a listed module belong to it.
        for module, names in listings.items():
            self.owned[module], self.reexported[module] = [], []
            for name in names:
                obj = getattr(importlib.import_module(module), name)
                if (
                    getattr(obj, "__module__", None) == module
                    and _key(obj, name) not in self.canonical
                ):
                    self._claim(obj, name, f"{module}.{name}")
        # Second pass: everything else goes to the first module that lists it.
        for module, names in listings.items():
            for name in names:
                obj = getattr(importlib.import_module(module), name)
                full = f"{module}.{name}"
                if _key(obj, name) not in self.canonical:
                    self._claim(obj, name, full)
                home = self.canonical[_key(obj, name)]
                if home == full:
                    self.owned[module].append(name)
                else:
                    self.reexported[module].append((name, home))

    def _claim(self, obj: Any, name: str, full: str) -> None:
        self.keep.append(obj)
        self.canonical[_key(obj, name)] = full
        if inspect.isclass(obj):  # members are documented on the class page
            for attr, member in vars(obj).items():
                documented = inspect.getdoc(member) and (
                    not attr.startswith("_") or attr == "__call__"
                )
                if documented and not isinstance(member, (str, int, float, tuple)):
                    self.keep.append(member)
                    self.canonical.setdefault(_key(member, attr), f"{full}.{attr}")

    def page_source(self, module: str) -> str:
        title = f"``{module}``"
        lines = [title, "=" * len(title), "", f".. automodule:: {module}", ""]
        mod = importlib.import_module(module)
        aliases = [n for n in self.owned[module] if _is_alias(getattr(mod, n))]
        constants = [
            n for n in self.owned[module] if n not in aliases and _is_constant(getattr(mod, n))
        ]
        pages = [n for n in self.owned[module] if n not in aliases and n not in constants]
        if pages:
            lines += [".. rubric:: Documented here", "", f".. currentmodule:: {module}", ""]
            lines += [".. autosummary::", "   :toctree: ../generated", ""]
            lines += [f"   {name}" for name in pages] + [""]
        if constants:  # on this page, not in the navigation: a value needs no page of its own
            lines += [".. rubric:: Constants", "", f".. currentmodule:: {module}", ""]
            for name in constants:
                long = len(repr(getattr(mod, name))) > LONG_VALUE
                lines += [f".. autodata:: {name}"] + (["   :no-value:"] if long else []) + [""]
        if aliases:
            lines += [".. rubric:: Type aliases", "", f".. currentmodule:: {module}", ""]
            notes = ModuleAnalyzer.for_module(module).find_attr_docs()
            for name in aliases:
                value = repr(getattr(mod, name)).replace("typing.", "")
                lines += [f".. py:data:: {name}", f"   :value: {value}", ""]
                lines += [f"   {line}" for line in notes.get(("", name), [])] + [""]
        if self.reexported[module]:
            lines += [".. rubric:: Also importable from here", ""]
            lines += [f"- ``{name}``: :obj:`{home}`" for name, home in self.reexported[module]]
            lines += [""]
        return "\n".join(lines)


def _write_pages(app: Sphinx, config: Config) -> None:
    catalogue = Catalogue(list(config.hubutk_api_modules))
    app.hubutk_catalogue = catalogue  # type: ignore[attr-defined]
    out = Path(app.srcdir) / MODULE_DIR
    out.mkdir(parents=True, exist_ok=True)
    wanted = {f"{m}.rst" for m in catalogue.modules}
    for stale in out.glob("*.rst"):
        if stale.name not in wanted:
            stale.unlink()
    for module in catalogue.modules:
        path = out / f"{module}.rst"
        text = catalogue.page_source(module)
        if not path.exists() or path.read_text() != text:  # untouched files stay fresh
            path.write_text(text)


def _written_in(refdoc: str) -> str | None:
    """The module whose source holds the docstring of an object page (``generated/<name>``).

    A docstring names its neighbours as its own module sees them; the page may document
    the object under a package that re-exports it (``hubutk_pandas.lead.touchpoints``).
    """
    folder, _, name = refdoc.rpartition("/")
    if not folder.endswith("generated"):
        return None
    parent, _, last = name.rpartition(".")
    try:  # the attribute first: ``hubutk_pandas.lead.touchpoints`` is a function there
        obj = getattr(resolve(parent), last)
    except (LookupError, AttributeError):
        return None
    module = getattr(obj, "__module__", None)
    return module if isinstance(module, str) else None


def _candidates(target: str, node: pending_xref) -> list[str]:
    """Where Python would look: the class, the module, then each enclosing package."""
    module, cls = node.get("py:module"), node.get("py:class")
    names = []
    if module and cls:
        names.append(f"{module}.{cls}.{target}")
    for where in (module, _written_in(node.get("refdoc", ""))):
        while where:
            names.append(f"{where}.{target}")
            where = where.rpartition(".")[0]
    names.append(target)
    return list(dict.fromkeys(names))


def _missing_reference(
    app: Sphinx, env: BuildEnvironment, node: pending_xref, contnode: nodes.Element
) -> nodes.Element | None:
    if node.get("refdomain") != "py":
        return None
    catalogue: Catalogue = app.hubutk_catalogue  # type: ignore[attr-defined]
    target = node["reftarget"]
    domain = env.get_domain("py")
    for dotted in _candidates(target, node):
        if not dotted.startswith(PACKAGE):
            continue
        try:
            obj = resolve(dotted)
        except LookupError:
            continue
        home = catalogue.canonical.get(_key(obj, dotted.rsplit(".", 1)[-1]))
        if home is None:
            if inspect.ismodule(obj) and obj.__name__ in catalogue.modules:
                home = obj.__name__
            else:  # exists, but has no page (a private helper): plain code, no link
                return contnode
        kind = "mod" if inspect.ismodule(obj) else "obj"
        ref = domain.resolve_xref(env, node["refdoc"], app.builder, kind, home, node, contnode)
        if ref is not None:
            return ref
    # A short name (``HubSpotError``, ``LookupResult.wide``) documented once somewhere.
    if not target.startswith(PACKAGE):
        homes = {h for h in catalogue.canonical.values() if h.endswith(f".{target}")}
        if len(homes) == 1:
            return domain.resolve_xref(
                env, node["refdoc"], app.builder, "obj", homes.pop(), node, contnode
            )
    return None


def _keep_set_signatures() -> None:
    """``autodoc_preserve_defaults``, except for a signature set on purpose.

    ``takes_lookup_options`` gives ``lookup_utks`` a ``__signature__`` that lists every
    option in place of ``**options``. Those defaults are not in the source, and Sphinx's
    preserve-defaults step fails on it ("pop from empty list"); they are plain values that
    read well as they are, so that step is skipped for such functions. Sphinx 9 calls the
    step from ``_dynamic._signatures``, earlier versions from ``preserve_defaults``.
    """
    for name in ("sphinx.ext.autodoc._dynamic._signatures", "sphinx.ext.autodoc.preserve_defaults"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        original = getattr(module, "update_default_value", None)
        if original is None or getattr(original, "hubutk_wrapped", False):
            continue

        def update_default_value(obj: Any, bound_method: bool, _original: Any = original) -> None:
            func = getattr(obj, "__func__", obj)
            if "__signature__" not in getattr(func, "__dict__", {}):
                _original(obj, bound_method)

        update_default_value.hubutk_wrapped = True  # type: ignore[attr-defined]
        module.update_default_value = update_default_value  # type: ignore[attr-defined]


def _factory_defaults(
    app: Sphinx,
    what: str,
    name: str,
    obj: Any,
    options: Any,
    signature: str | None,
    ret: str | None,
) -> tuple[str | None, str | None] | None:
    """A dataclass field's ``default_factory`` shows as ``<factory>``, which is not Python.

    Sphinx then cannot parse the signature and splits it at every comma (``dict[str``,
    ``int]``: a missing reference). ``...`` says "a default is made for you" and parses.
    """
    if signature and "<factory>" in signature:
        return signature.replace("<factory>", "..."), ret
    return None


_H1 = re.compile(r"<h1>(.*?)</h1>", re.S)
_DOTTED = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+$")


def _api_title(html: str) -> str:
    """An API page's dotted title may break after each dot (``<wbr>``), never clipped."""
    match = _H1.search(html)
    if match is None:
        return html
    inner = match[1]
    text = re.sub(r"<a class=\"headerlink\".*?</a>", "", inner)
    if not _DOTTED.match(re.sub(r"<[^>]+>", "", text).strip()):
        return html
    inner = re.sub(r">([^<>]+)<", lambda m: ">" + m[1].replace(".", ".<wbr>") + "<", f">{inner}<")
    title = f'<h1 class="hubutk-api-title">{inner[1:-1]}</h1>'
    return html[: match.start()] + title + html[match.end() :]


_LINK_TEXT = re.compile(r"(<a [^>]*>)(.*?)(</a>)", re.S)


def _breakable_links(html: str) -> str:
    """Dotted names in the navigation's links may break after a dot, not mid-word."""

    def one(match: re.Match[str]) -> str:
        text = re.sub(
            r">([^<>]+)<", lambda m: ">" + m[1].replace(".", ".<wbr>") + "<", ">" + match[2] + "<"
        )
        return match[1] + text[1:-1] + match[3]

    return _LINK_TEXT.sub(one, html)


def _page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    if pagename.startswith("api/") and isinstance(context.get("body"), str):
        context["body"] = _api_title(context["body"])
    toctree = context.get("generate_toctree_html")
    if callable(toctree):

        def generate_toctree_html(kind: str, *args: Any, **kwargs: Any) -> Any:
            html = toctree(kind, *args, **kwargs)  # for the sidebar, a BeautifulSoup
            return _breakable_links(str(html)) if kind == "sidebar" else html

        context["generate_toctree_html"] = generate_toctree_html


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("hubutk_api_modules", [], "env")
    _keep_set_signatures()
    app.connect("autodoc-process-signature", _factory_defaults)
    app.connect("html-page-context", _page_context, priority=900)  # after the theme's
    app.connect("config-inited", _write_pages)
    app.connect("missing-reference", _missing_reference)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
