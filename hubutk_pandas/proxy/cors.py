"""CORS for the proxy: allowed origins echoed one by one, never ``*``, never credentials.

Pure decisions on request headers; :mod:`~hubutk_pandas.proxy.app` acts on them.

* An origin is ``scheme://host[:port]``, compared in lower case without a trailing slash
  or a default port; ``*`` is refused when the policy is built, and ``null`` (sandboxed
  frames, ``file:`` pages) is allowed only when listed.
* An allowed origin gets ``Access-Control-Allow-Origin`` with *its own* value; a preflight
  from it also gets the methods (GET, HEAD, OPTIONS), the few request headers a lookup
  needs, and a max age. ``Access-Control-Allow-Credentials`` is never sent, so a page
  using ``credentials: "include"`` is refused by its own browser. ``Retry-After`` and the
  correlation id are exposed to the page's script (``Access-Control-Expose-Headers``).
* ``Vary: Origin`` is on every answer, so no shared cache serves one origin's answer to
  another.
* A request without an ``Origin`` header is not a cross-origin browser request (a
  server-side client, ``curl``): CORS does not apply to it.

Examples
--------
>>> policy = CorsPolicy(["https://Example.com:443/"])
>>> policy.allows("https://example.com"), policy.allows("https://evil.example")
(True, False)
>>> policy.headers("https://example.com")["Access-Control-Allow-Origin"]
'https://example.com'
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from hubutk_pandas.errors import InvalidOptionError

__all__ = [
    "ALLOWED_HEADERS",
    "ALLOWED_METHODS",
    "EXPOSED_HEADERS",
    "CorsPolicy",
    "normalize_origin",
]

ALLOWED_METHODS = ("GET", "HEAD", "OPTIONS")
#: Request headers a page may send (the CORS-safelisted ones need no listing).
ALLOWED_HEADERS = ("Accept", "Accept-Language", "Content-Language", "Content-Type")
EXPOSED_HEADERS = ("Retry-After", "X-HubSpot-Correlation-Id")
MAX_AGE_SECONDS = 600
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_origin(origin: str) -> str:
    """``origin`` as a browser sends it: lower-case ``scheme://host[:port]``.

    Raises :class:`InvalidOptionError` for ``*``, a path, or anything but http(s).

    Examples
    --------
    >>> normalize_origin("HTTP://LocalHost:8000/"), normalize_origin("null")
    ('http://localhost:8000', 'null')
    >>> normalize_origin("*")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    hubutk_pandas.errors.InvalidOptionError: allow_origins='*' is not valid; ...
    """
    text = origin.strip()
    if text == "null":
        return text
    if text == "*":
        raise InvalidOptionError(
            "allow_origins='*' is not valid; list each origin that may read the answers, "
            "e.g. https://www.example.com"
        )
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if (
        parts is None
        or parts.scheme.lower() not in _DEFAULT_PORTS
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username is not None
    ):
        raise InvalidOptionError(
            f"allow_origins={origin!r} is not valid; use scheme://host[:port] with http or "
            "https and nothing after it, e.g. https://www.example.com"
        )
    scheme = parts.scheme.lower()
    netloc = parts.hostname.lower()
    if ":" in netloc:  # an IPv6 literal
        netloc = f"[{netloc}]"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    return f"{scheme}://{netloc}"


class CorsPolicy:
    """Which origins may read the proxy's answers, and the headers that tell the browser.

    Parameters
    ----------
    allow_origins
        At least one origin; ``*`` is refused.
    """

    def __init__(self, allow_origins: Iterable[str]) -> None:
        if isinstance(allow_origins, str):
            allow_origins = [allow_origins]
        origins = tuple(dict.fromkeys(normalize_origin(o) for o in allow_origins))
        if not origins:
            raise InvalidOptionError(
                "allow_origins=[] is not valid; list at least one origin (there is no '*')"
            )
        self.origins = origins

    def __repr__(self) -> str:
        return f"CorsPolicy({list(self.origins)!r})"

    def allows(self, origin: str) -> bool:
        """Whether a request carrying ``Origin: origin`` may read the answer."""
        try:
            return normalize_origin(origin) in self.origins
        except InvalidOptionError:
            return False

    def headers(self, origin: str) -> dict[str, str]:
        """The CORS headers of an answer to ``origin`` (an allowed one)."""
        return {
            "Access-Control-Allow-Origin": origin.strip(),
            # Not CORS-safelisted, so a page could not read them otherwise (a 429's wait).
            "Access-Control-Expose-Headers": ", ".join(EXPOSED_HEADERS),
            "Vary": "Origin",
        }

    def preflight_headers(self, origin: str) -> dict[str, str]:
        """The headers of the answer to an allowed origin's preflight ``OPTIONS``.

        Examples
        --------
        >>> h = CorsPolicy(["http://a.test"]).preflight_headers("http://a.test")
        >>> h["Access-Control-Allow-Methods"], "Access-Control-Allow-Credentials" in h
        ('GET, HEAD, OPTIONS', False)
        """
        return {
            **self.headers(origin),
            "Access-Control-Allow-Methods": ", ".join(ALLOWED_METHODS),
            "Access-Control-Allow-Headers": ", ".join(ALLOWED_HEADERS),
            "Access-Control-Max-Age": str(MAX_AGE_SECONDS),
        }
