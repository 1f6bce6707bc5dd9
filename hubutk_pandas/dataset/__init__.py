"""Lookups that outgrow memory: a Parquet dataset on disk, resumable, queried with DuckDB.

``client.lookup_utks(utks, ..., out=PATH)`` (and ``df.hubspot.lookup_utks(..., out=PATH)``)
stream the lookup to a :class:`LookupDataset` at ``PATH`` and return it:

.. code-block:: text

    PATH/
      _manifest.json        options, schema version, source, state, counts, definitions
      _state.sqlite         resume state: distinct input utks (done or pending), vids written
      _lock                 flock-ed while a process writes
      contacts/part-000000.parquet, part-000001.parquet, ...
      properties/ history/ form_submissions/ list_memberships/ identities/
      merge_audits/ companies/ missing/          (one folder per frame)

This package is the storage only. Each frame folder is a standard Parquet dataset with
one schema (:mod:`~hubutk_pandas.dataset.layout`); each part appears whole, exactly once
(:mod:`~hubutk_pandas.dataset.writer`), with the resume state
(:mod:`~hubutk_pandas.dataset.state`) and the manifest
(:mod:`~hubutk_pandas.dataset.manifest`); :func:`open_dataset` reads it back
(:mod:`~hubutk_pandas.dataset.reader`); :func:`distinct_utks` reads big inputs
(:mod:`~hubutk_pandas.dataset.inputs`). A dataset is private to you (folders ``0700``, files
``0600``); :func:`set_dataset_access` opens one to your group
(:mod:`~hubutk_pandas.dataset.access`), and ``HubSpotClient.forget(..., datasets=[PATH])``
erases a contact from it (:mod:`~hubutk_pandas.dataset.erase`). The lookup that fills it,
chunked and pipelined, is the dataset sink of the lookup pipeline
(:func:`hubutk_pandas.lookup.lookup_to_dataset`).

Examples
--------
>>> import tempfile
>>> ds = client.lookup_utks(client.sandbox.sample_utks(30), progress=False,
...                         out=tempfile.mkdtemp() + "/visits")
>>> ds.counts["contacts"], ds.complete
(30, True)
>>> ds.to_pandas("contacts").equals(client.lookup_utks(client.sandbox.sample_utks(30),
...                                                   progress=False).contacts)
True
"""

from __future__ import annotations

from hubutk_pandas.dataset.access import set_dataset_access
from hubutk_pandas.dataset.inputs import distinct_utks
from hubutk_pandas.dataset.reader import LookupDataset, open_dataset

__all__ = ["LookupDataset", "distinct_utks", "open_dataset", "set_dataset_access"]
