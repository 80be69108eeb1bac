"""The agency-month dossier counts built incrementally: late updates that move dossiers between agencies and months,
re-open or finish them, correct the cells they leave and the cells they reach, a cell no dossier counts in any more
disappears, versions merged by builds the counts did not follow are taken in, and all of it equals a full refresh."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from kho.pipeline import ingest_source
from kho.settings import Settings
from kho.transform import build
from kho.warehouse import Warehouse
from simulators.dossier.server import DossierSimulator, DossierStores
from tests.conftest import query
from tests.warehouse.test_dossier_kpis import COUNTS, RATES, expected_kpis, mart

DOSSIER_MODELS = ("--select", "+shared_dossier_kpis_monthly", "+open_dossier_kpis_monthly",
                  "--exclude", "resource_type:test")
BUILT = ("warehouse.int_dossier_agency_month_counts", "warehouse.int_dossier_agency_months",
         "marts.shared_dossier_kpis_monthly", "marts.open_dossier_kpis_monthly",
         "marts.open_dossier_kpis_by_level_monthly")
NEW_AGENCY = "000.00.99.H37"


def _later(stores: DossierStores) -> str:
    latest = datetime.strptime(stores.dossiers.max_updated_at(), "%Y%m%d%H%M%S")
    return (latest + timedelta(minutes=5)).strftime("%Y%m%d%H%M%S")


def _moved(agency: str, name: str, received: str) -> Callable[[dict], None]:
    """The dossier was filed under another agency and day: a correction the source sends as an update."""
    def change(record: dict) -> None:
        record["MaCoQuanTiepNhan"], record["TenCoQuanTiepNhan"] = agency, name
        record["NgayNopHoSo"] = record["NgayTiepNhan"] = received
    return change


def _reopened(record: dict) -> None:
    record["TrangThaiHoSo"], record["NgayKetThucXuLy"], record["NgayTra"] = 4, None, None


def _finished(record: dict) -> None:
    record["TrangThaiHoSo"], record["NgayKetThucXuLy"] = 10, record["NgayCapNhat"]


def _months_earlier(timestamp: str, months: int) -> str:
    year, month = divmod(int(timestamp[:4]) * 12 + int(timestamp[4:6]) - 1 - months, 12)
    return f"{year}{month + 1:02d}15090000"


def _snapshot(warehouse: Warehouse) -> dict[str, list[tuple]]:
    return {table: query(warehouse, f"select * from {table} order by 1, 2, 3") for table in BUILT}


def test_late_updates_that_move_dossiers_correct_the_cells_they_leave_and_reach(
        tmp_path: Path, settings: Settings, warehouse: Warehouse, simulator_stores: DossierStores) -> None:
    stores = DossierStores(simulator_stores.dossiers.copy_to(tmp_path / "d.sqlite"),
                           simulator_stores.procedures.copy_to(tmp_path / "p.sqlite"))
    simulator = DossierSimulator(stores)
    simulator.start()
    try:
        settings = settings.with_locations(KHO_DOSSIER_API_URL=simulator.url)

        def land(code: str, change: Callable[[dict], None]) -> None:
            stores.dossiers.touch([code], "NgayCapNhat", _later(stores), change)

        def counts_equal_the_records() -> dict:
            shared = mart(warehouse, "shared_dossier_kpis_monthly", COUNTS + tuple(RATES))
            assert shared == expected_kpis(stores.dossiers.all())
            return shared

        ingest_source("dossier", settings)
        build(settings, warehouse, *DOSSIER_MODELS)
        records = stores.dossiers.all()
        resolved = [r for r in records if r["TrangThaiHoSo"] == 10 and r["NgayKetThucXuLy"] and r["NgayHenTra"]]
        moving, reopened, wandering = resolved[10], resolved[20], resolved[30]
        other = next(r for r in records if r["MaCoQuanTiepNhan"] != moving["MaCoQuanTiepNhan"])
        finishing = next(r for r in records if r["TrangThaiHoSo"] not in (3, 7, 8, 9, 10))
        before = mart(warehouse, "shared_dossier_kpis_monthly", COUNTS)
        left = (f"{moving['NgayTiepNhan'][:4]}-{moving['NgayTiepNhan'][4:6]}-01", moving["MaCoQuanTiepNhan"])
        received_then = _months_earlier(moving["NgayTiepNhan"], 2)
        reached = (f"{received_then[:4]}-{received_then[4:6]}-01", other["MaCoQuanTiepNhan"])

        # One dossier moves to another agency two months earlier, one re-opens (overdue from its due date on), one
        # goes to an agency and a month nobody else has: a new cell.
        land(moving["MaHoSo"], _moved(other["MaCoQuanTiepNhan"], other["TenCoQuanTiepNhan"], received_then))
        land(reopened["MaHoSo"], _reopened)
        land(wandering["MaHoSo"], _moved(NEW_AGENCY, "Cơ quan thử", "20181203090000"))
        ingest_source("dossier", settings)
        build(settings, warehouse, *DOSSIER_MODELS)
        shared = counts_equal_the_records()
        assert shared[left]["dossiers_received"] == before[left]["dossiers_received"] - 1
        assert shared[reached]["dossiers_received"] == before.get(reached, {}).get("dossiers_received", 0) + 1
        assert ("2018-12-01", NEW_AGENCY) in shared

        # The wandering dossier goes back (its cell must go), the moved one moves again, and a build of the fact
        # alone merges that; then one more version of the moved dossier and a finished one, and the whole build.
        land(wandering["MaHoSo"], _moved(wandering["MaCoQuanTiepNhan"], wandering["TenCoQuanTiepNhan"],
                                         wandering["NgayTiepNhan"]))
        land(moving["MaHoSo"], _moved(moving["MaCoQuanTiepNhan"], moving["TenCoQuanTiepNhan"],
                                      _months_earlier(moving["NgayTiepNhan"], 5)))
        ingest_source("dossier", settings)
        build(settings, warehouse, "--select", "fct_dossiers")
        land(moving["MaHoSo"], _moved(other["MaCoQuanTiepNhan"], other["TenCoQuanTiepNhan"],
                                      _months_earlier(moving["NgayTiepNhan"], 1)))
        land(finishing["MaHoSo"], _finished)
        ingest_source("dossier", settings)
        assert query(warehouse, "select count(*) from warehouse.fct_dossiers_changes") == [(2,)]
        build(settings, warehouse, *DOSSIER_MODELS)
        shared = counts_equal_the_records()
        assert ("2018-12-01", NEW_AGENCY) not in shared
        assert query(warehouse, "select count(*) from warehouse.fct_dossiers_changes") == [(0,)]
    finally:
        simulator.stop()

    incremental = _snapshot(warehouse)
    build(settings, warehouse, *DOSSIER_MODELS, "--full-refresh")
    assert _snapshot(warehouse) == incremental
