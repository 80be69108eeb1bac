"""
### Kho · build the warehouse (`kho_build`)

Runs when any raw table's asset updates (an ingest DAG loaded it): make sure every registered raw table
exists → quality gate after ingest → **dbt**, one task per model, seed and snapshot that builds it and runs
its tests (`dbt build --select <model>`; rendered by astronomer-cosmos from `dbt_project/`, with Kho's
own `profiles.yml`) → the tests no model's task runs (those reading two models, those on a source), in
one task after them all (it also leaves the dbt manifest that publication reads metadata from) →
per-agency access re-applied to the rebuilt marts (`kho.access`) → quality gate after the build (the
shared marts) → quality gate before publication, which updates the `kho.warehouse.gated` asset the
publication DAG waits for.

A failed gate or dbt test stops what follows, so nothing unchecked is published. No catch-up: a run
builds from whatever raw holds.
"""

from __future__ import annotations

import sys
from functools import reduce
from operator import or_
from pathlib import Path

from _kho import DEFAULT_ARGS, START_DATE, WAREHOUSE_GATED, dbt_env, raw_assets
from airflow.sdk import dag, task
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import InvocationMode, LoadMode, TestBehavior, TestIndirectSelection

DBT_PROJECT = Path(__file__).resolve().parent.parent / "dbt_project"
PROFILE_KEYS = ("KHO_DB_HOST", "KHO_DB_PORT", "KHO_DB_USER", "KHO_DB_PASSWORD", "KHO_DB_NAME")
# profiles.yml reads these; they are filled in on the worker when the task starts (the `dbt_env` macro).
DBT_TASK_ENV = {
    **{key: "{{ kho_dbt_env()['" + key + "'] }}" for key in PROFILE_KEYS},
    # No network wanted: dbt must not phone home or look for a newer version.
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1", "DBT_VERSION_CHECK": "false",
}


@dag(
    dag_id="kho_build",
    schedule=reduce(or_, [asset for assets in raw_assets().values() for asset in assets]),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    default_args=DEFAULT_ARGS,
    user_defined_macros={"kho_dbt_env": dbt_env},
    tags=["kho", "dbt", "quality"],
)
def kho_build() -> None:
    @task
    def ensure_raw_tables() -> None:
        from ingest.schema import ensure_every_raw_table
        from kho.quality import ensure_quality_tables
        from kho.settings import Settings
        from kho.warehouse import open_warehouse

        with open_warehouse(Settings.from_env()) as warehouse:
            ensure_every_raw_table(warehouse.url)
            ensure_quality_tables(warehouse.url)

    @task(retries=0)
    def gate_after_ingest() -> dict:
        from kho.pipeline import check_gate

        return check_gate("after_ingest")

    dbt = DbtTaskGroup(
        group_id="dbt",
        project_config=ProjectConfig(dbt_project_path=DBT_PROJECT),
        profile_config=ProfileConfig(profile_name="kho", target_name="warehouse",
                                     profiles_yml_filepath=DBT_PROJECT / "profiles.yml"),
        # A model's task runs only the tests of that model (cautious): a test that also reads another model
        # (relationships) would fail before its other parent is built; those run together after the group, with
        # the tests on sources (not rendered as nodes).
        execution_config=ExecutionConfig(invocation_mode=InvocationMode.DBT_RUNNER,
                                         test_indirect_selection=TestIndirectSelection.CAUTIOUS,
                                         dbt_executable_path=str(Path(sys.executable).with_name("dbt"))),
        render_config=RenderConfig(load_method=LoadMode.DBT_LS, test_behavior=TestBehavior.BUILD,
                                   should_detach_multiple_parents_tests=False, emit_datasets=False),
        operator_args={"env": DBT_TASK_ENV, "install_deps": False},
        default_args={**DEFAULT_ARGS, "retries": 0},
    )

    @task
    def apply_access() -> dict:
        # dbt rebuilt the marts without their policies and grants (closed to every reader until now): re-apply.
        from kho.access import apply_configured_access
        from kho.settings import Settings

        return apply_configured_access(Settings.from_env())

    @task(retries=0)
    def dbt_tests_after_models() -> dict:
        # The tests no model's task runs (those reading two nodes, those on a source alone), in one dbt invocation
        # after every model: a task each cost as much dbt start-up as a model. Its `dbt parse` also leaves the
        # manifest in KHO_HOME/dbt/target, where publication reads each dataset's metadata (cosmos runs in copies).
        from kho.settings import Settings
        from kho.transform import run_deferred_tests
        from kho.warehouse import open_warehouse

        settings = Settings.from_env()
        with open_warehouse(settings) as warehouse:
            result = run_deferred_tests(settings, warehouse)
        return {"tests_passed": result.tests_passed}

    @task(retries=0)
    def gate_after_build() -> dict:
        from kho.pipeline import check_gate

        return check_gate("after_build")

    @task(retries=0, outlets=[WAREHOUSE_GATED])
    def gate_before_publish() -> dict:
        from kho.pipeline import check_gate

        return check_gate("before_publish")

    (ensure_raw_tables() >> gate_after_ingest() >> dbt >> dbt_tests_after_models() >> apply_access()
     >> gate_after_build() >> gate_before_publish())


kho_build()
