"""One synthetic person, generated from a seeded RNG: names, properties with history, activity.

:func:`make_person` is pure: the same ``(rng seed, index)`` always gives the same person.
``data.py`` turns persons into wire records; nothing here knows about HTTP.
"""

from __future__ import annotations

import random
import unicodedata
import uuid
from dataclasses import dataclass, field
from typing import Any

from hubutk_pandas.sandbox import lead_data, vocab
from hubutk_pandas.sandbox.versions import version
from hubutk_pandas.sandbox.vocab import DAY_MS, REFERENCE_MS

__all__ = ["Person", "make_person", "version"]

_USERS = (9_100_001, 9_100_002, 9_100_003, 9_100_004)
_USER_EMAILS = ("ana@acme-analytics.example", "ben@acme-analytics.example")


@dataclass
class Person:
    """Everything generated for one contact index (before merge/visitor shaping)."""

    index: int
    first: str
    last: str
    email: str
    created: int
    #: property name -> versions, newest first
    props: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    forms: list[dict[str, Any]] = field(default_factory=list)  # newest first
    lists: list[tuple[int, int]] = field(default_factory=list)  # (list index, timestamp)
    company: int | None = None
    lead_guid: str = ""
    profile_token: str | None = None


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in ascii_text.lower() if c.isalnum())


def _business_time(rng: random.Random, lo: int, hi: int) -> int:
    """A timestamp in [lo, hi) that favours weekdays and office hours (the weekly rhythm)."""
    lo_day, hi_day = lo // DAY_MS, max(lo // DAY_MS + 1, hi // DAY_MS)
    day = rng.randrange(lo_day, hi_day)
    for _ in range(3):
        if (day + 3) % 7 < 5 or rng.random() < 0.25:  # epoch day 0 was a Thursday
            break
        day = rng.randrange(lo_day, hi_day)
    hour = min(23, max(0, int(rng.gauss(14, 3))))
    ts = day * DAY_MS + hour * 3_600_000 + rng.randrange(3_600_000)
    return min(max(ts, lo), hi - 1)


def _sorted_times(rng: random.Random, lo: int, hi: int, n: int) -> list[int]:
    return sorted(rng.randrange(lo, max(lo + 1, hi)) for _ in range(n))


