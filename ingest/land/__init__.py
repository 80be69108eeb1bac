"""The land registration system (VBDLIS-like; hồ sơ đăng ký đất đai): what Kho extracts from its database.

| entity        | key      | cursor     | raw table                  |
|---------------|----------|------------|----------------------------|
| registrations | ma_ho_so | updated_at | raw.land__registrations    |
"""

from __future__ import annotations

import logging
from datetime import timedelta

import psycopg

from ingest.contract import Contract
from ingest.http import RetryPolicy
from ingest.land.client import pages
from ingest.land.contract import REGISTRATIONS
from ingest.load import LoadResult, Progress, load
from ingest.sources import LoadOptions, Source

log = logging.getLogger(__name__)

ENTITIES: dict[str, Contract] = {"registrations": REGISTRATIONS}


def load_registrations(conninfo: str, source_url: str, *, page_size: int = 2000, policy: RetryPolicy | None = None,
                       lookback: timedelta = timedelta(0), progress: Progress | None = None) -> LoadResult:
    """Load every dossier changed since the watermark into raw.land__registrations."""
    contract = REGISTRATIONS
    schema_drift: dict[str, list[str]] = {}

    def check_columns(columns: list[str]) -> None:
        drift = {k: v for k, v in contract.drift(columns).items() if v}
        schema_drift.update(drift)
        if drift:
            required = sorted(f.name for f in contract.fields if f.required and f.name in drift.get("missing", []))
            log.warning("land: the source table's columns differ from the contract: %s%s", drift,
                        f"; required column(s) {', '.join(required)} gone: their rows will be quarantined"
                        if required else "")

    def report_schema_drift(conn: psycopg.Connection, result: LoadResult) -> None:
        # With rows read, load() reports drift from the rows themselves; with none (nothing changed since the
        # watermark) the table's own columns still tell, and the load log should say so.
        if schema_drift and not result.drift:
            result.drift = dict(schema_drift)

    return load(conninfo, contract,
                lambda since: pages(source_url, since, page_size=page_size, policy=policy, on_columns=check_columns),
                lookback=lookback, progress=progress, before_commit=report_schema_drift)


def load_all(conninfo: str, source_url: str, options: LoadOptions) -> list[LoadResult]:
    progress = (lambda n: options.progress("registrations", n)) if options.progress else None
    return [load_registrations(conninfo, source_url, page_size=options.page_size, policy=options.policy,
                               lookback=options.lookback, progress=progress)]


SOURCE = Source(
    name="land",
    title="Land registration system (VBDLIS-like; hồ sơ đăng ký đất đai), read from its PostgreSQL database",
    setting="KHO_LAND_DATABASE_URL",
    entities=ENTITIES,
    load=load_all,
)
