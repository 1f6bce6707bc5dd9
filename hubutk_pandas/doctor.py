"""``hubutk doctor`` and ``client.check()``: does this setup work, and if not, what to do.

:func:`run_checks` runs the checks of :data:`CHECKS` in order and returns a
:class:`CheckReport`, one :class:`Check` line each (name, ok, detail, fix). They cost two
requests in all, each paced like a lookup's, uncached:

* a ``byUtk`` read of a utk no visitor has: is the **credential** accepted, does it have
  the **contacts scope** (``crm.objects.contacts.read``), and HubSpot's
  ``X-HubSpot-RateLimit-*`` headers (the **rate limits**: the burst limit of the app, the
  daily calls left to the account);
* a Lists API memberships read of no record: the **lists scope** (``crm.lists.read``, for
  ``show_list_memberships``) - skipped when the credential was refused.

The rest costs no request: the **cache folder** is writable, the API is **HubSpot or
not** (the sandbox, a proxy), and the **support horizon** of the v1 endpoints (HubSpot stops
supporting them in September 2027).

A failing line says how to fix it. A *blocking* failure (no credential, a refused one, no
contacts scope, HubSpot out of reach, the daily limit spent, an unwritable cache folder)
means lookups cannot work: :attr:`CheckReport.lookups_work` is false and ``hubutk doctor``
exits with status 1. A missing lists scope is not blocking: lookups work without
memberships. No line ever holds the credential.

**Adding a check.** Write a function ``(probes: Probes) -> Check`` and put it in
:data:`CHECKS` where its line should appear; :class:`Probes` holds what the two requests
saw (the answers' errors and rate-limit headers) and the client's settings. Checks that
need another request get it through :class:`Prober` (one cheap request each).

Examples
--------
>>> report = client.check()
>>> report.lookups_work, [c.name for c in report.checks]  # doctest: +NORMALIZE_WHITESPACE
(True, ['credential', 'contacts scope', 'lists scope', 'rate limits', 'rate window',
        'cache folder', 'portal', 'support horizon'])
>>> print(report["rate limits"].detail)  # doctest: +ELLIPSIS
burst: 100 requests per 10 s for this app (Free/Starter tier); daily: ... calls left of ...
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from hubutk_pandas.errors import (
    AuthenticationError,
    BadRequestError,
    HubSpotError,
    MissingScopesError,
    RateLimitError,
)
from hubutk_pandas.rate_window import RateWindowUsage
from hubutk_pandas.settings import ClientSettings

__all__ = [
    "CHECKS",
    "CONTACTS_SCOPE",
    "LISTS_SCOPE",
    "UNSUPPORTED_FROM",
    "Check",
    "CheckReport",
    "Prober",
    "Probes",
    "no_credential",
    "report_from_mapping",
    "run_checks",
    "writable",
]

CONTACTS_SCOPE = "crm.objects.contacts.read"
LISTS_SCOPE = "crm.lists.read"
UNSUPPORTED_FROM = dt.date(2027, 9, 1)
"""HubSpot stops supporting the ``/v1/``-``/v3/`` paths in September 2027 (announced 2026-09-15)."""
_HORIZON_LINK = (
    "https://developers.hubspot.com/changelog/"
    "legacy-apis-and-legacy-apps-whats-going-unsupported-and-when"
)
_KEYS = "in HubSpot under Development > Keys (your Service Key's scopes, or a new key with it)"
_TIERS = {100: "Free/Starter", 190: "Professional/Enterprise", 250: "API limit increase"}


@dataclass(frozen=True)
class Check:
    """One line of a :class:`CheckReport`.

    Examples
    --------
    >>> Check("portal", True, "HubSpot (https://api.hubapi.com)")
    Check('portal', ok, 'HubSpot (https://api.hubapi.com)')
    """

    name: str
    ok: bool
    detail: str
    fix: str = ""
    """What to do when ``ok`` is false (empty when there is nothing to do)."""
    blocking: bool = False
    """A failure of this check means lookups cannot work."""

    def __repr__(self) -> str:
        state = "ok" if self.ok else "FAILED" + (" (blocking)" if self.blocking else "")
        fix = f", fix={self.fix!r}" if self.fix and not self.ok else ""
        return f"Check({self.name!r}, {state}, {self.detail!r}{fix})"

    def line(self) -> str:
        """The check as text: a mark, the name, the detail, and the fix on its own line."""
        mark = "ok " if self.ok else "!! " if not self.blocking else "XX "
        text = f"{mark}{self.name:<16}{self.detail}"
        if self.fix and not self.ok:
            text += f"\n{'':19}fix: {self.fix}"
        return text


@dataclass(frozen=True)
class CheckReport:
    """The outcome of :func:`run_checks` (``client.check()``, ``hubutk doctor``).

    Index it by a check's name; ``str()`` gives the text ``hubutk doctor`` prints,
    :meth:`to_dict` / :meth:`to_json` what ``hubutk doctor --json`` prints, and Jupyter
    shows it as a table.
    """

    checks: tuple[Check, ...]
    base_url: str = ""
    """Where the requests went (scheme, host and port only)."""
    checked_at: str = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).isoformat(
        timespec="seconds"))  # fmt: skip

    @property
    def ok(self) -> bool:
        """Every check passed."""
        return all(c.ok for c in self.checks)

    @property
    def lookups_work(self) -> bool:
        """No blocking check failed: lookups can run (perhaps without list memberships)."""
        return not any(c.blocking and not c.ok for c in self.checks)

    @property
    def failed(self) -> tuple[Check, ...]:
        """The checks that failed, in order."""
        return tuple(c for c in self.checks if not c.ok)

    def __getitem__(self, name: str) -> Check:
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(f"no check named {name!r}; the checks are {[c.name for c in self.checks]}")

    def __iter__(self) -> Iterator[Check]:
        return iter(self.checks)

    def __len__(self) -> int:
        return len(self.checks)

    def replace(self, check: Check) -> CheckReport:
        """This report with ``check`` instead of the line of the same name (or added)."""
        names = [c.name for c in self.checks]
        if check.name in names:
            checks = tuple(check if c.name == check.name else c for c in self.checks)
        else:
            checks = (*self.checks, check)
        return replace(self, checks=checks)

    def summary(self) -> str:
        """One sentence: whether lookups work, and what failed."""
        if self.ok:
            return "Everything works."
        names = ", ".join(c.name for c in self.failed)
        if self.lookups_work:
            return f"Lookups work; to fix: {names}."
        return f"Lookups cannot work; to fix: {names}."

    def __str__(self) -> str:
        head = f"hubutk doctor: {self.base_url}" if self.base_url else "hubutk doctor"
        return "\n".join([head, *(c.line() for c in self.checks), self.summary()])

    def __repr__(self) -> str:
        lines = ",\n".join(f"    {c!r}" for c in self.checks)
        return f"CheckReport({self.summary()!r}, checks=[\n{lines}\n])"

    def _repr_html_(self) -> str:
        rows = []
        for c in self.checks:
            mark = "✔" if c.ok else ("✘" if c.blocking else "⚠")
            colour = "#2e7d32" if c.ok else ("#c62828" if c.blocking else "#ef6c00")
            fix = html.escape(c.fix) if c.fix and not c.ok else ""
            rows.append(
                f"<tr><td style='color:{colour}'>{mark}</td><td><b>{html.escape(c.name)}</b></td>"
                f"<td style='text-align:left'>{html.escape(c.detail)}</td>"
                f"<td style='text-align:left'>{fix}</td></tr>"
            )
        return (
            f"<div><b>hubutk doctor</b> {html.escape(self.base_url)}<table>"
            "<thead><tr><th></th><th>check</th><th>detail</th><th>fix</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table><p>{html.escape(self.summary())}</p></div>"
        )

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data (what ``hubutk doctor --json`` prints)."""
        return {
            "ok": self.ok,
            "lookups_work": self.lookups_work,
            "summary": self.summary(),
            "base_url": self.base_url,
            "checked_at": self.checked_at,
            "checks": [asdict(c) for c in self.checks],
        }

    def to_json(self, **kwargs: Any) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)


