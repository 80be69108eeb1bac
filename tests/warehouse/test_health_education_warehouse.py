"""The health and education parts of the warehouse end to end: the drop-folder simulators write real files, ingest
loads them into a real PostgreSQL, dbt builds staging, facts and the KPI marts; the marts are checked against
indicators computed here, independently, from the simulators' own records."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from ingest import education, health
from ingest.sources import LoadOptions
from kho.settings import Settings
from kho.transform import BuildResult, run_dbt, source_freshness
from kho.warehouse import Warehouse
from simulators.education.drop import EducationDrop, EducationFaults, EducationSimConfig
from simulators.health.drop import HealthDrop, HealthFaults
from simulators.health.generate import HealthSimConfig, day_rows
from simulators.provinces import agencies
from tests.conftest import query, scratch_database

# Vĩnh Long, whose health and education departments get new identifiers on 1 July 2025. Health: 10 days from
# May to mid-August 2025 (30 June and 1 July always among them), ~5,000 rows. Education: the workbooks of
# 2023-2024, 2024-2025 and 2025-2026 (~370 schools each), the last one in the merged communes.
PROVINCE = "vinh-long"
HEALTH = HealthSimConfig(province=PROVINCE, start=date(2025, 5, 1), as_of=datetime(2025, 8, 15), seed=3, days=10)
EDUCATION = EducationSimConfig(province=PROVINCE, start=date(2023, 1, 1), as_of=datetime(2025, 11, 1), seed=3)
OPTIONS = LoadOptions(page_size=2000)
REORGANISATION = date(2025, 7, 1)
SELECT = ("--indirect-selection", "cautious", "--select", "+shared_health_kpis_monthly+",
          "+open_health_kpis_monthly+", "+shared_education_kpis_yearly+", "+open_education_kpis_yearly+",
          "+dim_schools", "+dim_date")
TIERS = {"Tỉnh": "province", "Huyện": "district", "Xã": "commune"}
LEVELS = {"Mầm non": "preschool", "Tiểu học": "primary", "THCS": "lower_secondary", "THPT": "upper_secondary"}
SEED = Path(__file__).parents[2] / "dbt_project" / "seeds" / "reference" / "sector_agencies.csv"
FACTS = {"warehouse.fct_health_visits": "visit_key", "warehouse.fct_school_enrolment": "school_year_key",
         "warehouse.dim_schools": "school_code"}
HEALTH_OPEN = ("month, facility_level, days_reported, visits, insured_visits, insured_rate_pct, "
               "inpatient_admissions, referrals, referral_rate_pct")
EDUCATION_OPEN = ("school_year, school_level, schools, classes, pupils, girls, girls_share_pct, teachers, "
                  "pupils_per_class, pupils_per_teacher")


# --- The indicators, computed from the simulators' records alone (no Kho code) ------------------------------

def rate(numerator: int, denominator: int, places: str = "0.01", scale: int = 100) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(scale) * numerator / denominator).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def department(name: str, day: date) -> str:
    """The identifier of the province's department called `name` (Sở Y tế …) on `day`, from the simulator."""
    found = [a.agency_code for a in agencies(PROVINCE)
             if a.level == "province" and a.name.startswith(name + " ") and a.active_on(day)]
    assert len(found) == 1, (name, day, found)
    return found[0]


def health_records(drop: HealthDrop) -> list[dict]:
    return [row for day in drop.days for row in day_rows(drop.config, day)]


