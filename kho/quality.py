"""Quality gates: run a Great Expectations checkpoint inside PostgreSQL and say exactly what failed."""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kho.settings import Settings
from kho.warehouse import Warehouse

GATES = {
    "after_ingest": "raw tables keep their source contracts, before dbt builds on them",
    "after_build": "the marts agencies read are whole: their grain, bounded rates, an agency on every row",
    "before_publish": "open marts are fit to publish: no personal data, no small cells, totals that reconcile, "
                      "a size close to the previous version",
}


RESULTS_DDL = """
create schema if not exists quality;
create table if not exists quality.gate_results (
    run_id text not null,
    gate text not null,
    suite text not null,
    expectation text not null,
    column_name text,
    severity text not null,
    success boolean not null,
    observed_value text,
    unexpected_count bigint,
    checked_at timestamptz not null default now()
);
create index if not exists gate_results_checked_at on quality.gate_results (checked_at);
create table if not exists quality.published_row_counts (
    mart text primary key,
    version text,
    row_count bigint not null,
    recorded_at timestamptz not null default now()
);
"""


DATASOURCE, BATCH = "warehouse", "whole table"  # as kho/quality_suites.py writes them


def ensure_quality_tables(conninfo: str) -> None:
    """The tables gates write and the quality marts read; present before the first gate or build."""
    import psycopg

    with psycopg.connect(conninfo) as conn, conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext('kho.quality.bootstrap'))")
        conn.execute(RESULTS_DDL)


@dataclass
class ExpectationFailure:
    suite: str
    expectation: str
    arguments: dict[str, Any]
    observed: Any
    sample: list[Any] = field(default_factory=list)
    severity: str = "critical"  # critical fails the gate; warning is recorded and the run goes on

    def describe(self) -> str:
        target = self.arguments.get("column") or self.arguments.get("column_list") or ", ".join(
            str(v) for k, v in self.arguments.items() if k.startswith("column")) or "table"
        if "rule" in self.arguments:  # an unexpected-rows rule: say what it asserts and how many rows broke it
            text = f"{self.suite}: rule '{self.arguments['rule']}' failed ({self.observed} offending rows)"
            return text + (f"; e.g. {self.sample}" if self.sample else "")
        text = f"{self.suite}: {self.expectation} on {target} failed (observed {self.observed})"
        return text + (f"; e.g. {self.sample}" if self.sample else "")


@dataclass
class GateResult:
    gate: str
    success: bool
    evaluated: int = 0
    failures: list[ExpectationFailure] = field(default_factory=list)  # severity critical: the gate failed
    warnings: list[ExpectationFailure] = field(default_factory=list)  # severity warning: recorded, run goes on
    data_docs: str | None = None
    run_id: str = ""
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"gate": self.gate, "success": self.success, "evaluated": self.evaluated,
                "failures": [f.describe() for f in self.failures], "warnings": [w.describe() for w in self.warnings],
                "data_docs": self.data_docs, "run_id": self.run_id, "seconds": round(self.seconds, 3)}


class GateFailed(RuntimeError):
    def __init__(self, result: GateResult) -> None:
        lines = "\n  ".join(f.describe() for f in result.failures)
        super().__init__(f"quality gate {result.gate!r} failed {len(result.failures)} of {result.evaluated} "
                         f"expectations; nothing downstream ran:\n  {lines}")
        self.result = result


def _observed(result: dict[str, Any]) -> Any:
    if "observed_value" in result:
        return result["observed_value"]
    if "unexpected_count" in result:
        percent = result.get("unexpected_percent")
        share = f" ({percent:.2f}%)" if isinstance(percent, int | float) else ""
        return f"{result['unexpected_count']} unexpected of {result.get('element_count', '?')}{share}"
    return result or "no result"


def gx_context(settings: Settings, warehouse: Warehouse) -> Any:
    """The committed GX file context, pointed at this warehouse and at $KHO_HOME/quality for its results."""
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    # great_expectations.yml reads both: the warehouse, and where validation results and Data Docs go (per
    # KHO_HOME, so the committed context stays clean and parallel runs do not share files).
    os.environ["KHO_GX_URL"] = warehouse.sqlalchemy_url()
    os.environ["KHO_GX_RESULTS_DIR"] = str(settings.home / "quality")
    import great_expectations as gx  # heavy: imported only when a gate runs

    return gx.get_context(mode="file", context_root_dir=str(settings.expectations_dir))


def run_gate(settings: Settings, warehouse: Warehouse, gate: str) -> GateResult:
    """Run the checkpoint named `gate`; every expectation is computed by SQL in the warehouse. Each outcome is
    stored in quality.gate_results and rendered into Data Docs under $KHO_HOME/quality."""
    if gate not in GATES:
        raise ValueError(f"unknown gate {gate!r}; gates are: {', '.join(GATES)}")
    from ingest.schema import ensure_every_raw_table

    ensure_every_raw_table(warehouse.url)  # a source not connected yet has an empty table, which passes
    ensure_quality_tables(warehouse.url)
    if gate == "before_publish":
        record_published_row_counts(settings, warehouse)
    results_dir = settings.home / "quality"
    started = time.perf_counter()
    context = gx_context(settings, warehouse)
    try:
        outcome = context.checkpoints.get(gate).run()
    finally:
        _close_connections(context)
    result = GateResult(gate, True, run_id=outcome.run_id.run_time.isoformat())
    rows = []
    for validation in outcome.run_results.values():
        suite = validation.suite_name
        table = _table_of(suite)
        for expectation in validation.results:
            result.evaluated += 1
            config = expectation.expectation_config
            severity = str(getattr(config.severity, "value", config.severity) or "critical")
            details = expectation.result or {}
            raised = _raised(expectation.exception_info)
            if raised:
                details = {"observed_value": f"error: {raised}"}
            arguments = {k: v for k, v in config.kwargs.items() if k not in ("batch_id", "result_format")}
            rows.append((result.run_id, gate, suite, config.type, arguments.get("column"), severity,
                         bool(expectation.success), str(_observed(details))[:2000],
                         details.get("unexpected_count", details.get("observed_value")
                                     if config.type == "unexpected_rows_expectation" else None)))
            if expectation.success:
                continue
            if config.type == "unexpected_rows_expectation":
                sample = _offending_rows(warehouse, arguments["unexpected_rows_query"], table)
                arguments = {"rule": config.description or "custom SQL rule"}
            else:
                sample = _offending_values(context, table, config)
            failure = ExpectationFailure(suite, config.type, arguments, _observed(details), sample, severity)
            (result.failures if severity == "critical" else result.warnings).append(failure)
    result.success = not result.failures
    _store(warehouse, rows)
    result.data_docs = _data_docs(context, list(outcome.run_results), results_dir)
    result.seconds = time.perf_counter() - started
    return result