def make_person(
    rng: random.Random,
    index: int,
    forms: list[dict[str, Any]],
    lead_rng: random.Random | None = None,
) -> Person:
    """Draw one person; ``forms`` are the portal's form descriptors (id, title, page...).

    ``lead_rng`` draws the lead-intelligence part (:mod:`~hubutk_pandas.sandbox.lead_data`:
    skipped stages, backwards moves, source drill-downs, last pages), apart from ``rng``
    so that adding to it never changes the person's other fields.
    """
    if lead_rng is None:
        lead_rng = random.Random(f"lead:{index}")
    first, last = rng.choice(vocab.FIRST_NAMES), rng.choice(vocab.LAST_NAMES)
    created = REFERENCE_MS - int(vocab.HISTORY_DAYS * rng.random() ** 1.6 * DAY_MS) - 1
    company = rng.randrange(len(vocab.COMPANIES)) if rng.random() < 0.65 else None
    domain = vocab.COMPANIES[company][1] if company is not None else rng.choice(vocab.EMAIL_DOMAINS)
    local = ".".join(p for p in (_slug(first), _slug(last)) if p) or "contact"
    email = f"{local}{index}@{domain}"
    p = Person(index, first, last, email, created, company=company)
    p.lead_guid = _uuid(rng)
    if rng.random() < 0.3:
        p.profile_token = "AO_T-m" + "".join(
            rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZabcdefgh0123456789_-", k=40)
        )
    src = rng.choices(vocab.ANALYTICS_SOURCES, [w for *_, w in vocab.ANALYTICS_SOURCES])[0][0]
    first_seen = created - rng.randrange(0, 30 * DAY_MS)
    creator = "FORM" if rng.random() < 0.7 else "API"
    form0 = forms[0]
    ident = {"FORM": (form0["form-id"], form0["title"]), "API": ("private-app-4211", None)}[creator]
    props = p.props

    def simple(name: str, value: str, stype: str = creator, ts: int = created) -> None:
        sid, label = ident if stype == creator else (None, None)
        props[name] = [version(value, stype, ts, source_id=sid, source_label=label)]

    simple("firstname", first)
    simple("lastname", last)
    simple("email", email)
    simple("createdate", str(created), "API" if creator == "API" else "FORM")
    city, country = rng.choice(vocab.CITIES)
    simple("city", city)
    simple("country", country)
    if company is not None:
        simple("company", vocab.COMPANIES[company][0])
        props["associatedcompanyid"] = [version(str(5_000_001 + company), "CALCULATED", created)]
    if rng.random() < 0.8:
        simple("jobtitle", rng.choice(vocab.JOB_TITLES))
    if rng.random() < 0.7:
        simple(
            "phone",
            f"+{rng.randrange(1, 99)} {rng.randrange(100, 999)} {rng.randrange(10**6, 10**7)}",
        )
    if rng.random() < 0.25:
        simple("mobilephone", f"+{rng.randrange(1, 99)} 7{rng.randrange(10**8, 10**9)}")

    # Lifecycle stage: a progression over the months after creation.
    stage = 0 if rng.random() < 0.45 else 1
    path = [stage]
    chance = 0.62
    while path[-1] < 6 and rng.random() < chance:
        path.append(path[-1] + 1)
        chance *= 0.85
    if rng.random() < 0.02:
        path.append(7)
    times = [created, *_sorted_times(rng, created + DAY_MS, REFERENCE_MS, len(path) - 1)]
    lc = []
    for st, ts in zip(path, times, strict=False):
        name = vocab.LIFECYCLE_STAGES[st][0]
        stype = vocab.STAGE_SOURCES[name]
        extra: dict[str, Any] = {}
        sid, label = None, None
        if stype == "CONTACTS_WEB":
            sid, extra["updated-by-user-id"] = rng.choice(_USER_EMAILS), rng.choice(_USERS)
        elif stype == "WORKFLOWS":
            sid, label = "workflow:18733", "Lead scoring: MQL"
        elif stype == "INTEGRATION":
            sid, label = "salesforce", "Salesforce"
        elif stype == "FORM":
            sid, label = form0["form-id"], form0["title"]
        lc.append(version(name, stype, ts, source_id=sid, source_label=label, extra=extra))
    journey = lead_data.reshape_journey(lc, lead_rng)
    props["lifecyclestage"] = journey[::-1]
    props.update(lead_data.stage_properties(journey))
    final_stage = path[-1]

    # Analytics: counters that grow, a skewed source, first-touch url.
    visits = 1 + int(rng.expovariate(1 / 6))
    n_v = rng.randint(1, 3)
    vtimes = _sorted_times(rng, created, REFERENCE_MS, n_v)
    vvals = sorted(max(1, visits * (k + 1) // n_v) for k in range(n_v))
    props["hs_analytics_num_visits"] = [
        version(str(v), "ANALYTICS", t) for v, t in zip(vvals, vtimes, strict=False)
    ][::-1]
    pv = [v * rng.randint(1, 4) for v in vvals]
    props["hs_analytics_num_page_views"] = [
        version(str(v), "ANALYTICS", t) for v, t in zip(pv, vtimes, strict=False)
    ][::-1]
    props["hs_analytics_source"] = [version(src, "ANALYTICS", first_seen)]
    props["hs_analytics_first_timestamp"] = [version(str(first_seen), "ANALYTICS", first_seen)]
    page = rng.choice(forms)["page-path"]
    utm = f"?utm_source={src.lower()}" if src.startswith("PAID") else ""
    props["hs_analytics_first_url"] = [version(vocab.SITE + page + utm, "ANALYTICS", first_seen)]
    props.update(
        lead_data.analytics_properties(lead_rng, src, first_seen, vocab.SITE + page + utm, vtimes)
    )
    score = 0
    scores = []
    for t in _sorted_times(rng, created, REFERENCE_MS, rng.randint(1, 4)):
        score += rng.randrange(0, 30)
        scores.append(version(str(score), "CALCULATED", t))
    props["hubspotscore"] = scores[::-1]

    optout = "true" if rng.random() < 0.12 else "false"
    props["hs_email_optout"] = [
        version(optout, "EMAIL", _business_time(rng, created, REFERENCE_MS))
    ]
    if rng.random() < 0.3:
        roles = sorted(rng.sample(range(len(vocab.BUYING_ROLES)), rng.randint(1, 3)))
        value = ";".join(vocab.BUYING_ROLES[r][0] for r in roles)
        props["hs_buying_role"] = [
            version(
                value,
                "CONTACTS_WEB",
                created + DAY_MS,
                source_id=_USER_EMAILS[0],
                extra={"updated-by-user-id": _USERS[0]},
            )
        ]
    if rng.random() < 0.4:
        u = rng.random()
        rev = f"{rng.randrange(1, 500) * 50_000}.0" if u < 0.7 else ("" if u < 0.85 else "N/A")
        props["annualrevenue"] = [
            version(rev, "INTEGRATION", created, source_id="salesforce", source_label="Salesforce")
        ]
    if final_stage >= 1 and rng.random() < 0.35 and created + 2 * DAY_MS < REFERENCE_MS:
        day = rng.randrange(created // DAY_MS + 1, REFERENCE_MS // DAY_MS)
        props["trial_start_date"] = [
            version(
                str(day * DAY_MS),
                "INTEGRATION",
                day * DAY_MS + 3_600_000,
                source_id="product-sync",
                source_label="Product sync",
            )
        ]
        pq = [version("false", "INTEGRATION", day * DAY_MS + 3_600_000, source_id="product-sync")]
        if rng.random() < 0.5:
            pq.append(
                version(
                    "true",
                    "INTEGRATION",
                    min(REFERENCE_MS - 1, day * DAY_MS + 8 * DAY_MS),
                    source_id="product-sync",
                )
            )
        props["product_qualified"] = pq[::-1]

    # Form submissions (newest first) with a weekly rhythm; list memberships.
    n_forms = 0 if rng.random() < 0.2 else min(12, 1 + int(rng.expovariate(0.6)))
    subs = []
    for k in range(n_forms):
        f = forms[0] if k == 0 and creator == "FORM" else rng.choices(forms, vocab.FORM_WEIGHTS)[0]
        ts = created if k == 0 and creator == "FORM" else _business_time(rng, created, REFERENCE_MS)
        sub: dict[str, Any] = {
            "conversion-id": _uuid(rng),
            "timestamp": ts,
            "form-id": f["form-id"],
            "portal-id": None,  # filled by the portal
            "page-url": f["canonical-url"] + (utm if rng.random() < 0.3 else ""),
            "canonical-url": f["canonical-url"],
            "page-title": f["page-title"],
            "page-id": f["page-id"],
            "title": f["title"],
            "form-type": "HUBSPOT" if rng.random() < 0.9 else "CAPTURED",
            "meta-data": [],
        }
        if rng.random() < 0.6:
            sub["contact-associated-by"] = ["EMAIL"]
        subs.append(sub)
    p.forms = sorted(subs, key=lambda s: s["timestamp"], reverse=True)
    props.update(lead_data.conversion_properties(p.forms, created))
    member = rng.sample(range(len(vocab.LISTS)), rng.choice((0, 1, 1, 2, 2, 3, 4)))
    p.lists = sorted(
        ((li, rng.randrange(created, REFERENCE_MS)) for li in member), key=lambda x: x[1]
    )
    last_change = max(v["timestamp"] for vs in props.values() for v in vs)
    props["lastmodifieddate"] = [version(str(last_change), "CALCULATED", last_change)]
    return p