def expected_health(records: list[dict]) -> dict[tuple[str, date, str], tuple]:
    """Per department, month and tier: facilities, days, visits, insured, insured %, inpatient, referrals,
    referrals %."""
    cells: dict[tuple[str, date, str], dict] = defaultdict(
        lambda: {"facilities": set(), "days": set(), "n": [0, 0, 0, 0]})
    for row in records:
        _, m, y = (int(p) for p in row["Ngày khám"].split("/"))
        month = date(y, m, 1)
        cell = cells[(department("Sở Y tế", month), month, TIERS[row["Tuyến"]])]
        cell["facilities"].add(row["Mã cơ sở KCB"])
        cell["days"].add(row["Ngày khám"])
        for i, column in enumerate(("Số lượt khám", "Số lượt khám BHYT", "Số lượt nội trú", "Số lượt chuyển tuyến")):
            cell["n"][i] += row[column]
    return {key: (len(c["facilities"]), len(c["days"]), c["n"][0], c["n"][1], rate(c["n"][1], c["n"][0]),
                  c["n"][2], c["n"][3], rate(c["n"][3], c["n"][0]))
            for key, c in cells.items()}


def education_records(drop: EducationDrop) -> tuple[list[list], list[list]]:
    schools = [row for year in drop.years for row in drop.school_rows(year)]
    enrolment = [row for year in drop.years for row in drop.enrolment_rows(year)]
    return schools, enrolment


def expected_education(schools: list[list], enrolment: list[list]) -> dict[tuple[str, str, str], tuple]:
    """Per department, school year and level: schools, public schools, classes, pupils, girls, girls %, teachers,
    pupils per class, pupils per teacher."""
    described = {(row[0], row[7]): row for row in schools}  # (Mã trường, Năm học) → the school's row
    cells: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0] * 6)
    for code, year, classes, pupils, girls, teachers in enrolment:
        school = described[(code, year)]
        opening = date(int(year[:4]), 9, 5)
        cell = cells[(department("Sở Giáo dục và Đào tạo", opening), year, LEVELS[school[2]])]
        for i, value in enumerate((1, school[3] == "Công lập", classes, pupils, girls, teachers)):
            cell[i] += value
    return {key: (n, public, classes, pupils, girls, rate(girls, pupils), teachers,
                  rate(pupils, classes, "0.1", 1), rate(pupils, teachers, "0.1", 1))
            for key, (n, public, classes, pupils, girls, teachers) in cells.items()}


def open_view(expected: dict[tuple, tuple], positions: tuple[int, ...]) -> dict[tuple, tuple]:
    """The shared indicators added up over departments (one per period here), keeping `positions`."""
    return {key[1:]: tuple(values[p] for p in positions) for key, values in expected.items()}


# --- Building -----------------------------------------------------------------------------------------------

def dbt_settings(home: Path, warehouse: Warehouse) -> Settings:
    return Settings.from_env({"KHO_HOME": str(home), "KHO_DATABASE_URL": warehouse.url, "KHO_DBT_THREADS": "2"})


def build(settings: Settings, warehouse: Warehouse, *extra: str) -> BuildResult:
    result = run_dbt(settings, warehouse, "build", *SELECT, *extra)
    assert result.success, "\n".join(f"{n.unique_id}: {n.status} {n.message}" for n in result.problems) or result.error
    return result


def ingest(warehouse: Warehouse, health_folder: Path, education_folder: Path) -> None:
    health.SOURCE.load(warehouse.url, str(health_folder), OPTIONS)
    education.SOURCE.load(warehouse.url, str(education_folder), OPTIONS)


@dataclass
class Built:
    warehouse: Warehouse
    health: list[dict]
    schools: list[list]
    enrolment: list[list]
    result: BuildResult
    settings: Settings


