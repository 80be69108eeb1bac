"""Reading the dossier system's sync API: follow `next` links from an `updated_since` start, page by page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from ingest.api import paged_records
from ingest.contract import VN_TZ
from ingest.http import RetryPolicy

PATHS = {
    "procedures": "/api/v1/procedures",
    "dossiers": "/api/v1/dossiers",
    "status_steps": "/api/v1/dossier-status-history",
}


def portal_timestamp(moment: datetime) -> str:
    """The portal takes its cursor as yyyyMMddHHmmss in local time."""
    return moment.astimezone(VN_TZ).strftime("%Y%m%d%H%M%S")


def pages(base_url: str, entity: str, since: datetime | None, *, page_size: int = 2000,
          policy: RetryPolicy | None = None) -> Iterator[list[Any]]:
    """Yield pages of raw records of one entity, each left undecoded until the contract reads it."""
    return paged_records(base_url, PATHS[entity], since, source="dossier", format_since=portal_timestamp,
                         page_size=page_size, policy=policy)
