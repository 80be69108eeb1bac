"""Every DAG file imports cleanly and follows the house style (owner, tags, retries, no catch-up surprise)."""

from __future__ import annotations

from pathlib import Path

import pytest

DAGS_DIR = Path(__file__).resolve().parents[2] / "dags"


@pytest.fixture(scope="module")
def dag_bag(tmp_path_factory: pytest.TempPathFactory):
    import os

    os.environ.setdefault("AIRFLOW_HOME", str(tmp_path_factory.mktemp("airflow_home")))
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_DIR))


def test_every_dag_file_imports_without_error(dag_bag) -> None:
    assert dag_bag.import_errors == {}
    assert dag_bag.dags, "no DAG found"


def test_every_dag_is_named_for_its_file_and_documented(dag_bag) -> None:
    files = {p.stem for p in DAGS_DIR.glob("*.py") if not p.name.startswith("_")}
    assert files <= set(dag_bag.dag_ids)
    for dag in dag_bag.dags.values():
        assert dag.doc_md, dag.dag_id
        assert dag.tags, dag.dag_id
        assert dag.max_active_runs == 1, dag.dag_id


def test_every_task_has_an_owner_and_a_retry_policy_where_it_touches_a_source(dag_bag) -> None:
    for dag in dag_bag.dags.values():
        for task in dag.tasks:
            assert task.owner and task.owner != "airflow", (dag.dag_id, task.task_id)
            if task.task_id.startswith("ingest_"):
                assert task.retries >= 1 and task.retry_exponential_backoff, (dag.dag_id, task.task_id)


def test_dag_files_do_no_work_at_import(dag_bag) -> None:
    heavy = ("psycopg", "pandas", "great_expectations", "dbt", "httpx", "sqlalchemy")
    for path in DAGS_DIR.glob("*.py"):
        top_level = [line for line in path.read_text(encoding="utf-8").splitlines()
                     if line.startswith(("import ", "from "))]
        assert not [line for line in top_level if any(f" {name}" in line for name in heavy)], path.name