@pytest.fixture(scope="module")
def built(pg_server: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """One clean delivery, ingest and build, shared by the read-only tests; its own database, dropped at the end."""
    folder = tmp_path_factory.mktemp("sector-drops")
    health_drop = HealthDrop(HEALTH, folder / "health")
    education_drop = EducationDrop(EDUCATION, folder / "education")
    health_drop.deliver()
    education_drop.deliver()
    with scratch_database(pg_server) as warehouse:
        ingest(warehouse, health_drop.folder, education_drop.folder)
        settings = dbt_settings(tmp_path_factory.mktemp("home"), warehouse)
        result = build(settings, warehouse)
        yield Built(warehouse, health_records(health_drop), *education_records(education_drop), result, settings)


def shared_health(warehouse: Warehouse) -> dict[tuple[str, date, str], tuple]:
    rows = query(warehouse, """
        select agency_code, month, facility_level, facilities_reporting, days_reported, visits, insured_visits,
               insured_rate_pct, inpatient_admissions, referrals, referral_rate_pct
        from marts.shared_health_kpis_monthly""")
    return {row[:3]: row[3:] for row in rows}


def shared_education(warehouse: Warehouse) -> dict[tuple[str, str, str], tuple]:
    rows = query(warehouse, """
        select agency_code, school_year, school_level, schools, public_schools, classes, pupils, girls,
               girls_share_pct, teachers, pupils_per_class, pupils_per_teacher
        from marts.shared_education_kpis_yearly""")
    return {row[:3]: row[3:] for row in rows}


def open_mart(warehouse: Warehouse, table: str, columns: str) -> dict[tuple, tuple]:
    rows = query(warehouse, f"select {columns}, is_suppressed from marts.{table}")
    return {row[:2]: row[2:] for row in rows}


def facts(warehouse: Warehouse) -> dict[str, list[tuple]]:
    return {table: query(warehouse, f"select * from {table} order by {key}") for table, key in FACTS.items()}


def check_published(published: dict[tuple, tuple], truth: dict[tuple, tuple], counts: tuple[int, ...],
                    parts: dict[int, int], ratios: dict[int, tuple[int, ...]]) -> None:
    """Each published count is the true one or withheld, never 1–4; a part shows only with its whole and a
    complement of 5 or more; a ratio shows (and is true) only when its counts show; is_suppressed says whether
    anything is withheld; and no group has exactly one cell withholding a count."""
    assert published.keys() == truth.keys()
    for key, row in published.items():
        for position in counts:
            value = row[position]
            assert value is None or (value == truth[key][position] and not 1 <= value <= 4), (key, position)
            whole = parts.get(position)
            if whole is not None and value is not None:
                assert row[whole] is not None and not 1 <= row[whole] - value <= 4, (key, position)
        for ratio, needs in ratios.items():
            shown = all(row[n] is not None for n in needs)
            assert row[ratio] == (truth[key][ratio] if shown else None), (key, ratio)
        assert row[-1] == any(row[p] is None for p in counts), key
    for group in {key[0] for key in published}:
        rows = [row for key, row in published.items() if key[0] == group]
        for position in counts:
            assert len(rows) == 1 or sum(row[position] is None for row in rows) != 1, (group, position)


# --- Tests --------------------------------------------------------------------------------------------------

def test_the_seed_names_each_sector_department_as_the_simulated_directory_does() -> None:
    with SEED.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["sector"] in ("health", "education")]
    assert {(r["sector"], r["province_code"]) for r in rows} == {
        (s, p) for s in ("health", "education") for p in ("80", "86")}
    slugs = {"80": "long-an", "86": "vinh-long"}
    names = {"health": "Sở Y tế", "education": "Sở Giáo dục và Đào tạo"}
    for row in rows:
        valid_from = date.fromisoformat(row["valid_from"])
        match = [a for a in agencies(slugs[row["province_code"]])
                 if a.agency_code == row["agency_code"] and a.valid_from == valid_from]
        assert len(match) == 1, row
        agency = match[0]
        assert agency.name == row["agency_name"] and agency.name.startswith(names[row["sector"]] + " "), row
        assert (agency.valid_to.isoformat() if agency.valid_to else "") == row["valid_to"], row


