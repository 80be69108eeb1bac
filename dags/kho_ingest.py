"""
### Kho · ingest, one DAG per source (`kho_ingest_<source>`)

Generated from the source registry (`ingest/sources.py`): one DAG per source family, one task calling
`kho.pipeline.ingest_source(<source>)` exactly as `kho ingest <source>` does. Each run loads every entity
of the source since its watermark (kept in the warehouse, `ingest.watermarks`), so a manual, scheduled
or backfill run behaves the same, and updates one asset per raw table (`kho.raw.<source>__<entity>`);
the build DAG (`kho_build`) runs when they update.

**Catch-up** is off: a run reads everything the source changed since the watermark, so missed intervals
need no runs of their own. **Backfill** (`airflow backfill create --dag-id kho_ingest_<source>
--from-date … --to-date …`) re-extracts from each backfill run's data-interval start: a superset of
the window is read again and merged idempotently (a drop folder reads again its files dated from that day); no
watermark moves back.

Retries with exponential backoff (5, up to 30 minutes apart); a failure alerts (`kho/alerts.py`).
"""

from __future__ import annotations

from _kho import SOURCE_TASK_ARGS, START_DATE, backfill_since, raw_assets, schedules
from airflow.sdk import dag, get_current_context, task


def ingest_dag(source: str, assets: list, schedule: str) -> None:
    @dag(
        dag_id=f"kho_ingest_{source}",
        schedule=schedule,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        doc_md=__doc__,
        default_args=SOURCE_TASK_ARGS,
        tags=["kho", "ingest", source],
    )
    def ingest() -> None:
        @task(task_id=f"ingest_{source}", outlets=assets)
        def ingest_one() -> dict:
            from kho.pipeline import ingest_source

            return ingest_source(source, since=backfill_since(get_current_context()))

        ingest_one()

    ingest()


for _source, _assets in raw_assets().items():
    ingest_dag(_source, _assets, schedules()[_source])
