"""Reading the document system's API: follow `next` links from an `updated_since` start, page by page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from ingest.api import paged_records
from ingest.contract import VN_TZ
from ingest.http import RetryPolicy

PATHS = {
    "agencies": "/api/v1/agencies",
    "outgoing_documents": "/api/v1/outgoing-documents",
    "incoming_documents": "/api/v1/incoming-documents",
    "exchange_events": "/api/v1/exchange-events",
}


def iso_timestamp(moment: datetime) -> str:
    """The system takes its cursor as ISO 8601 in local time with the offset (2024-01-15T08:30:00+07:00)."""
    return moment.astimezone(VN_TZ).isoformat(timespec="seconds")


def pages(base_url: str, entity: str, since: datetime | None, *, page_size: int = 2000,
          policy: RetryPolicy | None = None) -> Iterator[list[Any]]:
    """Yield pages of raw records of one entity, each left undecoded until the contract reads it."""
    return paged_records(base_url, PATHS[entity], since, source="document", format_since=iso_timestamp,
                         page_size=page_size, policy=policy)