def test_health_kpis_equal_indicators_computed_from_the_simulator(built: Built) -> None:
    expected = expected_health(built.health)
    assert shared_health(built.warehouse) == expected
    # Both sides of the reorganisation, under the old and the new department; three tiers; shares below 100%.
    assert {(agency, month >= REORGANISATION) for agency, month, _ in expected} == {
        ("000.00.16.H62", False), ("000.00.11.H62", True)}
    assert {tier for _, _, tier in expected} == {"province", "district", "commune"}
    assert all(v[4] < 100 for v in expected.values())

    published = open_mart(built.warehouse, "open_health_kpis_monthly", HEALTH_OPEN)
    # Open positions: days 0, visits 1, insured 2, insured % 3, inpatient 4, referrals 5, referral % 6.
    check_published(published, open_view(expected, (1, 2, 3, 4, 5, 6, 7)), counts=(1, 2, 4, 5),
                    parts={2: 1, 5: 1}, ratios={3: (2,), 6: (5,)})
    assert all(row[0] is not None for row in published.values())


def test_education_kpis_equal_indicators_computed_from_the_simulator(built: Built) -> None:
    expected = expected_education(built.schools, built.enrolment)
    assert shared_education(built.warehouse) == expected
    assert {(agency, year) for agency, year, _ in expected} == {
        ("000.00.15.H62", "2023-2024"), ("000.00.15.H62", "2024-2025"), ("000.00.10.H62", "2025-2026")}
    assert {level for _, _, level in expected} == set(LEVELS.values())

    published = open_mart(built.warehouse, "open_education_kpis_yearly", EDUCATION_OPEN)
    # Open positions: schools 0, classes 1, pupils 2, girls 3, girls % 4, teachers 5, per class 6, per teacher 7.
    check_published(published, open_view(expected, (0, 2, 3, 4, 5, 6, 7, 8)), counts=(0, 1, 2, 3, 5),
                    parts={3: 2}, ratios={4: (3,), 6: (2, 1), 7: (2, 5)})


def test_health_visits_by_the_units_of_their_day_and_by_todays(built: Built) -> None:
    # Each visit row found the commune version valid on its day (the code as the file sent it); grouped by today's
    # units instead, the same visits fall under Vĩnh Long's merged communes: an old commune under one of its
    # successors in NSO's crosswalk, a new one under itself.
    from simulators.reference import crosswalk_from, post_2025_communes

    visits_then, visits_today, pairs = defaultdict(int), defaultdict(int), set()
    for then, today, after, visits in query(built.warehouse, """
            select units.unit_code, units.current_unit_code, facts.visit_date >= %s, facts.visits
            from warehouse.fct_health_visits as facts
            inner join warehouse.dim_admin_units as units using (admin_unit_version_id)""", REORGANISATION):
        visits_then[then] += visits
        visits_today[today] += visits
        pairs.add((after, then, today))
    truth: dict[str, int] = defaultdict(int)
    for row in built.health:
        truth[row["Mã xã"]] += row["Số lượt khám"]
    assert visits_then == truth
    assert sum(visits_today.values()) == sum(truth.values()) and len(visits_today) < len(visits_then)
    successors: dict[str, set[str]] = defaultdict(set)
    for link in crosswalk_from("86"):
        successors[link.old_code].add(link.new_code)
    assert set(visits_today) <= {code for code, _ in post_2025_communes("86")}
    assert {after for after, _, _ in pairs} == {False, True}
    for after, then, today in pairs:
        assert today == then if after else today in successors[then], (after, then, today)


