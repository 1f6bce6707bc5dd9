"""A safe lookup proxy for browser clients: HubSpot's utk endpoints, with CORS.

HubSpot's utk endpoints do not allow CORS, so a page that personalises itself for a
known visitor needs a server in between. This one serves the same wire format through
a :class:`~hubutk_pandas.HubSpotClient` (cached, paced as one app, never retried), to
pages of the listed origins only, with only the listed properties. What each request
costs HubSpot is counted per client and for any 24 hours, so no stranger can spend the
portal's daily API limit; waiting, connections and HTTP framing are bounded too.

* :func:`make_app` builds the WSGI app (:mod:`~hubutk_pandas.proxy.app`);
* :class:`ProxyServer` serves it with waitress (:mod:`~hubutk_pandas.proxy.server`);
* ``hubutk proxy`` / ``python -m hubutk_pandas.proxy`` run both (:mod:`~hubutk_pandas.proxy.cli`).
"""

from __future__ import annotations

from hubutk_pandas.proxy.app import ProxyApp, make_app
from hubutk_pandas.proxy.server import ProxyServer

__all__ = ["ProxyApp", "ProxyServer", "make_app"]
