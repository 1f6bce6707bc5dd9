"""A requests session with less work per request: the lookups' session without HTTP cache.

A lookup sends one request per 100 utks, up to 25 a second, and each answer is up to a
megabyte of JSON. Measured on such a request (full history, 1.1 MB, on loopback), a plain
:class:`requests.Session` spent about 6 ms of CPU, of which less than half is the
exchange itself:

* ``Response.content`` joins the body from 10 KB reads, each through urllib3's and
  requests' generators (about 3 ms for 1.1 MB). :meth:`LightSession.send` reads it in one
  call instead, mapping urllib3's errors to the ones requests raises there, so a callers'
  ``except`` clauses see what they always saw.
* ``Session.request`` looks up the proxy and CA-bundle environment variables on every
  request, scanning ``os.environ`` twice (about 0.6 ms).
  :meth:`LightSession.merge_environment_settings` does the same lookup once per scheme,
  host and ``no_proxy`` for the session's life. A session is made when its client is, so
  ``HTTPS_PROXY`` and the others are read as they are then (set them before making the
  client, as with any program).

Everything else (redirects, hooks, cookies, timeouts, the adapter's pool) is requests' own.

Examples
--------
>>> from hubutk_pandas.sandbox import SandboxPortal
>>> with SandboxPortal(contacts=3) as portal, LightSession() as session:
...     answer = session.get(portal.base_url + "/contacts/v1/contact/byUtk/batch/",
...                          params=[("utk", "0" * 32)],
...                          headers={"Authorization": f"Bearer {portal.access_token}"})
>>> answer.status_code, answer.json()
(200, {})
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from requests.exceptions import ChunkedEncodingError, ContentDecodingError
from requests.sessions import merge_setting
from requests.utils import get_environ_proxies
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError, SSLError

if TYPE_CHECKING:
    from requests.sessions import _Settings

__all__ = ["LightSession"]


class LightSession(requests.Session):
    """A :class:`requests.Session` that reads each body in one call and the environment once.

    Examples
    --------
    The environment's settings are requests' own:

    >>> url = "http://127.0.0.1:1/x"
    >>> mine = LightSession().merge_environment_settings(url, {}, None, None, None)
    >>> mine == requests.Session().merge_environment_settings(url, {}, None, None, None)
    True
    """

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Send ``request``; unless streaming was asked for, read the whole body in one call."""
        if kwargs.get("stream"):
            return super().send(request, **kwargs)
        response = super().send(request, **{**kwargs, "stream": True})
        # What Response.content does, in one read (requests.models.Response.iter_content
        # maps the same urllib3 errors to the same requests errors).
        try:
            body = response.raw.read(decode_content=True)
        except ProtocolError as exc:  # a cut body, a broken chunk
            raise ChunkedEncodingError(exc) from exc
        except DecodeError as exc:
            raise ContentDecodingError(exc) from exc
        except ReadTimeoutError as exc:
            raise requests.ConnectionError(exc) from exc
        except SSLError as exc:
            raise requests.exceptions.SSLError(exc) from exc
        finally:
            response._content_consumed = True  # type: ignore[attr-defined]
        response._content = body or b""
        return response

    def merge_environment_settings(
        self, url: str | bytes | None, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> _Settings:
        """requests' own merge, the environment's proxies looked up once per origin."""
        if self.trust_env:
            no_proxy = proxies.get("no_proxy") if proxies is not None else None
            parts = urlsplit(url.decode() if isinstance(url, bytes) else url or "")
            origin = f"{parts.scheme}://{parts.netloc}/"
            for key, value in _environ_proxies(self, origin, no_proxy).items():
                proxies.setdefault(key, value)
            if verify is True or verify is None:
                verify = self._ca_bundle or verify
        return {
            "proxies": merge_setting(proxies, self.proxies),
            "stream": merge_setting(stream, self.stream),
            "verify": merge_setting(verify, self.verify),
            "cert": merge_setting(cert, self.cert),
        }

    @functools.cached_property
    def _ca_bundle(self) -> str | None:
        return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")


def _environ_proxies(session: LightSession, origin: str, no_proxy: str | None) -> dict[str, str]:
    """The environment's proxies for ``origin``, looked up once per session (a copy)."""
    seen: dict[tuple[str, str | None], dict[str, str]] = session.__dict__.setdefault(
        "_environ_proxies", {}
    )
    key = (origin, no_proxy)
    if key not in seen:
        seen[key] = get_environ_proxies(origin, no_proxy=no_proxy)
    return dict(seen[key])
