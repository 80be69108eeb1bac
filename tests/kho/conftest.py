"""The publication tests' shared setup: every simulated source served and the whole pipeline run once, at a small
scale, for the tests that only read what was published (the slowest setup in tests/kho, so made once)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest

from kho.pipeline import RunSummary, run_pipeline
from kho.settings import Settings
from kho.simulation import running_simulators
from kho.warehouse import Warehouse
from simulators.base import RunningSource, SimulationPlan
from tests.conftest import scratch_database

# 1,500 dossiers sizes every other source (≈150 land dossiers, ≈300 civil status entries, 600 outgoing documents,
# 14 health days, the schools of three school years); June 2024 to September 2025 crosses the 1 July 2025
# reorganisation. A seed of its own: the land simulator names its database after it.
PLAN = SimulationPlan(province="long-an", scale=1500, start=date(2024, 6, 1), as_of=datetime(2025, 9, 30, 17),
                      seed=31)


@dataclass
class Published:
    settings: Settings  # pointing at every simulator
    warehouse: Warehouse
    running: dict[str, RunningSource]  # source name → its simulator, still serving
    summary: RunSummary

    @property
    def root(self) -> Path:
        return self.settings.open_data_dir


@pytest.fixture(scope="session")
def published(pg_server: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    """Every source configured, the pipeline run once (ingest, gates, dbt build, publish). Read it, never change
    it: tests that revise marts or publish again make their own warehouse."""
    folder = tmp_path_factory.mktemp("published")
    with scratch_database(pg_server) as warehouse:
        settings = Settings.from_env({
            "KHO_HOME": str(folder / "home"),
            "KHO_OPEN_DATA_DIR": str(folder / "open_data"),
            "KHO_DATABASE_URL": warehouse.url,
            "KHO_PAGE_SIZE": "1000",
            "KHO_HTTP_ATTEMPTS": "3",
            "KHO_DBT_THREADS": "2",
        })
        with running_simulators(settings, PLAN, postgres_url=pg_server.url) as (pointed, running):
            try:
                summary = run_pipeline(pointed)
                assert summary.success, f"{summary.failed_step}: {summary.error}"
                yield Published(pointed, warehouse, running, summary)
            finally:
                if "land" in running:
                    running["land"].handle.drop()  # type: ignore[attr-defined]


@pytest.fixture
def copy_of(published: Published, pg_server: Warehouse) -> Iterator[Callable[[], Warehouse]]:
    """A fresh copy of the published warehouse, to damage or to publish from again (dropped afterwards)."""
    with contextlib.ExitStack() as copies:
        yield lambda: copies.enter_context(scratch_database(pg_server, template=published.warehouse.dbname))
