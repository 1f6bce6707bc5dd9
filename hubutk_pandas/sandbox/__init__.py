"""A local HubSpot-compatible Contacts v1 server with deterministic synthetic data.

Start one with :class:`SandboxPortal` (it serves on 127.0.0.1 from a background
thread) or from a shell with ``python -m hubutk_pandas.sandbox``. Nothing here
imports the client side of the package.
"""

from __future__ import annotations

from hubutk_pandas.sandbox.accounts import Account
from hubutk_pandas.sandbox.server import SandboxPortal
from hubutk_pandas.sandbox.stats import SandboxStats

__all__ = ["Account", "SandboxPortal", "SandboxStats"]
