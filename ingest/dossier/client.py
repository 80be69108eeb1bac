"""Reading the dossier system's sync API: follow `next` links from an `updated_since` start, page by page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import httpx
import msgspec

from ingest.contract import VN_TZ
from ingest.http import RetryPolicy, get

DOSSIERS_PATH = "/api/v1/dossiers"


class DossierPage(msgspec.Struct):
    data: list[msgspec.Raw]
    next: str | None = None


_decode_page = msgspec.json.Decoder(DossierPage).decode


def portal_timestamp(moment: datetime) -> str:
    """The portal takes its cursor as yyyyMMddHHmmss in local time."""
    return moment.astimezone(VN_TZ).strftime("%Y%m%d%H%M%S")


def dossier_pages(base_url: str, since: datetime | None, *, page_size: int = 2000,
                  policy: RetryPolicy | None = None) -> Iterator[list[msgspec.Raw]]:
    """Yield pages of raw dossier records, each record left undecoded until the contract reads it."""
    policy = policy or RetryPolicy()
    params: dict | None = {"page_size": page_size}
    if since is not None:
        params["updated_since"] = portal_timestamp(since)
    url: str | None = base_url.rstrip("/") + DOSSIERS_PATH
    with httpx.Client(headers={"Accept": "application/json"}) as client:
        while url:
            page = get(client, url, params, policy, "dossier", _decode_page)
            yield page.data
            url, params = page.next, None  # `next` carries every parameter