def test_layers_reconcile_with_raw(built: Built) -> None:
    # Clean delivery: every record is a raw row, a fact row, and counted once in the marts.
    (raw_visits,), = query(built.warehouse, "select count(*) from raw.health__visits")
    (fact_visits, visits), = query(built.warehouse, "select count(*), sum(visits) from warehouse.fct_health_visits")
    (mart_visits,), = query(built.warehouse, "select sum(visits) from marts.shared_health_kpis_monthly")
    assert len(built.health) == raw_visits == fact_visits
    assert visits == mart_visits == sum(r["Số lượt khám"] for r in built.health)
    (raw_enrolment,), = query(built.warehouse, "select count(*) from raw.education__enrolment")
    (fact_enrolment,), = query(built.warehouse, "select count(*) from warehouse.fct_school_enrolment")
    (mart_schools,), = query(built.warehouse, "select sum(schools) from marts.shared_education_kpis_yearly")
    assert len(built.enrolment) == raw_enrolment == fact_enrolment == mart_schools
    (dim_schools,), = query(built.warehouse, "select count(*) from warehouse.dim_schools")
    assert dim_schools == len({row[0] for row in built.schools})
    for name in ("assert_health_kpis_reconcile_with_raw", "assert_education_kpis_reconcile_with_raw"):
        assert any(n.unique_id.startswith(f"test.kho.{name}") and n.status == "pass" for n in built.result.nodes)


def test_sources_are_declared_with_freshness_and_fresh_after_a_load(built: Built) -> None:
    freshness = {f.source: f for f in source_freshness(built.settings, built.warehouse)}
    for name in ("health.visits", "education.schools", "education.enrolment"):
        assert freshness[name].status == "pass" and freshness[name].max_loaded_at is not None, name


def test_no_personal_value_leaves_staging(built: Built) -> None:
    # Neither export names a person; the schools' street addresses (free text) stop at raw all the same.
    columns = query(built.warehouse, """
        select table_schema, table_name, column_name from information_schema.columns
        where table_schema in ('staging', 'warehouse', 'marts')
          and (table_name like '%%health%%' or table_name like '%%education%%' or table_name like '%%school%%')""")
    assert len(columns) > 60
    personal = {"address", "phone", "birth", "citizen", "cccd", "patient", "dia"}
    assert not [c for c in columns if personal & set(c[2].split("_"))]
    addresses = sorted({row[6] for row in built.schools})
    assert len(addresses) > 100
    for schema, table, column in columns:
        leaked = query(built.warehouse, f'select count(*) from {schema}.{table} where "{column}"::text = any(%s) '
                                        f'or "{column}"::text like %s', addresses, f"%{addresses[0]}%")
        assert leaked == [(0,)], (schema, table, column)


