"""No utk and no contact data in any log record made while the proxy serves a request.

The proxy's own lines carry a hash of the utks, never the utks. Other code running in the
same thread may not be so careful: urllib3 logs each upstream URL at DEBUG (every utk of
the batch), requests-cache logs cache keys and URLs, the client's retry warnings quote
the start of a malformed answer (a utk, names). When :func:`~hubutk_pandas.proxy.make_app`
runs in someone else's WSGI host with DEBUG logging on, all of that would reach their log.

:func:`scrubbed_logs` wraps the serving of one request. While at least one request is
being served, the process's :func:`logging.setLogRecordFactory` is wrapped, so that
**every** record, from any logger, made *by a thread serving a request* is rewritten as
it is made (:func:`scrub_text`):

* each run of exactly 32 hexadecimal characters (a utk) becomes ``utk:<8 hex>``, a hash
  that tells two utks apart without giving either away;
* anything from an opening ``{"``, ``["``, ``[{`` (or their single-quoted Python forms) to
  the end of its line - an excerpt of an answer, with its names and values - becomes
  ``{…}``.

The message, its arguments and a formatted traceback are all rewritten; a record that
needs no change is left exactly as it was. Records of other threads pass untouched, and
when the last request ends the previous factory is put back, so other libraries' logging
is as the program set it outside the proxy's requests.

Examples
--------
>>> import logging
>>> with scrubbed_logs():
...     made = logging.getLogger("urllib3").makeRecord(
...         "urllib3", 10, "x", 1, 'GET /b?utk=%s', ("0123456789abcdef0123456789abcdef",), None)
>>> made.getMessage()
'GET /b?utk=utk:3eb1bd43'
>>> scrub_text('answered 200 with {"u": {"firstname": "Ada"}} (retry 1 of 5)')
'answered 200 with {…}'
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["scrub_text", "scrubbed_logs"]

_UTK = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{32}(?![0-9A-Fa-f])")
_EXCERPT = re.compile(r"""(?:\{\s*["']|\[\s*[\[{"'])[^\n]*""")


def _utk_hash(match: re.Match[str]) -> str:
    return "utk:" + hashlib.sha256(match.group().lower().encode("ascii")).hexdigest()[:8]


def scrub_text(text: str) -> str:
    """``text`` without utks (hashed) and without JSON excerpts (cut).

    Examples
    --------
    >>> scrub_text("a 64-hex key " + "ab" * 32 + " stays")[-5:]
    'stays'
    >>> scrub_text("[{'vid': 1, 'email': 'a@b.c'}]\\nnext line")
    '{…}\\nnext line'
    """
    return _EXCERPT.sub("{…}", _UTK.sub(_utk_hash, text))


class _ScrubbingFactory:
    """A log record factory: the previous one's record, scrubbed if made while serving."""

    def __init__(self, previous: Callable[..., logging.LogRecord]) -> None:
        self.previous = previous

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.previous(*args, **kwargs)
        if threading.get_ident() in _serving:
            _scrub(record)
        return record


def _scrub(record: logging.LogRecord) -> None:
    try:
        text = record.getMessage()
    except Exception:  # a broken record: logging reports it when a handler formats it
        return
    clean = scrub_text(text)
    if clean != text:
        record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[0] is not None:
        shown = logging.Formatter().formatException(record.exc_info)
        clean = scrub_text(shown)
        if clean != shown:  # handlers write exc_text; the traceback objects are dropped
            record.exc_text, record.exc_info = clean, None
    if record.stack_info:
        record.stack_info = scrub_text(record.stack_info)


_serving: Counter[int] = Counter()  # thread id -> requests it is serving
_lock = threading.Lock()


@contextmanager
def scrubbed_logs() -> Iterator[None]:
    """Scrub every log record this thread makes in the block (see the module docstring).

    Re-entrant and thread-safe. The first block to start (in any thread) wraps the
    record factory; the last to end restores the previous one, unless another program
    has wrapped it in the meantime (then ours stays in the chain and passes every
    record through unchanged until a request is served again).
    """
    ident = threading.get_ident()
    with _lock:
        if not _serving and not isinstance(logging.getLogRecordFactory(), _ScrubbingFactory):
            logging.setLogRecordFactory(_ScrubbingFactory(logging.getLogRecordFactory()))
        _serving[ident] += 1
    try:
        yield
    finally:
        with _lock:
            _serving[ident] -= 1
            if not _serving[ident]:
                del _serving[ident]
            current = logging.getLogRecordFactory()
            if not _serving and isinstance(current, _ScrubbingFactory):
                logging.setLogRecordFactory(current.previous)
