"""The proxy's pure parts: the allow-listed shape, CORS origins, identity and limits."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hubutk_pandas.errors import InvalidOptionError
from hubutk_pandas.proxy.app import url_length
from hubutk_pandas.proxy.cors import CorsPolicy
from hubutk_pandas.proxy.limits import (
    ClientLimiter,
    DailyBudget,
    UpstreamGate,
    client_identity,
    parse_networks,
)
from hubutk_pandas.proxy.scrub import scrub_text
from hubutk_pandas.proxy.shape import AnswerShape
from hubutk_pandas.proxy.wire import UnsendableAnswer, dumps, log_safe

RECORD = {
    "vid": 5,
    "canonical-vid": 5,
    "merged-vids": [5, 6, {"nested": "x"}],
    "portal-id": 1,
    "is-contact": True,
    "profile-token": "secret-token",
    "profile-url": "https://app.hubspot.com/contacts/1/contact/5",
    "properties": {
        "firstname": {
            "value": "Ada",
            "versions": [
                {
                    "value": "Ada",
                    "timestamp": 2,
                    "source-type": "FORM",
                    "source-id": "boss@corp",
                    "source-vids": [6],
                }
            ],
        },
        "email": {"value": "ada@example.com"},
        "city": {"value": {"unexpected": "object"}},
    },
    "form-submissions": [
        {
            "form-id": "f",
            "title": "Contact",
            "timestamp": 1,
            "meta-data": [{"name": "email", "value": "ada@example.com"}],
            "contact-associated-by": ["EMAIL", {"x": 1}],
        }
    ],
    "list-memberships": [{"static-list-id": 1, "vid": 5, "is-member": True, "extra": "x"}],
    "identity-profiles": [{"identities": [{"type": "EMAIL", "value": "ada@example.com"}]}],
    "merge-audits": [{"merged_from_email": {"value": "old@example.com"}}],
    "associated-company": {"properties": {"name": {"value": "Corp"}}},
    "extra": {"anything": "new"},
    "brand-new-key": "from tomorrow's HubSpot",
}


def test_a_record_is_rebuilt_from_the_allow_list_not_trimmed() -> None:
    out = AnswerShape(("firstname", "city")).record(RECORD)
    assert out == {
        "vid": 5,
        "canonical-vid": 5,
        "merged-vids": [5, 6],
        "portal-id": 1,
        "is-contact": True,
        "properties": {"firstname": {"value": "Ada"}, "city": {}},
    }


def test_history_forms_and_lists_pass_only_when_allowed_and_only_their_plain_fields() -> None:
    out = AnswerShape(("firstname",), history=True, forms=True, lists=True).record(RECORD)
    assert out["properties"]["firstname"]["versions"] == [
        {"value": "Ada", "timestamp": 2, "source-type": "FORM"}
    ]
    assert out["form-submissions"] == [
        {"form-id": "f", "title": "Contact", "timestamp": 1, "contact-associated-by": ["EMAIL"]}
    ]
    assert out["list-memberships"] == [{"static-list-id": 1, "vid": 5, "is-member": True}]
    assert "ada@example.com" not in repr(out) and "boss@corp" not in repr(out)


def test_a_request_narrows_the_properties_but_never_widens_them() -> None:
    shape = AnswerShape(("firstname", "city"))
    answer = shape.batch({"u": RECORD}, only=["email", "firstname"])
    assert answer["u"]["properties"] == {"firstname": {"value": "Ada"}}
    assert shape.record("not a record") == {}


def test_origins_compare_as_browsers_send_them() -> None:
    policy = CorsPolicy(["https://Shop.Example:443", "http://127.0.0.1:8000/"])
    assert policy.allows("https://shop.example")
    assert policy.allows("http://127.0.0.1:8000")
    for other in ("http://shop.example", "https://shop.example:8443", "null", "garbage", ""):
        assert not policy.allows(other)
    with pytest.raises(InvalidOptionError):
        CorsPolicy("*")


def test_identity_ignores_forwarded_for_unless_the_peer_is_trusted() -> None:
    trusted = parse_networks(["10.0.0.0/8", "::1"])
    env = {"REMOTE_ADDR": "192.0.2.1", "HTTP_X_FORWARDED_FOR": "203.0.113.5"}
    assert client_identity(env, trusted) == "192.0.2.1"
    assert client_identity({**env, "REMOTE_ADDR": "10.1.2.3"}, trusted) == "203.0.113.5"
    assert client_identity({**env, "REMOTE_ADDR": "::1"}, trusted) == "203.0.113.5"
    chain = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "10.9.9.9, 10.0.0.2"}
    assert client_identity(chain, trusted) == "10.0.0.1"  # only proxies: the peer
    assert client_identity({"REMOTE_ADDR": "10.0.0.1"}, trusted) == "10.0.0.1"
    with pytest.raises(InvalidOptionError, match="trusted_proxies"):
        parse_networks(["proxy.example"])


def test_the_client_limiter_is_a_sliding_window_per_client() -> None:
    limiter = ClientLimiter(3, 2.0)
    assert [limiter.acquire("a", now=t) for t in (0.0, 0.5, 1.0)] == [None, None, None]
    assert limiter.acquire("a", now=1.5) == pytest.approx(0.5)
    assert limiter.acquire("b", now=1.5) is None
    assert limiter.acquire("a", now=2.01) is None  # the first one left the window
    assert limiter.acquire("a", now=2.02) == pytest.approx(0.48)
    limiter.acquire("c", now=10.0)  # a sweep forgets the idle ones
    assert set(limiter._seen) == {"c"}
    for bad in ((0, 1.0), (1, 0), (True, 1.0)):
        with pytest.raises(InvalidOptionError, match="client_rate"):
            ClientLimiter(*bad)


def test_the_url_length_counts_what_the_server_kept() -> None:
    assert url_length({"PATH_INFO": "/x", "QUERY_STRING": "a=1"}) == 6
    assert url_length({"PATH_INFO": "/x", "REQUEST_URI": "/x?" + "a" * 100}) == 103
    assert url_length({"PATH_INFO": "/é"}) == len("/%C3%A9")


def test_importing_the_package_or_the_proxy_does_not_import_waitress() -> None:
    code = (
        "import sys, hubutk_pandas, hubutk_pandas.cli\n"
        "assert 'hubutk_pandas.proxy' not in sys.modules\n"
        "import hubutk_pandas.proxy\n"
        "print('waitress' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "False"


def test_an_ipv6_client_is_its_64_and_forged_chains_are_not_identities() -> None:
    one = {"REMOTE_ADDR": "2001:db8:aa:bb::1"}
    other = {"REMOTE_ADDR": "2001:db8:aa:bb:ffff:ffff:ffff:fffe"}
    assert client_identity(one) == client_identity(other) == "2001:db8:aa:bb::/64"
    assert client_identity({"REMOTE_ADDR": "2001:db8:aa:bc::1"}) != client_identity(one)
    trusted = parse_networks(["10.0.0.0/8"])
    garbage = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "evil\nline"}
    assert client_identity(garbage, trusted) == "10.0.0.1"


def test_the_daily_budget_is_a_rolling_24_hours_and_refunds() -> None:
    budget = DailyBudget(3)
    assert [budget.acquire(now=t) for t in (10.0, 70.0, 130.0)] == [None, None, None]
    wait = budget.acquire(now=3600.0)
    assert wait == pytest.approx(86_400 + 60 - 3600)  # the first minute leaves the window
    budget.refund()
    assert budget.used(now=3600.0) == 2 and budget.acquire(now=3600.0) is None
    assert budget.acquire(now=86_400 + 60.0) is None  # the first call's minute has left
    for bad in (0, -1, True, 2.5):
        with pytest.raises(InvalidOptionError, match="daily_budget"):
            DailyBudget(bad)  # type: ignore[arg-type]


def test_the_upstream_gate_sheds_long_waits_and_too_many_waiters() -> None:
    gate = UpstreamGate((3, 10.0), max_wait=2.0, max_concurrent=2)
    assert gate.enter(now=0.0) is None and gate.enter(now=0.0) is None
    assert gate.enter(now=0.0) is not None  # two waiting already
    gate.leave(now=0.5)
    gate.leave(now=0.6)
    assert gate.enter(now=1.0) is None  # the third slot
    gate.leave(now=1.1)
    assert gate.enter(now=2.0) == pytest.approx(8.5)  # the first slot frees at 10.5
    assert gate.enter(now=9.0) is None  # 1.5 s: within max_wait
    with pytest.raises(InvalidOptionError):
        UpstreamGate((3, 10.0), max_wait=-1, max_concurrent=2)


def test_answers_are_strict_json_and_logs_are_scrubbed() -> None:
    for bad in (float("nan"), float("inf"), "\ud800"):
        with pytest.raises(UnsendableAnswer):
            dumps({"a": bad})
    utk = "0123456789ABCDEF0123456789abcdef"
    text = f'GET /b?utk={utk}&utk={utk.lower()} failed: {{"{utk}": {{"email": "a@b.c"}}}}'
    clean = scrub_text(text)
    assert utk not in clean and utk.lower() not in clean and "a@b.c" not in clean
    assert clean == "GET /b?utk=utk:3eb1bd43&utk=utk:3eb1bd43 failed: {…}"  # one utk, one hash
    assert log_safe("a\x1b[31mred") == "a\\x1b[31mred"
