"""The administrative-unit dimension: seeds regenerated from the real reference data byte for byte, then dbt builds
dim_admin_units on a fresh warehouse, and facts can be reported by the units of their date or by today's."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest

from kho.reference import CROSSWALK_SEED, REPORT, UNITS_SEED, crosswalk_csv, derive, report_md, units_csv
from kho.settings import Settings
from kho.transform import BuildResult, run_dbt
from kho.warehouse import Warehouse
from tests.conftest import query, scratch_database

SELECT = ("--indirect-selection", "cautious",
          "--select", "admin_units", "admin_unit_crosswalk", "int_admin_unit_successors", "dim_admin_units",
          "assert_admin_unit_versions_do_not_overlap")
LAST_OLD_DAY, REORGANISATION = date(2025, 6, 30), date(2025, 7, 1)


# --- The seeds --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def derived():
    return derive()


def test_the_committed_seeds_and_report_are_what_the_generator_writes(derived) -> None:
    assert UNITS_SEED.read_text(encoding="utf-8") == units_csv(derived)
    assert CROSSWALK_SEED.read_text(encoding="utf-8") == crosswalk_csv(derived)
    assert REPORT.read_text(encoding="utf-8") == report_md(derived)
    # Deterministic: a second derivation gives the same files.
    again = derive()
    assert (units_csv(again), crosswalk_csv(again)) == (units_csv(derived), crosswalk_csv(derived))


def test_the_real_defects_are_reported_not_hidden(derived) -> None:
    categories = {f.category for f in derived.findings}
    assert {"code missing", "code corrected", "name mismatch", "province mismatch", "NSO vs dvhcvn"} <= categories
    details = [f.detail for f in derived.findings]
    # NSO files Phường 4 of Tân An (Long An) under Tiền Giang; the list says Long An.
    assert any("27691" in d and "old province 82" in d for d in details)
    # NSO types Xã Mỹ Hưng (Cao Bằng) as 01615, which is Xã Hồng Quang; the list's Mỹ Hưng is 01651.
    assert any(d.startswith("NSO line") and "Mỹ Hưng" in d and "01651 used" in d for d in details)
    # Communes the crosswalk forgot but dvhcvn maps are linked from dvhcvn, and say so.
    assert derived.counts["links taken from dvhcvn"] > 0
    assert derived.counts["old communes split"] == sum(derived.counts[f"splits resolved by {rule}"] for rule in (
        "whole_population", "keeps_old_code", "same_name", "dvhcvn_full", "lowest_new_code"))


def test_a_commune_merged_in_early_2025_follows_the_unit_it_went_into(derived) -> None:
    # HCMC's Phường 14 of Bình Thạnh was 26935 on 2025-01-04; NSO's crosswalk knows only its 2025 unit 26929.
    links = [c for c in derived.crosswalk if c["old_unit_code"] == "26935"]
    assert [(c["new_unit_code"], c["rule"], c["nso_old_code"], c["is_primary"]) for c in links] == [
        ("26929", "via_2025_unit", "26929", "true")]


def test_every_old_unit_has_at_most_one_primary_successor(derived) -> None:
    primaries: dict[str, int] = {}
    for link in derived.crosswalk:
        primaries[link["old_unit_code"]] = primaries.get(link["old_unit_code"], 0) + (link["is_primary"] == "true")
    assert set(primaries.values()) == {1}


# --- The warehouse ----------------------------------------------------------------------------------------

@dataclass
class Built:
    warehouse: Warehouse
    result: BuildResult


@pytest.fixture(scope="module")
def built(pg_server: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """The seeds, the successors and the dimension with their tests, built once on a fresh database."""
    with scratch_database(pg_server) as warehouse:
        settings = Settings.from_env({"KHO_HOME": str(tmp_path_factory.mktemp("home")),
                                      "KHO_DATABASE_URL": warehouse.url, "KHO_DBT_THREADS": "2"})
        result = run_dbt(settings, warehouse, "build", *SELECT)
        assert result.success, [f"{n.unique_id}: {n.status} {n.message}" for n in result.problems] or result.error
        yield Built(warehouse, result)


def units_on(warehouse: Warehouse, day: date) -> dict[str, int]:
    return dict(query(warehouse, """
        select level, count(*) from warehouse.dim_admin_units
        where %s >= valid_from and (valid_to is null or %s <= valid_to)
        group by level""", day, day))


def test_dbt_builds_the_dimension_and_its_tests_pass(built: Built) -> None:
    assert built.result.models_built == 2
    tests = [n for n in built.result.nodes if n.resource_type == "test"]
    assert len(tests) > 30 and all(n.status == "pass" for n in tests)
    assert any("assert_admin_unit_versions_do_not_overlap" in n.unique_id for n in tests)


def test_counts_before_and_after_the_reorganisation(built: Built) -> None:
    assert units_on(built.warehouse, date.today()) == {"province": 34, "commune": 3321}
    before = units_on(built.warehouse, LAST_OLD_DAY)
    # 10,051 communes of the 2025-01-04 list and 10 formed in 2025 (both kept to 30 June: see the report).
    assert before == {"province": 63, "district": 696, "commune": 10051 + 10}
    assert units_on(built.warehouse, date(2020, 1, 1)) == {"province": 63, "district": 696, "commune": 10051}
    assert query(built.warehouse, "select count(*) from warehouse.dim_admin_units where is_current") == [(3355,)]


def test_a_long_an_commune_maps_to_its_commune_in_tay_ninh(built: Built) -> None:
    # Phường 4 of Tân An, Long An (80) → Phường Long An of Tây Ninh, which took Long An's code 80.
    rows = query(built.warehouse, """
        select units.unit_name, units.province_code, units.current_unit_code, units.current_unit_name,
               units.current_province_code, provinces_then.unit_name, provinces_now.unit_name
        from warehouse.dim_admin_units as units
        inner join warehouse.dim_admin_units as provinces_then
            on provinces_then.unit_code = units.province_code and provinces_then.valid_to = units.valid_to
        inner join warehouse.dim_admin_units as provinces_now
            on provinces_now.unit_code = units.current_province_code and provinces_now.is_current
        where units.unit_code = '27691' and units.valid_to = %s""", LAST_OLD_DAY)
    assert rows == [("Phường 4", "80", "27694", "Phường Long An", "80", "Tỉnh Long An", "Tỉnh Tây Ninh")]
    assert query(built.warehouse, """
        select current_unit_code, current_unit_name from warehouse.dim_admin_units
        where unit_code = '27997' and not is_current""") == [("27994", "Xã Thạnh Lợi")]
    # The old province and its districts are covered by the new province.
    assert query(built.warehouse, """
        select distinct current_unit_code from warehouse.dim_admin_units
        where not is_current and (unit_code = '80' or (level = 'district' and province_code = '80'))""") == [("80",)]


def test_a_split_commune_is_flagged_and_resolved_by_the_documented_rule(built: Built) -> None:
    # Phường Thụy Khuê (Hà Nội) went partly to Phường Ba Đình (part of its area) and to Phường Tây Hồ ("part of
    # the area, ALL the population"): both candidates kept, Tây Hồ primary by the whole_population criterion.
    rows = query(built.warehouse, """
        select current_unit_code, is_primary, is_split, rule from warehouse.int_admin_unit_successors
        where unit_code = '00112' order by current_unit_code""")
    assert rows == [("00004", False, True, "whole_population"), ("00103", True, True, "whole_population")]
    assert query(built.warehouse, """
        select current_unit_code, is_split, successor_rule from warehouse.dim_admin_units
        where unit_code = '00112'""") == [("00103", True, "whole_population")]
    # Phường Ngọc Hà went to Ba Đình and to the new Phường Ngọc Hà: the new unit of the same name is primary.
    assert query(built.warehouse, """
        select current_unit_code, successor_rule from warehouse.dim_admin_units
        where unit_code = '00016' and not is_current""") == [("00008", "same_name")]


def test_a_fact_is_reported_by_the_units_of_its_date_or_by_todays(built: Built) -> None:
    # The macro's condition, written out: code 00004 is Trúc Bạch in 2024 and Ba Đình in 2026; both report as
    # Ba Đình today.
    sql = """
        with facts (unit_code, fact_date) as (values ('00004', date '2024-03-01'), ('00004', date '2026-03-01'))
        select facts.fact_date, units.unit_name, units.current_unit_name
        from facts
        left join warehouse.dim_admin_units as units
            on units.unit_code = facts.unit_code and facts.fact_date >= units.valid_from
            and (facts.fact_date <= units.valid_to or units.valid_to is null)
        order by facts.fact_date"""
    assert query(built.warehouse, sql) == [(date(2024, 3, 1), "Phường Trúc Bạch", "Phường Ba Đình"),
                                           (date(2026, 3, 1), "Phường Ba Đình", "Phường Ba Đình")]