class Prober(Protocol):
    """What the checks ask of a client: one cheap uncached request, errors returned.

    ``client.fetcher`` provides it: ``probe("contacts")`` or ``probe("lists")`` returns the
    ``X-HubSpot-RateLimit-*`` headers seen (lower-case names without the prefix, as ints)
    and the :class:`~hubutk_pandas.HubSpotError` of the answer, or ``None``.
    """

    def probe(self, target: str) -> tuple[dict[str, int], HubSpotError | None]: ...

    def window_usage(self) -> dict[str, Any]:
        """The rate window's usage (:class:`~hubutk_pandas.rate_window.RateWindowUsage`'s
        fields), read without a request."""
        ...


@dataclass
class Probes:
    """What the checks read: the client's settings and what the requests saw."""

    settings: ClientSettings
    contacts: HubSpotError | None = None
    lists: HubSpotError | None = None
    lists_checked: bool = False
    rate_limits: dict[str, int] = field(default_factory=dict)
    window: RateWindowUsage | None = None
    today: dt.date = field(default_factory=dt.date.today)

    @property
    def refused(self) -> bool:
        """The credential itself was refused (not merely a scope)."""
        return isinstance(self.contacts, AuthenticationError) and not isinstance(
            self.contacts, MissingScopesError
        )

    @property
    def spent(self) -> bool:
        """The account's daily limit is spent (HubSpot counts only authenticated calls)."""
        return isinstance(self.contacts, RateLimitError) and self.contacts.daily

    @property
    def unreachable(self) -> bool:
        """The contacts probe failed otherwise than for the credential, a scope or the limit."""
        return (
            self.contacts is not None
            and not isinstance(self.contacts, AuthenticationError)
            and not self.spent
        )


