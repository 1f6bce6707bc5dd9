"""One call to get a working client: a real portal when credentials are set, else the sandbox.

This module sits above both the client and the sandbox (the client never
imports the sandbox). Notebooks, the demo and doctests start with
``connect()``, so they run offline by default and against a real portal as
soon as ``HUBSPOT_ACCESS_TOKEN`` is set. A sandbox never passes for a portal: its
client's repr says "sandbox (synthetic data)", and so does a one-line notice (a warning
on the ``hubutk_pandas.connection`` logger) when ``connect()`` falls back to it.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hubutk_pandas.client import HubSpotClient

if TYPE_CHECKING:  # pragma: no cover - typing only
    from collections.abc import Callable

    from hubutk_pandas.sandbox import SandboxPortal

__all__ = ["SYNTHETIC", "SandboxClient", "connect", "credentials_in_environment"]

logger = logging.getLogger(__name__)

#: The sandbox that ``connect()`` starts: the same data as ``notebooks/data/visitors.csv``.
DEMO_CONTACTS = 20_000
DEMO_SEED = 2026


def credentials_in_environment() -> bool:
    """Whether ``HUBSPOT_ACCESS_TOKEN`` or ``HUBSPOT_API_KEY`` is set (and not blank).

    Examples
    --------
    >>> isinstance(credentials_in_environment(), bool)
    True
    """
    return any(
        os.environ.get(name, "").strip() for name in ("HUBSPOT_ACCESS_TOKEN", "HUBSPOT_API_KEY")
    )


SYNTHETIC = "sandbox (synthetic data)"
"""How a sandbox client names what it holds: in its repr and in ``connect()``'s notice."""


class SandboxClient(HubSpotClient):
    """A :class:`HubSpotClient` bound to an in-process sandbox portal that it owns.

    ``client.sandbox`` is the running :class:`~hubutk_pandas.sandbox.SandboxPortal`
    (for ``sample_utks`` and request statistics); ``close()`` stops it too. Its repr says
    that the data is synthetic.

    Examples
    --------
    >>> with connect(sandbox=True, contacts=100, seed=7) as client:
    ...     print(repr(client))  # doctest: +ELLIPSIS
    SandboxClient(sandbox (synthetic data) from SandboxPortal(... contacts=100, seed=7, ...))
    """

    def __init__(self, portal: SandboxPortal, **kwargs: Any) -> None:
        self._remove_cache: Callable[[], Any] = lambda: None
        if "cache" not in kwargs:
            # Synthetic answers never mix with a real portal's in the user's cache folder.
            folder = tempfile.mkdtemp(prefix="hubutk-sandbox-cache-")
            kwargs["cache"] = Path(folder)
            # Removed by close(), or else when the client is dropped or the process ends
            # (a notebook's client is seldom closed: its folders piled up in the temp dir).
            self._remove_cache = weakref.finalize(self, shutil.rmtree, folder, True)
        try:
            super().__init__(portal.access_token, base_url=portal.base_url, **kwargs)
        except BaseException:  # invalid client options: leave no temporary folder behind
            self._remove_cache()
            raise
        self._portal = portal

    @property
    def sandbox(self) -> SandboxPortal:
        """The sandbox portal this client talks to."""
        return self._portal

    def __repr__(self) -> str:
        return f"SandboxClient({SYNTHETIC} from {self._portal!r})"

    __str__ = __repr__

    def close(self) -> None:
        """Close the HTTP session and stop the sandbox portal."""
        try:
            super().close()
        finally:
            self._portal.close()
            self._remove_cache()


def connect(
    *,
    contacts: int = DEMO_CONTACTS,
    seed: int = DEMO_SEED,
    sandbox: bool | None = None,
    **client_kwargs: Any,
) -> HubSpotClient:
    """Return a client for a real portal if the environment has credentials, else the sandbox.

    Parameters
    ----------
    contacts, seed
        Size and seed of the sandbox portal, when one is started. The defaults
        match ``notebooks/data/visitors.csv``.
    sandbox
        ``None`` (default): the sandbox only when neither ``HUBSPOT_ACCESS_TOKEN``
        nor ``HUBSPOT_API_KEY`` is set. ``True``: always the sandbox. ``False``:
        never (raises :class:`~hubutk_pandas.CredentialsError` without credentials).
    **client_kwargs
        Passed to :class:`HubSpotClient` (``cache``, ``rate_limit``, ...). For the
        sandbox, ``cache`` defaults to a temporary folder (removed by ``close()``, or
        when the client is dropped or the process ends),
        so synthetic answers never mix with a real portal's in your cache.

    Returns
    -------
    HubSpotClient
        A :class:`SandboxClient` (with ``.sandbox``) when the sandbox was started. Falling
        back to it (``sandbox=None`` and no credential) logs a one-line warning saying
        "sandbox (synthetic data)", so synthetic numbers never pass for a portal's.

    Examples
    --------
    >>> client = connect(sandbox=True, contacts=1000)
    >>> client.sandbox.base_url.startswith("http://127.0.0.1:")
    True
    >>> client.close()
    """
    use_sandbox = (not credentials_in_environment()) if sandbox is None else sandbox
    if not use_sandbox:
        return HubSpotClient(**client_kwargs)

    from hubutk_pandas.sandbox import SandboxPortal

    # HubSpot as it is today: no memberships in v1 reads; the client reads the Lists API.
    portal = SandboxPortal(contacts=contacts, seed=seed)
    try:
        client = SandboxClient(portal, **client_kwargs)
    except BaseException:
        portal.close()
        raise
    if sandbox is None:  # a fallback the caller may not expect: say so, on one line
        logger.warning(
            "hubutk-pandas: no HubSpot credential in the environment, so connect() returned a "
            "%s at %s; set HUBSPOT_ACCESS_TOKEN for a real portal.",
            SYNTHETIC,
            portal.base_url,
        )
    else:
        logger.info("connect(sandbox=True): a %s at %s", SYNTHETIC, portal.base_url)
    return client
