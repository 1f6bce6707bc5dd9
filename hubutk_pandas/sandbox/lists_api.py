"""The sandbox's Lists API: memberships of many records, list definitions, legacy id mapping.

Served under ``/crm/v3/lists``, ``/crm/lists/2026-03`` and ``/crm/lists/2026-09`` (see
:data:`VERSIONS`), with the shapes of HubSpot's OpenAPI specs for those versions
(``HubSpot-public-api-spec-collection``, ``PublicApiSpecs/CRM/Lists``):

- ``POST .../records/memberships/batch/read`` takes ``{"inputs": [{"objectTypeId": "0-1",
  "recordId": "<vid>"}]}``, at most :data:`MAX_RECORDS` inputs, and answers
  ``{"status": "COMPLETE", "results": [{"objectTypeId", "recordId",
  "recordListMemberships"}], "startedAt", "completedAt"}``. Records the Lists API does not
  find (unknown, deleted or merged-away vids, other object types) are left out of
  ``results`` and named in ``errors`` (``OBJECT_NOT_FOUND``, ``context.ids``), with
  ``numErrors``: a **207** on v3 and 2026-03, which declare one, a **200** on 2026-09, whose
  spec declares no 207 but puts ``errors`` and ``numErrors`` in the 200 answer;
- ``GET .../records/<objectTypeId>/<recordId>/memberships`` answers ``{"results", "total"}``
  (404 ``OBJECT_NOT_FOUND`` for a record it does not find);
- ``GET /crm/v3/lists/?listIds=1&listIds=2`` (also comma-separated) answers
  ``{"lists": [PublicObjectList]}``: names, ``processingType``, ``size``... Unknown ids are
  left out, as the v1 lists batch did; without ``listIds`` every list is returned;
- ``GET .../idmapping?legacyListId=X`` answers ``{"listId", "legacyListId"}`` (404 when
  unknown); ``POST .../idmapping`` takes a JSON array of at most :data:`MAX_LEGACY_IDS`
  legacy ids and answers ``{"legacyListIdsToIdsMapping": [...], "missingLegacyListIds":
  [...]}``.

Documented choices where HubSpot's docs are silent: the over-limit batch answers 400
``VALIDATION_ERROR`` (the wording of HubSpot's other batch limits); a body that is not
JSON, or misses ``inputs`` / ``recordId`` / ``objectTypeId``, answers 400
``VALIDATION_ERROR``; an ``objectTypeId`` that is not of the form ``0-1`` answers 400
(``Unable to infer object type from: ...``); an empty ``inputs`` gives an empty
``results``; a record asked twice is answered once; the error entries carry every key
the spec's ``StandardError`` requires (``status``, ``category``, ``message``, ``context``,
``errors``, ``links``).

Examples
--------
>>> from hubutk_pandas.sandbox.data import SyntheticPortal
>>> data = SyntheticPortal(seed=0, contacts=100, portal_id=62515)
>>> vid = data.vid(data.resolve(data.sample_utks(1)[0]))
>>> status, body = batch_read(data, {"inputs": [
...     {"objectTypeId": "0-1", "recordId": str(vid)},
...     {"objectTypeId": "0-1", "recordId": "1"}]}, "v3")
>>> status, [r["recordId"] for r in body["results"]], body["errors"][0]["context"]
(207, ['...'], {'ids': ['1']})
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from typing import Any

from werkzeug.datastructures import MultiDict

from hubutk_pandas.sandbox.data import SyntheticPortal

__all__ = [
    "CONTACT_TYPE",
    "MAX_LEGACY_IDS",
    "MAX_RECORDS",
    "VERSIONS",
    "InvalidListsRequest",
    "ListNotFound",
    "batch_read",
    "idmapping_get",
    "idmapping_post",
    "list_definitions",
    "parse_json",
    "record_memberships",
]

#: API version → path root.
VERSIONS = {
    "v3": "/crm/v3/lists",
    "2026-03": "/crm/lists/2026-03",
    "2026-09": "/crm/lists/2026-09",
}
CONTACT_TYPE = "0-1"
MAX_RECORDS = 100
MAX_LEGACY_IDS = 10_000
_OBJECT_TYPE = re.compile(r"^[0-9]+-[0-9]+$")
_RECORD_ID = re.compile(r"^[0-9]{1,18}$")
_TYPE_NAMES = {"0-1": "CONTACT", "0-2": "COMPANY", "0-3": "DEAL", "0-5": "TICKET"}
_WITH_207 = ("v3", "2026-03")


class InvalidListsRequest(Exception):
    """The request's body or query cannot be served (→ 400 ``VALIDATION_ERROR``)."""


class ListNotFound(Exception):
    """The one thing asked for does not exist (→ 404 ``OBJECT_NOT_FOUND``)."""


