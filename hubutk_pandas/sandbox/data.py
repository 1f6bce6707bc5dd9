"""A lazy, deterministic synthetic portal: any contact is generated on demand from (seed, index).

Nothing is precomputed per contact, so a portal of a million contacts costs a few
kilobytes and starts instantly. Each index has a *kind*:

- ``"contact"``: a live contact (1-3 utks);
- ``"visitor"``: an anonymous visitor (``is-contact: false``, few properties);
- ``"deleted"``: a contact returned only with ``includeDeletes=true``;
- ``"merged"``: merged away into the contact at ``index - 1``; its utks resolve to that
  canonical record, which lists both vids in ``merged-vids``.

Examples
--------
>>> portal = SyntheticPortal(seed=0, contacts=100, portal_id=62515)
>>> utk = portal.sample_utks(1)[0]
>>> index = portal.resolve(utk)
>>> portal.record(index)["vid"] == portal.vid(index)
True
"""

from __future__ import annotations

import functools
import hashlib
import random
import uuid
from collections.abc import Iterable
from typing import Any

from hubutk_pandas.sandbox import vocab
from hubutk_pandas.sandbox.codec import UtkCodec
from hubutk_pandas.sandbox.lists_data import ListCatalogue
from hubutk_pandas.sandbox.people import Person, make_person, version
from hubutk_pandas.sandbox.vocab import DAY_MS, REFERENCE_MS

__all__ = ["KINDS", "V1_MEMBERSHIPS", "VID_BASE", "SyntheticPortal"]

VID_BASE = 100_001
KINDS = ("contact", "visitor", "merged", "deleted", "any")
#: What a v1 read asked for list memberships holds: ``"absent"`` (no key, HubSpot since
#: 2026-04-30, one reading), ``"empty"`` (an empty array, the other reading) or
#: ``"legacy"`` (the memberships, as before 2026-04-30).
V1_MEMBERSHIPS = ("absent", "empty", "legacy")
_STRIDES = (7_919, 104_729, 1_299_709, 15_485_863, 179_424_673)