def _address(base_url: str) -> str:
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")


def _is_hubspot(base_url: str) -> bool:
    host = (urlsplit(base_url).hostname or "").lower()
    return host == "hubapi.com" or host.endswith(".hubapi.com")


def check_credential(p: Probes) -> Check:
    """The credential is accepted (the contacts probe was not answered 401)."""
    kind = "legacy API key" if p.settings.credential_kind == "api_key" else "token"
    if p.refused:
        assert p.contacts is not None
        fix = (
            "Set HUBSPOT_ACCESS_TOKEN to a Service Key (HubSpot: Development > Keys), a "
            "legacy private-app token or an OAuth access token; an expired OAuth token "
            "needs refreshing."
        )
        if p.settings.credential_kind == "api_key":
            fix = (
                "HubSpot has refused API keys (hapikey) since 2022-11-30: unset "
                "HUBSPOT_API_KEY and " + fix[0].lower() + fix[1:]
            )
        return Check("credential", False, f"refused: {p.contacts}", fix, blocking=True)
    if p.unreachable:
        return Check(
            "credential",
            False,
            f"not checked: the request failed: {p.contacts}",
            "Check the network and HUBSPOT_BASE_URL (default https://api.hubapi.com), then "
            "run hubutk doctor again.",
            blocking=True,
        )
    if p.spent:
        return Check("credential", True, f"accepted ({kind}; the daily limit is spent)")
    return Check("credential", True, f"accepted ({kind})")


def check_contacts_scope(p: Probes) -> Check:
    """The credential has ``crm.objects.contacts.read`` (the utk lookup needs it)."""
    if p.refused or p.unreachable:
        return Check("contacts scope", False, "not checked (see credential)", blocking=True,
                     fix="Fix the credential first.")  # fmt: skip
    if p.spent:
        return Check("contacts scope", False, "not checked (see rate limits)",
                     "Run hubutk doctor again once the daily limit resets.")  # fmt: skip
    if isinstance(p.contacts, MissingScopesError):
        return Check(
            "contacts scope",
            False,
            f"missing: {CONTACTS_SCOPE} (the utk lookup and the property definitions need it)",
            f"Grant {CONTACTS_SCOPE} {_KEYS}, or in your legacy private app's scopes.",
            blocking=True,
        )
    return Check("contacts scope", True, f"{CONTACTS_SCOPE} granted")


