"""The dataset's manifest, ``<dataset>/_manifest.json``: what a reader needs without a scan.

It holds the lookup options, the schema version, the source (the API's address and the
portal id, never a credential), the completion state (``"complete"`` or
``"incomplete"``), the counts of input values and of rows per frame with each frame's
columns, and the property definitions the dataset was fetched with (``wide()`` types
from them). It is rewritten atomically (temporary file, then rename) after each part, so a
reader always sees a whole manifest that matches the parts it names or fewer.

Examples
--------
>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> write_manifest(root, new_manifest({"property_mode": "value_only"}, "http://h", None))
>>> read_manifest(root)["schema_version"]
2
>>> check_options(read_manifest(root), {"property_mode": "value_and_history"}, root)
Traceback (most recent call last):
hubutk_pandas.errors.DatasetError: ... was written with property_mode='value_only'; ...
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hubutk_pandas._filemodes import opener
from hubutk_pandas.errors import DatasetError

__all__ = [
    "FORMAT",
    "MANIFEST",
    "SCHEMA_VERSION",
    "check_options",
    "new_manifest",
    "public_address",
    "read_manifest",
    "shared",
    "write_manifest",
]

MANIFEST = "_manifest.json"
FORMAT = "hubutk-pandas lookup dataset"
SCHEMA_VERSION = 2
"""The version of the on-disk frames this package writes and reads.

1. ``list_memberships`` held the v1 fields only (``static_list_id``, ``internal_list_id``,
   ``timestamp``, ``is_member``).
2. ``list_memberships`` holds the Lists API's memberships too (``source``, ``list_id``,
   ``list_name``, ``processing_type``, ``list_version``, ``first_added``, ``last_added``,
   ``is_public``), issue 18.
"""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hubutk-pandas")
    except PackageNotFoundError:  # pragma: no cover - a bare checkout
        return "0+unknown"


def public_address(base_url: str) -> str:
    """``scheme://host[:port]`` of the API: no path, query or user info (never a secret).

    Examples
    --------
    >>> public_address("https://user:pw@api.hubapi.com/x?hapikey=s")
    'https://api.hubapi.com'
    """
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


def new_manifest(options: dict[str, Any], base_url: str, portal_id: int | None) -> dict[str, Any]:
    """A fresh manifest for a dataset of ``options`` fetched from ``base_url``."""
    return {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "created_by": f"hubutk-pandas {_version()}",
        "created_at": _now(),
        "updated_at": _now(),
        "options": options,
        "source": {"api": public_address(base_url), "portal_id": portal_id},
        "state": "incomplete",
        "utks": {},
        "frames": {},
        "definitions": None,
    }


def shared(manifest: dict[str, Any]) -> bool:
    """Whether the dataset is shared with its group (``"access": "group"``; else private).

    Examples
    --------
    >>> shared({"access": "group"}), shared({})
    (True, False)
    """
    return manifest.get("access") == "group"


def read_manifest(root: Path) -> dict[str, Any]:
    """The manifest of the dataset at ``root``; :class:`DatasetError` when there is none."""
    path = root / MANIFEST
    if not root.is_dir():
        kind = "a file" if root.exists() else "missing"
        raise DatasetError(f"{str(root)!r} is not a lookup dataset: it is {kind}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DatasetError(
            f"{str(root)!r} is not a lookup dataset (it has no {MANIFEST}); "
            "choose an empty or new folder"
        ) from None
    except (OSError, ValueError) as exc:
        raise DatasetError(f"the manifest {str(path)!r} cannot be read: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise DatasetError(f"{str(path)!r} is not the manifest of a hubutk-pandas lookup dataset")
    version = manifest.get("schema_version")
    if version != SCHEMA_VERSION:
        older = isinstance(version, int) and version < SCHEMA_VERSION
        raise DatasetError(
            f"{str(root)!r} has schema version {version!r}; this hubutk-pandas reads version "
            f"{SCHEMA_VERSION}. "
            + (
                "It was written by an older hubutk-pandas, whose list_memberships frame had "
                "other columns: read it with the version that wrote it "
                f"({manifest.get('created_by', 'unknown')}), or run the lookup again into a "
                "new folder (nothing in this one was changed)."
                if older
                else "It was written by a newer hubutk-pandas: upgrade to read it."
            )
        )
    return manifest


def write_manifest(root: Path, manifest: dict[str, Any]) -> None:
    """Write the manifest atomically (a temporary file, fsynced, then renamed)."""
    manifest["updated_at"] = _now()
    tmp = root / f".{MANIFEST}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8", opener=opener(shared(manifest))) as handle:
            json.dump(manifest, handle, ensure_ascii=False, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, root / MANIFEST)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def check_options(manifest: dict[str, Any], options: dict[str, Any], root: Path) -> None:
    """Refuse to continue a dataset with other options (nothing is written or changed)."""
    stored = manifest.get("options", {})
    for key in sorted(set(stored) | set(options)):
        if stored.get(key) != options.get(key):
            raise DatasetError(
                f"the dataset {str(root)!r} was written with {key}={stored.get(key)!r}; this "
                f"lookup asks for {key}={options.get(key)!r}. Use another folder for other "
                "options, or the same options to continue it"
            )
