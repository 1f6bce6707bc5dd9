"""Erasure on request, the pure part: who a contact is, and what was removed where.

``HubSpotClient.forget`` and ``hubutk forget`` (see :mod:`hubutk_pandas.privacy`) find a
contact in every place we keep data and remove it. The places are the record store,
the HTTP cache (:mod:`hubutk_pandas._http.erase`) and datasets
(:mod:`hubutk_pandas.dataset.erase`); each is a :class:`Holder`. This module holds what they
share, and no I/O:

* :class:`Identifiers`: utks, vids and emails (lowercased). A contact is found by *any*
  of them, so :func:`forget` grows the set from what the holders know until it stops
  growing: an email leads to the record holding it, the record to its vid and merged vids,
  a dataset's ``contacts`` row to the other utks of that vid, and so on. No request is sent:
  only what we hold is searched.
* :func:`record_identifiers`: every identifier a raw record (HubSpot's wire JSON) carries:
  ``vid``, ``canonical-vid``, ``merged-vids``, the identity profiles' vids and ``EMAIL`` /
  ``UTK`` identities, the ``email`` property and its history, the merge audits' vids and
  emails.
* :class:`ForgetReport`: what was removed where, printed by ``forget`` and the command.

Examples
--------
>>> record = {"vid": 7, "merged-vids": [7, 3], "properties": {"email": {"value": "A@x.io"}}}
>>> found = record_identifiers(record, utk="u1")
>>> sorted(found.vids), sorted(found.utks), sorted(found.emails)
([3, 7], ['u1'], ['a@x.io'])
>>> found.meets(Identifiers.given(emails=["a@X.io"]))
True
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from hubutk_pandas.errors import InvalidOptionError

__all__ = [
    "ForgetReport",
    "Holder",
    "Identifiers",
    "Removal",
    "forget",
    "record_identifiers",
    "search_needles",
    "union",
]

_MAX_ROUNDS = 10  # identifiers lead to more identifiers; in practice two rounds settle


def _as_list(values: Any, name: str) -> list[Any]:
    if values is None:
        return []
    if isinstance(values, (str, int)):
        return [values]
    try:
        return list(values)
    except TypeError:
        raise InvalidOptionError(
            f"{name}={values!r} is not valid; give one value or a list of them"
        ) from None


def _vid(value: Any) -> int | None:
    """A vid: an integer (NumPy's too), or digits as text; ``None`` for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return int(value.strip()) if value.strip().isdigit() else None
    try:
        return operator.index(value)
    except TypeError:
        return None


def _email(value: Any) -> str | None:
    if isinstance(value, str) and "@" in value:
        return value.strip().lower()
    return None


@dataclass(frozen=True)
class Identifiers:
    """A set of utks, vids and emails (lowercased) that stand for one or more contacts.

    Examples
    --------
    >>> a = Identifiers.given(utks=["u1"], vids=[5])
    >>> b = Identifiers(vids=frozenset({5, 6}))
    >>> a.meets(b), sorted((a | b).vids), bool(Identifiers())
    (True, [5, 6], False)
    """

    utks: frozenset[str] = frozenset()
    vids: frozenset[int] = frozenset()
    emails: frozenset[str] = frozenset()

    @classmethod
    def given(cls, utks: Any = None, vids: Any = None, emails: Any = None) -> Identifiers:
        """Check what a caller gave (one value or a list each); at least one value in all.

        Raises
        ------
        InvalidOptionError
            A utk that is not text, a vid that is not a whole number, an email without
            ``@``, or nothing at all.

        Examples
        --------
        >>> Identifiers.given(vids="12", emails=" Ann@Example.com ")
        Identifiers(utks=frozenset(), vids=frozenset({12}), emails=frozenset({'ann@example.com'}))
        >>> Identifiers.given(vids=[1.5])
        Traceback (most recent call last):
        hubutk_pandas.errors.InvalidOptionError: vids=1.5 is not valid; a vid is a whole number
        """
        got_utks, got_vids, got_emails = set(), set(), set()
        for utk in _as_list(utks, "utks"):
            if not isinstance(utk, str) or not utk.strip():
                raise InvalidOptionError(f"utks={utk!r} is not valid; a utk is non-empty text")
            got_utks.add(utk.strip())
        for value in _as_list(vids, "vids"):
            vid = _vid(value)
            if vid is None:
                raise InvalidOptionError(f"vids={value!r} is not valid; a vid is a whole number")
            got_vids.add(vid)
        for value in _as_list(emails, "emails"):
            email = _email(value)
            if email is None:
                raise InvalidOptionError(
                    f"emails={value!r} is not valid; an email address has an @"
                )
            got_emails.add(email)
        if not (got_utks or got_vids or got_emails):
            raise InvalidOptionError("give at least one utk, vid or email to forget")
        return cls(frozenset(got_utks), frozenset(got_vids), frozenset(got_emails))

    def __or__(self, other: Identifiers) -> Identifiers:
        return Identifiers(
            self.utks | other.utks, self.vids | other.vids, self.emails | other.emails
        )

    def __bool__(self) -> bool:
        return bool(self.utks or self.vids or self.emails)

    def meets(self, other: Identifiers) -> bool:
        """Whether the two share a utk, a vid or an email."""
        return bool(self.utks & other.utks or self.vids & other.vids or self.emails & other.emails)

    def describe(self) -> str:
        """``"2 vids (1, 2), 3 utks, 1 email"``: the vids shown, utks and emails counted.

        Examples
        --------
        >>> Identifiers.given(utks=["a", "b"], vids=[9]).describe()
        'vid 9, 2 utks'
        """
        parts = []
        if self.vids:
            shown = ", ".join(map(str, sorted(self.vids)[:10]))
            more = ", ..." if len(self.vids) > 10 else ""
            parts.append(f"vid{'s' if len(self.vids) > 1 else ''} {shown}{more}")
        for what, values in (("utk", self.utks), ("email", self.emails)):
            if values:
                parts.append(f"{len(values)} {what}{'s' if len(values) > 1 else ''}")
        return ", ".join(parts) or "nothing"


def _walk_versions(prop: Any) -> Iterator[Any]:
    if isinstance(prop, Mapping):
        yield prop.get("value")
        versions = prop.get("versions")
        if isinstance(versions, list):
            for version in versions:
                if isinstance(version, Mapping):
                    yield version.get("value")


def record_identifiers(record: Any, *, utk: str | None = None) -> Identifiers:
    """Every identifier of the contact in one raw record; ``utk``: the utk it answered.

    Examples
    --------
    >>> rec = {"vid": 2, "canonical-vid": 2, "identity-profiles": [{"vid": 1, "identities": [
    ...     {"type": "EMAIL", "value": "b@y.org"}, {"type": "UTK", "value": "u9"}]}]}
    >>> found = record_identifiers(rec)
    >>> sorted(found.vids), sorted(found.utks), sorted(found.emails)
    ([1, 2], ['u9'], ['b@y.org'])
    """
    if not isinstance(record, Mapping):
        return Identifiers()
    vids: set[int | None] = {_vid(record.get("vid")), _vid(record.get("canonical-vid"))}
    utks: set[str] = {utk} if utk else set()
    emails: set[str | None] = set()
    merged = record.get("merged-vids")
    if isinstance(merged, list):
        vids.update(_vid(v) for v in merged)
    profiles = record.get("identity-profiles")
    for profile in profiles if isinstance(profiles, list) else ():
        if not isinstance(profile, Mapping):
            continue
        vids.add(_vid(profile.get("vid")))
        identities = profile.get("identities")
        for identity in identities if isinstance(identities, list) else ():
            if not isinstance(identity, Mapping):
                continue
            kind, value = str(identity.get("type", "")).upper(), identity.get("value")
            if kind == "EMAIL":
                emails.add(_email(value))
            elif kind == "UTK" and isinstance(value, str) and value:
                utks.add(value)
    properties = record.get("properties")
    if isinstance(properties, Mapping):
        emails.update(_email(v) for v in _walk_versions(properties.get("email")))
    audits = record.get("merge-audits")
    for audit in audits if isinstance(audits, list) else ():
        if isinstance(audit, Mapping):
            vids.update((_vid(audit.get("canonical-vid")), _vid(audit.get("vid-to-merge"))))
            for key in ("merged_from_email", "merged_to_email"):
                emails.update(_email(v) for v in _walk_versions(audit.get(key)))
    return Identifiers(
        frozenset(utks),
        frozenset(v for v in vids if v is not None),
        frozenset(e for e in emails if e is not None),
    )


_EMAIL_RUN = re.compile(r"[a-z0-9.@_+-]+")


def search_needles(who: Identifiers) -> list[str] | None:
    """Plain-text fragments that any JSON text holding one of ``who`` must contain.

    For a cheap first pass over stored JSON (lowercased): each vid's digits, each utk, and
    for each email its longest run of ``[a-z0-9.@_+-]`` (JSON may escape the rest).
    ``None`` when an email has no run of 3 characters or more: then every text is a
    candidate. A text containing a needle is only a *candidate*; the records are then
    decoded and matched exactly (:func:`record_identifiers`).

    Examples
    --------
    >>> search_needles(Identifiers.given(vids=[42], emails=["josé@x.io"]))
    ['42', '@x.io']
    """
    needles = [str(v) for v in sorted(who.vids)] + sorted(u.lower() for u in who.utks)
    for email in sorted(who.emails):
        runs = _EMAIL_RUN.findall(email)
        longest = max(runs, key=len) if runs else ""
        if len(longest) < 3:
            return None
        needles.append(longest)
    return needles


@dataclass(frozen=True)
class Removal:
    """What was removed from one place.

    Attributes
    ----------
    place : str
        ``"record store"``, ``"HTTP cache"`` or ``"dataset"``.
    path : pathlib.Path
        The file or folder.
    removed : dict of str to int
        What was removed, counted: ``{"records": 2}``, ``{"answers": 3}``, or rows per frame.
    note : str
        More about it (parts rewritten, that the place does not exist, ...).
    """

    place: str
    path: Path
    removed: Mapping[str, int] = field(default_factory=dict)
    note: str = ""

    @property
    def total(self) -> int:
        """Everything removed here, summed."""
        return sum(self.removed.values())

    def __str__(self) -> str:
        shown = {what: n for what, n in self.removed.items() if n}
        if not shown:
            counts = "nothing held"
        elif self.place == "dataset":  # rows per frame
            counts = "removed rows: " + ", ".join(f"{what} {n:,}" for what, n in shown.items())
        else:
            counts = "removed " + ", ".join(
                f"{n:,} {what[:-1] if n == 1 and what.endswith('s') else what}"
                for what, n in shown.items()
            )
        return f"{self.place} {self.path}: {counts}" + (f" ({self.note})" if self.note else "")


@dataclass(frozen=True)
class ForgetReport:
    """What :meth:`~hubutk_pandas.HubSpotClient.forget` removed, and where.

    Attributes
    ----------
    asked : Identifiers
        The utks, vids and emails given.
    found : Identifiers
        Everything that stands for the same contacts in what we hold (merged vids, the
        contacts' other utks and emails): what was removed.
    removals : tuple of Removal
        One per place searched, in the order searched, including those holding nothing.
    """

    asked: Identifiers
    found: Identifiers
    removals: tuple[Removal, ...]

    @property
    def total(self) -> int:
        """Everything removed, summed over the places (0: nothing was held)."""
        return sum(r.total for r in self.removals)

    def __str__(self) -> str:
        head = (
            f"forgot {self.found.describe()} (asked: {self.asked.describe()})"
            if self.total
            else f"nothing held for {self.asked.describe()}: nothing removed"
        )
        lines = [head + "; searched what is on this disk only, no request sent"]
        lines += [f"  {removal}" for removal in self.removals]
        if not self.removals:
            lines.append("  (no place to search: no cache folder and no dataset)")
        return "\n".join(lines)

    __repr__ = __str__


class Holder(Protocol):
    """A place that keeps contacts' data: it can find them, and erase them."""

    def find(self, who: Identifiers) -> Identifiers:
        """The identifiers of every contact held here that meets ``who`` (nothing removed)."""
        ...

    def erase(self, who: Identifiers) -> Removal:
        """Remove every contact held here that meets ``who``; say what was removed."""
        ...


def forget(asked: Identifiers, holders: Sequence[Holder]) -> ForgetReport:
    """Grow ``asked`` from what the holders know, then erase it from each, in order.

    Examples
    --------
    >>> class Memory:
    ...     def __init__(self, records):
    ...         self.records = records
    ...     def matching(self, who):
    ...         found = {u: record_identifiers(r, utk=u) for u, r in self.records.items()}
    ...         return {u: f for u, f in found.items() if f.meets(who)}
    ...     def find(self, who):
    ...         return union(self.matching(who).values())
    ...     def erase(self, who):
    ...         gone = self.matching(who)
    ...         for utk in gone:
    ...             del self.records[utk]
    ...         return Removal("memory", Path("."), {"records": len(gone)})
    >>> held = Memory({"u1": {"vid": 1, "merged-vids": [1, 2]}, "u2": {"vid": 2},
    ...                "u3": {"vid": 3}})
    >>> report = forget(Identifiers.given(utks=["u1"]), [held])
    >>> sorted(report.found.vids), sorted(held.records), report.total
    ([1, 2], ['u3'], 2)
    """
    found = asked
    for _ in range(_MAX_ROUNDS):
        grown = found
        for holder in holders:
            grown = grown | holder.find(found)
        if grown == found:
            break
        found = grown
    removals = tuple(holder.erase(found) for holder in holders)
    return ForgetReport(asked=asked, found=found, removals=removals)


def union(found: Iterable[Identifiers]) -> Identifiers:
    """All of them together.

    Examples
    --------
    >>> union([Identifiers(vids=frozenset({1})), Identifiers(utks=frozenset({"u"}))]).describe()
    'vid 1, 1 utk'
    """
    out = Identifiers()
    for one in found:
        out = out | one
    return out
