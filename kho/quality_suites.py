"""Great Expectations suites written from what Kho already declares, so nothing is described twice:
one suite per raw entity from its ingest contract (ingest/<source>/contract.py), one per shared and open mart
from its dbt model contract (the mart's YAML), and the checkpoints that group them by gate.

    .venv/bin/python -m kho.quality_suites      # rewrite expectations/ (a test checks the files are current)

Severity: GX's own `severity` field. `critical` is the gate's `fail` (nothing downstream runs); `warning` is
its `warn` (recorded in quality.gate_results, shown in the summary, and the run goes on).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import yaml

from kho.settings import PROJECT_DIR

EXPECTATIONS = PROJECT_DIR / "expectations"
MARTS = PROJECT_DIR / "dbt_project" / "models" / "marts"
NAMESPACE = uuid.UUID("6f1c6c1e-6b8a-4d55-9d1e-2d6a0e0d4b11")
DATASOURCE = {"id": "a5e16f8b-1da3-402e-a9c1-1a6ae02b15b9", "name": "warehouse"}

# Which gate checks which suites: raw tables after ingest; the marts agencies read after the build; the open
# marts (what the public will download) right before publication.
GATE_SUITES = {"after_ingest": "raw", "after_build": "shared", "before_publish": "open"}

# Cross-column rules no single field can say: (later, earlier) pairs that must not run backwards. Well-formed
# records can break them, so ingest lets them through and the gate judges the batch (docs/decisions.md).
# `mostly`: a source may hold a few genuine corrections; more than 0.1% means a broken batch.
DATE_ORDER = {
    "raw.dossier__dossiers": [("ngay_hen_tra", "ngay_tiep_nhan"), ("ngay_ket_thuc_xu_ly", "ngay_tiep_nhan")],
    "raw.dossier__status_steps": [("thoi_gian_ket_thuc", "thoi_gian_bat_dau")],
    "raw.document__agencies": [("hieu_luc_den_ngay", "hieu_luc_tu_ngay")],
    "raw.document__incoming_documents": [("ngay_hoan_thanh", "ngay_den")],
    "raw.land__registrations": [("ngay_hen_tra", "ngay_tiep_nhan"), ("ngay_tra_ket_qua", "ngay_tiep_nhan")],
    "raw.civil_status__births": [("ngay_dang_ky", "nks_ngay_sinh")],
    "raw.civil_status__deaths": [("ngay_dang_ky", "nkt_ngay_chet"), ("nkt_ngay_chet", "nkt_ngay_sinh")],
    "raw.civil_status__marriages": [("ngay_dang_ky", "chong_ngay_sinh"), ("ngay_dang_ky", "vo_ngay_sinh")],
}
DATE_ORDER_MOSTLY = 0.999

# Column-name fragments no published or shared column may carry: it would hold personal data (Law 91/2025/QH15:
# names, birth dates, addresses, identity, tax and insurance numbers, phone, e-mail).
PERSONAL_NAME_PATTERN = (r"(ho_ten|full_name|person_name|citizen|cccd|cmnd|so_dinh_danh|national_id|id_number"
                         r"|dia_chi|address|ngay_sinh|birth_date|date_of_birth|phone|dien_thoai|email|tax_code"
                         r"|ma_so_thue|bhyt|insurance_number)")

# An open mart whose unsuppressed counterpart is not shared_<same topic>: its totals reconcile with this one.
RECONCILES_WITH = {"open_dossier_kpis_by_level_monthly": "shared_dossier_kpis_monthly"}
PERIOD_COLUMNS = ("month", "school_year", "year")

# A published dataset may not shrink below half of, or grow past twice, its previous version: either is a
# broken source or build far more often than a real change. Shrinking fails; growth warns.
ROW_COUNT_SHRINK, ROW_COUNT_GROWTH = 0.5, 2.0
PUBLISHED_COUNTS = "quality.published_row_counts"  # filled by kho.quality from open_data/<dataset>/latest


def _id(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def _expectation(suite: str, kind: str, severity: str = "critical", **kwargs: Any) -> dict[str, Any]:
    description = kwargs.pop("description", None)
    body = {"id": _id(suite, kind, json.dumps(kwargs, sort_keys=True, ensure_ascii=False)), "kwargs": kwargs,
            "meta": {}, "severity": severity, "type": kind}
    if description:
        body["description"] = description
    return body


def _unexpected_rows(suite: str, query: str, description: str, severity: str = "critical") -> dict[str, Any]:
    """A rule GX has no built-in for, as SQL returning the offending rows (`{batch}` is the table checked)."""
    body = _expectation(suite, "unexpected_rows_expectation", severity, unexpected_rows_query=" ".join(query.split()))
    body["description"] = description
    return body


def raw_suite(contract: Any) -> tuple[str, str, list[dict]]:
    """(suite name, table, expectations) from an ingest contract: the raw table keeps what ingest checked."""
    table = contract.table
    name = table.replace(".", "_", 1)
    expectations = [_expectation(name, "expect_table_columns_to_match_set", column_set=sorted(
        [f.column for f in contract.fields] + ["_extra", "_load_id", "_loaded_at"]), exact_match=True)]
    key = contract.field(contract.key).column
    expectations += [_expectation(name, "expect_column_values_to_not_be_null", column=key),
                     _expectation(name, "expect_column_values_to_be_unique", column=key)]
    for f in contract.fields:
        if f.required and f.column != key:
            expectations.append(_expectation(name, "expect_column_values_to_not_be_null", column=f.column))
        if f.pattern and f.type == "text":
            expectations.append(_expectation(name, "expect_column_values_to_match_regex", column=f.column,
                                             regex=f"^(?:{f.pattern})$"))
        if f.allowed:
            expectations.append(_expectation(name, "expect_column_values_to_be_in_set", column=f.column,
                                             value_set=sorted(f.allowed, key=str)))
        if f.minimum is not None:
            expectations.append(_expectation(name, "expect_column_values_to_be_between", column=f.column,
                                             min_value=f.minimum))
        if f.max_length and f.type == "text":
            expectations.append(_expectation(name, "expect_column_value_lengths_to_be_between", column=f.column,
                                             max_value=f.max_length))
    columns = {f.column for f in contract.fields}
    for later, earlier in DATE_ORDER.get(table, []):
        if {later, earlier} <= columns:
            expectations.append(_expectation(
                name, "expect_column_pair_values_a_to_be_greater_than_b", column_A=later, column_B=earlier,
                or_equal=True, ignore_row_if="either_value_is_missing", mostly=DATE_ORDER_MOSTLY))
    return name, table, expectations


def marts(kind: str, root: Path = MARTS) -> list[dict[str, Any]]:
    """The `shared` or `open` marts as their YAML declares them (name, columns with data types, key, the counts
    its small_cells_suppressed test names)."""
    found = []
    for path in sorted((root / kind).glob("*.yml")):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", []):
            tests = [t for t in model.get("data_tests", model.get("tests", [])) if isinstance(t, dict)]
            key = next((t["unique_combination_of_columns"]["arguments"]["combination_of_columns"]
                        for t in tests if "unique_combination_of_columns" in t), [])
            small = next((t["small_cells_suppressed"]["arguments"]["measures"]
                          for t in tests if "small_cells_suppressed" in t), [])
            found.append({"name": model["name"], "key": key, "small_cells": small,
                          "columns": [(c["name"], c.get("data_type", "text")) for c in model.get("columns", [])]})
    return found


def _no_personal_columns(name: str) -> dict[str, Any]:
    # Checked against the catalog, not the YAML: a column added to the SQL but not to the contract shows here.
    # (GX wants every such query to read its batch; `not exists (… where false)` reads it and is always true.)
    query = f"""select column_name from information_schema.columns
        where table_schema = 'marts' and table_name = '{name}' and column_name ~* '{PERSONAL_NAME_PATTERN}'
        and not exists (select from {{batch}} where false)"""
    return _unexpected_rows(name, query, "no column whose name says it holds personal data")


def _mart_bounds(name: str, mart: dict[str, Any]) -> list[dict]:
    """What every mart promises: its exact columns, its grain, rates within 0–100, counts never negative."""
    columns = mart["columns"]
    expectations = [
        _expectation(name, "expect_table_columns_to_match_set", column_set=sorted(c for c, _ in columns),
                     exact_match=True),
        _no_personal_columns(name),
    ]
    if mart["key"]:
        expectations.append(_expectation(name, "expect_compound_columns_to_be_unique", column_list=mart["key"]))
    for column, data_type in columns:
        if column.endswith("_pct"):
            expectations.append(_expectation(name, "expect_column_values_to_be_between", column=column,
                                             min_value=0, max_value=100))
        elif data_type in ("integer", "bigint") and column not in mart["key"]:
            expectations.append(_expectation(name, "expect_column_values_to_be_between", column=column,
                                             min_value=0))
    return expectations


def shared_suite(mart: dict[str, Any]) -> tuple[str, str, list[dict]]:
    """What agencies read: the bounds, and `agency_code` on every row (row-level security filters on it)."""
    name = mart["name"]
    expectations = _mart_bounds(name, mart)
    if any(c == "agency_code" for c, _ in mart["columns"]):
        expectations.append(_expectation(name, "expect_column_values_to_not_be_null", column="agency_code"))
    return name, f"marts.{name}", expectations


def open_suite(mart: dict[str, Any], shared_names: set[str] | None = None) -> tuple[str, str, list[dict]]:
    """What the public downloads: the bounds, no count of 1–4 (small cells are withheld, docs/kpis.md), totals
    that reconcile with the warehouse, and a size close to the previous published version."""
    name, columns = mart["name"], mart["columns"]
    expectations = _mart_bounds(name, mart)
    expectations.append(_expectation(name, "expect_table_row_count_to_be_between", severity="warning", min_value=1))
    for column in mart["small_cells"]:
        expectations.append(_expectation(name, "expect_column_values_to_not_be_in_set", column=column,
                                         value_set=[1, 2, 3, 4]))
    counterpart = RECONCILES_WITH.get(name, name.replace("open_", "shared_", 1))
    period = next((c for c in mart["key"] or [c for c, _ in columns] if c in PERIOD_COLUMNS), None)
    if mart["small_cells"] and period and (shared_names is None or counterpart in shared_names):
        expectations.append(_reconciliation(name, counterpart, period, mart["small_cells"]))
    expectations += _row_count_bounds(name)
    return name, f"marts.{name}", expectations


def _reconciliation(name: str, counterpart: str, period: str, measures: list[str]) -> dict[str, Any]:
    """Per period and count: what is published never exceeds the warehouse's total, and equals it where no cell
    of that period is withheld. A period the warehouse has and the mart lacks is a loss."""
    published = ", ".join(f"sum({m}) as {m}, bool_or({m} is null) as {m}_withheld" for m in measures)
    warehouse = ", ".join(f"sum({m}) as {m}" for m in measures)
    checks = " union all ".join(
        f"""select coalesce(w.period, p.period)::text as period, '{m}' as measure, p.{m} as published,
            w.{m} as warehouse from published_totals p full join warehouse_totals w on p.period = w.period
            where p.period is null or w.period is null or p.{m} > coalesce(w.{m}, 0)
            or (not p.{m}_withheld and p.{m} is distinct from w.{m})"""
        for m in measures)
    # GX leaves a query with a join to alias its batch itself (PostgreSQL before 16 requires the alias).
    query = f"""with published_totals as (select {period} as period, {published} from {{batch}} as batch_rows
        group by 1),
        warehouse_totals as (select {period} as period, {warehouse} from marts.{counterpart} group by 1)
        {checks}"""
    return _unexpected_rows(name, query, f"totals by {period} reconcile with marts.{counterpart} "
                                         "(equal where nothing is withheld, never more)")


def _row_count_bounds(name: str) -> list[dict]:
    previous = f"(select row_count from {PUBLISHED_COUNTS} where mart = '{name}' and row_count > 0)"
    shrink = f"""select count(*) as row_count, {previous} as previous_row_count from {{batch}}
        having count(*) < {ROW_COUNT_SHRINK} * {previous}"""
    growth = f"""select count(*) as row_count, {previous} as previous_row_count from {{batch}}
        having count(*) > {ROW_COUNT_GROWTH} * {previous} + 10"""
    return [
        _unexpected_rows(name, shrink, f"at least {ROW_COUNT_SHRINK:.0%} of the rows the previous published "
                                       "version had"),
        _unexpected_rows(name, growth, f"at most {ROW_COUNT_GROWTH:.0f}× the rows of the previous published "
                                       "version (+10)", severity="warning"),
    ]


def suites() -> dict[str, list[tuple[str, str, list[dict]]]]:
    """Every suite, grouped by the kind its gate checks."""
    from ingest.sources import sources

    shared = marts("shared")
    shared_names = {m["name"] for m in shared}
    return {"raw": [raw_suite(c) for s in sources().values() for c in s.entities.values()],
            "shared": [shared_suite(m) for m in shared],
            "open": [open_suite(m, shared_names) for m in marts("open")]}


def write(root: Path = EXPECTATIONS) -> list[Path]:
    """Rewrite the suites, validation definitions, checkpoints and table assets under `root`."""
    grouped = suites()
    written = []
    for folder in ("expectations", "validation_definitions", "checkpoints"):
        (root / folder).mkdir(parents=True, exist_ok=True)
        for old in (root / folder).glob("*.json"):
            old.unlink()
    for gate, kind in GATE_SUITES.items():
        definitions = []
        for name, table, expectations in sorted(grouped[kind]):
            suite_path = root / "expectations" / f"{name}.json"
            suite_path.write_text(json.dumps({"expectations": expectations, "id": _id("suite", name),
                                              "meta": {"gate": gate}, "name": name, "notes": None},
                                             ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            definition = {"data": {"asset": {"id": _id("asset", table), "name": table},
                                   "batch_definition": {"id": _id("batch", table), "name": "whole table"},
                                   "datasource": DATASOURCE},
                          "id": _id("definition", name), "name": name,
                          "suite": {"id": _id("suite", name), "name": name}}
            definition_path = root / "validation_definitions" / f"{name}.json"
            definition_path.write_text(json.dumps(definition, indent=2) + "\n", encoding="utf-8")
            definitions.append({"id": definition["id"], "name": name})
            written += [suite_path, definition_path]
        # Counts, not examples: listing a few offending values costs a scan per expectation, so kho/quality.py
        # asks for examples of the failed ones only, and renders Data Docs once per run.
        checkpoint = {"actions": [], "id": _id("checkpoint", gate), "name": gate,
                      "result_format": {"partial_unexpected_count": 0, "result_format": "BASIC"},
                      "validation_definitions": definitions}
        path = root / "checkpoints" / f"{gate}.json"
        path.write_text(json.dumps(checkpoint, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    written.append(_write_datasource(root / "great_expectations.yml",
                                     sorted(table for kind in grouped.values() for _, table, _ in kind)))
    return written


def _write_datasource(config: Path, tables: list[str]) -> Path:
    """The warehouse datasource's table assets, one per suite, in great_expectations.yml."""
    lines = ["fluent_datasources:", "  warehouse:", "    type: postgres", f"    id: {DATASOURCE['id']}", "    assets:"]
    for table in tables:
        schema, name = table.split(".")
        lines += [f"      {table}:", "        type: table", f"        id: {_id('asset', table)}",
                  "        batch_metadata: {}", "        batch_definitions:", "          whole table:",
                  f"            id: {_id('batch', table)}", "            partitioner:",
                  f"        table_name: {name}", f"        schema_name: {schema}"]
    lines.append("    connection_string: ${KHO_GX_URL}")
    text = config.read_text(encoding="utf-8")
    start, end = text.index("fluent_datasources:"), text.index("analytics_enabled:")
    config.write_text(text[:start] + "\n".join(lines) + "\n" + text[end:], encoding="utf-8")
    return config


if __name__ == "__main__":
    print(f"wrote {len(write())} files under {EXPECTATIONS}")