def _now() -> str:
    now = dt.datetime.now(dt.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def parse_json(raw: bytes) -> Any:
    """The request body as JSON, or :class:`InvalidListsRequest` naming where it broke."""
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidListsRequest("Invalid input JSON: the body is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise InvalidListsRequest(
            f"Invalid input JSON on line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except (ValueError, RecursionError):  # an integer of thousands of digits; deep nesting
        raise InvalidListsRequest("Invalid input JSON: a value is too large or too deep") from None


def _id_text(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidListsRequest(f"{where} must be a string; got {json.dumps(value)}")
    return str(value)


def _find(data: SyntheticPortal, object_type: str, record_id: str) -> list[dict[str, Any]] | None:
    if object_type != CONTACT_TYPE or not _RECORD_ID.match(record_id):
        return None
    index = data.index_of_vid(int(record_id))
    return None if index is None else data.list_memberships(index)


def _not_found(object_type: str, ids: list[str]) -> dict[str, Any]:
    name = _TYPE_NAMES.get(object_type, object_type)
    return {
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "message": f"Could not get some {name} objects, they may be deleted or not exist. "
        "Check that ids are valid.",
        "context": {"ids": ids},
        "errors": [],
        "links": {},
    }


def _inputs(body: Any) -> list[tuple[str, str]]:
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
        raise InvalidListsRequest('The body must be an object with an "inputs" array')
    inputs: list[Any] = body["inputs"]
    if len(inputs) > MAX_RECORDS:
        raise InvalidListsRequest(
            "The maximum number of inputs supported in a batch request for list memberships "
            f"is {MAX_RECORDS} ({len(inputs)} were given). Please reduce the number of items "
            "and try again"
        )
    out: list[tuple[str, str]] = []
    for k, item in enumerate(inputs):
        if not isinstance(item, dict) or "objectTypeId" not in item or "recordId" not in item:
            raise InvalidListsRequest(
                f"inputs[{k}] must be an object with objectTypeId and recordId"
            )
        object_type = _id_text(item["objectTypeId"], f"inputs[{k}].objectTypeId")
        if not _OBJECT_TYPE.match(object_type):
            raise InvalidListsRequest(f"Unable to infer object type from: {object_type}")
        out.append((object_type, _id_text(item["recordId"], f"inputs[{k}].recordId")))
    return out


def batch_read(data: SyntheticPortal, body: Any, version: str) -> tuple[int, dict[str, Any]]:
    """``(status, answer)`` of a memberships batch read (see the module docstring)."""
    started = _now()
    results: list[dict[str, Any]] = []
    missing: dict[str, list[str]] = {}
    seen: set[tuple[str, str]] = set()
    for object_type, record_id in _inputs(body):
        if (object_type, record_id) in seen:
            continue
        seen.add((object_type, record_id))
        memberships = _find(data, object_type, record_id)
        if memberships is None:
            missing.setdefault(object_type, []).append(record_id)
            continue
        results.append(
            {
                "objectTypeId": object_type,
                "recordId": record_id,
                "recordListMemberships": memberships,
            }
        )
    answer: dict[str, Any] = {"status": "COMPLETE", "results": results}
    status = 200
    if missing:
        errors = [_not_found(t, ids) for t, ids in missing.items()]
        answer.update(numErrors=len(errors), errors=errors)
        status = 207 if version in _WITH_207 else 200
    answer.update(startedAt=started, completedAt=_now())
    return status, answer


def record_memberships(data: SyntheticPortal, object_type: str, record_id: str) -> dict[str, Any]:
    """The answer of the per-record read, or :class:`ListNotFound`."""
    if not _OBJECT_TYPE.match(object_type):
        raise InvalidListsRequest(f"Unable to infer object type from: {object_type}")
    memberships = _find(data, object_type, record_id)
    if memberships is None:
        name = _TYPE_NAMES.get(object_type, object_type)
        raise ListNotFound(f"Could not find {name} with id {record_id}")
    return {"results": memberships, "total": len(memberships)}


def _flag(args: MultiDict[str, str], name: str) -> None:
    value = args.get(name)
    if value is not None and value.lower() not in ("true", "false"):
        raise InvalidListsRequest(
            f"Invalid value {value!r} for parameter {name}: valid values are true, false"
        )


def _split(values: Iterable[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def list_definitions(data: SyntheticPortal, args: MultiDict[str, str]) -> dict[str, Any]:
    """The answer of ``GET .../lists?listIds=...`` (``includeFilters`` is checked, not served)."""
    _flag(args, "includeFilters")
    asked = _split(args.getlist("listIds"))
    if not asked and "listIds" in args:
        raise InvalidListsRequest("listIds must name at least one list id")
    return {"lists": data.catalogue.definitions(asked or None)}


def idmapping_get(data: SyntheticPortal, args: MultiDict[str, str]) -> dict[str, Any]:
    """The answer of ``GET .../idmapping?legacyListId=X``, or :class:`ListNotFound`."""
    legacy = (args.get("legacyListId") or "").strip()
    if not legacy:
        raise InvalidListsRequest("The legacyListId query parameter is required")
    found, _ = data.catalogue.map_legacy([legacy])
    if legacy not in found:
        raise ListNotFound(f"No list was found for the legacy list id {legacy}")
    return {"listId": found[legacy], "legacyListId": legacy}


def idmapping_post(data: SyntheticPortal, body: Any) -> dict[str, Any]:
    """The answer of ``POST .../idmapping`` (a JSON array of legacy ids)."""
    if not isinstance(body, list):
        raise InvalidListsRequest("The body must be a JSON array of legacy list ids")
    if len(body) > MAX_LEGACY_IDS:
        raise InvalidListsRequest(
            f"The maximum number of legacy list ids supported in one request is "
            f"{MAX_LEGACY_IDS} ({len(body)} were given). Please reduce the number of items "
            "and try again"
        )
    legacy = [_id_text(v, f"[{k}]") for k, v in enumerate(body)]
    found, missing = data.catalogue.map_legacy(legacy)
    return {
        "legacyListIdsToIdsMapping": [
            {"legacyListId": old, "listId": new} for old, new in found.items()
        ],
        "missingLegacyListIds": missing,
    }
