"""What Kho's DAG files share: default arguments, the assets that link them, the warehouse env for dbt.

Imported by the DAG files (the DAG folder is on sys.path); defines no DAG itself (see .airflowignore)."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Asset

from kho.alerts import on_task_failure
from kho.settings import read_config

OWNER = "data-engineering"
START_DATE = pendulum.datetime(2026, 1, 1, tz="Asia/Ho_Chi_Minh")

# Every task alerts when it fails. Source-facing tasks retry with exponential backoff: 1, 2, 4 … minutes,
# at most 30, KHO_SOURCE_RETRIES times (default 5; the HTTP client already retries each request in a try).
DEFAULT_ARGS: dict[str, Any] = {
    "owner": OWNER,
    "retries": 1,
    "retry_delay": timedelta(minutes=1),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=30),
    "on_failure_callback": on_task_failure,
}
SOURCE_TASK_ARGS: dict[str, Any] = {**DEFAULT_ARGS,
                                     "retries": int(read_config(os.environ).get("KHO_SOURCE_RETRIES", 5))}

# The build's result, once its gate before publication passed: what the publication DAG waits for.
WAREHOUSE_GATED = Asset(name="kho.warehouse.gated", uri="kho://warehouse/marts")
OPEN_DATA = Asset(name="kho.open_data", uri="kho://open-data/latest")


def raw_asset(table: str) -> Asset:
    """One asset per raw table (`raw.dossier__dossiers`): updated by its ingest task, consumed by the build."""
    return Asset(name=f"kho.{table}", uri=f"kho://warehouse/{table.replace('.', '/')}")


def raw_assets() -> dict[str, list[Asset]]:
    """{source: its raw tables' assets}, from the source registry (names only; nothing is read)."""
    from ingest.sources import sources

    return {name: [raw_asset(contract.table) for contract in spec.entities.values()]
            for name, spec in sources().items()}


def schedules() -> dict[str, str]:
    """{source: how often it is read}, declared once in the source registry (Source.schedule)."""
    from ingest.sources import sources

    return {name: spec.schedule for name, spec in sources().items()}


def backfill_since(context: dict[str, Any]) -> pendulum.DateTime | None:
    """A backfill run re-extracts from its data interval's start; any other run reads from the watermarks."""
    dag_run = context.get("dag_run")
    if dag_run is not None and str(getattr(dag_run, "run_type", "")).lower().endswith("backfill"):
        return context.get("data_interval_start")
    return None


def dbt_env() -> dict[str, str]:
    """The KHO_DB_* values dbt_project/profiles.yml reads, for the warehouse this worker is configured with.

    Used as a template macro, so it runs on the worker when a dbt task starts (never at parse time): an
    embedded warehouse is started there and held for the task's life."""
    from kho.settings import Settings
    from kho.warehouse import open_warehouse

    with open_warehouse(Settings.from_env()) as warehouse:
        return warehouse.dbt_env()
