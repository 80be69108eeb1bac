"""The civil status simulator: deterministic registrations in the registers of real communes of their own day,
plausible synthetic people, and every record served exactly once over HTTP."""

from __future__ import annotations

import json
import re
import urllib.request
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from ingest.civil_status import ENTITIES
from ingest.contract import AGENCY_CODE_RE
from simulators.base import SimulationPlan
from simulators.civil_status.generate import BOOK_SIZE, ENTITY_SHARES, CivilStatusSimConfig, generate
from simulators.civil_status.server import PATHS, CivilStatusSimulator, build_stores, start
from simulators.provinces import REORGANISATION, agencies

CONFIG = CivilStatusSimConfig(registrations=3000, start=date(2020, 1, 1), as_of=datetime(2025, 12, 31, 17), seed=9)


def records(config: CivilStatusSimConfig, entity: str) -> list[dict]:
    return list(generate(config, entity))


def test_the_same_configuration_yields_the_same_records() -> None:
    small = CivilStatusSimConfig(registrations=300, seed=3)
    for entity in ENTITY_SHARES:
        assert records(small, entity) == records(small, entity)
        assert records(small, entity) != records(CivilStatusSimConfig(registrations=300, seed=4), entity)


@pytest.mark.parametrize("entity", ENTITY_SHARES)
def test_registrations_sit_in_the_books_of_communes_that_existed_that_day(entity: str) -> None:
    communes = {a.agency_code: a for a in agencies("long-an") if a.level == "commune" and a.valid_to is None}
    periods: dict[str, list] = {}
    for agency in agencies("long-an"):
        periods.setdefault(agency.agency_code, []).append(agency)
    numbers: dict[tuple[str, int], list[int]] = {}
    sides = set()
    for record in records(CONFIG, entity):
        registered = date.fromisoformat(record["ngayDangKy"])
        sides.add(registered >= REORGANISATION)
        agency = record["noiDangKy"]
        assert AGENCY_CODE_RE.fullmatch(agency)
        assert any(a.level == "commune" and a.active_on(registered) for a in periods[agency])
        numbers.setdefault((agency, registered.year), []).append(record["so"])
        assert record["quyenSo"] == f"{(record['so'] - 1) // BOOK_SIZE + 1:02d}/{registered.year}"
        assert record["ngayCapNhat"] >= f"{registered.isoformat()}T"  # a correction only ever comes later
    # Numbers restart every year in every commune's register and run without gaps.
    assert all(found == list(range(1, len(found) + 1)) for found in numbers.values())
    assert sides == {False, True} and communes


def test_the_people_are_plausible() -> None:
    for record in records(CONFIG, "births"):
        born, registered = date.fromisoformat(record["nksNgaySinh"]), date.fromisoformat(record["ngayDangKy"])
        assert born <= registered and date.fromisoformat(record["meNgaySinh"]) < born
        female = record["nksGioiTinh"] == 2
        assert re.fullmatch(r"080[0-3]\d{8}", record["nksSoDinhDanh"])
        # The 4th digit of the personal number: century and sex.
        assert int(record["nksSoDinhDanh"][3]) == (0 if born.year < 2000 else 2) + female
        assert record["nksHoTen"].split()[0] == (record["chaHoTen"] or record["meHoTen"]).split()[0]
    for record in records(CONFIG, "deaths"):
        died, registered = date.fromisoformat(record["nktNgayChet"]), date.fromisoformat(record["ngayDangKy"])
        assert date.fromisoformat(record["nktNgaySinh"]) < died <= registered
    for record in records(CONFIG, "marriages"):
        registered = date.fromisoformat(record["ngayDangKy"])
        for spouse, adult in (("chong", 20), ("vo", 18)):
            assert (registered - date.fromisoformat(record[f"{spouse}NgaySinh"])).days >= adult * 365


def test_deaths_rise_in_the_2021_covid_wave() -> None:
    by_month = Counter(r["ngayDangKy"][:7] for r in records(CONFIG, "deaths"))
    wave = by_month["2021-08"] + by_month["2021-09"]
    usual = by_month["2022-08"] + by_month["2022-09"]
    assert wave > 2 * usual
    assert any(r["nktNguyenNhanChet"] == "COVID-19" for r in records(CONFIG, "deaths"))


@pytest.mark.parametrize("entity", ENTITY_SHARES)
def test_clean_records_pass_the_ingest_contracts(entity: str) -> None:
    for record in records(CONFIG, entity):
        ENTITIES[entity].validate(record)


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CivilStatusSimulator]:
    running = CivilStatusSimulator(build_stores(CONFIG, tmp_path_factory.mktemp("civil_status")))
    running.start()
    yield running
    running.stop()


def served(url: str) -> list[dict]:
    found = []
    while url:
        with urllib.request.urlopen(url) as response:
            page = json.load(response)
        found.extend(page["data"])
        url = page["next"]
    return found


@pytest.mark.parametrize("entity", ENTITY_SHARES)
def test_every_record_is_served_once_across_pages(entity: str, simulator: CivilStatusSimulator) -> None:
    ids = [r["ID"] for r in served(f"{simulator.url}{PATHS[entity]}?page_size=250")]
    assert len(ids) == len(set(ids)) == CONFIG.count(entity)


def test_updated_since_returns_only_later_changes(simulator: CivilStatusSimulator) -> None:
    later = served(f"{simulator.url}{PATHS['births']}?page_size=5000&updated_since=2025-07-01T00:00:00%2B07:00")
    assert later and all(r["ngayCapNhat"] >= "2025-07-01T00:00:00+07:00" for r in later)
    assert len(later) < CONFIG.count("births")
    # The same instant in UTC selects the same records.
    utc = served(f"{simulator.url}{PATHS['births']}?page_size=5000&updated_since=2025-06-30T17:00:00Z")
    assert utc == later


def test_start_sizes_the_registers_from_the_plan(tmp_path: Path) -> None:
    plan = SimulationPlan(scale=5000, start=date(2024, 1, 1), as_of=datetime(2025, 12, 31), seed=2)
    source = start(plan, tmp_path)
    try:
        total = sum(len(served(f"{source.location}{path}?page_size=5000")) for path in PATHS.values())
        assert source.name == "civil_status" and total == round(0.2 * plan.scale)
    finally:
        source.stop()
