"""LookupResult: the tidy frames of one lookup. (Skeleton: the frames issue fills it in.)"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

PropertyDefinitions = list[dict[str, Any]]


class LookupResult:
    """The tidy frames of one lookup (skeleton; see ARCHITECTURE.md for the contract)."""

    def __init__(
        self,
        matched: Sequence[tuple[str | None, Mapping[str, Any]]] = (),
        missing: Sequence[tuple[str, str]] = (),
        *,
        definitions: Callable[[], PropertyDefinitions] | None = None,
    ) -> None:
        self.matched = list(matched)
        self.missing_pairs = list(missing)
        self._definitions = definitions

    @classmethod
    def from_records(
        cls,
        matched: Sequence[tuple[str | None, Mapping[str, Any]]],
        missing: Sequence[tuple[str, str]] = (),
        *,
        definitions: Callable[[], PropertyDefinitions] | None = None,
    ) -> LookupResult:
        return cls(matched, missing, definitions=definitions)
