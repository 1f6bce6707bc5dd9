"""Contact records decoded with typed properties: the lookups' fast decode (issue 19).

A batch answer with full history is mostly property versions: about 46 of them a contact,
each a small JSON object of the same six to eight keys. Decoded into dicts, each version
costs a dict and its keys, and the frames' pyarrow pass then reads every dict again, after
a check that no version holds a key the history frame does not know. Here :mod:`msgspec`
decodes each property into an :class:`Entry` and each version into a :class:`Version`:
fixed slots, no dicts, and the key check is the decoder's own (an unknown key is refused).
That halves the decoding's CPU with full history (0.042 against 0.085 ms a utk) and takes a
fifth off an in-memory lookup's peak; :mod:`hubutk_pandas.frames.typed` reads the history
columns from the slots.

The typed decode is exact or it is not used. :func:`decode_batch` and :func:`decode_record`
give the records :func:`hubutk_pandas._json.loads` gives - the same dicts, lists, strings
and numbers - except that each property's entry is an :class:`Entry`. Whenever the text
holds anything else - a key the frames do not know, at the top of a record or in a property
or version; a value of another type (a number where HubSpot sends a string, a timestamp as
text, ...); JSON that is invalid or odd (``NaN``, a lone surrogate) - the decoder refuses
it, and the whole text is decoded by :func:`~hubutk_pandas._json.loads` instead, whose
records the frames read with their careful path, ``extra`` and all. One difference is kept,
in the typed decode's favour: an integer past 64 bits decodes as itself (as the standard
library decodes it), where orjson makes it a float.

:func:`as_dicts` turns entries back into dicts; :func:`hubutk_pandas._json.dumps` (the
record store's encoding) writes them as JSON objects, keys as HubSpot spells them. Both
leave out a member that was ``null``: the same frames, one absent key instead of a null.

Examples
--------
>>> body = (b'{"u1":{"vid":7,"properties":{"city":{"value":"Oslo","versions":'
...         b'[{"value":"Oslo","timestamp":1,"source-id":null,"selected":false}]}}}}')
>>> answer = decode_batch(body)
>>> answer["u1"]["vid"], answer["u1"]["properties"]["city"].value
(7, 'Oslo')
>>> as_dicts(list(answer["u1"]["properties"].values()))
[{'value': 'Oslo', 'versions': [{'value': 'Oslo', 'timestamp': 1, 'selected': False}]}]
>>> decode_batch(b'{"u1":{"vid":7,"new-key":1}}')  # a key the frames do not know: dicts
{'u1': {'vid': 7, 'new-key': 1}}
"""

from __future__ import annotations

from typing import Any

import msgspec

from hubutk_pandas import _json

__all__ = ["Entry", "Version", "as_dicts", "decode_batch", "decode_record"]


class Version(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, gc=False):
    """One version of a property (a history row), as HubSpot sends it."""

    value: str | None = None
    source_type: str | None = msgspec.field(default=None, name="source-type")
    source_id: str | None = msgspec.field(default=None, name="source-id")
    source_label: str | None = msgspec.field(default=None, name="source-label")
    timestamp: int | None = None
    selected: bool | None = None
    source_vids: list[int] | None = msgspec.field(default=None, name="source-vids")
    updated_by_user_id: int | None = msgspec.field(default=None, name="updated-by-user-id")


class Entry(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, gc=False):
    """One property of a contact: its current value and, with full history, its versions."""

    value: str | None = None
    versions: list[Version] | None = None


_UNSET = msgspec.UNSET

#: Every key of a contact record the frames know, as HubSpot spells it.
_RECORD_KEYS = (
    "vid", "canonical-vid", "portal-id", "is-contact", "is-deleted", "merged-vids",
    "profile-url", "profile-token", "addedAt", "properties", "form-submissions",
    "list-memberships", "identity-profiles", "merge-audits", "associated-company",
)  # fmt: skip
# Everything but the properties decodes as JSON values (dicts, lists, ...), as loads does;
# a key that is absent stays absent.
_FIELDS: list[Any] = [
    (key.replace("-", "_"), Any, msgspec.field(default=_UNSET, name=key)) for key in _RECORD_KEYS
]
_FIELDS[_RECORD_KEYS.index("properties")] = (
    "properties",
    dict[str, Entry] | None | msgspec.UnsetType,
    _UNSET,
)
_Record: Any = msgspec.defstruct("_Record", _FIELDS, forbid_unknown_fields=True)
# Shared by the lookups' worker threads: Decoder methods are thread-safe (msgspec >= 0.16).
_BATCH = msgspec.json.Decoder(dict[str, _Record | None])
_ONE = msgspec.json.Decoder(_Record)
_REFUSED = (msgspec.DecodeError, RecursionError)  # DecodeError: ValidationError too


def _as_record(typed: Any) -> dict[str, Any]:
    """The record as a dict: the keys HubSpot sent (no others), as it spelled them."""
    return {
        key: value
        for key, value in zip(_RECORD_KEYS, msgspec.structs.astuple(typed), strict=True)
        if value is not _UNSET
    }


def decode_batch(text: bytes) -> Any:
    """A batch answer's text, decoded: properties typed when every record allows it.

    Text the typed decoder refuses is decoded by :func:`~hubutk_pandas._json.loads`, which
    raises as it does (``ValueError``, ``RecursionError``).
    """
    try:
        typed = _BATCH.decode(text)
    except _REFUSED:
        return _json.loads(text)
    return {key: None if rec is None else _as_record(rec) for key, rec in typed.items()}


def decode_record(text: str | bytes) -> Any:
    """One record's text (as the record store keeps it), decoded as :func:`decode_batch` does."""
    try:
        return _as_record(_ONE.decode(text))
    except _REFUSED:
        return _json.loads(text)


def as_dicts(entries: list[Any]) -> list[Any]:
    """``entries`` with each :class:`Entry` as a dict (a ``null`` member left out), others kept."""
    return [msgspec.to_builtins(e) if type(e) is Entry else e for e in entries]
