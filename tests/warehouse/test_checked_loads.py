"""Tests on large relations check each load's rows once (dbt_project/macros/checked_loads.sql): a bad row of a new
load is found, found again on every build until it is fixed, and then every test moves on to the newest load."""

from __future__ import annotations

import psycopg
import pytest

from kho.pipeline import ingest_source
from kho.settings import Settings
from kho.transform import BuildError, build
from kho.warehouse import Warehouse
from tests.conftest import query

STAGING = ("--select", "stg_dossier__dossiers")
MARKS = "select test_id, checked_through_load_id from warehouse.dbt_checked_loads where relation_name = %s"


def _land(warehouse: Warehouse, channel: int, load_id: int | None = None) -> int:
    """One dossier as a load lands it (its own load id, logged as succeeded); KenhThucHien outside 1–3 is bad."""
    with psycopg.connect(warehouse.url) as conn:
        if load_id is None:
            load_id = conn.execute("select nextval('ingest.load_id_seq')").fetchone()[0]
            conn.execute("create temp table late as select * from raw.dossier__dossiers limit 1")
            conn.execute("update late set ma_ho_so = 'H37-LATE-0001', _load_id = %s", (load_id,))
            conn.execute("insert into raw.dossier__dossiers select * from late")
            conn.execute("insert into ingest.load_log (load_id, source, entity, status, started_at, finished_at,"
                         " received, loaded) values (%s, 'dossier', 'dossiers', 'succeeded', now(), now(), 1, 1)",
                         (load_id,))
        conn.execute("update raw.dossier__dossiers set kenh_thuc_hien = %s where ma_ho_so = 'H37-LATE-0001'",
                     (channel,))
    return load_id


def test_a_bad_row_of_a_new_load_fails_every_build_until_fixed(settings: Settings, warehouse: Warehouse) -> None:
    loaded = ingest_source("dossier", settings)["dossiers"]["load_id"]
    build(settings, warehouse, *STAGING)
    first = dict(query(warehouse, MARKS, "staging.stg_dossier__dossiers"))
    assert len(first) >= 10 and set(first.values()) == {loaded}

    late = _land(warehouse, channel=9)
    for _ in range(2):
        with pytest.raises(BuildError) as failed:
            build(settings, warehouse, *STAGING)
        assert [n.unique_id for n in failed.value.result.problems] == [
            next(t for t in first if t.startswith("test.kho.not_null_stg_dossier__dossiers_channel."))]
        marks = dict(query(warehouse, MARKS, "staging.stg_dossier__dossiers"))
        assert {t for t, m in marks.items() if m == loaded} == {t for t in first if "_channel." in t
                                                                and t.startswith("test.kho.not_null")}
        assert set(marks.values()) == {loaded, late}

    _land(warehouse, channel=2, load_id=late)
    build(settings, warehouse, *STAGING)
    assert set(dict(query(warehouse, MARKS, "staging.stg_dossier__dossiers")).values()) == {late}
    # --full-refresh checks every row again, and still passes.
    build(settings, warehouse, *STAGING, "--full-refresh")
