"""The dossier KPI marts against the same indicators computed in Python from the simulator's records, and the open
marts against the small-cell rule (docs/kpis.md): the simulator's dossiers ingested over HTTP and the dossier
marts built by dbt with their tests, once for the module (the whole pipeline: tests/kho/test_pipeline.py)."""

from __future__ import annotations

import json
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

from kho.pipeline import ingest_source
from kho.transform import build
from kho.warehouse import Warehouse
from simulators.dossier.server import DOSSIERS_PATH, PROCEDURES_PATH, DossierSimulator
from tests.conftest import dossier_settings, query, scratch_database, served_dossiers

COUNTS = ("dossiers_received", "dossiers_received_online", "dossiers_received_direct", "dossiers_received_postal",
          "dossiers_resolved", "dossiers_resolved_on_time", "dossiers_with_fee", "dossiers_paid_online",
          "dossiers_overdue_in_progress")
RATES = {"online_rate_pct": ("dossiers_received_online", "dossiers_received"),
         "on_time_rate_pct": ("dossiers_resolved_on_time", "dossiers_resolved"),
         "online_payment_rate_pct": ("dossiers_paid_online", "dossiers_with_fee")}
OPEN_COUNTS = tuple(c for c in COUNTS if c != "dossiers_received_direct")
PARTS = {"dossiers_received_online": "dossiers_received", "dossiers_received_postal": "dossiers_received",
         "dossiers_resolved_on_time": "dossiers_resolved", "dossiers_paid_online": "dossiers_with_fee"}


def _rate(numerator: int, denominator: int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(100) * numerator / denominator).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _month(timestamp: str) -> str:
    return f"{timestamp[:4]}-{timestamp[4:6]}-01"


def _next_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year + number // 12}-{number % 12 + 1:02d}-01"


def expected_kpis(records: list[dict]) -> dict[tuple[str, str], dict]:
    """Every indicator of shared_dossier_kpis_monthly, straight from the records (timestamps are local time,
    yyyyMMddHHmmss, so they compare as strings). See docs/kpis.md for the definitions."""
    counts: dict[tuple[str, str], dict] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    as_of = max(r["NgayCapNhat"] for r in records)
    for r in records:
        agency = r["MaCoQuanTiepNhan"]
        received = counts[(_month(r["NgayTiepNhan"]), agency)]
        received["dossiers_received"] += 1
        channel = {1: "direct", 2: "online", 3: "postal"}[r["KenhThucHien"]]
        received[f"dossiers_received_{channel}"] += 1
        if (r["TongLePhi"] or 0) > 0:
            received["dossiers_with_fee"] += 1
            received["dossiers_paid_online"] += bool(r["DuocThanhToanTrucTuyen"])
        finished, due = r["NgayKetThucXuLy"], r["NgayHenTra"]
        if r["TrangThaiHoSo"] in (9, 10) and finished:
            resolved = counts[(_month(finished), agency)]
            resolved["dossiers_resolved"] += 1
            resolved["dossiers_resolved_on_time"] += due is None or finished <= due
        if r["TrangThaiHoSo"] in (3, 7, 8) or due is None:
            continue
        open_until = finished or as_of
        month = _month(due)
        while month <= _month(open_until):
            observed = min(_next_month(month).replace("-", "") + "000000", as_of)
            if due < observed <= open_until:
                counts[(month, agency)]["dossiers_overdue_in_progress"] += 1
            month = _next_month(month)
    return {key: {**values, **{rate: _rate(values[n], values[d]) for rate, (n, d) in RATES.items()}}
            for key, values in counts.items()}


def mart(warehouse: Warehouse, table: str, columns: tuple[str, ...]) -> dict[tuple[str, str], dict]:
    rows = query(warehouse, f"select month, agency_code, {', '.join(columns)} from marts.{table}")
    return {(row[0].isoformat(), row[1]): dict(zip(columns, row[2:], strict=True)) for row in rows}


# The dossier marts, everything they are built from, and their tests.
DOSSIER_MARTS = ("--indirect-selection", "cautious", "--select", "+shared_dossier_kpis_monthly",
                 "+open_dossier_kpis_monthly", "+open_dossier_kpis_by_level_monthly", "+open_online_services_yearly")


@pytest.fixture(scope="module")
def built(pg_server: Warehouse, tmp_path_factory: pytest.TempPathFactory,
          _running_simulator: DossierSimulator) -> Iterator[Warehouse]:
    """The clean simulator's dossiers ingested and the dossier marts built, in a database of the module's own."""
    with scratch_database(pg_server) as warehouse:
        settings = dossier_settings(tmp_path_factory.mktemp("dossier-kpis"), warehouse, _running_simulator)
        ingest_source("dossier", settings)
        build(settings, warehouse, *DOSSIER_MARTS)
        yield warehouse


