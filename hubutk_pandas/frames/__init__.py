"""Pure JSON → tables: HubSpot's contact records become the documented tidy frames.

:mod:`~hubutk_pandas.frames.build` walks records into frames,
:mod:`~hubutk_pandas.frames.columns` owns each frame's schema and the conversion of raw
values to typed arrays, and :mod:`~hubutk_pandas.frames.dtypes` types ``wide()`` columns
from the portal's property definitions. Nothing here does I/O.

Examples
--------
>>> from hubutk_pandas import frames
>>> frames.build_frames([], [])["contacts"].columns[:3].tolist()
['utk', 'vid', 'canonical_vid']
"""

from __future__ import annotations

from hubutk_pandas.frames.build import build_frames
from hubutk_pandas.frames.columns import (
    COMPANIES_SCHEMA,
    CONTACTS_SCHEMA,
    FORM_SUBMISSIONS_SCHEMA,
    FRAME_NAMES,
    HISTORY_SCHEMA,
    IDENTITIES_SCHEMA,
    LIST_MEMBERSHIPS_SCHEMA,
    MERGE_AUDITS_SCHEMA,
    MISSING_SCHEMA,
    PROPERTIES_SCHEMA,
    SCHEMAS,
    TIMESTAMP_DTYPE,
    empty_frame,
)

__all__ = [
    "COMPANIES_SCHEMA",
    "CONTACTS_SCHEMA",
    "FORM_SUBMISSIONS_SCHEMA",
    "FRAME_NAMES",
    "HISTORY_SCHEMA",
    "IDENTITIES_SCHEMA",
    "LIST_MEMBERSHIPS_SCHEMA",
    "MERGE_AUDITS_SCHEMA",
    "MISSING_SCHEMA",
    "PROPERTIES_SCHEMA",
    "SCHEMAS",
    "TIMESTAMP_DTYPE",
    "build_frames",
    "empty_frame",
]
