"""What a browser may receive: answers rebuilt from an allow-listed shape.

Nothing here deletes known-bad keys from HubSpot's answer; every answer is *built* from
the few keys listed below, so a key HubSpot adds tomorrow (or an ``extra``-style blob)
never reaches a page. A record keeps:

* ``vid``, ``canonical-vid``, ``merged-vids``, ``portal-id``, ``is-contact``;
* ``properties``: only allowed names, each ``{"value": ...}``, plus ``versions`` (value,
  timestamp, source type) when history is allowed;
* ``form-submissions`` (when forms are allowed): the form, page and time of each, not
  its ``meta-data``; ``list-memberships`` (when lists are allowed).

Identity profiles (they hold email addresses), merge audits (emails and names), the
associated company, profile tokens and URLs are never sent.

Pure functions; no I/O.

Examples
--------
>>> shape = AnswerShape(properties=("firstname",))
>>> record = {"vid": 7, "properties": {"firstname": {"value": "Ada"},
...           "email": {"value": "ada@example.com"}}, "extra": {"token": "x"},
...           "identity-profiles": [{"identities": [{"value": "ada@example.com"}]}]}
>>> shape.record(record)
{'vid': 7, 'properties': {'firstname': {'value': 'Ada'}}}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["AnswerShape"]

_RECORD_SCALARS = ("vid", "canonical-vid", "portal-id", "is-contact")
_VERSION_KEYS = ("value", "timestamp", "source-type")
_FORM_KEYS = (
    "conversion-id",
    "timestamp",
    "form-id",
    "portal-id",
    "page-url",
    "canonical-url",
    "page-title",
    "page-id",
    "title",
    "form-type",
)
_LIST_KEYS = ("static-list-id", "internal-list-id", "timestamp", "vid", "is-member")
_DEFINITION_KEYS = (
    "name",
    "label",
    "description",
    "groupName",
    "type",
    "fieldType",
    "hidden",
    "calculated",
    "displayOrder",
)
_OPTION_KEYS = ("label", "value", "displayOrder", "hidden", "description")


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _pick(source: Any, keys: Iterable[str]) -> dict[str, Any]:
    """The scalar values of ``keys`` in ``source`` (nested values are dropped)."""
    if not isinstance(source, Mapping):
        return {}
    return {k: source[k] for k in keys if k in source and _is_scalar(source[k])}


def _scalars(values: Any) -> list[Any]:
    return [v for v in values if _is_scalar(v)] if isinstance(values, list) else []


@dataclass(frozen=True)
class AnswerShape:
    """The allow-list: which properties, and whether history, forms and lists pass.

    Parameters
    ----------
    properties
        The only property names a browser may receive.
    history, forms, lists
        Let property history (``versions``), form submissions and list memberships
        through.
    """

    properties: tuple[str, ...]
    history: bool = False
    forms: bool = False
    lists: bool = False

    def record(self, record: Any, only: Iterable[str] | None = None) -> dict[str, Any]:
        """One contact record rebuilt from the allow-list.

        ``only`` narrows the properties further (to those the request asked for).

        Examples
        --------
        >>> shape = AnswerShape(("city",), history=True)
        >>> shape.record({"properties": {"city": {"value": "Oslo", "versions": [
        ...     {"value": "Oslo", "timestamp": 1, "source-id": "someone@corp"}]}}})
        {'properties': {'city': {'value': 'Oslo', 'versions': [{'value': 'Oslo', 'timestamp': 1}]}}}
        """
        out: dict[str, Any] = _pick(record, _RECORD_SCALARS)
        if not isinstance(record, Mapping):
            return out
        if "merged-vids" in record:
            out["merged-vids"] = [v for v in _scalars(record["merged-vids"]) if isinstance(v, int)]
        names = self.properties if only is None else [p for p in only if p in self.properties]
        props = record.get("properties")
        if isinstance(props, Mapping):
            out["properties"] = {
                name: self._property(props[name]) for name in names if name in props
            }
        if self.forms and "form-submissions" in record:
            out["form-submissions"] = self._entries(
                record["form-submissions"], _FORM_KEYS, lists=("contact-associated-by",)
            )
        if self.lists and "list-memberships" in record:
            out["list-memberships"] = self._entries(record["list-memberships"], _LIST_KEYS)
        return out

    def batch(self, answer: Mapping[str, Any], only: Iterable[str] | None = None) -> dict[str, Any]:
        """A batch answer (key → record) with every record rebuilt by :meth:`record`."""
        wanted = None if only is None else tuple(only)
        return {str(key): self.record(rec, wanted) for key, rec in answer.items()}

    def definitions(self, definitions: Any) -> list[dict[str, Any]]:
        """Property definitions of the allowed properties only, with their plain fields.

        Examples
        --------
        >>> AnswerShape(("city",)).definitions([{"name": "city", "type": "string",
        ...     "options": [{"label": "A", "value": "a", "secret": 1}]}, {"name": "email"}])
        [{'name': 'city', 'type': 'string', 'options': [{'label': 'A', 'value': 'a'}]}]
        """
        out = []
        for item in definitions if isinstance(definitions, list) else []:
            if isinstance(item, Mapping) and item.get("name") in self.properties:
                entry = _pick(item, _DEFINITION_KEYS)
                if isinstance(item.get("options"), list):
                    entry["options"] = self._entries(item["options"], _OPTION_KEYS)
                out.append(entry)
        return out

    def _property(self, prop: Any) -> dict[str, Any]:
        out = _pick(prop, ("value",))
        if self.history and isinstance(prop, Mapping) and isinstance(prop.get("versions"), list):
            out["versions"] = self._entries(prop["versions"], _VERSION_KEYS)
        return out

    @staticmethod
    def _entries(
        items: Any, keys: tuple[str, ...], lists: tuple[str, ...] = ()
    ) -> list[dict[str, Any]]:
        """Each mapping of ``items`` with the scalar ``keys`` and the string lists ``lists``."""
        if not isinstance(items, list):
            return []
        out = []
        for item in items:
            entry = _pick(item, keys)
            for key in lists:
                if isinstance(item, Mapping) and key in item:
                    entry[key] = [v for v in _scalars(item[key]) if isinstance(v, str)]
            out.append(entry)
        return out
