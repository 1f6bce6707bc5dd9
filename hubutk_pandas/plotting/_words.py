"""The portal's words for the plots: property labels and option labels from its definitions.

HubSpot stores and sends internal names (``lifecyclestage``, ``marketingqualifiedlead``,
``ORGANIC_SEARCH``); the portal shows its users labels ("Lifecycle Stage", "Marketing
Qualified Lead", "Organic Search"), which its property definitions hold. The plots say what
the portal says, falling back to the internal name or value when a definition has no label
(or there are no definitions: a frame built by hand).

Examples
--------
>>> words = Words([{"name": "lifecyclestage", "label": "Lifecycle Stage",
...                 "options": [{"value": "lead", "label": "Lead"}]}])
>>> words.property("lifecyclestage"), words.value("lifecyclestage", "lead")
('Lifecycle Stage', 'Lead')
>>> words.property("hubspotscore"), words.value("lifecyclestage", "customer")
('hubspotscore', 'customer')
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from hubutk_pandas.errors import HubSpotError

__all__ = ["STAGE_PROPERTY", "Words", "words_of"]

logger = logging.getLogger(__name__)

STAGE_PROPERTY = "lifecyclestage"
"""The property whose options name the lifecycle stages."""


class Words:
    """Labels from property definitions (the raw JSON list); the internal names otherwise."""

    def __init__(self, definitions: Iterable[Mapping[str, Any]] | None = None) -> None:
        self._labels: dict[str, str] = {}
        self._options: dict[str, dict[str, str]] = {}
        for definition in definitions or ():
            name = definition.get("name")
            if not isinstance(name, str):
                continue
            label = definition.get("label")
            if isinstance(label, str) and label.strip():
                self._labels[name] = label.strip()
            options = {}
            for option in definition.get("options") or ():
                if not isinstance(option, Mapping):
                    continue
                value, text = option.get("value"), option.get("label")
                if value is not None and isinstance(text, str) and text.strip():
                    options[str(value)] = text.strip()
            if options:
                self._options[name] = options

    def property(self, name: str) -> str:
        """The property's label, else its name."""
        return self._labels.get(name, name)

    def value(self, name: str, value: Any) -> str:
        """The label of ``value`` among the property's options, else the value as text."""
        text = str(value)
        return self._options.get(name, {}).get(text, text)

    def values(self, name: str, values: Sequence[Any]) -> list[str]:
        """:meth:`value` of each."""
        return [self.value(name, v) for v in values]

    def stage(self, stage: Any) -> str:
        """A lifecycle stage's label (``marketingqualifiedlead`` -> "Marketing Qualified Lead")."""
        return self.value(STAGE_PROPERTY, stage)


def words_of(lookup: Any, definitions: Iterable[Mapping[str, Any]] | None = None) -> Words:
    """:class:`Words` of ``definitions`` if given, else of ``lookup.definitions()`` if it has
    them (a result or a dataset); the internal names when neither can be had."""
    if definitions is not None:
        return Words(definitions)
    get = getattr(lookup, "definitions", None)
    if not callable(get):
        return Words()
    try:
        return Words(get())
    except HubSpotError as exc:  # labels are a nicety: the internal names then
        logger.info("no property definitions for the plot's labels: %s", exc)
        return Words()