def test_incremental_builds_equal_a_full_refresh_after_faults_and_corrections(
        warehouse: Warehouse, tmp_path: Path) -> None:
    settings = dbt_settings(tmp_path / "home", warehouse)
    health_drop = HealthDrop(HEALTH, tmp_path / "health")
    education_drop = EducationDrop(EDUCATION, tmp_path / "education")
    # A first delivery with malformed rows, a health file with wrong figures and a stray row (corrected later),
    # and a workbook whose schools sheet drifted (a telephone column added, the address removed).
    health_drop.deliver(HealthFaults(malformed_rate=0.02, corrected=True))
    education_drop.deliver(EducationFaults(malformed_rate=0.01, drift=True))
    ingest(warehouse, health_drop.folder, education_drop.folder)
    build(settings, warehouse)

    # Received = raw + quarantined, and raw = facts = what the marts count.
    for source, entity, folder, received in (
            ("health", "visits", health_drop.folder, lines_in(health_drop.folder)),
            ("education", "enrolment", education_drop.folder,
             sum(1 for year in education_drop.years for _ in education_drop.enrolment_rows(year)))):
        (quarantined,), = query(warehouse, "select count(*) from raw._quarantine where source = %s and entity = %s",
                                source, entity)
        (raw,), = query(warehouse, f"select count(*) from raw.{source}__{entity}")
        assert quarantined > 0 and received == raw + quarantined, (source, folder)
    (fact_visits, visits), = query(warehouse, "select count(*), sum(visits) from warehouse.fct_health_visits")
    (raw_visits,), = query(warehouse, "select count(*) from raw.health__visits")
    assert fact_visits == raw_visits
    assert query(warehouse, "select sum(visits) from marts.shared_health_kpis_monthly") == [(visits,)]
    (raw_enrolment,), = query(warehouse, "select count(*) from raw.education__enrolment")
    assert query(warehouse, "select count(*) from warehouse.fct_school_enrolment") == [(raw_enrolment,)]
    assert query(warehouse, "select sum(schools) from marts.shared_education_kpis_yearly") == [(raw_enrolment,)]
    # Enrolment rows whose schools row was quarantined count under 'unknown': a handful of schools, withheld
    # with a second level of the same year (truth: the shared mart, one department a year).
    truth = {key[1:]: values[:1] + values[2:] for key, values in shared_education(warehouse).items()}
    published = open_mart(warehouse, "open_education_kpis_yearly", EDUCATION_OPEN)
    check_published(published, truth, counts=(0, 1, 2, 3, 5), parts={3: 2}, ratios={4: (3,), 6: (2, 1), 7: (2, 5)})
    assert any(level == "unknown" for _, level in published)
    assert any(row[-1] for row in published.values())
    # The drifted sheet's telephone numbers stay in raw._extra.
    phones = [p for (p,) in query(warehouse, "select _extra->>'Số điện thoại' from raw.education__schools "
                                             "where _extra ? 'Số điện thoại'")]
    assert phones
    for schema, table, column in query(warehouse, """
            select table_schema, table_name, column_name from information_schema.columns
            where table_schema in ('staging', 'warehouse', 'marts') and table_name like '%%school%%'"""):
        assert query(warehouse, f'select count(*) from {schema}.{table} where "{column}"::text = any(%s)',
                     phones) == [(0,)], (schema, table, column)

    # The senders re-deliver clean files: corrected figures, the stray row removed, the malformed rows now valid.
    health_drop.deliver()
    education_drop.deliver()
    ingest(warehouse, health_drop.folder, education_drop.folder)
    build(settings, warehouse)
    # Then one day goes wrong again and is corrected once more: only that day's file changes each time.
    wrong = HealthFaults(corrected=True)
    (day,) = wrong.targets(health_drop.days)["corrected"]
    assert [p.name for p in health_drop.deliver(wrong)] == [f"kcb_{day:%Y%m%d}.csv"]
    ingest(warehouse, health_drop.folder, education_drop.folder)
    build(settings, warehouse)
    assert [p.name for p in health_drop.deliver()] == [f"kcb_{day:%Y%m%d}.csv"]
    ingest(warehouse, health_drop.folder, education_drop.folder)
    incremental = build(settings, warehouse)
    after_incremental = facts(warehouse)
    marts = (shared_health(warehouse), shared_education(warehouse))
    full = build(settings, warehouse, "--full-refresh")

    assert facts(warehouse) == after_incremental
    assert (shared_health(warehouse), shared_education(warehouse)) == marts
    records = health_records(health_drop)
    schools, enrolment = education_records(education_drop)
    assert marts == (expected_health(records), expected_education(schools, enrolment))
    # The incremental build replaced only the corrected day (its stray row gone); the full refresh rebuilt all.
    merged = {n.unique_id.rsplit(".", 1)[-1]: n.message for n in incremental.nodes if n.unique_id.startswith("model")}
    rebuilt = {n.unique_id.rsplit(".", 1)[-1]: n.message for n in full.nodes if n.unique_id.startswith("model")}
    shown = day.strftime("%d/%m/%Y")
    assert merged["fct_health_visits"].split()[-1] == str(sum(r["Ngày khám"] == shown for r in records))
    assert len(after_incremental["warehouse.fct_health_visits"]) == len(records)
    assert rebuilt["fct_health_visits"] == f"SELECT {len(records)}"


def lines_in(folder: Path) -> int:
    """Data lines in the health drop folder's files, counted without any of Kho's code."""
    total = 0
    for path in folder.glob("kcb_*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            total += sum(1 for _ in handle) - 1
    return total
