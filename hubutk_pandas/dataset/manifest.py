"""The dataset's manifest, ``<dataset>/_manifest.json``: what a reader needs without a scan.

It holds the lookup options, the schema version, the source (the API's address, the
portal id and a salted fingerprint of the credential that made it, never the credential:
see :func:`check_source`), the completion state (``"complete"`` or
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
import secrets
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hubutk_pandas import _json
from hubutk_pandas._filemodes import opener
from hubutk_pandas.errors import DatasetError

__all__ = [
    "FORMAT",
    "MANIFEST",
    "SCHEMA_VERSION",
    "check_options",
    "check_source",
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
    """A fresh manifest for a dataset of ``options`` fetched from ``base_url``.

    Its source gets a random salt of its own, for the credential's fingerprint
    (:func:`check_source` records it).
    """
    return {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "created_by": f"hubutk-pandas {_version()}",
        "created_at": _now(),
        "updated_at": _now(),
        "options": options,
        "source": {
            "api": public_address(base_url),
            "portal_id": portal_id,
            "credential_fingerprint": None,
            "salt": secrets.token_hex(16),
        },
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
        # orjson: the manifest (with the portal's property definitions) is rewritten after
        # each part, and the standard library's indented encoder took a fifth of a streamed
        # lookup's CPU.
        with open(tmp, "wb", opener=opener(shared(manifest))) as handle:
            handle.write(_json.dumps_indented(manifest))
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


def _portal_text(portal_id: Any) -> str:
    return f"portal {portal_id}" if portal_id is not None else "a portal it could not name"


def check_source(
    manifest: dict[str, Any],
    root: Path,
    identify: Callable[[bytes], str] | None,
    portal: Callable[[], int | None] | None,
) -> bool:
    """Refuse a lookup for another portal, or by a credential not known to be the dataset's.

    A dataset records, when it is made, a salted fingerprint of the credential that made
    it (``identify(salt)``, with the dataset's own salt; never the credential) and its
    portal (``portal()``: HubSpot's account details, one request; ``None`` when the API
    cannot say, and then the first matched record's portal is recorded). A later lookup
    into it, whatever matched before (the missing utks are that credential's answers too):

    * with the same credential continues it;
    * for another portal is refused;
    * with another credential is refused, unless HubSpot says it is the dataset's portal's
      (a rotated key, a refreshed OAuth token): then it continues it, and is recorded.

    ``identify=None`` (``forget``, which needs no credential) checks nothing. Returns
    whether the manifest's source changed (a fingerprint or portal recorded now). Nothing
    is written here.

    Examples
    --------
    >>> import pathlib
    >>> m = new_manifest({}, "http://h", None)
    >>> check_source(m, pathlib.Path("ds"), lambda salt: "fp-a", lambda: 7)
    True
    >>> m["source"]["credential_fingerprint"], m["source"]["portal_id"]
    ('fp-a', 7)
    >>> check_source(m, pathlib.Path("ds"), lambda salt: "fp-b", lambda: 8)
    Traceback (most recent call last):
    hubutk_pandas.errors.DatasetError: the dataset 'ds' holds portal 7's answers; ...
    >>> check_source(m, pathlib.Path("ds"), lambda salt: "fp-b", lambda: None)
    Traceback (most recent call last):
    hubutk_pandas.errors.DatasetError: the dataset 'ds' was made with another credential, ...
    >>> check_source(m, pathlib.Path("ds"), lambda salt: "fp-b", lambda: 7)  # a rotated key
    True
    """
    if identify is None:
        return False
    source = manifest.setdefault("source", {})
    changed = False
    if not source.get("salt"):
        source["salt"] = secrets.token_hex(16)
        changed = True
    try:
        salt = bytes.fromhex(str(source["salt"]))
    except ValueError:
        raise DatasetError(f"the manifest of {str(root)!r} has a broken salt") from None
    stored, mine = source.get("credential_fingerprint"), identify(salt)
    known = source.get("portal_id")
    same = stored == mine
    found = None
    if portal is not None and (known is None or not same):  # one request, when it matters
        found = portal()
    if found is not None and known is not None and found != known:
        raise DatasetError(
            f"the dataset {str(root)!r} holds portal {known}'s answers; this lookup's "
            f"credential is for portal {found}. Use another folder per portal"
        )
    if stored is not None and not same and (found is None or known is None):
        raise DatasetError(
            f"the dataset {str(root)!r} was made with another credential, for "
            f"{_portal_text(known)} at {source.get('api')}, and HubSpot cannot confirm "
            "that this one is for the same portal: the dataset's answers, the utks it found "
            "missing included, are that credential's. Continue it with the credential that "
            "made it (retry_missing=True, or hubutk lookup --retry-missing, looks its "
            "missing utks up again), or write this credential's lookup to another folder"
        )
    if not same:  # new, made before fingerprints were kept, or the same portal's new one
        source["credential_fingerprint"] = mine
        changed = True
    if found is not None and known is None:
        source["portal_id"] = found
        changed = True
    return changed
