"""The document system (quản lý văn bản và điều hành, on the national document axis): what Kho extracts.

| entity             | key         | cursor      | raw table                            |
|--------------------|-------------|-------------|--------------------------------------|
| agencies           | MaBanGhi    | NgayCapNhat | raw.document__agencies               |
| outgoing_documents | MaVanBan    | NgayCapNhat | raw.document__outgoing_documents     |
| incoming_documents | MaVanBanDen | NgayCapNhat | raw.document__incoming_documents     |
| exchange_events    | MaSuKien    | NgayCapNhat | raw.document__exchange_events        |

Agencies load first (documents name them), then outgoing documents, the receivers' registrations of them,
and the axis's status messages about them.
"""

from __future__ import annotations

from datetime import timedelta

from ingest.contract import Contract
from ingest.document.client import pages
from ingest.document.contract import AGENCIES, EXCHANGE_EVENTS, INCOMING_DOCUMENTS, OUTGOING_DOCUMENTS
from ingest.http import RetryPolicy
from ingest.load import LoadResult, Progress, load
from ingest.sources import LoadOptions, Source

ENTITIES: dict[str, Contract] = {
    "agencies": AGENCIES,
    "outgoing_documents": OUTGOING_DOCUMENTS,
    "incoming_documents": INCOMING_DOCUMENTS,
    "exchange_events": EXCHANGE_EVENTS,
}


def load_entity(conninfo: str, base_url: str, entity: str, *, page_size: int = 2000,
                policy: RetryPolicy | None = None, lookback: timedelta = timedelta(0),
                progress: Progress | None = None) -> LoadResult:
    """Load every record of one entity changed since its watermark into raw.document__<entity>."""
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
    name="document",
    title="Document system (quản lý văn bản và điều hành; national document axis, trục liên thông văn bản)",
    setting="KHO_DOCUMENT_API_URL",
    entities=ENTITIES,
    load=load_all,
    schedule="@hourly",  # dossiers and documents move all day
)
