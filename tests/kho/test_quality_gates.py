"""The three quality gates on a real warehouse: a clean batch passes them all; a batch that breaks one expectation
of each kind fails its gate, stops everything after it and leaves the published open data as it was; a warning
is recorded and the run goes on. Each bad batch is a copy of the published warehouse with the damage done to it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

import kho.pipeline
from kho.pipeline import run_pipeline
from kho.quality import GATES, run_gate
from kho.quality_suites import EXPECTATIONS, GATE_SUITES, suites, write
from kho.warehouse import Warehouse
from tests.conftest import query
from tests.kho.conftest import Published

# The oldest rows: never at a watermark, so the re-ingest at the start of a run reads none of them again.
OLDEST = "(select {key} from {table} order by {cursor} limit 3)"

# One damage per kind of expectation a gate holds; the test checks that every critical kind has one.
AFTER_INGEST = {
    "expect_table_columns_to_match_set": ["alter table raw.health__visits add column ghi_chu text"],
    "expect_column_values_to_not_be_null": [
        "update raw.dossier__dossiers set ma_tthc = null where ma_ho_so in "
        + OLDEST.format(key="ma_ho_so", table="raw.dossier__dossiers", cursor="ngay_cap_nhat")],
    # The primary key makes a duplicate impossible until it is lost, as in a table restored without it.
    "expect_column_values_to_be_unique": [
        "alter table raw.land__registrations drop constraint land__registrations_pkey",
        "insert into raw.land__registrations select * from raw.land__registrations order by updated_at limit 2"],
    "expect_column_values_to_match_regex": [
        "update raw.document__outgoing_documents set ma_dinh_danh_noi_ban_hanh = 'SO-NOI-VU' where ma_van_ban in "
        + OLDEST.format(key="ma_van_ban", table="raw.document__outgoing_documents", cursor="ngay_cap_nhat")],
    "expect_column_values_to_be_in_set": [
        "update raw.dossier__dossiers set kenh_thuc_hien = 9 where ma_ho_so in "
        + OLDEST.format(key="ma_ho_so", table="raw.dossier__dossiers", cursor="ngay_cap_nhat")],
    "expect_column_values_to_be_between": [
        "update raw.dossier__dossiers set tong_le_phi = -5000 where ma_ho_so in "
        + OLDEST.format(key="ma_ho_so", table="raw.dossier__dossiers", cursor="ngay_cap_nhat")],
    "expect_column_value_lengths_to_be_between": [
        "update raw.dossier__procedures set ten_tthc = repeat('Thủ tục ', 200) where ma_tthc in "
        + OLDEST.format(key="ma_tthc", table="raw.dossier__procedures", cursor="ngay_cap_nhat")],
    # Registered before the birth it records, in 5% of births (the gate tolerates 0.1%).
    "expect_column_pair_values_a_to_be_greater_than_b": [
        "update raw.civil_status__births set ngay_dang_ky = nks_ngay_sinh - 30 where id % 20 = 0"],
}

AFTER_BUILD = {
    "expect_table_columns_to_match_set": ["alter table marts.shared_health_kpis_monthly add column ghi_chu text"],
    "unexpected_rows_expectation": [
        "alter table marts.shared_education_kpis_yearly add column hieu_truong_ho_ten text"],
    "expect_compound_columns_to_be_unique": [
        "insert into marts.shared_dossier_kpis_monthly select * from marts.shared_dossier_kpis_monthly limit 1"],
    "expect_column_values_to_be_between": [
        "update marts.shared_document_kpis_monthly set electronic_rate_pct = 120 where ctid in "
        "(select ctid from marts.shared_document_kpis_monthly where electronic_rate_pct is not null limit 2)"],
    "expect_column_values_to_not_be_null": [
        "alter table marts.shared_health_kpis_monthly alter column agency_code drop not null",
        "update marts.shared_health_kpis_monthly set agency_code = null where ctid in "
        "(select ctid from marts.shared_health_kpis_monthly limit 2)"],
}

BEFORE_PUBLISH = {
    "expect_table_columns_to_match_set": ["alter table marts.open_health_kpis_monthly add column ghi_chu text"],
    # A personal column, a period's totals that no longer reconcile, and a mart shrunk to a fraction of the
    # version the public has now.
    "unexpected_rows_expectation": [
        "alter table marts.open_education_kpis_yearly add column hieu_truong_ho_ten text",
        "delete from marts.open_dossier_kpis_monthly where month < (select max(month) from "
        "marts.open_dossier_kpis_monthly)"],
    "expect_compound_columns_to_be_unique": [
        "insert into marts.open_online_services_yearly select * from marts.open_online_services_yearly limit 1"],
    "expect_column_values_to_be_between": [
        "update marts.open_dossier_kpis_by_level_monthly set on_time_rate_pct = -1 where ctid in "
        "(select ctid from marts.open_dossier_kpis_by_level_monthly where on_time_rate_pct is not null limit 2)"],
    "expect_column_values_to_not_be_in_set": [  # a small cell left in
        "update marts.open_document_kpis_monthly set outgoing_documents = 3 where ctid in "
        "(select ctid from marts.open_document_kpis_monthly where outgoing_documents > 4 limit 1)"],
}

DAMAGE = {"after_ingest": AFTER_INGEST, "after_build": AFTER_BUILD, "before_publish": BEFORE_PUBLISH}


def damage(warehouse: Warehouse, statements: list[str]) -> None:
    with psycopg.connect(warehouse.url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def published_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def critical_kinds(gate: str) -> set[str]:
    return {e["type"] for _, _, expectations in suites()[GATE_SUITES[gate]] for e in expectations
            if e["severity"] == "critical"}


def test_the_committed_suites_are_the_ones_the_contracts_and_marts_declare(tmp_path: Path) -> None:
    # Suites are generated (kho/quality_suites.py); a contract or mart changed without regenerating shows here.
    shutil.copytree(EXPECTATIONS, tmp_path / "expectations", ignore=shutil.ignore_patterns("uncommitted"))
    write(tmp_path / "expectations")
    for path in (tmp_path / "expectations").rglob("*.json"):
        committed = EXPECTATIONS / path.relative_to(tmp_path / "expectations")
        assert committed.exists() and json.loads(committed.read_text()) == json.loads(path.read_text()), (
            f"{committed} is stale: run `.venv/bin/python -m kho.quality_suites`")
    assert ((tmp_path / "expectations" / "great_expectations.yml").read_text()
            == (EXPECTATIONS / "great_expectations.yml").read_text())
    assert set(GATE_SUITES) == set(GATES)


def test_a_clean_batch_passes_every_gate_and_its_record_is_kept(published: Published) -> None:
    gates = published.summary.gates
    assert list(gates) == list(GATES)
    for name, result in gates.items():
        assert result["success"] and not result["failures"], (name, result["failures"])
        assert result["evaluated"] >= 20
    # Every expectation's outcome, per run, is stored for the data owners' quality record.
    stored = dict(query(published.warehouse, "select gate, count(*) from quality.gate_results "
                                             "where success group by gate"))
    assert {gate: stored.get(gate) for gate in gates} == {g: r["evaluated"] for g, r in gates.items()}
    # Every raw table, shared mart and open mart has its suite in its gate.
    suites_run = {s for (s,) in query(published.warehouse, "select distinct suite from quality.gate_results")}
    raw_tables = {f"raw_{t}" for (t,) in query(published.warehouse, "select table_name from information_schema"
                                                                      ".tables where table_schema = 'raw' and "
                                                                      "table_name not like '\\_%'")}
    marts = {t for (t,) in query(published.warehouse, "select table_name from information_schema.tables where "
                                                      "table_schema = 'marts' and table_name ~ '^(shared|open)_'")}
    assert raw_tables | marts <= suites_run
    docs = Path(gates["before_publish"]["data_docs"])
    assert docs.name == "index.html" and docs.exists()
    assert {"raw_dossier__dossiers", "shared_dossier_kpis_monthly", "open_dossier_kpis_monthly"} <= {
        p.name for p in (docs.parent / "validations").iterdir()}


@pytest.mark.parametrize("gate", list(DAMAGE))
def test_a_batch_breaking_each_kind_of_expectation_fails_its_gate_and_nothing_after_it_runs(
        gate: str, published: Published, copy_of: Callable[[], Warehouse], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert critical_kinds(gate) <= set(DAMAGE[gate]), "a kind of expectation with no damage to prove it"
    before = published_files(published.root)
    latest = {p.name: p.resolve() for p in published.root.glob("*/latest")}
    bad = copy_of()
    settings = published.settings.with_(database_url=bad.url, home=tmp_path / "home")
    statements = [s for each_kind in DAMAGE[gate].values() for s in each_kind]
    if gate == "after_ingest":
        # The last source's load "lands" the bad batch: its real load runs, then the damage is done.
        last = kho.pipeline.configured_sources(settings)[-1]
        real_ingest = kho.pipeline.ingest_source

        def ingest_then_damage(name: str, *args: object, **kwargs: object) -> dict:
            result = real_ingest(name, *args, **kwargs)
            if name == last:
                damage(bad, statements)
            return result

        monkeypatch.setattr(kho.pipeline, "ingest_source", ingest_then_damage)
    else:
        # The build "produces" the damaged marts: the copy already holds built marts, so the build step only
        # damages them (and the gates before it see clean data).
        def damaged_build(settings: object, on_node: object = None) -> dict:
            damage(bad, statements)
            return {"success": True, "models_built": 0, "tests_passed": 0, "problems": []}

        monkeypatch.setattr(kho.pipeline, "build_warehouse", damaged_build)

    summary = run_pipeline(settings)

    assert summary.failed_step == f"gate:{gate}", summary.error
    failures = summary.gates[gate]["failures"]
    failed_kinds = {kind for kind in DAMAGE[gate] if any(kind in f or (kind == "unexpected_rows_expectation"
                                                                       and "rule '" in f) for f in failures)}
    assert failed_kinds == set(DAMAGE[gate]), failures
    assert all(" failed (" in f for f in failures)  # each names its observed value …
    assert any("e.g. [" in f for f in failures)  # … and shows offending rows where there are some
    if gate == "before_publish":
        assert any("reconcile with marts.shared_dossier_kpis_monthly" in f for f in failures)
        assert any("rows the previous published version had" in f for f in failures)
    # Nothing downstream ran, and the public still gets exactly what it had.
    assert list(summary.gates) == list(GATES)[:list(GATES).index(gate) + 1]
    assert summary.publish is None and (gate != "after_ingest" or summary.build is None)
    assert {p.name: p.resolve() for p in published.root.glob("*/latest")} == latest
    assert published_files(published.root) == before
    # The failure is on record like every result.
    [(failed,)] = query(bad, "select count(*) from quality.gate_results where gate = %s and not success "
                             "and severity = 'critical'", gate)
    assert failed >= len(DAMAGE[gate])


def test_a_warning_is_recorded_and_the_run_goes_on(published: Published, copy_of: Callable[[], Warehouse],
                                                   tmp_path: Path) -> None:
    # The public's current version of one dataset had far fewer rows: the new one grows past the bound, which
    # warns (a province may add agencies) rather than fails.
    open_data = tmp_path / "open_data"
    shutil.copytree(published.root, open_data, symlinks=True)
    csv_path = open_data / "dossier-kpis-monthly" / "latest" / "dossier-kpis-monthly.csv"
    lines = csv_path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    csv_path.write_text("".join(lines[:3]), encoding="utf-8-sig")
    warehouse = copy_of()
    settings = published.settings.with_(database_url=warehouse.url, home=tmp_path / "home",
                                        open_data_dir=open_data)

    result = run_gate(settings, warehouse, "before_publish")

    assert result.success and not result.failures
    assert [w.suite for w in result.warnings] == ["open_dossier_kpis_monthly"]
    assert "at most 2× the rows of the previous published version" in result.warnings[0].describe()
    assert query(warehouse, "select severity, success from quality.gate_results where not success") == [
        ("warning", False)]
