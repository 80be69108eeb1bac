"""The quarantine explains itself, and a replay after the cause is fixed loads what it held, once."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

from ingest.dossier import load_entity
from ingest.dossier.contract import DOSSIERS
from ingest.load import load
from ingest.quarantine import advice_for, problem_of, replay, summary
from kho.settings import Settings
from kho.warehouse import Warehouse
from simulators.dossier.server import DossierSimulator
from tests.conftest import query


def too_strict(contract):
    """The contract with procedure names limited to 12 characters: a contract bug to fix later."""
    fields = tuple(dataclasses.replace(f, max_length=12) if f.name == "TenTTHC" else f for f in contract.fields)
    return dataclasses.replace(contract, fields=fields)


def test_a_replay_after_the_contract_is_fixed_loads_what_was_held_once(warehouse: Warehouse,
                                                                        dossier_simulator: DossierSimulator) -> None:
    from ingest.dossier.client import pages

    held = load(warehouse.url, too_strict(DOSSIERS), lambda since: pages(dossier_simulator.url, "dossiers", since))
    assert held.quarantined > 0 and held.loaded + held.quarantined == 3000
    watermark = query(warehouse, "select cursor_value from ingest.watermarks")

    replayed = replay(warehouse.url, DOSSIERS)
    again = replay(warehouse.url, DOSSIERS)

    assert replayed.loaded == held.quarantined and replayed.quarantined == 0
    assert again.received == 0
    assert query(warehouse, "select count(*) from raw.dossier__dossiers") == [(3000,)]
    assert query(warehouse, "select count(*) from raw._quarantine where replayed_load_id is null") == [(0,)]
    assert query(warehouse, "select cursor_value from ingest.watermarks") == watermark
    assert query(warehouse, "select message from ingest.load_log order by load_id") == [
        (None,), ("replay of quarantined records",), ("replay of quarantined records",)]


def test_a_replay_does_not_overwrite_a_newer_version(warehouse: Warehouse,
                                                     dossier_simulator: DossierSimulator) -> None:
    from datetime import timedelta

    from ingest.dossier.client import pages

    load(warehouse.url, too_strict(DOSSIERS), lambda since: pages(dossier_simulator.url, "dossiers", since))
    key, payload = query(warehouse, "select record_key, payload from raw._quarantine order by 1 limit 1")[0]
    # Meanwhile a newer version of that dossier reached raw (returned, a day later).
    values, _ = DOSSIERS.validate(json.loads(payload))
    row = dict(zip(DOSSIERS.columns, values, strict=True))
    row.update(trang_thai_ho_so=10, ngay_cap_nhat=row["ngay_cap_nhat"] + timedelta(days=1))
    with warehouse.connect() as conn:
        conn.execute(f"insert into raw.dossier__dossiers ({', '.join(row)}, _load_id) "
                     f"values ({', '.join(['%s'] * len(row))}, 0)", list(row.values()))

    replay(warehouse.url, DOSSIERS)

    assert query(warehouse, "select ngay_cap_nhat, _load_id from raw.dossier__dossiers where ma_ho_so = %s",
                 key) == [(row["ngay_cap_nhat"], 0)]


def test_problems_group_alike_records_and_say_what_to_do(warehouse: Warehouse,
                                                        dossier_simulator: DossierSimulator) -> None:
    from simulators.faults import Faults

    dossier_simulator.faults = Faults(malformed_rate=0.05)
    load_entity(warehouse.url, dossier_simulator.url, "dossiers")
    groups = {g.problem: g for g in summary(warehouse.url)}
    assert "KenhThucHien: expected an integer" in groups
    assert "MaHoSo: required field is missing" in groups
    assert all(g.pending > 0 for g in groups.values())
    assert "renamed" in advice_for("MaHoSo: required field is missing")
    assert problem_of("TongLePhi: -5 is below the minimum 0") == "TongLePhi: … is below the minimum …"


def test_the_cli_lists_shows_and_replays(settings: Settings, warehouse: Warehouse,
                                         dossier_simulator: DossierSimulator) -> None:
    from simulators.faults import Faults

    dossier_simulator.faults = Faults(malformed_rate=0.05)
    load_entity(warehouse.url, dossier_simulator.url, "dossiers")
    env = {**os.environ, **settings.as_env(), "COLUMNS": "200"}
    kho = [sys.executable, "-m", "kho.cli", "quarantine"]
    listed = subprocess.run(kho, env=env, capture_output=True, text=True, timeout=120)
    shown = subprocess.run([*kho, "show", "dossier.dossiers", "--reason", "KenhThucHien"], env=env,
                           capture_output=True, text=True, timeout=120)
    replayed = subprocess.run([*kho, "replay", "dossier.dossiers"], env=env, capture_output=True, text=True,
                              timeout=120)
    assert listed.returncode == 0 and "KenhThucHien: expected an integer" in listed.stdout, listed.stderr
    assert shown.returncode == 0 and "What to do" in shown.stdout and "trực tuyến" in shown.stdout
    assert replayed.returncode == 0 and "still quarantined" in replayed.stdout, replayed.stderr


def test_a_replay_never_undoes_a_correction_with_the_same_cursor(warehouse: Warehouse,
                                                                  dossier_simulator: DossierSimulator) -> None:
    from ingest.dossier.client import pages

    load(warehouse.url, too_strict(DOSSIERS), lambda since: pages(dossier_simulator.url, "dossiers", since))
    key, payload = query(warehouse, "select record_key, payload from raw._quarantine order by 1 limit 1")[0]
    values, _ = DOSSIERS.validate(json.loads(payload))
    corrected = dict(zip(DOSSIERS.columns, values, strict=True))
    corrected["ten_tthc"] = "Tên đã được nguồn sửa"  # the source corrected it; the cursor did not move
    with warehouse.connect() as conn:
        conn.execute(f"insert into raw.dossier__dossiers ({', '.join(corrected)}, _load_id) "
                     f"values ({', '.join(['%s'] * len(corrected))}, 0)", list(corrected.values()))

    replay(warehouse.url, DOSSIERS)

    assert query(warehouse, "select ten_tthc from raw.dossier__dossiers where ma_ho_so = %s", key) == [
        ("Tên đã được nguồn sửa",)]
