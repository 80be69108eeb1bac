"""Every DAG file imports cleanly and follows the house style (owner, tags, retries, alerts, no catch-up)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

DAGS_DIR = Path(__file__).resolve().parents[2] / "dags"
SOURCES = {"dossier", "document", "health", "education", "land", "civil_status"}


@pytest.fixture(scope="module")
def dag_bag(tmp_path_factory: pytest.TempPathFactory):
    os.environ.setdefault("AIRFLOW_HOME", str(tmp_path_factory.mktemp("airflow_home")))
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    # No metadata database here: cosmos would cache its `dbt ls` in an Airflow Variable.
    os.environ["AIRFLOW__COSMOS__ENABLE_CACHE_DBT_LS"] = "False"
    os.environ["AIRFLOW__COSMOS__CACHE_DIR"] = str(tmp_path_factory.mktemp("cosmos"))
    # Airflow puts the DAG bundle's folder on sys.path (dags/_kho.py is imported from there); so do we.
    if str(DAGS_DIR) not in sys.path:
        sys.path.append(str(DAGS_DIR))
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_DIR))


def test_every_dag_file_imports_without_error_or_cycle(dag_bag) -> None:
    assert dag_bag.import_errors == {}
    assert set(dag_bag.dag_ids) == {f"kho_ingest_{s}" for s in SOURCES} | {"kho_build", "kho_publish"}
    for dag in dag_bag.dags.values():
        # A cycle raises when Airflow checks it (DagBag.bag_dag); walking every upstream chain proves none.
        for task in dag.tasks:
            assert task.task_id not in {t.task_id for t in task.get_flat_relatives(upstream=True)}


def test_every_dag_is_named_for_its_file_documented_and_tagged(dag_bag) -> None:
    files = {p.stem for p in DAGS_DIR.glob("*.py") if not p.name.startswith("_")}
    assert {dag_id for dag_id in dag_bag.dag_ids if not any(dag_id.startswith(f) for f in files)} == set()
    for dag in dag_bag.dags.values():
        assert dag.doc_md, dag.dag_id
        assert "kho" in dag.tags and len(dag.tags) >= 2, dag.dag_id
        assert dag.max_active_runs == 1, dag.dag_id
        assert dag.catchup is False, dag.dag_id


def test_every_dag_has_an_owner_tags_and_retries_with_backoff(dag_bag) -> None:
    from _kho import OWNER

    for dag in dag_bag.dags.values():
        args = dag.default_args
        assert args.get("owner") == OWNER and OWNER in dag.owner, dag.dag_id
        assert dag.tags, dag.dag_id
        assert isinstance(args.get("retries"), int) and args["retries"] >= 1, dag.dag_id
        assert args.get("retry_exponential_backoff") and args.get("retry_delay"), dag.dag_id
        assert args.get("max_retry_delay") >= args["retry_delay"], dag.dag_id


def test_every_task_has_an_owner_and_an_alert(dag_bag) -> None:
    from kho.alerts import on_task_failure

    for dag in dag_bag.dags.values():
        for task in dag.tasks:
            # dbt tasks carry their model's owner (meta.owner in the dbt project); the rest data-engineering.
            assert task.owner and task.owner != "airflow", (dag.dag_id, task.task_id)
            callbacks = task.on_failure_callback if isinstance(task.on_failure_callback, list) else [
                task.on_failure_callback]
            assert on_task_failure in callbacks, (dag.dag_id, task.task_id)


def test_every_task_that_touches_a_source_retries_with_exponential_backoff(dag_bag) -> None:
    # A task touches a source when it extracts into raw (it updates a raw table's asset) or belongs to an ingest
    # DAG; that is one task per registered source, and nothing else.
    touching = [(dag.dag_id, task) for dag in dag_bag.dags.values() for task in dag.tasks
                if "ingest" in dag.tags or any(a.name.startswith("kho.raw.") for a in task.outlets)]
    assert sorted((dag_id, task.task_id) for dag_id, task in touching) == sorted(
        (f"kho_ingest_{s}", f"ingest_{s}") for s in SOURCES)
    for dag_id, task in touching:
        where = (dag_id, task.task_id)
        assert task.retries >= 3, where  # a source that is down for a while is retried, not given up on
        assert task.retry_exponential_backoff, where
        assert task.retry_delay.total_seconds() > 0 and task.max_retry_delay > task.retry_delay, where


def test_ingest_dags_update_one_asset_per_raw_table_and_the_build_waits_for_them(dag_bag) -> None:
    from ingest.sources import sources

    tables = {c.table for spec in sources().values() for c in spec.entities.values()}
    produced = {a.name.removeprefix("kho.") for s in SOURCES
                for a in dag_bag.dags[f"kho_ingest_{s}"].get_task(f"ingest_{s}").outlets}
    assert produced == tables
    build = dag_bag.dags["kho_build"]
    consumed = {asset.name.removeprefix("kho.") for asset in build.timetable.asset_condition.objects}
    assert consumed == tables
    publish = dag_bag.dags["kho_publish"]
    assert [asset.name for asset in publish.timetable.asset_condition.objects] == ["kho.warehouse.gated"]


def test_the_build_shows_each_dbt_model_with_its_tests(dag_bag) -> None:
    build = dag_bag.dags["kho_build"]
    # The marts (other models come and go as the project grows; cosmos renders whatever `dbt ls` lists).
    models = {p.stem for p in (DAGS_DIR.parent / "dbt_project" / "models" / "marts").rglob("*.sql")}
    ids = set(build.task_ids)
    for model in models:
        assert f"dbt.{model}_model_build" in ids, model  # `dbt build --select <model>`: the model, then its tests
    assert sum(i.endswith("_build") for i in ids) > len(models)
    # Tests no model's task runs (across two models, on a source) run in one task after them all, not one each.
    assert not any(i.startswith(("dbt.relationships_", "dbt.source_", "dbt.assert_")) for i in ids)
    after = {t.task_id for t in build.get_task("dbt_tests_after_models").get_flat_relatives(upstream=True)}
    assert {i for i in ids if i.startswith("dbt.")} <= after
    upstream = {t.task_id for t in build.get_task("gate_before_publish").get_flat_relatives(upstream=True)}
    assert {"gate_after_ingest", "ensure_raw_tables", "dbt_tests_after_models"} <= upstream


def test_dag_files_do_no_work_at_import() -> None:
    heavy = ("psycopg", "pandas", "great_expectations", "dbt.", "httpx", "sqlalchemy")
    for path in DAGS_DIR.glob("*.py"):
        top_level = [line for line in path.read_text(encoding="utf-8").splitlines()
                     if line.startswith(("import ", "from "))]
        assert not [line for line in top_level if any(f" {name}" in line for name in heavy)], path.name
