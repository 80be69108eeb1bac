"""
### Kho · dossier pipeline

Ingest dossiers from the dossier system (one-stop shop, hồ sơ thủ tục hành chính) → quality gate
after ingest → dbt build (staging → warehouse → marts, with tests) → quality gate before publish →
publish the open datasets.

Each task calls the function of the same name in `kho.pipeline`, exactly as `kho run` does. Watermarks
live in the warehouse (`ingest.watermarks`), so a scheduled, manual or backfill run behaves the same.
Connection and sources come from the `KHO_*` environment (see README).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, dag, task

RAW_DOSSIERS = Asset(name="kho.raw.dossier__dossiers", uri="kho://warehouse/raw/dossier__dossiers")
OPEN_DOSSIER_KPIS = Asset(name="kho.open.dossier_kpis_monthly", uri="kho://open-data/dossier-kpis-monthly")


@dag(
    dag_id="kho_dossier_pipeline",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Ho_Chi_Minh"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    default_args={
        "owner": "data-engineering",
        "retries": 2,
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=15),
    },
    tags=["kho", "dossier", "skeleton"],
)
def kho_dossier_pipeline() -> None:
    @task(outlets=[RAW_DOSSIERS])
    def ingest_dossiers() -> dict:
        from kho.pipeline import ingest_source

        return ingest_source("dossier")

    @task(retries=0)
    def gate_after_ingest() -> dict:
        from kho.pipeline import check_gate

        return check_gate("after_ingest")

    @task
    def build_warehouse() -> dict:
        from kho.pipeline import build_warehouse

        return build_warehouse()

    @task(retries=0)
    def gate_before_publish() -> dict:
        from kho.pipeline import check_gate

        return check_gate("before_publish")

    @task(outlets=[OPEN_DOSSIER_KPIS])
    def publish_open_data() -> dict:
        from kho.pipeline import publish_open_data

        return publish_open_data()

    ingest_dossiers() >> gate_after_ingest() >> build_warehouse() >> gate_before_publish() >> publish_open_data()


kho_dossier_pipeline()
