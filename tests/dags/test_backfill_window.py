"""A backfill's window reaches the load: `ingest_source(since=…)` re-reads from at least `since`, idempotently,
and never moves a watermark back; without `since` the next load reads from the watermark as before."""

from __future__ import annotations

from datetime import timedelta

from kho.pipeline import ingest_source
from kho.settings import Settings
from kho.warehouse import Warehouse
from tests.conftest import query


def test_a_backfill_window_re_extracts_idempotently_and_keeps_the_watermark(settings: Settings,
                                                                         warehouse: Warehouse) -> None:
    first = ingest_source("dossier", settings)["dossiers"]
    assert first["inserted"] == 3000
    watermark = query(warehouse, "select cursor_value from ingest.watermarks where entity = 'dossiers'")[0][0]
    # Without a window: only what sits at the watermark itself (sources filter "changed at or after").
    at_watermark = ingest_source("dossier", settings)["dossiers"]["received"]
    assert at_watermark <= 1

    since = watermark - timedelta(days=30)
    again = ingest_source("dossier", settings, since=since)["dossiers"]
    in_window = query(warehouse, "select count(*) from raw.dossier__dossiers where ngay_cap_nhat >= %s", since)[0][0]
    assert again["received"] >= in_window > at_watermark  # at least the window (a superset: up to now)
    assert again["inserted"] == 0 and again["updated"] == 0  # the same records: nothing changes
    assert query(warehouse, "select count(*) from raw.dossier__dossiers")[0][0] == 3000
    assert query(warehouse, "select cursor_value from ingest.watermarks where entity = 'dossiers'")[0][0] == watermark
    assert ingest_source("dossier", settings)["dossiers"]["received"] == at_watermark
