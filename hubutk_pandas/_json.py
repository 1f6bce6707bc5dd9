"""JSON for the bulk paths (answers, the record store's rows): orjson, else the standard library.

Decoding HubSpot's answers and encoding the records the store keeps are most of the client's
CPU per utk (issue 19). orjson does both in a fraction of the standard library's time and
builds the same Python objects (``dict``, ``list``, ``str``, ``int``, ``float``, ``bool``,
``None``). Where it is stricter than :mod:`json` - ``NaN``/``Infinity``, lone surrogates,
nesting past 1,024 levels - the standard library takes over, so what was accepted before
still is, and what was refused is refused with the same errors (``ValueError``,
``RecursionError``). One difference is kept: an integer past 64 bits decodes as a float
(HubSpot sends none; its ids and millisecond timestamps fit, and the frames' ``Int64``
columns could not hold one either). Encoding has no such gap: what orjson cannot encode,
the standard library does.

Examples
--------
>>> loads(b'{"vid": 1, "ts": 1556981073751}')
{'vid': 1, 'ts': 1556981073751}
>>> loads('{"score": NaN}')["score"]
nan
>>> dumps({"vid": 1, "name": "Zoë"})
'{"vid":1,"name":"Zoë"}'
>>> dumps({"big": 2**70})
'{"big": 1180591620717411303424}'
>>> dumps_exact([1.5, float("nan")]), dumps_exact(["a", None])
('[1.5,NaN]', '["a",null]')
>>> print(dumps_indented({"a": [1]}).decode())
{
  "a": [
    1
  ]
}
"""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["dumps", "dumps_exact", "dumps_indented", "loads"]


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """Decode JSON; orjson, or :func:`json.loads` for what orjson refuses (raises as it)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(bytes(data) if isinstance(data, memoryview) else data)


def dumps(value: Any) -> str:
    """Encode ``value`` (decoded JSON) as compact JSON text, UTF-8 characters kept."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError: a big integer, a lone surrogate, ...
        return json.dumps(value)


def dumps_exact(value: Any) -> str:
    """Compact JSON text that decodes back to ``value`` exactly, ``NaN`` and ``Infinity`` too.

    orjson writes a non-finite float as ``null``; the standard library keeps it (as the
    non-standard ``NaN``), so text holding a ``null`` is encoded again by it. Other text is
    orjson's: the same values as the standard library's, and floats are written in their
    shortest form (``1e16``, where :mod:`json` writes ``1e+16``).
    """
    try:
        text = orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if b"null" in text:  # None, or a NaN/Infinity orjson wrote as null
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.decode()


def dumps_indented(value: Any) -> bytes:
    """``value`` as UTF-8 JSON indented by two spaces (a file people may read), key order kept."""
    try:
        return orjson.dumps(value, option=orjson.OPT_INDENT_2)
    except TypeError:  # orjson.JSONEncodeError: a big integer, a lone surrogate, ...
        return json.dumps(value, ensure_ascii=False, indent=2).encode("utf-8", "surrogatepass")
