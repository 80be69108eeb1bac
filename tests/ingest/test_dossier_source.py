"""Every fault the dossier system commits, over real HTTP into a real PostgreSQL: the warehouse after a faulty
run plus a clean rerun equals the warehouse after a clean run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.dossier import ENTITIES, load_all
from ingest.http import RetryPolicy
from ingest.load import IngestError
from ingest.sources import LoadOptions
from kho.warehouse import Warehouse
from simulators.dossier.server import DossierSimulator, DossierStores
from simulators.faults import Faults
from tests.conftest import query, scratch_database

WATERMARKS = "select source, entity, cursor_value from ingest.watermarks order by 1, 2"
OPTIONS = LoadOptions(page_size=400, policy=RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05, timeout=0.5))


@pytest.fixture
def private_simulator(simulator_stores: DossierStores, tmp_path: Path) -> Iterator[DossierSimulator]:
    """A simulator on a copy of the stores: faults that change records stay in this test."""
    stores = DossierStores(simulator_stores.dossiers.copy_to(tmp_path / "dossiers.sqlite"),
                           simulator_stores.procedures.copy_to(tmp_path / "procedures.sqlite"))
    simulator = DossierSimulator(stores)
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def second_warehouse(pg_server: Warehouse) -> Iterator[Warehouse]:
    with scratch_database(pg_server) as database:
        yield database


def raw_state(warehouse: Warehouse) -> dict[str, list[tuple]]:
    """Every raw row, without the load bookkeeping columns."""
    state = {}
    for contract in ENTITIES.values():
        columns = ", ".join([*contract.columns, "_extra"])
        state[contract.entity] = query(warehouse, f"select {columns} from {contract.table} order by 1")
    return state


FAULTS = {
    "rate limited with Retry-After": Faults(rate_limit_every=3, retry_after=0.01),
    "500 and 503 answers": Faults(error_every=4),
    "slow answers and timeouts": Faults(slow_every=5, slow_seconds=0.8),
    "duplicate pages": Faults(duplicate_page_every=2),
    "overlapping pages": Faults(overlap_records=37),
    "records updated during the read": Faults(update_during_read=25),
    "schema drift": Faults(drift=True),
    "malformed records": Faults(malformed_rate=0.05),
    "a source that goes down mid-run": Faults(fail_after_requests=4),
}


@pytest.mark.parametrize("faults", FAULTS.values(), ids=FAULTS.keys())
def test_a_faulty_run_then_a_clean_rerun_equals_a_clean_run(faults: Faults, private_simulator: DossierSimulator,
                                                            warehouse: Warehouse,
                                                            second_warehouse: Warehouse) -> None:
    private_simulator.faults = faults
    try:
        load_all(warehouse.url, private_simulator.url, OPTIONS)
    except IngestError:
        assert faults.fail_after_requests, "only the source going down may fail the run"
    private_simulator.faults = Faults()
    rerun = load_all(warehouse.url, private_simulator.url, OPTIONS)
    clean = load_all(second_warehouse.url, private_simulator.url, OPTIONS)

    assert raw_state(warehouse) == raw_state(second_warehouse)
    for result in rerun + clean:
        assert result.received == result.loaded + result.quarantined + result.duplicates
    assert query(warehouse, "select count(*) from ingest.load_log where status = 'succeeded' and "
                            "received <> loaded + quarantined + duplicates") == [(0,)]


def test_duplicates_and_overlaps_are_counted_not_loaded_twice(private_simulator: DossierSimulator,
                                                               warehouse: Warehouse) -> None:
    private_simulator.faults = Faults(duplicate_page_every=2, overlap_records=10)
    results = {r.entity: r for r in load_all(warehouse.url, private_simulator.url, OPTIONS)}
    dossiers = results["dossiers"]
    assert dossiers.duplicates > 0
    assert dossiers.loaded == query(warehouse, "select count(*) from raw.dossier__dossiers")[0][0] == 3000


def test_drift_is_reported_and_nothing_is_lost(private_simulator: DossierSimulator, warehouse: Warehouse) -> None:
    private_simulator.faults = Faults(drift=True)
    results = {r.entity: r for r in load_all(warehouse.url, private_simulator.url, OPTIONS)}
    assert results["dossiers"].drift == {"added": ["MaDinhDanhDVC", "TenDonViTiepNhan"],
                                         "missing": ["TenCoQuanTiepNhan", "TenLinhVuc"]}
    # The renamed field's values are kept in the raw payload, under the name the source now uses.
    kept = query(warehouse, "select count(*) from raw.dossier__dossiers where _extra ? 'TenDonViTiepNhan'")
    assert kept == [(3000,)]
    logged = query(warehouse, "select drift from ingest.load_log where entity = 'dossiers'")
    assert logged == [(results["dossiers"].drift,)]
    # Held once: the next run reads the drifted records again; the same drift then is the new normal.
    first = query(warehouse, "select min(ngay_cap_nhat) from raw.dossier__dossiers")[0][0]
    assert results["dossiers"].watermark_after == first
    again = {r.entity: r for r in load_all(warehouse.url, private_simulator.url, OPTIONS)}
    assert again["dossiers"].received == 3000 and again["dossiers"].watermark_after is not None


def test_a_source_that_goes_down_leaves_everything_as_it_was(private_simulator: DossierSimulator,
                                                              warehouse: Warehouse) -> None:
    load_all(warehouse.url, private_simulator.url, OPTIONS)
    before = raw_state(warehouse), query(warehouse, WATERMARKS)
    private_simulator.store.touch(["000.00.03.H37-190101-0001"], "NgayCapNhat", "20260101080000",
                                  lambda r: r.update(TrangThaiHoSo=10))
    private_simulator.faults = Faults(fail_after_requests=2)
    with pytest.raises(IngestError, match="rolled back"):
        load_all(warehouse.url, private_simulator.url, OPTIONS)
    assert (raw_state(warehouse), query(warehouse, WATERMARKS)) == before
    failed = query(warehouse, "select entity, message from ingest.load_log where status = 'failed'")
    assert len(failed) == 1 and "gave up" in failed[0][1]
