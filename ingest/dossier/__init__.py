"""The dossier system (one-stop shop and public-service portal): what Kho extracts from it.

| entity   | key    | cursor      | raw table               |
|----------|--------|-------------|-------------------------|
| dossiers | MaHoSo | NgayCapNhat | raw.dossier__dossiers   |
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from ingest.contract import Contract
from ingest.dossier.client import dossier_pages
from ingest.dossier.contract import DOSSIERS
from ingest.http import RetryPolicy
from ingest.load import LoadResult, load
from ingest.sources import LoadOptions, Source

ENTITIES: dict[str, Contract] = {"dossiers": DOSSIERS}


def load_dossiers(conninfo: str, base_url: str, *, page_size: int = 2000, policy: RetryPolicy | None = None,
                  lookback: timedelta = timedelta(0), progress: Callable[[int], None] | None = None) -> LoadResult:
    """Load every dossier changed since the stored watermark into raw.dossier__dossiers."""
    return load(conninfo, DOSSIERS,
                lambda since: dossier_pages(base_url, since, page_size=page_size, policy=policy),
                lookback=lookback, progress=progress)


def load_all(conninfo: str, base_url: str, options: LoadOptions) -> list[LoadResult]:
    progress = (lambda n: options.progress("dossiers", n)) if options.progress else None
    return [load_dossiers(conninfo, base_url, page_size=options.page_size, policy=options.policy,
                          lookback=options.lookback, progress=progress)]


SOURCE = Source(
    name="dossier",
    title="Dossier system (one-stop shop and public-service portal; hồ sơ thủ tục hành chính)",
    setting="KHO_DOSSIER_API_URL",
    entities=ENTITIES,
    load=load_all,
)
