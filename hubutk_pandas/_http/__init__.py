"""Private HTTP machinery of the client: the fetcher, sessions, store, transport, pacing, erasure.

Only :mod:`hubutk_pandas.client` and :mod:`hubutk_pandas.privacy` import from here (an import
contract checks it).
"""
