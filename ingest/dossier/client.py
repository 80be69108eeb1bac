"""Reading the dossier system's sync API: follow `next` links from an `updated_since` start, page by page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from ingest.api import paged_records
from ingest.contract import VN_TZ
from ingest.http import RetryPolicy

DOSSIERS_PATH = "/api/v1/dossiers"


def portal_timestamp(moment: datetime) -> str:
    """The portal takes its cursor as yyyyMMddHHmmss in local time."""
    return moment.astimezone(VN_TZ).strftime("%Y%m%d%H%M%S")


def dossier_pages(base_url: str, since: datetime | None, *, page_size: int = 2000,
                  policy: RetryPolicy | None = None) -> Iterator[list[Any]]:
    """Yield pages of raw dossier records, each left undecoded until the contract reads it."""
    return paged_records(base_url, DOSSIERS_PATH, since, source="dossier", format_since=portal_timestamp,
                         page_size=page_size, policy=policy)
