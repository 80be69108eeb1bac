"""
### Kho · publish the open datasets (`kho_publish`)

Runs when the build DAG's gate before publication passed (the `kho.warehouse.gated` asset): writes the
open marts as a new version of each open dataset and switches `latest` to it (`kho.publish`), exactly as
`kho publish` does. It updates the `kho.open_data` asset.
"""

from __future__ import annotations

from _kho import DEFAULT_ARGS, OPEN_DATA, START_DATE, WAREHOUSE_GATED
from airflow.sdk import dag, task


@dag(
    dag_id="kho_publish",
    schedule=[WAREHOUSE_GATED],
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    default_args=DEFAULT_ARGS,
    tags=["kho", "publish", "open-data"],
)
def kho_publish() -> None:
    @task(outlets=[OPEN_DATA])
    def publish_open_data() -> dict:
        from kho.pipeline import publish_open_data

        return publish_open_data()

    publish_open_data()


kho_publish()
