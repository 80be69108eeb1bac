"""Shared fixtures: a real PostgreSQL (embedded, or the server KHO_DATABASE_URL names), a fresh database
per test, and the dossier simulator served over real HTTP."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from kho.settings import Settings
from kho.warehouse import Warehouse, ensure_database, start_embedded, stop_embedded
from simulators.dossier.generate import DossierSimConfig
from simulators.dossier.server import DOSSIERS_PATH, DossierSimulator, DossierStores, build_stores
from simulators.faults import Faults

# Shared 2-core machines: a slow draw is the machine, not the strategy.
hypothesis_settings.register_profile("kho", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("kho")

# Small enough to build in a second, big enough for every status and channel, late dossiers (2019–2021),
# and both sides of the 1 July 2025 reorganisation.
TEST_SIM = DossierSimConfig(province="long-an", dossiers=3000, start=date(2019, 1, 1),
                            as_of=datetime(2025, 12, 31, 17, 0), seed=7)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Warehouse]:
    """The server tests create their databases on: KHO_DATABASE_URL's, or an embedded one."""
    url = os.environ.get("KHO_DATABASE_URL")
    if url:
        yield Warehouse(url)
        return
    # A short folder: the server's Unix socket lives in it.
    folder = Path(tempfile.mkdtemp(prefix="kho-pg-"))
    yield start_embedded(folder / "pg")
    stop_embedded(folder / "pg")
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def warehouse(pg_server: Warehouse) -> Iterator[Warehouse]:
    """A fresh, empty database for one test, dropped afterwards."""
    name = f"kho_test_{uuid.uuid4().hex[:10]}"
    database = ensure_database(pg_server, name)
    yield database
    with pg_server.connect(autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture(scope="session")
def simulator_stores(tmp_path_factory: pytest.TempPathFactory) -> DossierStores:
    return build_stores(TEST_SIM, tmp_path_factory.mktemp("simulators"))


@pytest.fixture(scope="session")
def _running_simulator(simulator_stores: DossierStores) -> Iterator[DossierSimulator]:
    simulator = DossierSimulator(simulator_stores)
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def dossier_simulator(_running_simulator: DossierSimulator) -> Iterator[DossierSimulator]:
    """The dossier system over HTTP, clean unless a test asks for faults (reset after each test)."""
    _running_simulator.faults = Faults()
    yield _running_simulator
    _running_simulator.faults = Faults()


@pytest.fixture
def settings(tmp_path: Path, warehouse: Warehouse, dossier_simulator: DossierSimulator) -> Settings:
    return Settings.from_env({
        "KHO_HOME": str(tmp_path / "home"),
        "KHO_OPEN_DATA_DIR": str(tmp_path / "open_data"),
        "KHO_DATABASE_URL": warehouse.url,
        "KHO_DOSSIER_API_URL": dossier_simulator.url,
        "KHO_PAGE_SIZE": "500",
        "KHO_HTTP_ATTEMPTS": "3",
        "KHO_DBT_THREADS": "2",
    })


def served_dossiers(simulator: DossierSimulator) -> list[dict]:
    """Every record the simulator serves now, read over HTTP without any of Kho's code."""
    records, url = [], f"{simulator.url}{DOSSIERS_PATH}?page_size=1000"
    while url:
        with urllib.request.urlopen(url) as response:
            page = json.load(response)
        records.extend(page["data"])
        url = page["next"]
    return records


def query(warehouse: Warehouse, sql: str, *params: object) -> list[tuple]:
    with psycopg.connect(warehouse.url) as conn:
        return conn.execute(sql, params or None).fetchall()
