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
import re
from typing import Any

import orjson

__all__ = ["SentObject", "dumps", "dumps_exact", "dumps_indented", "loads"]


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """Decode JSON; orjson, or :func:`json.loads` for what orjson refuses (raises as it)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(bytes(data) if isinstance(data, memoryview) else data)


def _builtins(value: Any) -> Any:
    """A typed property (a msgspec struct, :mod:`hubutk_pandas._typed`) as JSON values."""
    if hasattr(type(value), "__struct_fields__"):
        import msgspec

        return msgspec.to_builtins(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps(value: Any) -> str:
    """Encode ``value`` (decoded JSON) as compact JSON text, UTF-8 characters kept.

    Properties decoded typed (:mod:`hubutk_pandas._typed`) are written as the objects
    they were decoded from, a ``null`` member left out.
    """
    try:
        return orjson.dumps(value, default=_builtins).decode()
    except TypeError:  # orjson.JSONEncodeError: a big integer, a lone surrogate, ...
        return json.dumps(value, default=_builtins)


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


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_.-]+")
"""Keys JSON needs no escape for: a compact text spells them as themselves, after a comma.

(An encoder that escapes one needlessly, ``"\\u0061"``, leaves it unfound: nothing is cut.)
"""


class SentObject(dict[str, Any]):
    r"""A decoded JSON object that keeps the text it was decoded from, as ``sent``.

    The client's batch answers are these. The record store keeps each record as HubSpot
    sent it, cut out of ``sent`` (:meth:`members_as_sent`), instead of encoding the decoded
    record again: that encoding was a tenth of a lookup's CPU with full history (issue 19).
    The lookup cuts in the worker that fetched the answer and then sets ``sent`` to
    ``b""``, so that the body is not held while the answer waits to be used.

    Examples
    --------
    >>> sent = b'{"a1":{"vid":1,"name":"Zo\\u00eb"},"b2":{"vid":2,"tags":["x"]},"c3":null}'
    >>> answer = SentObject(loads(sent), sent)
    >>> answer == loads(sent), answer.members_as_sent()
    (True, {'b2': '{"vid":2,"tags":["x"]}'})
    """

    __slots__ = ("sent",)

    def __init__(self, decoded: dict[str, Any], sent: bytes) -> None:
        super().__init__(decoded)
        self.sent = sent

    def members_as_sent(self) -> dict[str, str]:
        """The text of each member whose value is an object, cut out of ``sent`` as it was.

        Cut only where it is certain; anything else is left out, and the caller encodes
        those records again:

        * the text is compact at the top (``{"k1":...,"k2":...}``, no space between the
          members, as HubSpot sends it) and every key is plain (letters, digits, ``_.-``),
          so that ``,"key":`` finds each in the decoded order; otherwise ``{}``;
        * each marker found is the member's own, not a key of the same name inside an
          earlier member's value: a marker found too early leaves the member's real one
          after it, and the last such lies inside its own cut, where the check that no
          cut holds its own marker again finds it (``{}`` then). Markers cannot overlap
          (their only comma is their first character);
        * a value that is not an object, or that holds a ``\\u`` escape, is left out (the
          record store's erasure searches the stored text for plain fragments of emails;
          an encoded record spells every such character as itself).

        One case is beyond a cheap check: a key twice at the top, the second time after
        another member. JSON leaves such an object's meaning open (RFC 8259, 4); the
        decoders here keep the last value, the cut the first, and the member it follows
        is cut as text that is not JSON, which the store reads as a damaged row and fetches
        again. HubSpot, which writes a map, cannot send one.
        """
        text, keys = self.sent, list(self)
        if not keys or text[:1] != b"{" or text[-1:] != b"}":
            return {}
        if not all(type(key) is str and _PLAIN_KEY.fullmatch(key) for key in keys):
            return {}
        markers = [f',"{key}":'.encode() for key in keys]
        if not text.startswith(markers[0][1:], 1):
            return {}
        starts = [len(markers[0])]  # where each member's value starts
        ends = []
        for marker in markers[1:]:
            found = text.find(marker, starts[-1])
            if found < 0:
                return {}
            ends.append(found)
            starts.append(found + len(marker))
        ends.append(len(text) - 1)
        out: dict[str, str] = {}
        for key, marker, start, end in zip(keys, markers, starts, ends, strict=True):
            if text.find(marker, start, end) >= 0:  # found too early, or there twice
                return {}
            if text[start : start + 1] == b"{" and text[end - 1 : end] == b"}":
                value = text[start:end]
                if b"\\" not in value or b"\\u" not in value:  # one memchr when no escape
                    out[key] = value.decode()
        return out
