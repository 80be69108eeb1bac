"""The fast paths (columnar pages, the compiled renderer) decide exactly what the contract decides."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.contract import Invalid
from ingest.dossier.client import pages
from ingest.dossier.contract import DOSSIERS, STATUS_STEPS
from ingest.load import load
from ingest.render import compile_renderer, copy_text
from kho.warehouse import Warehouse, ensure_database
from simulators.dossier.server import DossierSimulator
from simulators.faults import Faults
from tests.conftest import query
from tests.ingest.test_contract import GOOD, json_values


@pytest.fixture
def reference(pg_server: Warehouse) -> Iterator[Warehouse]:
    name = f"kho_test_{uuid.uuid4().hex[:10]}"
    yield ensure_database(pg_server, name)
    with pg_server.connect(autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


FEEDS = {"clean": Faults(), "malformed": Faults(malformed_rate=0.2), "drift": Faults(drift=True),
         "inconsistent": Faults(inconsistent_rate=0.1)}


@pytest.mark.parametrize("faults", FEEDS.values(), ids=FEEDS.keys())
@pytest.mark.parametrize("contract", [DOSSIERS, STATUS_STEPS], ids=["dossiers", "status_steps"])
def test_fast_and_reference_loads_leave_the_same_warehouse(contract, faults: Faults, warehouse: Warehouse,
                                                           reference: Warehouse,
                                                           dossier_simulator: DossierSimulator) -> None:
    dossier_simulator.faults = faults

    def extract(since):
        return pages(dossier_simulator.url, contract.entity, since, page_size=700)

    fast = load(warehouse.url, contract, extract)
    slow = load(reference.url, contract, extract, fast=False)

    columns = ", ".join([*contract.columns, "_extra"])
    table = f"select {columns} from {contract.table} order by 1"
    assert query(warehouse, table) == query(reference, table)
    quarantine = "select record_key, reason, payload from raw._quarantine order by payload_sha256"
    assert query(warehouse, quarantine) == query(reference, quarantine)
    for name in ("received", "loaded", "quarantined", "duplicates", "watermark_after", "drift"):
        assert getattr(fast, name) == getattr(slow, name), name


def _comparable(text: str, field_type: str):
    """A COPY text value as PostgreSQL will read it, so both spellings of one instant compare equal."""
    if text == "\\N":
        return None
    if field_type == "timestamp":
        return datetime.fromisoformat(text.replace("T", " ") if "-" in text else
                                      f"{text[:4]}-{text[4:6]}-{text[6:8]} {text[9:11]}:{text[11:13]}:{text[13:15]}"
                                      f"{text[15:]}:00")
    return text


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from([f.name for f in DOSSIERS.fields]), json_values))
def test_the_compiled_renderer_agrees_with_the_contract(overrides: dict) -> None:
    record = {**GOOD, **overrides}
    render = compile_renderer(DOSSIERS)
    try:
        values, extra = DOSSIERS.validate(record)
    except Invalid as expected:
        with pytest.raises(Invalid) as raised:
            render(record)
        assert str(raised.value) == str(expected)
        return
    line, cursor, rendered_extra = render(record)
    types = [f.type for f in DOSSIERS.fields]
    assert [_comparable(t, k) for t, k in zip(line.split("\t"), types, strict=True)] == [
        _comparable(copy_text(v), k) for v, k in zip(values, types, strict=True)]
    assert cursor == values[[f.name for f in DOSSIERS.fields].index("NgayCapNhat")]
    assert (rendered_extra or {}) == extra
