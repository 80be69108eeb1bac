"""A backfill's window reaches the load: `ingest_source(since=…)` re-reads from at least `since`, idempotently,
and never moves a watermark back; without `since` the next load reads from the watermark as before. For an HTTP
source (dossiers) the look-back widens; for a drop folder (health) the files dated from `since`'s day are read
again, their rows replace what raw holds for them, and the ledger records the re-read."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from ingest.contract import VN_TZ
from ingest.health.contract import VISITS
from kho.pipeline import ingest_source
from kho.settings import Settings
from kho.warehouse import Warehouse
from simulators.health.drop import HealthDrop
from tests.conftest import query
from tests.ingest.test_health_source import CONFIG as HEALTH
from tests.ingest.test_health_source import raw_state as health_state


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


FILE_DATE_AT = VISITS.columns.index("_file_date")


def csv_rows(path: Path) -> int:
    return len(path.read_bytes().splitlines()) - 1  # one header line


def test_a_backfill_window_reads_drop_files_from_its_day_again_and_replaces_their_rows(
        tmp_path: Path, settings: Settings, warehouse: Warehouse) -> None:
    drop = HealthDrop(HEALTH, tmp_path / "drop")  # four daily files, 29 June to 2 July 2025
    drop.deliver()
    settings = settings.with_locations(KHO_HEALTH_DROP_DIR=str(drop.folder))
    assert ingest_source("health", settings)["visits"]["inserted"] > 0
    clean = health_state(warehouse)
    watermark = query(warehouse, "select cursor_value from ingest.watermarks where source = 'health'")[0][0]
    in_window = {d: csv_rows(drop.folder / f"kcb_{d:%Y%m%d}.csv") for d in (date(2025, 7, 1), date(2025, 7, 2))}

    # Raw went wrong after the files loaded (a bug since fixed, a bad manual edit): rows lost on 30 June (before
    # the window) and on 1 July, a figure changed on 2 July, a row no file holds filed under 2 July's file.
    day = "(_file_date at time zone 'Asia/Ho_Chi_Minh')::date"
    with warehouse.connect(autocommit=True) as conn:
        for lost_day, count in (("2025-06-30", 3), ("2025-07-01", 5)):
            conn.execute(f"delete from raw.health__visits where _row_key in (select _row_key from raw.health__visits"
                         f" where {day} = %s order by _row_key limit %s)", (lost_day, count))
        conn.execute(f"update raw.health__visits set so_luot_kham = so_luot_kham + 1000 where _row_key = "
                     f"(select min(_row_key) from raw.health__visits where {day} = '2025-07-02')")
        conn.execute(f"create temp table stray as select * from raw.health__visits where _row_key = "
                     f"(select max(_row_key) from raw.health__visits where {day} = '2025-07-02')")
        conn.execute("update stray set _row_key = 'stray|' || _row_key")
        conn.execute("insert into raw.health__visits select * from stray")

    # Without a window the ledger says every file is unchanged: nothing is read, the damage stays.
    assert ingest_source("health", settings)["visits"]["received"] == 0

    since = datetime(2025, 6, 30, 17, 0, tzinfo=UTC)  # midnight, 1 July in Vietnam: a backfill run's start
    again = ingest_source("health", settings, since=since)["visits"]
    assert again["received"] == again["loaded"] == sum(in_window.values())
    assert (again["inserted"], again["updated"]) == (5, 1)
    assert "2 read again for a backfill from 2025-07-01" in again["message"]
    assert "1 row(s) no longer in their re-read file removed" in again["message"]
    # Every row of the re-read files is back as the file has it, the stray row is gone; the rows lost before the
    # window are still missing (the window did not reach their file).
    after = {repr(row) for row in health_state(warehouse)}
    missing = [row for row in clean if repr(row) not in after]
    assert len(after) == len(clean) - 3 and len(missing) == 3
    assert {row[FILE_DATE_AT].astimezone(VN_TZ).date() for row in missing} == {date(2025, 6, 30)}
    ledger = query(warehouse, "select file_date, load_id = %s, note from ingest.files order by file_date",
                   again["load_id"])
    note = "read again for a backfill from 2025-07-01"
    assert ledger == [(date(2025, 6, 29), False, None), (date(2025, 6, 30), False, None),
                      (date(2025, 7, 1), True, note), (date(2025, 7, 2), True, note)]
    assert query(warehouse, "select cursor_value from ingest.watermarks where source = 'health'")[0][0] == watermark

    # The same backfill again changes nothing; a regular run afterwards reads nothing.
    twice = ingest_source("health", settings, since=since)["visits"]
    assert (twice["received"], twice["inserted"], twice["updated"]) == (again["received"], 0, 0)
    assert "removed" not in twice["message"]
    assert {repr(row) for row in health_state(warehouse)} == after
    assert ingest_source("health", settings)["visits"]["received"] == 0