def check_lists_scope(p: Probes) -> Check:
    """The credential has ``crm.lists.read`` (list memberships need it; lookups do not)."""
    if not p.lists_checked:
        if p.spent:
            return Check("lists scope", False, "not checked (see rate limits)",
                         "Run hubutk doctor again once the daily limit resets.")  # fmt: skip
        return Check("lists scope", False, "not checked (see credential)",
                     "Fix the credential first.")  # fmt: skip
    error = p.lists
    if isinstance(error, AuthenticationError):
        return Check(
            "lists scope",
            False,
            f"missing: {LISTS_SCOPE} (show_list_memberships=True needs it: HubSpot serves list "
            "memberships only from its Lists API since 2026-04-30)",
            f"Grant {LISTS_SCOPE} {_KEYS}; or look up without list memberships.",
        )
    if error is None or (isinstance(error, BadRequestError) and error.status == 400):
        return Check("lists scope", True, f"{LISTS_SCOPE} granted (list memberships work)")
    return Check(
        "lists scope",
        False,
        f"the Lists API failed: {error}",
        "Run hubutk doctor again later; lookups without list memberships are unaffected.",
    )


def check_rate_limits(p: Probes) -> Check:
    """The portal's burst limit and the daily calls left, from HubSpot's headers."""
    seen = p.rate_limits
    if p.spent:
        return Check(
            "rate limits",
            False,
            "the account's daily limit is spent",
            "Wait until midnight in the portal's time zone (the limit is shared by every app "
            "of the account), or buy the API limit increase.",
            blocking=True,
        )
    if "max" not in seen and "daily" not in seen:
        return Check(
            "rate limits",
            True,
            "HubSpot sent no rate-limit headers (it sends none to refused requests, and no "
            "daily figures to OAuth tokens); the client paces at "
            f"{_rate(p.settings.rate_limit)}",
        )
    parts = []
    fix = ""
    ok = True
    if "max" in seen:
        window = seen.get("interval-milliseconds", 10_000) / 1000
        tier = _TIERS.get(seen["max"]) if window == 10 else None
        parts.append(
            f"burst: {seen['max']:,} requests per {window:g} s for this app"
            + (f" ({tier} tier)" if tier else "")
        )
        mine, per = p.settings.rate_limit
        if abs(per - window) < 1e-9 and mine < seen["max"]:
            parts.append(f"the client paces at {_rate(p.settings.rate_limit)}")
            fix = (
                f"HubSpotClient(rate_limit=({seen['max']}, {window:g})) uses the whole burst "
                "limit (keep it lower if other programs share this app)."
            )
    if "daily" in seen:
        left = seen.get("daily-remaining")
        if left is None:
            parts.append(f"daily: {seen['daily']:,} calls per account")
        else:
            parts.append(f"daily: {left:,} calls left of {seen['daily']:,} (shared by every app)")
            if left == 0:
                ok = False
                fix = "Wait until midnight in the portal's time zone."
    return Check("rate limits", ok, "; ".join(parts), fix, blocking=not ok)


def check_rate_window(p: Probes) -> Check:
    """Who else uses the burst window this client paces on: other processes, other apps."""
    usage = p.window
    if usage is None:
        return Check("rate window", True, "not read")
    detail = str(usage)
    if usage.backend == "client":
        return Check(
            "rate window",
            True,
            detail,
            "This client paces alone: other processes on this token do not see its requests "
            "(the default, rate_window='machine', shares one window on this machine).",
        )
    if usage.others_share >= 0.5:
        return Check(
            "rate window",
            True,
            detail,
            f"{usage.others_share:.0%} of the window is in use by other processes or apps on "
            "this token: lookups will go at the rest of the rate.",
        )
    return Check("rate window", True, detail)


def _rate(rate: tuple[int, float]) -> str:
    return f"{rate[0]:,} requests per {rate[1]:g} s"


def check_cache(p: Probes) -> Check:
    """The cache folder is writable (a file is created and deleted there)."""
    folder = p.settings.cache_dir
    if folder is None:
        return Check("cache folder", True, "no cache (cache=False): every lookup asks HubSpot")
    return writable(folder)


