"""A local HubSpot-compatible server (Contacts v1, Lists API) with deterministic synthetic data.

:class:`SandboxPortal` serves on 127.0.0.1 from a background thread; from a shell,
``python -m hubutk_pandas.sandbox --port 8765 --contacts 5000`` (or ``hubutk sandbox``)
serves in the foreground and prints the URL and credentials. Nothing here imports
the client side of the package: the client reaches the sandbox only over HTTP.

Endpoints: ``GET /contacts/v1/contact/byUtk/batch/`` (keyed by utk),
``GET /contacts/v1/contact/utks/batch/`` (keyed by vid),
``GET /contacts/v1/contact/utk/<utk>/profile``,
``GET /properties/v1/contacts/properties`` and ``GET /account-info/v3/details`` (the
portal id; any valid credential), with or without a trailing slash; and the
Lists API under ``/crm/v3/lists``, ``/crm/lists/2026-03`` and ``/crm/lists/2026-09``:
``POST .../records/memberships/batch/read`` (at most 100 records),
``GET .../records/<objectTypeId>/<recordId>/memberships``, ``GET .../?listIds=...`` and
``GET``/``POST .../idmapping`` (see ``lists_api.py``).

By default the sandbox answers as HubSpot does since 2026-04-30: v1 reads carry no list
memberships (``v1_memberships="absent"``; ``"empty"`` sends an empty array, HubSpot not
saying which it does); the Lists API serves them. ``v1_memberships="legacy"`` (or
``hubutk sandbox --v1-memberships legacy``) keeps the pre-2026 answers, with the same
lists: their legacy ids map to the Lists API's through ``idmapping``.

Documented choices (see ``app.py``, ``accounts.py`` and ``limits.py``): a 414 is
answered before authentication and does not count; a token without the scope an
endpoint needs (``crm.objects.contacts.read`` for the contact endpoints,
``crm.lists.read`` for the Lists API; ``add_account(scopes=...)``, ``set_scopes``) gets
HubSpot's 403 ``MISSING_SCOPES`` naming it in ``errors[].context.requiredGranularScopes``,
uncounted like a 401; the contact endpoints and the Lists API share one burst window and
one daily count per account, and every counted answer carries the
``X-HubSpot-RateLimit-*`` headers; requests rejected with a 429 do not count toward the
limits (HubSpot is stricter); faults (``inject``, including a ``"400"``) hit only the
contact endpoints, after auth and limits, unless injected with ``on="lists"``;
``poison(utk)`` makes every batch holding that utk answer 400 (a test hook for
bisection); profile reads default to ``value_and_history``, all form submissions and
list memberships, as HubSpot's profile reads do. Request log lines (logger
``hubutk_pandas.sandbox``, DEBUG) show ``hapikey=REDACTED``.

Examples
--------
>>> import requests
>>> with SandboxPortal(contacts=1000, seed=0) as portal:
...     utks = portal.sample_utks(2) + portal.unknown_utks(1)
...     answer = requests.get(
...         f"{portal.base_url}/contacts/v1/contact/byUtk/batch/",
...         params={"utk": utks, "propertyMode": "value_and_history"},
...         headers={"Authorization": f"Bearer {portal.access_token}"},
...     ).json()
...     sorted(answer) == sorted(utks[:2]), portal.stats.requests
(True, 1)
"""

from __future__ import annotations

from hubutk_pandas.sandbox.accounts import Account
from hubutk_pandas.sandbox.server import SandboxPortal
from hubutk_pandas.sandbox.stats import SandboxStats

__all__ = ["Account", "SandboxPortal", "SandboxStats"]
