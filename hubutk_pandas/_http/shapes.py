"""What a 200 answer must look like: checks that say what came back instead.

A proxy, a captive portal or an API change can answer 200 with valid JSON of another
shape. Taken as it is, such an answer would read as "no contact matched" or fail deep
inside the frames code. Each check here returns ``None`` for an answer of the right shape,
or a short description of what came back; :func:`~hubutk_pandas._http.transport.get_json`
turns that into a :class:`~hubutk_pandas.errors.ServerError` (retried like a broken body,
never served from the cache). Pure functions.

Examples
--------
>>> batch_shape({"utk-1": {"vid": 1, "properties": {}}}) is None
True
>>> batch_shape([{"vid": 1}])
'a JSON array where an object keyed by utk or vid is due'
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "account_shape",
    "batch_shape",
    "definitions_shape",
    "lists_shape",
    "memberships_shape",
]

_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}


def _kind(value: Any) -> str:
    """The JSON type name of a parsed value.

    Examples
    --------
    >>> _kind({}), _kind(3.5), _kind(None)
    ('object', 'number', 'null')
    """
    return _JSON_TYPES.get(type(value), "number" if isinstance(value, (int, float)) else "value")


def batch_shape(data: Any) -> str | None:
    """A batch answer (``byUtk`` or ``utks``) is an object of contact records (with ``vid``).

    Examples
    --------
    >>> batch_shape({}) is None     # no utk matched: an empty object
    True
    >>> batch_shape({"status": "ok"})
    "an object whose 'status' is a string where a contact record is due"
    >>> batch_shape({"u": {"properties": {}}})
    "an object whose 'u' is a record without a 'vid'"
    """
    if not isinstance(data, dict):
        return f"a JSON {_kind(data)} where an object keyed by utk or vid is due"
    for key, record in data.items():
        if not isinstance(record, dict):
            return f"an object whose {key!r} is a{_an(_kind(record))} where a contact record is due"
        if "vid" not in record:
            return f"an object whose {key!r} is a record without a 'vid'"
    return None


def account_shape(data: Any) -> str | None:
    """The account's details: an object with a whole-number ``portalId``.

    Examples
    --------
    >>> account_shape({"portalId": 62515, "timeZone": "US/Eastern"}) is None
    True
    >>> account_shape({"portalId": "62515"})
    "an object whose 'portalId' is a string where a whole number is due"
    """
    if not isinstance(data, dict):
        return f"a JSON {_kind(data)} where the account's details are due"
    portal = data.get("portalId")
    if not isinstance(portal, int) or isinstance(portal, bool):
        return f"an object whose 'portalId' is a{_an(_kind(portal))} where a whole number is due"
    return None


def definitions_shape(data: Any) -> str | None:
    """The property definitions are an array of objects.

    Examples
    --------
    >>> definitions_shape([{"name": "email"}]) is None
    True
    >>> definitions_shape({"results": []})
    'a JSON object where an array of property definitions is due'
    """
    if not isinstance(data, list):
        return f"a JSON {_kind(data)} where an array of property definitions is due"
    for item in data:
        if not isinstance(item, dict):
            return f"an array holding a{_an(_kind(item))} where property definitions are due"
    return None


def memberships_shape(data: Any) -> str | None:
    """A Lists API memberships batch read: ``results`` of records with their memberships.

    Examples
    --------
    >>> memberships_shape({"status": "COMPLETE", "results": [
    ...     {"recordId": "1", "recordListMemberships": []}]}) is None
    True
    >>> memberships_shape({"results": [{"recordId": "1"}]})
    "an object whose results[0] has no 'recordListMemberships' array"
    >>> memberships_shape([])
    "a JSON array where an object with 'results' is due"
    """
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        return f"a JSON {_kind(data)} where an object with 'results' is due"
    for k, item in enumerate(data["results"]):
        if not isinstance(item, dict) or "recordId" not in item:
            return f"an object whose results[{k}] is not a record with a 'recordId'"
        if not isinstance(item.get("recordListMemberships"), list):
            return f"an object whose results[{k}] has no 'recordListMemberships' array"
    return None


def lists_shape(data: Any) -> str | None:
    """List definitions: ``{"lists": [{"listId": ...}, ...]}``.

    Examples
    --------
    >>> lists_shape({"lists": [{"listId": "3", "name": "x"}]}) is None
    True
    >>> lists_shape({"lists": [{"name": "x"}]})
    "an object whose lists[0] has no 'listId'"
    """
    if not isinstance(data, dict) or not isinstance(data.get("lists"), list):
        return f"a JSON {_kind(data)} where an object with 'lists' is due"
    for k, item in enumerate(data["lists"]):
        if not isinstance(item, dict) or "listId" not in item:
            return f"an object whose lists[{k}] has no 'listId'"
    return None


def _an(word: str) -> str:
    return f"n {word}" if word[0] in "aeiou" else f" {word}"
