"""Private HTTP machinery of the client: batching, session, store, pacing, transport, fetching.

Nothing outside :mod:`hubutk_pandas.client` imports from here (an import contract checks it).
"""