def test_dossier_marts_equal_the_indicators_computed_from_the_records_and_withhold_small_cells(
        built: Warehouse, dossier_simulator: DossierSimulator) -> None:
    warehouse = built
    records = served_dossiers(dossier_simulator)
    expected = expected_kpis(records)

    shared = mart(warehouse, "shared_dossier_kpis_monthly", COUNTS + tuple(RATES))
    assert shared == expected
    assert sum(v["dossiers_overdue_in_progress"] for v in expected.values()) > 0
    assert sum(v["dossiers_received_postal"] for v in expected.values()) > 0
    assert any(v["online_payment_rate_pct"] not in (None, Decimal("100.00")) for v in expected.values())

    # Reconciliation: mart totals = fact rows = raw rows (nothing was quarantined in this run).
    (raw,), = query(warehouse, "select count(*) from raw.dossier__dossiers")
    (facts,), = query(warehouse, "select count(*) from warehouse.fct_dossiers")
    (quarantined,), = query(warehouse, "select count(*) from raw._quarantine where source = 'dossier'")
    assert sum(v["dossiers_received"] for v in shared.values()) == facts == raw - quarantined == len(records)

    # The open mart publishes what the shared one holds, or withholds it by the rule.
    published = mart(warehouse, "open_dossier_kpis_monthly", OPEN_COUNTS + tuple(RATES) + ("agency_level",))
    assert published.keys() == shared.keys()
    withheld = 0
    for key, row in published.items():
        for column in OPEN_COUNTS:
            value = row[column]
            assert value is None or value == shared[key][column], (key, column)
            assert value is None or not 1 <= value <= 4, (key, column)
            withheld += value is None
            whole = PARTS.get(column)
            if whole and value is not None:
                assert row[whole] is not None and not 1 <= row[whole] - value <= 4, (key, column)
        for rate, (numerator, _) in RATES.items():
            assert row[rate] == (shared[key][rate] if row[numerator] is not None else None), (key, rate)
    assert withheld > 0
    # Secondary suppression: no group (agencies of one level in one month) has exactly one withheld cell.
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for (month, _), row in published.items():
        groups[(month, row["agency_level"])].append(row)
    for group, rows in groups.items():
        for column in OPEN_COUNTS:
            assert len(rows) == 1 or sum(r[column] is None for r in rows) != 1, (group, column)

    # The level mart holds the sums of its agencies, and withholds by the same rule across the levels of a month.
    levels = query(warehouse, f"select month, agency_level, {', '.join(OPEN_COUNTS)} "
                              "from marts.open_dossier_kpis_by_level_monthly")
    for month, level, *values in levels:
        rows = [shared[key] for key in shared if key[0] == month.isoformat()
                and published[key]["agency_level"] == level]
        for column, value in zip(OPEN_COUNTS, values, strict=True):
            total = sum(r[column] for r in rows)
            assert value is None or value == total, (month, level, column)
            assert value is None or not 1 <= value <= 4
            if value is None:  # a withheld total withholds every agency under it
                assert all(published[k][column] is None for k in published if k[0] == month.isoformat()
                           and published[k]["agency_level"] == level), (month, level, column)
    assert {month for month, *_ in levels} == {date.fromisoformat(m) for m, _ in shared}


def served(simulator: DossierSimulator, path: str) -> list[dict]:
    records, url = [], f"{simulator.url}{path}?page_size=1000"
    while url:
        with urllib.request.urlopen(url) as response:
            page = json.load(response)
        records.extend(page["data"])
        url = page["next"]
    return records


def expected_online_services(procedures: list[dict], dossiers: list[dict]) -> dict[tuple[int, str], tuple]:
    """Services by level on 31 December (or the data's last day), and those with an online dossier that year."""
    names = {"TOAN_TRINH": "full_online", "MOT_PHAN": "partial_online"}
    as_of = max(r["NgayCapNhat"] for r in dossiers)[:8]
    online = {(int(r["NgayTiepNhan"][:4]), r["MaTTHC"]) for r in dossiers if r["KenhThucHien"] == 2}
    first = min(h["TuNgay"] for p in procedures for h in p["LichSuMucDo"])
    result: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for year in range(int(first[:4]), int(as_of[:4]) + 1):
        day = min(f"{year}1231", as_of)
        for procedure in procedures:
            listed = [h for h in procedure["LichSuMucDo"] if h["TuNgay"] <= day]
            if not listed:
                continue
            # Two entries on one day: the later one in the list holds.
            level = names.get(max(enumerate(listed), key=lambda e: (e[1]["TuNgay"], e[0]))[1]["MucDo"], "none")
            result[(year, level)][0] += 1
            result[(year, level)][1] += (year, procedure["MaTTHC"]) in online
    return {key: (services, with_online, _rate(with_online, services)) for key, (services, with_online)
            in result.items()}


def test_online_services_by_level_equal_the_catalogue_served(built: Warehouse,
                                                             dossier_simulator: DossierSimulator) -> None:
    warehouse = built
    expected = expected_online_services(served(dossier_simulator, PROCEDURES_PATH),
                                        served(dossier_simulator, DOSSIERS_PATH))
    rows = query(warehouse, "select year, service_level, services, services_with_online_dossiers, "
                            "with_online_dossiers_pct, share_of_services_pct from marts.open_online_services_yearly")
    assert {(year, level): tuple(values[:3]) for year, level, *values in rows} == expected
    by_year: dict[int, int] = defaultdict(int)
    for year, _, services, *_ in rows:
        by_year[year] += services
    for year, _, services, _, _, share in rows:
        assert share == _rate(services, by_year[year])
    # The simulated catalogue follows the province's reports: 857 full and 693 partial online services in 2024.
    assert expected[(2024, "full_online")][0] == 857 and expected[(2024, "partial_online")][0] == 693
