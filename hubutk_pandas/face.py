"""One face for a lookup: what a result in memory and a dataset on disk both offer.

A lookup ends in one of two sinks: a :class:`~hubutk_pandas.LookupResult` (the frames in
memory) or, with ``out=``, a :class:`~hubutk_pandas.LookupDataset` (Parquet parts on
disk). Both satisfy :class:`LookupFace`, with the same names, arguments and return shapes,
so code written against it (the lead analytics, the plots, ``enrich``, your own) works on
either:

=========================================  =================================================
member                                     what it gives
=========================================  =================================================
``to_pandas(name, columns, filters)``      frame ``name`` (one of :data:`FRAME_NAMES`):
                                           only these columns, only the rows the pyarrow
                                           ``filters`` keep; a new frame every call
``missing``                                the utks that matched nothing (a frame)
``counts``                                 rows per frame, by name
``wide(properties=None, per="utk")``       one typed column per property; a row per
                                           matched utk, or per contact (``per="contact"``)
``definitions()``                          the portal's property definitions (``[]``: none)
``options``                                the :class:`~hubutk_pandas.LookupOptions` of the
                                           lookup (``None``: a result built by hand)
``lead``                                   the lead analytics (:mod:`hubutk_pandas.lead`)
``plot``                                   the plots (:mod:`hubutk_pandas.plotting`)
``tables()``                               ``wide`` and every frame, by name
``to_files(out, format="parquet")``        ``tables()`` as flat files: one Parquet or CSV
                                           file each (:data:`FILE_FORMATS`)
=========================================  =================================================

A result also has each frame as an attribute (``result.history``); on a dataset, which may
not fit in memory, a frame is read with ``to_pandas``, the one spelling that works on both.

Examples
--------
>>> import tempfile
>>> utks = client.sandbox.sample_utks(20)
>>> result = client.lookup_utks(utks, progress=False)
>>> ds = client.lookup_utks(utks, progress=False, out=tempfile.mkdtemp())
>>> isinstance(result, LookupFace), isinstance(ds, LookupFace)
(True, True)
>>> result.to_pandas("contacts").equals(ds.to_pandas("contacts"))
True
>>> result.counts == ds.counts, ds.options.property_mode
(True, 'value_only')
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from hubutk_pandas.errors import InvalidOptionError
from hubutk_pandas.frames import FRAME_NAMES

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

    from hubutk_pandas.lead import LeadAnalytics
    from hubutk_pandas.options import LookupOptions
    from hubutk_pandas.plotting import ResultPlotter

__all__ = [
    "FILE_FORMATS",
    "FRAME_NAMES",
    "WIDE_ROWS",
    "FileFormat",
    "LookupFace",
    "PropertyDefinitions",
    "WideRows",
    "check_frame",
    "one_row_per",
]

PropertyDefinitions = list[dict[str, Any]]
"""The portal's property definitions: the JSON array of ``/properties/v1/contacts/properties``."""

FileFormat = Literal["parquet", "csv"]
"""The flat-file formats of ``to_files``: one file per table, never a dataset folder."""

FILE_FORMATS: tuple[FileFormat, ...] = ("parquet", "csv")

WideRows = Literal["utk", "contact"]
"""What a row of ``wide()`` stands for: a matched utk (the default), or a contact."""
WIDE_ROWS: tuple[WideRows, ...] = ("utk", "contact")


def one_row_per(wide: pd.DataFrame, per: Any) -> pd.DataFrame:
    """``wide`` (a row per matched utk) as ``per`` asks: as it is, or a row per contact.

    A contact reached by several utks keeps the row of the first one (its ``utk``), in
    lookup order; the properties are the contact's, the same on each of its rows.

    Examples
    --------
    >>> import pandas as pd
    >>> wide = pd.DataFrame({"utk": ["a", "b", "c"], "vid": [1, 1, 2], "n": [5, 5, 6]})
    >>> one_row_per(wide, "contact")
      utk  vid  n
    0   a    1  5
    1   c    2  6
    >>> one_row_per(wide, "visit")
    Traceback (most recent call last):
    hubutk_pandas.errors.InvalidOptionError: per='visit' is not valid; choose from 'utk', 'contact'
    """
    if per not in WIDE_ROWS:
        raise InvalidOptionError.for_value("per", per, WIDE_ROWS)
    if per == "utk":
        return wide
    return wide.drop_duplicates("vid", keep="first", ignore_index=True)


def check_frame(name: Any) -> str:
    """``name`` when it names a frame, else a ``KeyError`` listing the frames.

    Examples
    --------
    >>> check_frame("visits")
    Traceback (most recent call last):
    ...
    KeyError: "no frame 'visits'; the frames are: contacts, properties, history, ..."
    """
    if not isinstance(name, str) or name not in FRAME_NAMES:
        raise KeyError(f"no frame {name!r}; the frames are: {', '.join(FRAME_NAMES)}")
    return name


@runtime_checkable
class LookupFace(Protocol):
    """What a :class:`~hubutk_pandas.LookupResult` and a :class:`~hubutk_pandas.LookupDataset`
    both offer (see the module docstring for the table).

    ``isinstance(x, LookupFace)`` checks that the members are there; on Python < 3.12 it
    reads the properties to do so.
    """

    @property
    def options(self) -> LookupOptions | None:
        """The options of the lookup (``None`` for a result built by hand without them)."""

    @property
    def counts(self) -> dict[str, int]:
        """Rows per frame, by name, in :data:`FRAME_NAMES` order."""

    @property
    def missing(self) -> pd.DataFrame:
        """The utks that matched nothing: ``utk`` and ``reason``."""

    @property
    def lead(self) -> LeadAnalytics:
        """The lead analytics, bound to this lookup."""

    @property
    def plot(self) -> ResultPlotter:
        """The plots, bound to this lookup."""

    def to_pandas(
        self,
        name: str,
        columns: Sequence[str] | None = None,
        filters: Any = None,
    ) -> pd.DataFrame:
        """Frame ``name`` with its documented dtypes, in lookup order (a new frame)."""

    def wide(
        self, properties: Sequence[str] | None = None, *, per: WideRows = "utk"
    ) -> pd.DataFrame:
        """One row per matched utk (``per="contact"``: per contact), a typed column per property."""

    def definitions(self) -> PropertyDefinitions:
        """The portal's property definitions; ``[]`` when the lookup has none."""

    def tables(self) -> Mapping[str, pd.DataFrame]:
        """``wide`` and every frame, by name: what :meth:`to_files` writes."""

    def to_files(self, out: str | os.PathLike[str], format: FileFormat = "parquet") -> list[Path]:
        """Write :meth:`tables` to ``out/<name>.<format>``; return the paths."""
