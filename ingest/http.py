"""HTTP with bounded retries: exponential backoff with full jitter, Retry-After honoured, clear final errors."""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import httpx

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


def get(client: httpx.Client, url: str, params: dict | None, policy: RetryPolicy, source: str,
        parse: Callable[[bytes], T], sleep: Callable[[float], None] = time.sleep) -> T:
    """GET and parse a page, retrying what is worth retrying (a page cut short is fetched again);
    raise SourceError once the policy is spent."""
    last_problem = ""
    for attempt in range(1, policy.attempts + 1):
        retry_after = None
        try:
            response = client.get(url, params=params, timeout=policy.timeout)
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            last_problem = f"{type(exc).__name__}: {exc}"
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
                retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        if attempt < policy.attempts:
            wait = policy.delay(attempt, retry_after)
            log.warning("%s: %s on attempt %d/%d; retrying in %.2fs", source, last_problem, attempt,
                        policy.attempts, wait)
            sleep(wait)
    raise SourceError(f"{source}: gave up on {url} after {policy.attempts} attempts (last: {last_problem}); "
                      "the watermark was not moved, so the next run starts from the same point")
