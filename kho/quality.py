"""Quality gates: run a Great Expectations checkpoint inside PostgreSQL and say exactly what failed."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any

from kho.settings import Settings
from kho.warehouse import Warehouse

GATES = {
    "after_ingest": "raw tables keep their source contracts, before dbt builds on them",
    "before_publish": "open marts are fit to publish: bounded rates, their grain, no small cells",
}


@dataclass
class ExpectationFailure:
    suite: str
    expectation: str
    arguments: dict[str, Any]
    observed: Any
    sample: list[Any] = field(default_factory=list)

    def describe(self) -> str:
        target = self.arguments.get("column") or self.arguments.get("column_list") or ", ".join(
            str(v) for k, v in self.arguments.items() if k.startswith("column")) or "table"
        text = f"{self.suite}: {self.expectation} on {target} failed (observed {self.observed})"
        return text + (f"; e.g. {self.sample}" if self.sample else "")


@dataclass
class GateResult:
    gate: str
    success: bool
    evaluated: int = 0
    failures: list[ExpectationFailure] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"gate": self.gate, "success": self.success, "evaluated": self.evaluated,
                "failures": [f.describe() for f in self.failures], "seconds": round(self.seconds, 3)}


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


def run_gate(settings: Settings, warehouse: Warehouse, gate: str) -> GateResult:
    """Run the checkpoint named `gate`; every expectation is computed by SQL in the warehouse."""
    if gate not in GATES:
        raise ValueError(f"unknown gate {gate!r}; gates are: {', '.join(GATES)}")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    os.environ["KHO_GX_URL"] = warehouse.sqlalchemy_url()  # great_expectations.yml reads ${KHO_GX_URL}
    import great_expectations as gx  # heavy: imported only when a gate runs

    started = time.perf_counter()
    context = gx.get_context(mode="file", context_root_dir=str(settings.expectations_dir))
    outcome = context.checkpoints.get(gate).run()
    result = GateResult(gate, bool(outcome.success))
    for validation in outcome.run_results.values():
        suite = validation.suite_name
        for expectation in validation.results:
            result.evaluated += 1
            if expectation.success:
                continue
            config = expectation.expectation_config
            details = expectation.result or {}
            if expectation.exception_info and expectation.exception_info.get("raised_exception"):
                details = {"observed_value": expectation.exception_info.get("exception_message")}
            arguments = {k: v for k, v in config.kwargs.items() if k not in ("batch_id", "result_format")}
            result.failures.append(ExpectationFailure(
                suite, config.type, arguments, _observed(details),
                list(details.get("partial_unexpected_list") or [])[:5]))
    result.seconds = time.perf_counter() - started
    return result


def check(settings: Settings, warehouse: Warehouse, gate: str) -> GateResult:
    """Run a gate and raise GateFailed if it does not pass."""
    result = run_gate(settings, warehouse, gate)
    if not result.success:
        raise GateFailed(result)
    return result
