"""Jupyter widgets: the lookup form and the contact explorer (public face of `explore`).

ipywidgets is imported when a widget is built, never at import time.

Examples
--------
>>> from hubutk_pandas.widgets import split_utks
>>> split_utks("a1, b2\\nc3")
['a1', 'b2', 'c3']
"""

from __future__ import annotations

from hubutk_pandas.explore.explorer import ContactExplorer
from hubutk_pandas.explore.form import HEAD_ROWS, LookupForm, split_utks

__all__ = ["HEAD_ROWS", "ContactExplorer", "LookupForm", "split_utks"]
