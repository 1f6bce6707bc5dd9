"""hubutk-pandas: HubSpot visitor tokens (``hubspotutk``) in, tidy typed pandas tables out.

Importing the package registers the ``hubspot`` accessor on DataFrame and
Series. The HTTP client, the sandbox, plotting and widgets load on first use,
so ``import hubutk_pandas`` stays quick and never imports matplotlib or
ipywidgets.

Examples
--------
>>> import pandas as pd, hubutk_pandas
>>> client = hubutk_pandas.connect()       # the sandbox, unless HUBSPOT_ACCESS_TOKEN is set
>>> visitors = pd.DataFrame({"utk": client.sandbox.sample_utks(5)})
>>> result = visitors.hubspot.lookup_utks("utk", client=client)
>>> result.contacts.shape[0]
5
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hubutk_pandas import accessor as _accessor  # noqa: F401  (registers df.hubspot)
from hubutk_pandas.errors import (
    AuthenticationError,
    BadRequestError,
    CacheError,
    CredentialsError,
    DailyLimitError,
    DatasetError,
    DatasetInUseError,
    HubSpotAPIError,
    HubSpotError,
    InputError,
    InvalidOptionError,
    LookupFailedError,
    MissingColumnError,
    MissingScopesError,
    RateLimitError,
    ServerError,
)
from hubutk_pandas.options import LookupOptions

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    __version__: str
    from hubutk_pandas.client import HubSpotClient
    from hubutk_pandas.connection import SandboxClient, connect
    from hubutk_pandas.dataset import LookupDataset, open_dataset
    from hubutk_pandas.face import LookupFace
    from hubutk_pandas.result import LookupResult
    from hubutk_pandas.sandbox import SandboxPortal

# Public names that live in heavier modules, loaded on first access (PEP 562).
_LAZY = {
    "HubSpotClient": "hubutk_pandas.client",
    "LookupDataset": "hubutk_pandas.dataset",
    "LookupFace": "hubutk_pandas.face",
    "LookupResult": "hubutk_pandas.result",
    "SandboxClient": "hubutk_pandas.connection",
    "SandboxPortal": "hubutk_pandas.sandbox",
    "connect": "hubutk_pandas.connection",
    "open_dataset": "hubutk_pandas.dataset",
}

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "CacheError",
    "CredentialsError",
    "DailyLimitError",
    "DatasetError",
    "DatasetInUseError",
    "HubSpotAPIError",
    "HubSpotClient",
    "HubSpotError",
    "InputError",
    "InvalidOptionError",
    "LookupDataset",
    "LookupFace",
    "LookupFailedError",
    "LookupOptions",
    "LookupResult",
    "MissingColumnError",
    "MissingScopesError",
    "RateLimitError",
    "SandboxClient",
    "SandboxPortal",
    "ServerError",
    "__version__",
    "connect",
    "open_dataset",
]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hubutk-pandas")
    except PackageNotFoundError:  # pragma: no cover - a source tree without install
        return "0.0.0"


def __getattr__(name: str) -> Any:
    if name == "__version__":  # importlib.metadata costs ~15 ms: read on first use
        globals()[name] = value = _version()
        return value
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hubutk_pandas' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
