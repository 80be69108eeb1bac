"""The land registration simulator: deterministic legacy rows in real code formats and real communes of their
day, in its own PostgreSQL database, with faults that can be undone exactly."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from ingest.contract import AGENCY_CODE_RE
from ingest.land.contract import DOSSIER_CODE, LAND_USE
from kho.warehouse import Warehouse
from simulators.base import SimulationPlan
from simulators.land.database import COLUMNS, TABLE, LandRegistry, running, start
from simulators.land.generate import DATE_TEXT, RETURNED, LandSimConfig, generate
from simulators.provinces import REORGANISATION, agencies
from simulators.reference import post_2025_communes, pre_2025_units

PLAN = SimulationPlan(scale=10_000, start=date(2019, 1, 1), as_of=datetime(2025, 12, 31, 17, 0), seed=5)
CONFIG = LandSimConfig(rows=1500, start=date(2019, 1, 1), as_of=datetime(2025, 12, 31, 17, 0), seed=5)
ORIGINAL = ", ".join(COLUMNS)


def test_the_same_configuration_yields_the_same_rows() -> None:
    small = LandSimConfig(rows=300, seed=3)
    assert list(generate(small)) == list(generate(small))
    assert list(generate(small)) != list(generate(LandSimConfig(rows=300, seed=4)))


def test_rows_use_real_codes_and_the_communes_of_their_own_day() -> None:
    old_communes = {c.code for c in pre_2025_units("80")[1]}
    new_communes = {code for code, _ in post_2025_communes("80")}
    by_code: dict[str, list] = {}
    for agency in agencies("long-an"):
        by_code.setdefault(agency.agency_code, []).append(agency)
    sides = set()
    for row in generate(CONFIG):
        record = dict(zip(COLUMNS, row, strict=True))
        received = datetime.strptime(record["ngay_tiep_nhan"], DATE_TEXT).date()
        after = received >= REORGANISATION
        sides.add(after)
        assert record["ma_xa"] in (new_communes if after else old_communes)
        receiver = record["ma_co_quan_tiep_nhan"]
        assert AGENCY_CODE_RE.fullmatch(receiver)
        assert any(a.active_on(received) for a in by_code[receiver]), "receiving agency did not exist that day"
        assert re.fullmatch(DOSSIER_CODE, record["ma_ho_so"])
        assert record["ma_ho_so"].startswith(f"{receiver}-{received:%y%m%d}-")
        assert re.fullmatch(LAND_USE, record["muc_dich_su_dung"])
        assert record["dien_tich"] > 0 and record["so_thua"] > 0
        due = datetime.strptime(record["ngay_hen_tra"], DATE_TEXT).date()
        assert received <= due
        if record["trang_thai"] == RETURNED:
            assert received <= datetime.strptime(record["ngay_tra_ket_qua"], DATE_TEXT).date()
        assert record["updated_at"] <= CONFIG.as_of
    assert sides == {False, True}, "the data should cross the 1 July 2025 reorganisation"


@pytest.fixture(scope="module")
def pristine(pg_server: Warehouse) -> Iterator[LandRegistry]:
    with running(PLAN, pg_server.url, f"land_sim_{uuid.uuid4().hex[:10]}") as built:
        yield built


@pytest.fixture
def registry(pristine: LandRegistry) -> Iterator[LandRegistry]:
    copy = pristine.clone(f"land_sim_{uuid.uuid4().hex[:10]}")
    yield copy
    copy.drop()


def rows(registry: LandRegistry) -> list[tuple]:
    with registry.connect() as conn:
        return conn.execute(f"select {ORIGINAL} from {TABLE} order by id").fetchall()


def database_oid(pg_server: Warehouse, name: str) -> int | None:
    with pg_server.connect() as conn:
        found = conn.execute("select oid from pg_database where datname = %s", (name,)).fetchone()
    return found[0] if found else None


def test_start_creates_the_source_database_and_reuses_it_until_a_fault(pg_server: Warehouse, tmp_path: Path) -> None:
    name = f"land_start_{uuid.uuid4().hex[:8]}"
    source = start(PLAN, tmp_path, postgres_url=pg_server.url, database=name)
    try:
        assert source.name == "land" and conninfo_to_dict(source.location)["dbname"] == name
        with psycopg.connect(source.location) as conn:  # the location is what KHO_LAND_DATABASE_URL holds
            assert conn.execute(f"select count(*) from {TABLE}").fetchone() == (round(0.1 * PLAN.scale),)
        built = database_oid(pg_server, name)
        start(PLAN, tmp_path, postgres_url=pg_server.url, database=name)
        assert database_oid(pg_server, name) == built, "an untouched database is reused"
        source.handle.update_rows(1)
        start(PLAN, tmp_path, postgres_url=pg_server.url, database=name)
        assert database_oid(pg_server, name) != built, "a faulted database is built again"
    finally:
        source.handle.drop()
    with pytest.raises(ValueError, match="PostgreSQL server"):
        start(PLAN, tmp_path, postgres_url=None)


def test_malformed_rows_are_the_same_each_time_and_repair_puts_them_back(registry: LandRegistry) -> None:
    before = rows(registry)
    broken = registry.corrupt(0.05)
    assert set(broken) == {"bad_date", "negative_area", "missing_key", "overlong_text", "nfd_text"}
    assert all(n > 0 for n in broken.values()) and sum(broken.values()) < 0.1 * len(before)
    damaged = rows(registry)
    assert sum(a != b for a, b in zip(before, damaged, strict=True)) == sum(broken.values())
    with registry.connect() as conn:
        assert conn.execute(f"select count(*) from {TABLE} where ma_ho_so is null").fetchone() == (
            broken["missing_key"],)
        assert conn.execute(f"select count(*) from {TABLE} where dien_tich < 0").fetchone() == (
            broken["negative_area"],)
    assert registry.repair() == sum(broken.values())
    assert rows(registry) == before
    assert registry.corrupt(0.05) == broken and rows(registry) == damaged


def test_drift_changes_the_columns_and_undoing_it_restores_every_value(registry: LandRegistry) -> None:
    before = rows(registry)
    registry.drift()
    columns = registry.columns()
    assert "ma_muc_dich" in columns and "ghi_chu" in columns
    assert "muc_dich_su_dung" not in columns and "so_to_ban_do" not in columns
    registry.undo_drift()
    assert sorted(registry.columns()) == sorted(COLUMNS)
    assert rows(registry) == before


def test_updates_move_rows_past_every_other(registry: LandRegistry) -> None:
    before = {r[0]: r for r in rows(registry)}
    updated = registry.update_rows(5)
    after = {r[0]: r for r in rows(registry)}
    latest = max(r[-1] for i, r in before.items())
    assert len(updated) == 5 and all(after[i][-1] > latest and after[i] != before[i] for i in updated)


def test_a_reader_is_cut_off_and_a_source_that_goes_down_refuses_connections(registry: LandRegistry) -> None:
    watcher = registry.drop_connection_mid_read()
    with psycopg.connect(registry.url) as conn, conn.cursor(name="reader") as cursor:  # a client, not the simulator
        cursor.execute(f"select * from {TABLE} order by updated_at, id")
        cursor.fetchmany(10)
        watcher.join(timeout=10)
        assert registry.fired == ["connection dropped"]
        with pytest.raises(psycopg.OperationalError):
            cursor.fetchmany(10)
    registry.go_down()
    with pytest.raises(psycopg.OperationalError, match="not currently accepting connections"):
        psycopg.connect(registry.url)
    registry.come_back()
    assert registry.count() == round(0.1 * PLAN.scale)
