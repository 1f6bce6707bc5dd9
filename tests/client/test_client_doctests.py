"""The examples in the client engine's docstrings run (against the sandbox where needed)."""

from __future__ import annotations

import doctest
import importlib
import warnings

import pytest

MODULES = ["batching", "pacing", "session", "transport", "settings", "fetching", "store", "client"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"hubutk_pandas.{name}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the examples show invalid utks
        outcome = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert outcome.attempted > 0
    assert outcome.failed == 0
