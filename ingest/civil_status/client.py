"""Reading the civil status system's API: one collection per kind of registration, followed by `next` links
from an `updated_since` start."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from ingest.api import paged_records
from ingest.contract import VN_TZ
from ingest.http import RetryPolicy

PATHS = {"births": "/api/v1/births", "marriages": "/api/v1/marriages", "deaths": "/api/v1/deaths"}


def service_timestamp(moment: datetime) -> str:
    """The service takes its cursor as ISO 8601 in local time, with the offset."""
    return moment.astimezone(VN_TZ).isoformat(timespec="seconds")


def pages(base_url: str, entity: str, since: datetime | None, *, page_size: int = 2000,
          policy: RetryPolicy | None = None) -> Iterator[list[Any]]:
    """Yield pages of raw records of one kind of registration, each left undecoded until the contract reads it."""
    return paged_records(base_url, PATHS[entity], since, source="civil_status", format_since=service_timestamp,
                         page_size=page_size, policy=policy)