def writable(folder: Path) -> Check:
    """The ``cache folder`` line for ``folder``: created if needed, a file written and removed.

    Examples
    --------
    >>> import tempfile
    >>> writable(Path(tempfile.mkdtemp())).ok
    True
    >>> writable(Path("/proc/no-such-folder")).ok
    False
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=".doctor-", dir=folder)
        try:
            os.write(handle, b"ok")
        finally:
            os.close(handle)
            os.unlink(name)
    except OSError as exc:
        return Check(
            "cache folder",
            False,
            f"{folder} is not writable: {exc.strerror or exc}",
            "Free some space or fix the folder's permissions; or choose another folder "
            "(HubSpotClient(cache=PATH), or XDG_CACHE_HOME). The rate window that this "
            "machine's processes share lives there too: without it, run without a cache "
            "and pace alone (cache=False, rate_window='client'; hubutk lookup --no-cache "
            "with HUBUTK_RATE_WINDOW=client).",
            blocking=True,
        )
    return Check("cache folder", True, f"{folder} is writable")


def check_portal(p: Probes) -> Check:
    """HubSpot, or another server (the sandbox, a proxy): said, never a failure."""
    address = _address(p.settings.base_url)
    if _is_hubspot(p.settings.base_url):
        return Check("portal", True, f"HubSpot ({address}): a real portal")
    return Check(
        "portal",
        True,
        f"not HubSpot: {address} (the sandbox, or another HubSpot-compatible server); "
        "unset HUBSPOT_BASE_URL for your real portal",
    )


def check_horizon(p: Probes) -> Check:
    """How long HubSpot supports the v1 endpoints the lookup uses (until September 2027)."""
    if p.today < UNSUPPORTED_FROM:
        months = (
            (UNSUPPORTED_FROM.year - p.today.year) * 12 + UNSUPPORTED_FROM.month - (p.today.month)
        )
        return Check(
            "support horizon",
            True,
            "HubSpot supports the Contacts v1 utk lookup until September 2027 (about "
            f"{months} months from now); it has no date-based utk lookup yet ({_HORIZON_LINK})",
        )
    return Check(
        "support horizon",
        False,
        "HubSpot no longer supports the Contacts v1 endpoints (since September 2027): lookups "
        "may still work, without bug, reliability or security fixes",
        "See the package's 'HubSpot API changes' page and changelog for a date-based "
        "endpoint, and HubSpot's changelog.",
    )


CHECKS: tuple[Callable[[Probes], Check], ...] = (
    check_credential,
    check_contacts_scope,
    check_lists_scope,
    check_rate_limits,
    check_rate_window,
    check_cache,
    check_portal,
    check_horizon,
    # Add a check here: a function (Probes) -> Check, at the place its line should appear.
)
"""The checks, in the order of their lines."""


def run_checks(
    prober: Prober,
    settings: ClientSettings,
    *,
    checks: tuple[Callable[[Probes], Check], ...] = CHECKS,
    today: dt.date | None = None,
) -> CheckReport:
    """Probe the portal (two requests at most) and run ``checks`` on what was seen.

    ``client.check()`` calls it with the client's fetcher and settings.
    """
    probes = Probes(settings=settings, today=today or dt.date.today())
    seen, probes.contacts = prober.probe("contacts")
    probes.rate_limits.update(seen)
    if not (probes.refused or probes.unreachable or probes.spent):
        seen, probes.lists = prober.probe("lists")
        probes.lists_checked = True
        probes.rate_limits.update(seen)  # the later answer's figures are the current ones
    probes.window = RateWindowUsage(**prober.window_usage())  # after the probes: they count
    return CheckReport(tuple(check(probes) for check in checks), _address(settings.base_url))


def no_credential(message: str, base_url: str = "") -> CheckReport:
    """The report when there is no credential at all (no request was sent).

    Examples
    --------
    >>> report = no_credential("No HubSpot credential found")
    >>> report.lookups_work, report["credential"].ok
    (False, False)
    """
    return CheckReport(
        (
            Check(
                "credential",
                False,
                f"none: {message}",
                "Create a Service Key in HubSpot (Development > Keys) with the scopes "
                f"{CONTACTS_SCOPE} and {LISTS_SCOPE}, then export HUBSPOT_ACCESS_TOKEN=<the key>.",
                blocking=True,
            ),
        ),
        _address(base_url) if base_url else "",
    )


def report_from_mapping(data: Mapping[str, Any]) -> CheckReport:
    """A report read back from :meth:`CheckReport.to_dict` (e.g. ``hubutk doctor --json``).

    Examples
    --------
    >>> report = no_credential("none")
    >>> report_from_mapping(report.to_dict()) == report
    True
    """
    checks = tuple(Check(**c) for c in data["checks"])
    return CheckReport(checks, data.get("base_url", ""), data.get("checked_at", ""))
