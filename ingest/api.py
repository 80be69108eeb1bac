"""Reading a source's paged JSON API: `{"data": [...], "next": url | null}` from an `updated_since` start."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import msgspec

from ingest.http import HttpClient, RetryPolicy, get


class Page(msgspec.Struct):
    data: list[msgspec.Raw]
    next: str | None = None


_decode_page = msgspec.json.Decoder(Page).decode


def decode_page(body: bytes) -> tuple[list[Any], str | None]:
    """Records stay undecoded (msgspec.Raw) until the contract reads them, which is fast. msgspec refuses a
    page holding a lone-surrogate escape (broken Unicode in one record); the standard parser keeps it, so
    that one record is quarantined instead of the page failing. A page neither can read is cut short."""
    try:
        page = _decode_page(body)
        return page.data, page.next
    except msgspec.DecodeError:
        parsed = json.loads(body)  # ValueError if the page itself is broken: the caller fetches it again
        if not isinstance(parsed, dict) or not isinstance(parsed.get("data"), list):
            raise ValueError("a page must be an object with a 'data' list") from None
        return parsed["data"], parsed.get("next")


def paged_records(base_url: str, path: str, since: datetime | None, *, source: str,
                  format_since: Callable[[datetime], str], page_size: int = 2000,
                  policy: RetryPolicy | None = None, headers: dict[str, str] | None = None) -> Iterator[list[Any]]:
    """Yield pages of records, following `next` links (which carry every parameter) to the end."""
    policy = policy or RetryPolicy()
    params: dict | None = {"page_size": page_size}
    if since is not None:
        params["updated_since"] = format_since(since)
    url: str | None = base_url.rstrip("/") + path
    with HttpClient(headers={"Accept": "application/json", **(headers or {})}, timeout=policy.timeout) as client:
        while url:
            records, url = get(client, url, params, policy, source, decode_page)
            params = None
            yield records
