"""The dossier system (one-stop shop and public-service portal): what Kho extracts from it.

| entity       | key    | cursor      | raw table                   |
|--------------|--------|-------------|-----------------------------|
| procedures   | MaTTHC | NgayCapNhat | raw.dossier__procedures     |
| dossiers     | MaHoSo | NgayCapNhat | raw.dossier__dossiers       |
| status_steps | IdBuoc | NgayCapNhat | raw.dossier__status_steps   |
"""

from __future__ import annotations

from datetime import timedelta

from ingest.contract import Contract
from ingest.dossier.client import pages
from ingest.dossier.contract import DOSSIERS, PROCEDURES, STATUS_STEPS
from ingest.http import RetryPolicy
from ingest.load import LoadResult, Progress, load
from ingest.sources import LoadOptions, Source

ENTITIES: dict[str, Contract] = {"procedures": PROCEDURES, "dossiers": DOSSIERS, "status_steps": STATUS_STEPS}


def load_entity(conninfo: str, base_url: str, entity: str, *, page_size: int = 2000,
                policy: RetryPolicy | None = None, lookback: timedelta = timedelta(0),
                progress: Progress | None = None) -> LoadResult:
    """Load every record of one entity changed since its watermark into raw.dossier__<entity>."""
    return load(conninfo, ENTITIES[entity],
                lambda since: pages(base_url, entity, since, page_size=page_size, policy=policy),
                lookback=lookback, progress=progress)


def load_dossiers(conninfo: str, base_url: str, **options: object) -> LoadResult:
    return load_entity(conninfo, base_url, "dossiers", **options)  # type: ignore[arg-type]


def load_all(conninfo: str, base_url: str, options: LoadOptions) -> list[LoadResult]:
    results = []
    for entity in ENTITIES:
        progress = (lambda n, entity=entity: options.progress(entity, n)) if options.progress else None
        results.append(load_entity(conninfo, base_url, entity, page_size=options.page_size, policy=options.policy,
                                   lookback=options.lookback, progress=progress))
    return results


SOURCE = Source(
    name="dossier",
    title="Dossier system (one-stop shop and public-service portal; hồ sơ thủ tục hành chính)",
    setting="KHO_DOSSIER_API_URL",
    entities=ENTITIES,
    load=load_all,
    schedule="@hourly",  # dossiers and documents move all day
)