def _raised(info: Any) -> str | None:
    """The message of an exception GX caught while computing an expectation: its exception_info is either that
    exception's record or a record per metric."""
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message") or "an exception")
    return next((message for value in info.values() if (message := _raised(value))), None)


def _close_connections(context: Any) -> None:
    # GX pools its PostgreSQL connections and never closes them; a long-lived worker (Airflow) would keep them
    # open, and a database with sessions cannot be copied, renamed or dropped.
    for datasource in context.data_sources.all().values():
        engines = [getattr(datasource, "_engine", None),
                   getattr(getattr(datasource, "_execution_engine", None), "engine", None)]
        for engine in engines:
            if engine is not None:
                engine.dispose()


def _table_of(suite: str) -> str:
    # Suites are named for their table (kho/quality_suites.py): raw_<source>__<entity>, or a mart's name.
    return suite.replace("raw_", "raw.", 1) if suite.startswith("raw_") else f"marts.{suite}"


def _offending_rows(warehouse: Warehouse, query: str, table: str, limit: int = 5) -> list[Any]:
    """A few rows an unexpected-rows rule returned (GX's summary keeps only their number)."""
    try:
        with warehouse.connect() as conn:
            return [tuple(r) for r in conn.execute(
                f"select * from ({query.replace('{batch}', table)}) as offending limit {limit}").fetchall()]
    except Exception as exc:  # the verdict stands without its examples
        return [f"(examples unavailable: {exc})"]


def record_published_row_counts(settings: Settings, warehouse: Warehouse) -> None:
    """The row count of each open mart's currently published version (open_data/<dataset>/latest), which the
    before_publish gate bounds the new version against."""
    import csv

    counts = []
    for package_path in sorted(settings.open_data_dir.glob("*/latest/datapackage.json")):
        package = json.loads(package_path.read_text(encoding="utf-8"))
        resource = next((r for r in package.get("resources", []) if r.get("format") == "csv"), None)
        mart = package.get("kho_model") or "open_" + package_path.parent.parent.name.replace("-", "_")
        if resource is None:
            continue
        with (package_path.parent / resource["path"]).open(encoding="utf-8-sig", newline="") as handle:
            counts.append((mart, package.get("version"), max(sum(1 for _ in csv.reader(handle)) - 1, 0)))
    with warehouse.connect() as conn, conn.transaction():
        conn.execute("delete from quality.published_row_counts")
        with conn.cursor() as cursor:
            cursor.executemany("insert into quality.published_row_counts (mart, version, row_count) "
                               "values (%s, %s, %s)", counts)


def _store(warehouse: Warehouse, rows: list[tuple]) -> None:
    """Every expectation's outcome in quality.gate_results: the record data owners and the quality marts read."""
    with warehouse.connect() as conn, conn.transaction(), conn.cursor() as cursor:
        cursor.executemany("insert into quality.gate_results (run_id, gate, suite, expectation, column_name, "
                           "severity, success, observed_value, unexpected_count) "
                           "values (%s, %s, %s, %s, %s, %s, %s, %s, %s)", rows)


def _offending_values(context: Any, table: str, config: Any) -> list[Any]:
    """A few values that broke a failed expectation, asked of it alone (the gate's run counted them only)."""
    try:
        batch = (context.data_sources.get(DATASOURCE).get_asset(table).get_batch_definition(BATCH).get_batch())
        checked = batch.validate(config.to_domain_obj(),
                                 result_format={"result_format": "SUMMARY", "partial_unexpected_count": 5})
        return list((checked.result or {}).get("partial_unexpected_list") or [])[:5]
    except Exception as exc:  # the verdict stands without its examples
        return [f"(examples unavailable: {exc})"]
    finally:
        _close_connections(context)


def _data_docs(context: Any, identifiers: list[Any], results_dir: Path) -> str | None:
    """Data Docs for this run's validations (the index lists every run kept under results_dir)."""
    try:
        context.build_data_docs(resource_identifiers=identifiers)
    except Exception as exc:  # the gate's verdict stands without its pictures
        logging.getLogger(__name__).warning("Data Docs were not built: %s", exc)
    index = results_dir / "data_docs" / "index.html"
    return str(index) if index.exists() else None


def check(settings: Settings, warehouse: Warehouse, gate: str) -> GateResult:
    """Run a gate and raise GateFailed if it does not pass."""
    result = run_gate(settings, warehouse, gate)
    if not result.success:
        raise GateFailed(result)
    return result
