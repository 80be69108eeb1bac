"""The civil status system (hộ tịch): what Kho extracts from it. Every record carries personal data.

| entity    | key | cursor      | raw table                      |
|-----------|-----|-------------|--------------------------------|
| births    | ID  | ngayCapNhat | raw.civil_status__births       |
| marriages | ID  | ngayCapNhat | raw.civil_status__marriages    |
| deaths    | ID  | ngayCapNhat | raw.civil_status__deaths       |
"""

from __future__ import annotations

from datetime import timedelta

from ingest.civil_status.client import pages
from ingest.civil_status.contract import BIRTHS, DEATHS, MARRIAGES
from ingest.contract import Contract
from ingest.http import RetryPolicy
from ingest.load import LoadResult, Progress, load
from ingest.sources import LoadOptions, Source

ENTITIES: dict[str, Contract] = {"births": BIRTHS, "marriages": MARRIAGES, "deaths": DEATHS}


def load_entity(conninfo: str, base_url: str, entity: str, *, page_size: int = 2000,
                policy: RetryPolicy | None = None, lookback: timedelta = timedelta(0),
                progress: Progress | None = None) -> LoadResult:
    """Load every registration of one kind changed since its watermark into raw.civil_status__<entity>."""
    return load(conninfo, ENTITIES[entity],
                lambda since: pages(base_url, entity, since, page_size=page_size, policy=policy),
                lookback=lookback, progress=progress)


def load_all(conninfo: str, base_url: str, options: LoadOptions) -> list[LoadResult]:
    results = []
    for entity in ENTITIES:
        progress = (lambda n, entity=entity: options.progress(entity, n)) if options.progress else None
        results.append(load_entity(conninfo, base_url, entity, page_size=options.page_size, policy=options.policy,
                                   lookback=options.lookback, progress=progress))
    return results


SOURCE = Source(
    name="civil_status",
    title="Civil status system (hộ tịch: births, marriages, deaths), a paged JSON API; personal data",
    setting="KHO_CIVIL_STATUS_API_URL",
    entities=ENTITIES,
    load=load_all,
)
