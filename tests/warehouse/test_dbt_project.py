"""The dbt project as a whole: incremental builds equal a full refresh, every model is documented and tested, the
lineage reaches from each source to the open marts, and source freshness runs."""

from __future__ import annotations

import json
from collections import deque
from datetime import datetime, timedelta
from pathlib import Path

from kho.pipeline import build_warehouse, ingest_source
from kho.settings import Settings
from kho.transform import build, deferred_tests, generate_docs, source_freshness
from kho.warehouse import Warehouse
from simulators.dossier.server import DossierSimulator, DossierStores
from tests.conftest import query

FACTS = {"warehouse.fct_dossiers": "dossier_code", "warehouse.fct_dossier_status_steps": "1, 2",
         "marts.shared_dossier_kpis_monthly": "agency_code, month"}
# Those incremental models, what they are built from, and their tests.
DOSSIER_FACTS = ("--indirect-selection", "cautious", "--select", "+shared_dossier_kpis_monthly",
                 "+fct_dossier_status_steps")


def _late_update(record: dict) -> None:
    """A dossier the system finishes later than Kho first saw it (or re-opens): a late update to a built row."""
    if record["TrangThaiHoSo"] in (9, 10):
        record["TrangThaiHoSo"] = 4
        record["NgayKetThucXuLy"] = record["NgayTra"] = None
    else:
        record["TrangThaiHoSo"] = 10
        record["NgayKetThucXuLy"] = record["NgayTra"] = record["NgayCapNhat"]
    record["KenhThucHien"] = 2


def snapshot(warehouse: Warehouse) -> dict[str, list[tuple]]:
    return {table: query(warehouse, f"select * from {table} order by {key}") for table, key in FACTS.items()}


def test_an_incremental_build_after_late_updates_equals_a_full_refresh(
        tmp_path: Path, settings: Settings, warehouse: Warehouse, simulator_stores: DossierStores) -> None:
    stores = DossierStores(simulator_stores.dossiers.copy_to(tmp_path / "d.sqlite"),
                           simulator_stores.procedures.copy_to(tmp_path / "p.sqlite"))
    simulator = DossierSimulator(stores)
    simulator.start()
    try:
        settings = settings.with_locations(KHO_DOSSIER_API_URL=simulator.url)
        ingest_source("dossier", settings)
        build(settings, warehouse, *DOSSIER_FACTS)
        changed = [r["MaHoSo"] for r in stores.dossiers.all()[::40]]
        later = (datetime.strptime(stores.dossiers.max_updated_at(), "%Y%m%d%H%M%S")
                 + timedelta(minutes=5)).strftime("%Y%m%d%H%M%S")
        stores.dossiers.touch(changed, "NgayCapNhat", later, _late_update)
        loaded = ingest_source("dossier", settings)
        assert loaded["dossiers"]["updated"] == len(changed)
    finally:
        simulator.stop()

    incremental = build(settings, warehouse, *DOSSIER_FACTS)
    after_incremental = snapshot(warehouse)
    build(settings, warehouse, *DOSSIER_FACTS, "--full-refresh")

    assert incremental.success and incremental.models_built >= len(FACTS)
    assert snapshot(warehouse) == after_incremental
    statuses = dict(query(warehouse, "select dossier_code, status_code from warehouse.fct_dossiers "
                                     "where dossier_code = any(%s) and channel = 'online'", changed))
    assert statuses == {r["MaHoSo"]: r["TrangThaiHoSo"] for r in stores.dossiers.all() if r["MaHoSo"] in changed}


def _reaches(child_map: dict[str, list[str]], start: str) -> set[str]:
    seen, queue = set(), deque([start])
    while queue:
        for child in child_map.get(queue.popleft(), []):
            if child not in seen:
                seen.add(child)
                queue.append(child)
    return seen


def test_docs_lineage_and_freshness(settings: Settings, warehouse: Warehouse) -> None:
    ingest_source("dossier", settings)
    build_warehouse(settings)

    target = generate_docs(settings, warehouse)
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    assert (target / "index.html").exists()

    models = {uid: n for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    tested = {dep for n in manifest["nodes"].values() if n["resource_type"] == "test"
              for dep in n["depends_on"]["nodes"]}
    for uid, node in models.items():
        assert node["description"].strip(), f"{uid} has no description"
        assert uid in tested, f"{uid} has no test"
        built_columns = set(catalog["nodes"].get(uid, {}).get("columns", {}))
        documented = {name for name, c in node["columns"].items() if c.get("description", "").strip()}
        assert built_columns <= documented, f"{uid}: columns without a description: {built_columns - documented}"

    # Every test runs in the Airflow build: in its model's task (one parent, a model, seed or snapshot), or in the
    # one task after every model (deferred_tests).
    tests = {n["name"]: n["depends_on"]["nodes"] for n in manifest["nodes"].values() if n["resource_type"] == "test"}
    after = set(deferred_tests(manifest))
    in_model_tasks = {name for name, parents in tests.items()
                      if len(parents) == 1 and parents[0].split(".")[0] in ("model", "seed", "snapshot")}
    assert after | in_model_tasks == set(tests) and not after & in_model_tasks
    assert any(name.startswith("relationships_") for name in after)
    assert any(name.startswith("source_") for name in after)

    # Lineage: every open mart descends from a raw source, and the dossier source reaches its open marts.
    open_marts = [uid for uid in models if models[uid]["name"].startswith("open_")]
    parents = {uid: _reaches(manifest["parent_map"], uid) for uid in open_marts}
    assert all(any(p.startswith("source.") for p in parents[uid]) for uid in open_marts)
    reached = _reaches(manifest["child_map"], "source.kho.dossier.dossiers")
    assert {"model.kho.open_dossier_kpis_monthly", "model.kho.open_dossier_kpis_by_level_monthly",
            "model.kho.open_online_services_yearly"} <= reached

    freshness = {f.source: f for f in source_freshness(settings, warehouse)}
    assert freshness["dossier.dossiers"].status == "pass"
    assert freshness["dossier.dossiers"].max_loaded_at is not None
    # A source not connected has an empty raw table: freshness says so instead of passing.
    unconnected = [f for name, f in freshness.items() if name.startswith("document.")]
    assert unconnected and all(f.status != "pass" for f in unconnected)
