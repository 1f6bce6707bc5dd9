"""One property version (an entry of ``versions``), in HubSpot's key order."""

from __future__ import annotations

from typing import Any

__all__ = ["version"]


def version(
    value: str,
    source_type: str,
    timestamp: int,
    *,
    source_id: str | None = None,
    source_label: str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return one ``versions`` entry in HubSpot's key order."""
    v: dict[str, Any] = {
        "value": value,
        "source-type": source_type,
        "source-id": source_id,
        "source-label": source_label,
        "timestamp": timestamp,
        "selected": False,
    }
    if extra:
        v.update(extra)
    return v
