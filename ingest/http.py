"""HTTP with bounded retries: exponential backoff with full jitter, Retry-After honoured, clear final errors."""

from __future__ import annotations

import email.utils
import http.client
import logging
import random
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import urlencode, urlsplit

T = TypeVar("T")

log = logging.getLogger(__name__)
RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class SourceError(RuntimeError):
    """The source could not be read; the message names the source, the URL and what to do."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    timeout: float = 30.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_delay)
        return random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    try:  # the RFC says whole seconds; some servers send a fraction, which is just as clear
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 and seconds == seconds else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


@dataclass(frozen=True)
class Response:
    status_code: int
    headers: dict[str, str]  # names lower-cased
    content: bytes
    url: str

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


class TransportError(OSError):
    """The request did not get an answer (refused, reset, timed out, cut short)."""


class HttpClient:
    """GETs over one kept-alive connection per host, with the standard library's http.client: a source's pages
    are read one after another from one host, and this costs a fraction of a general client's CPU per page
    (docs/benchmarks.md, bench/ingest). A dropped connection is reopened on the next request."""

    def __init__(self, headers: dict[str, str] | None = None, timeout: float = 30.0) -> None:
        self.headers = {"Accept-Encoding": "identity", **(headers or {})}
        self.timeout = timeout
        self._connections: dict[tuple[str, str], http.client.HTTPConnection] = {}

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for connection in self._connections.values():
            connection.close()
        self._connections.clear()

    def get(self, url: str, params: dict | None = None, timeout: float | None = None) -> Response:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"not an http(s) URL: {url!r}")
        target = parts.path or "/"
        query = "&".join(q for q in (parts.query, urlencode(params or {})) if q)
        if query:
            target += "?" + query
        full_url = f"{parts.scheme}://{parts.netloc}{target}"
        key = (parts.scheme, parts.netloc)
        connection = self._connections.get(key)
        if connection is None:
            if parts.scheme == "https":
                connection = http.client.HTTPSConnection(parts.netloc, context=ssl.create_default_context())
            else:
                connection = http.client.HTTPConnection(parts.netloc)
            self._connections[key] = connection
        # Every request gets its own timeout, on a kept-alive connection too.
        connection.timeout = timeout or self.timeout
        if connection.sock is not None:
            connection.sock.settimeout(connection.timeout)
        try:
            connection.request("GET", target, headers=self.headers)
            answer = connection.getresponse()
            content = answer.read()
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            self._connections.pop(key, None)
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        if answer.will_close:
            connection.close()
            self._connections.pop(key, None)
        headers = {name.lower(): value for name, value in answer.getheaders()}
        return Response(answer.status, headers, content, full_url)


def get(client: HttpClient, url: str, params: dict | None, policy: RetryPolicy, source: str,
        parse: Callable[[bytes], T], sleep: Callable[[float], None] = time.sleep) -> T:
    """GET and parse a page, retrying what is worth retrying (a page cut short is fetched again);
    raise SourceError once the policy is spent."""
    last_problem = ""
    for attempt in range(1, policy.attempts + 1):
        retry_after = None
        try:
            response = client.get(url, params=params, timeout=policy.timeout)
        except TransportError as exc:
            last_problem = str(exc)
        else:
            if response.status_code == 200:
                try:
                    return parse(response.content)
                except ValueError as exc:  # msgspec.DecodeError is a ValueError
                    last_problem = f"unreadable page ({exc})"
            else:
                excerpt = response.text[:200].replace("\n", " ")
                if response.status_code not in RETRYABLE_STATUS:
                    raise SourceError(
                        f"{source}: GET {response.url} answered {response.status_code} ({excerpt}); this is not "
                        "retried: check the endpoint and credentials in the settings")
                last_problem = f"HTTP {response.status_code} {excerpt}"
                retry_after = retry_after_seconds(response.headers.get("retry-after"))
        if attempt < policy.attempts:
            wait = policy.delay(attempt, retry_after)
            log.warning("%s: %s on attempt %d/%d; retrying in %.2fs", source, last_problem, attempt,
                        policy.attempts, wait)
            sleep(wait)
    raise SourceError(f"{source}: gave up on {url} after {policy.attempts} attempts (last: {last_problem}); "
                      "the watermark was not moved, so the next run starts from the same point")
