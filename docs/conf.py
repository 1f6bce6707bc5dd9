"""Sphinx configuration of the hubutk-pandas site (``make docs``).

The build is offline: no intersphinx, no downloads. It runs with ``-W --keep-going -n``,
so every warning and every unresolved cross-reference fails it; references into other
libraries (pandas, the standard library, ...) cannot resolve without their inventories and
are listed in ``nitpick_ignore_regex`` below, by library, never one by one for our own names.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

# Examples on these pages run against the sandbox, never a real portal.
for _name in ("HUBSPOT_ACCESS_TOKEN", "HUBSPOT_API_KEY", "HUBSPOT_BASE_URL", "HUBUTK_VISITORS_CSV"):
    os.environ.pop(_name, None)

import hubutk_pandas  # noqa: E402

project = "hubutk-pandas"
author = "hubutk-pandas developers"
copyright = "hubutk-pandas developers"
release = hubutk_pandas.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_parser",
    "sphinxarg.ext",
    "matplotlib.sphinxext.plot_directive",
    "hubutk_api",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "README.md"]
templates_path = ["_templates"]
default_role = "py:obj"
nitpicky = True

# -- the API reference -----------------------------------------------------------------------
#: The documented public modules; each gets a page (see _ext/hubutk_api.py). Add new ones here.
hubutk_api_modules = [
    "hubutk_pandas.connection",
    "hubutk_pandas.client",
    "hubutk_pandas.settings",
    "hubutk_pandas.credentials",
    "hubutk_pandas.options",
    "hubutk_pandas.wire",
    "hubutk_pandas.face",
    "hubutk_pandas.result",
    "hubutk_pandas.accessor",
    "hubutk_pandas.frames",
    "hubutk_pandas.frames.dtypes",
    "hubutk_pandas.frames.lists",
    "hubutk_pandas.utks",
    "hubutk_pandas.errors",
    "hubutk_pandas.lookup",
    "hubutk_pandas.doctor",
    "hubutk_pandas.dataset",
    "hubutk_pandas.privacy",
    "hubutk_pandas.dask",
    "hubutk_pandas.lead",
    "hubutk_pandas.plotting",
    "hubutk_pandas.widgets",
    "hubutk_pandas.sandbox",
    "hubutk_pandas.proxy",
    "hubutk_pandas.rate_window",
]

autosummary_generate = True
autosummary_generate_overwrite = True
autosummary_ignore_module_all = False
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "signature"
# The lead functions take "a result or a dataset" (a private alias in lead/_source.py).
autodoc_type_aliases = {"Lookup": "hubutk_pandas.lead._source.Lookup"}
autodoc_preserve_defaults = True
add_module_names = False

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# References into other libraries: no inventories offline, so they render as plain text.
nitpick_ignore_regex = [
    ("py:.*", r"(pd|pandas|np|numpy|matplotlib|mpl|plt|ipywidgets|requests|requests_cache)(\..*)?"),
    ("py:.*", r"(collections|typing|os|pathlib|datetime|concurrent|threading|logging)(\..*)?"),
    ("py:.*", r"(_?typeshed|types|enum|dataclasses|re|json|sqlite3)(\..*)?"),
    ("py:.*", r"(werkzeug|tqdm|platformdirs|pyarrow|pa|duckdb|dask|dd|waitress)(\..*)?"),
    ("py:.*", r"time\.(sleep|monotonic)"),
    # builtins and typing names as written in signatures
    ("py:.*", r"(None|Any|Callable|Iterable|Iterator|Mapping|Sequence|Literal|Self|TypeAlias)"),
    ("py:.*", r"(str|int|float|bool|bytes|list|dict|tuple|set|frozenset|object|type|callable)"),
    ("py:.*", r"(Exception|ValueError|TypeError|KeyError|UserWarning|Warning|BaseException)"),
    ("py:.*", r"(DataFrame|Series|Axes|Figure|Path|PathLike|timedelta|datetime|Timestamp)"),
    # a Protocol property's return type (LookupFace.counts), cut at its comma by autodoc
    ("py:class", r"dict\[str"),
]

# -- pictures drawn at build time, from code run against the sandbox -------------------------
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 96)]
plot_rcparams = {"figure.figsize": (7.0, 3.8), "figure.constrained_layout.use": True}
plot_apply_rcparams = True

# -- Markdown ------------------------------------------------------------------------------
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

# -- HTML ----------------------------------------------------------------------------------
# Smart quotes, but never dashes: "--format" must stay two hyphens wherever it is printed
# (the CLI reference's help text is not code, and docutils turned its "--" into an en dash,
# so a pasted command failed). check_site.py refuses a typographic dash before an option.
smartquotes_action = "qe"

html_theme = "pydata_sphinx_theme"
html_title = f"hubutk-pandas {release}"
html_static_path = ["_static"]
html_css_files = ["hubutk.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 7,
    "navbar_end": ["navbar-icon-links"],
    "secondary_sidebar_items": ["page-toc"],
}
# The whole site's table of contents on every page: the theme's own "section navigation"
# is empty on a page without children (Getting started, the command line).
html_sidebars = {"**": ["site-nav"]}
html_show_sourcelink = False
html_copy_source = False