class SyntheticPortal:
    """The data of one sandbox portal.

    Parameters
    ----------
    seed
        Seed of the data; the same seed and portal id give the same portal.
    contacts
        Number of indices (contacts, visitors, merged-away and deleted together).
    portal_id
        The ``portal-id`` stamped on records.
    """

    def __init__(self, *, seed: int, contacts: int, portal_id: int) -> None:
        if contacts < 2:
            raise ValueError(f"contacts must be at least 2, got {contacts!r}")
        self.seed, self.size, self.portal_id = seed, contacts, portal_id
        self._key = hashlib.blake2b(f"{seed}:{portal_id}".encode(), digest_size=32).digest()
        self._codec = UtkCodec(self._key)
        frng = random.Random(f"forms:{seed}:{portal_id}")
        self.forms = [
            {
                "form-id": str(uuid.UUID(int=frng.getrandbits(128), version=4)),
                "title": title,
                "page-path": path,
                "canonical-url": vocab.SITE + path,
                "page-title": page_title,
                "page-id": str(40_000_000 + 17 * k),
            }
            for k, (title, path, page_title) in enumerate(vocab.FORMS)
        ]
        self.lists = [
            (k + 1, 90_000 + 31 * k + frng.randrange(10)) for k in range(len(vocab.LISTS))
        ]
        self.catalogue = ListCatalogue(
            seed=seed, portal_id=portal_id, contacts=contacts, internal_ids=self.lists
        )
        self._kept: dict[int, Person] = {}  # prebuilt people (see prebuild)
        self._made = functools.lru_cache(maxsize=8192)(self._make_person)

    # ----- identity: kinds, vids and utks -------------------------------------------------
    def _unit(self, index: int, salt: bytes) -> float:
        h = hashlib.blake2b(index.to_bytes(8, "big") + salt, key=self._key, digest_size=8)
        return int.from_bytes(h.digest(), "big") / 2**64

    def _base(self, index: int) -> str:
        u = self._unit(index, b"kind")
        if u < 0.09:
            return "visitor"
        if u < 0.12:
            return "deleted"
        if u < 0.17:
            return "merge"
        return "contact"

    def kind(self, index: int) -> str:
        """Return the kind of ``index``: contact, visitor, merged or deleted."""
        base = self._base(index)
        if base == "merge":
            return "merged" if index > 0 and self._base(index - 1) == "contact" else "contact"
        return base

    def canonical(self, index: int) -> int:
        """The index whose record a utk of ``index`` returns."""
        return index - 1 if self.kind(index) == "merged" else index

    def merged_partner(self, index: int) -> int | None:
        """The index merged into ``index``, if any."""
        nxt = index + 1
        if nxt < self.size and self.kind(nxt) == "merged":
            return nxt
        return None

    def vid(self, index: int) -> int:
        """The vid of ``index``."""
        return VID_BASE + index

    def index_of_vid(self, vid: int) -> int | None:
        """The index of a vid of this portal, or ``None``."""
        index = vid - VID_BASE
        return index if 0 <= index < self.size else None

    def n_utks(self, index: int) -> int:
        """How many utks (browsers/devices) ``index`` has."""
        kind = self.kind(index)
        u = self._unit(index, b"utks")
        if kind == "contact":
            return 1 if u < 0.7 else (2 if u < 0.92 else 3)
        if kind == "merged":
            return 1 if u < 0.6 else 2
        return 1

    def utks(self, index: int) -> list[str]:
        """All utks of ``index``."""
        return [self._codec.encode(index * 4 + slot) for slot in range(self.n_utks(index))]

    def resolve(self, utk: str) -> int | None:
        """The index a utk belongs to (before merge resolution), or ``None`` if unknown."""
        number = self._codec.decode(utk)
        if number is None:
            return None
        index, slot = divmod(number, 4)
        if index >= self.size or slot >= self.n_utks(index):
            return None
        return index

    def sample_utks(self, n: int, kind: str = "contact") -> list[str]:
        """Return ``n`` distinct deterministic utks of indices of ``kind`` (see :data:`KINDS`)."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
        stride = next(s for s in _STRIDES if self.size % s)
        start = int(self._unit(KINDS.index(kind), b"sample") * self.size)
        out: list[str] = []
        for k in range(self.size):
            if len(out) >= n:
                break
            index = (start + k * stride) % self.size
            if kind in ("any", self.kind(index)):
                utks = self.utks(index)
                out.append(utks[k % len(utks)])
        if len(out) < n:
            raise ValueError(f"the portal has only {len(out)} utks of kind {kind!r}; asked for {n}")
        return out

    def unknown_utks(self, n: int) -> list[str]:
        """Return ``n`` realistic 32-hex utks that match nothing in this portal."""
        rng = random.Random(f"unknown:{self.seed}:{self.portal_id}")
        out: list[str] = []
        while len(out) < n:
            utk = f"{rng.getrandbits(128):032x}"
            if self.resolve(utk) is None:
                out.append(utk)
        return out

    # ----- records -------------------------------------------------------------------------
    def _person(self, index: int) -> Person:
        kept = self._kept.get(index)
        return kept if kept is not None else self._made(index)

    def prebuild(self, utks: Iterable[str]) -> int:
        """Build the people behind ``utks`` now and keep them; return how many are kept.

        A person is otherwise drawn (about a millisecond of CPU each) when an answer needs
        it. Benchmarks prebuild, so that on a small machine the sandbox's CPU - which
        HubSpot's servers do not take from the client - does not set the pace. Answers
        are the same either way.

        Examples
        --------
        >>> portal = SyntheticPortal(seed=0, contacts=100, portal_id=62515)
        >>> utks = portal.sample_utks(3)
        >>> before = portal.record(portal.resolve(utks[0]))
        >>> portal.prebuild(utks)
        3
        >>> portal.record(portal.resolve(utks[0])) == before
        True
        """
        for utk in utks:
            index = self.resolve(utk)
            if index is None:
                continue
            for i in (index, self.merged_partner(index)):
                if i is not None and i not in self._kept:
                    self._kept[i] = self._make_person(i)
        return len(self._kept)

    def _make_person(self, index: int) -> Person:
        rng = random.Random(f"person:{self.seed}:{self.portal_id}:{index}")
        lead_rng = random.Random(f"lead:{self.seed}:{self.portal_id}:{index}")
        return make_person(rng, index, self.forms, lead_rng)

    def record(
        self,
        index: int,
        *,
        property_mode: str = "value_only",
        form_submission_mode: str = "newest",
        show_list_memberships: bool = False,
        properties: list[str] | None = None,
        v1_memberships: str = "legacy",
    ) -> dict[str, Any]:
        """Build the wire record of canonical ``index`` (a fresh dict; safe to mutate).

        ``v1_memberships`` (see :data:`V1_MEMBERSHIPS`) says what ``show_list_memberships``
        gives: the memberships (``"legacy"``), an empty array or no key at all.
        """
        if v1_memberships not in V1_MEMBERSHIPS:
            raise ValueError(
                f"v1_memberships must be one of {', '.join(V1_MEMBERSHIPS)}; got {v1_memberships!r}"
            )
        shown = show_list_memberships and v1_memberships != "absent"
        if self.kind(index) == "visitor":
            return self._visitor(index, property_mode, shown, properties)
        person = self._person(index)
        vid = self.vid(index)
        partner_index = self.merged_partner(index)
        partner = self._person(partner_index) if partner_index is not None else None
        # Shallow: the person's version lists and dicts are shared (cached) and never mutated
        # here (a merge replaces a list); _shape_properties copies them into the answer.
        props = dict(person.props)
        merged_vids: list[int] = []
        audits: list[dict[str, Any]] = []
        profiles = [self._identity(person, vid)]
        if partner is not None and partner_index is not None:
            pvid = self.vid(partner_index)
            merged_vids = [vid, pvid]
            merge_ts = self._merge_time(person, partner)
            for name in ("hs_analytics_num_visits", "hs_analytics_num_page_views"):
                total = int(props[name][0]["value"]) + int(partner.props[name][0]["value"])
                ts = max(merge_ts, props[name][0]["timestamp"] + 1)
                merged = version(str(total), "MERGE_CONTACTS", ts, extra={"source-vids": [pvid]})
                props[name] = [merged, *props[name]]
            last = max(v["timestamp"] for vs in props.values() for v in vs)
            props["lastmodifieddate"] = [version(str(last), "CALCULATED", last)]
            audits.append(self._audit(person, partner, vid, pvid, merge_ts))
            profiles.append(self._identity(partner, pvid))
        out: dict[str, Any] = {
            "vid": vid,
            "canonical-vid": vid,
            "merged-vids": merged_vids,
            "portal-id": self.portal_id,
            "is-contact": True,
        }
        if person.profile_token:
            out["profile-token"] = person.profile_token
        out["profile-url"] = f"https://app.hubspot.com/contacts/{self.portal_id}/contact/{vid}"
        out["properties"] = _shape_properties(props, property_mode, properties)
        forms = person.forms
        if partner is not None:
            forms = sorted([*forms, *partner.forms], key=lambda s: s["timestamp"], reverse=True)
        out["form-submissions"] = self._forms(forms, form_submission_mode)
        if shown:
            out["list-memberships"] = (
                [self.catalogue.v1_entry(li, vid, ts) for li, ts in person.lists]
                if v1_memberships == "legacy"
                else []
            )
        out["identity-profiles"] = profiles
        out["merge-audits"] = audits
        if person.company is not None:
            out["associated-company"] = self._company(person.company)
        return out

    def list_memberships(self, index: int) -> list[dict[str, Any]] | None:
        """The Lists API memberships of ``index``, or ``None`` if the Lists API finds no record.

        Only live records are found: a contact (its own lists, the same as its v1
        ``list-memberships``) or a visitor (none). A deleted index, or one merged away into
        another, is not found (HubSpot's v3 APIs do not serve archived records).

        Examples
        --------
        >>> from hubutk_pandas.sandbox.lists_data import iso_ms
        >>> portal = SyntheticPortal(seed=0, contacts=100, portal_id=62515)
        >>> index = portal.resolve(portal.sample_utks(1)[0])
        >>> v1 = portal.record(index, show_list_memberships=True)["list-memberships"]
        >>> [m["lastAddedTimestamp"] for m in portal.list_memberships(index)] == [
        ...     iso_ms(e["timestamp"]) for e in v1]
        True
        """
        kind = self.kind(index)
        if kind == "visitor":
            return []
        if kind != "contact":
            return None
        person = self._person(index)
        out = []
        for li, last in person.lists:
            u = self._unit(index, b"list-readded:%d" % li)
            first = last if u >= 0.25 else person.created + int((last - person.created) * u * 4)
            out.append(self.catalogue.membership(li, min(first, last), last))
        return out

    def _forms(self, forms: list[dict[str, Any]], mode: str) -> list[dict[str, Any]]:
        chosen = {"all": forms, "none": [], "newest": forms[:1], "oldest": forms[-1:]}[mode]
        out = []
        for sub in chosen:
            s = {**sub, "portal-id": self.portal_id, "meta-data": []}
            if "contact-associated-by" in s:
                s["contact-associated-by"] = list(s["contact-associated-by"])
            out.append(s)
        return out

    def _identity(self, person: Person, vid: int) -> dict[str, Any]:
        return {
            "vid": vid,
            "saved-at-timestamp": person.created + 35,
            "deleted-changed-timestamp": 0,
            "identities": [
                {
                    "type": "EMAIL",
                    "value": person.email,
                    "timestamp": person.created,
                    "is-primary": True,
                },
                {"type": "LEAD_GUID", "value": person.lead_guid, "timestamp": person.created + 21},
            ],
        }

    @staticmethod
    def _merge_time(person: Person, partner: Person) -> int:
        lo = max(person.created, partner.created) + DAY_MS
        span = max(1, REFERENCE_MS - lo)
        return lo + (person.index * 7_919 + partner.index) % span

    def _audit(
        self, person: Person, partner: Person, vid: int, pvid: int, ts: int
    ) -> dict[str, Any]:
        def email(p: Person, v: int) -> dict[str, Any]:
            return version(p.email, "CONTACTS_WEB", p.created, extra={"source-vids": [v]})

        return {
            "canonical-vid": vid,
            "vid-to-merge": pvid,
            "timestamp": ts,
            "entity-id": f"auth:app-cookie | auth-level:app | hub-id:{self.portal_id} "
            f"| user-id:9100001 | origin-ip:127.0.0.1 | correlation-id:{partner.lead_guid}",
            "user-id": 9_100_001,
            "num-properties-moved": 3 + partner.index % 9,
            "merged_from_email": email(partner, pvid),
            "merged_to_email": email(person, vid),
            "first-name": partner.first,
            "last-name": partner.last,
        }

    def _company(self, company: int) -> dict[str, Any]:
        name, domain, industry = vocab.COMPANIES[company]
        city, country = vocab.CITIES[company % len(vocab.CITIES)]
        props = {
            "name": name,
            "domain": domain,
            "industry": industry,
            "city": city,
            "country": country,
            "numberofemployees": str(10 * (company + 1) ** 2),
            "createdate": str(REFERENCE_MS - (600 + company) * DAY_MS),
        }
        if company % 3 == 0:  # the real API's quirk: a 10-digit (seconds) close date
            props["closedate"] = str((REFERENCE_MS - 90 * DAY_MS) // 1000)
        return {
            "company-id": 5_000_001 + company,
            "portal-id": self.portal_id,
            "properties": {k: {"value": v} for k, v in props.items()},
        }

    def _visitor(
        self, index: int, property_mode: str, show_lists: bool, properties: list[str] | None
    ) -> dict[str, Any]:
        person = self._person(index)
        keep = (
            "hs_analytics_source",
            "hs_analytics_num_visits",
            "hs_analytics_num_page_views",
            "hs_analytics_first_timestamp",
            "hs_analytics_first_url",
            "lastmodifieddate",
        )
        props = {k: person.props[k] for k in keep}
        vid = self.vid(index)
        out: dict[str, Any] = {
            "vid": vid,
            "canonical-vid": vid,
            "merged-vids": [],
            "portal-id": self.portal_id,
            "is-contact": False,
            "profile-url": f"https://app.hubspot.com/contacts/{self.portal_id}/contact/{vid}",
            "properties": _shape_properties(props, property_mode, properties),
            "form-submissions": [],
        }
        if show_lists:
            out["list-memberships"] = []
        out["identity-profiles"] = []
        out["merge-audits"] = []
        return out


def _shape_properties(
    props: dict[str, list[dict[str, Any]]], mode: str, names: list[str] | None
) -> dict[str, Any]:
    wanted = props if names is None else {n: props[n] for n in names if n in props}
    if mode == "value_and_history":
        return {
            n: {"value": vs[0]["value"], "versions": [dict(v) for v in vs]}
            for n, vs in wanted.items()
        }
    return {n: {"value": vs[0]["value"]} for n, vs in wanted.items()}
