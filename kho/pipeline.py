"""The pipeline's task functions: the Airflow DAG and the `kho` CLI call exactly these."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from kho.settings import Settings
from kho.warehouse import open_warehouse


class ConfigurationError(RuntimeError):
    pass


def ingest_dossiers(settings: Settings | None = None, progress: Callable[[int], None] | None = None) -> dict:
    """Extract dossiers changed since the watermark from the dossier system into raw."""
    from ingest.dossier import load_dossiers
    from ingest.http import RetryPolicy

    settings = settings or Settings.from_env()
    if not settings.dossier_api_url:
        raise ConfigurationError("KHO_DOSSIER_API_URL is not set: point it at the dossier system's API "
                                 "(`kho demo` starts a simulator and sets it for you)")
    policy = RetryPolicy(attempts=settings.http_attempts, timeout=settings.http_timeout)
    with open_warehouse(settings) as warehouse:
        result = load_dossiers(warehouse.url, settings.dossier_api_url, page_size=settings.page_size,
                               policy=policy, progress=progress)
    return result.as_dict()


def check_gate(gate: str, settings: Settings | None = None) -> dict:
    """Run a quality gate; raise GateFailed (stopping what follows) if it does not pass."""
    from kho.quality import check

    settings = settings or Settings.from_env()
    with open_warehouse(settings) as warehouse:
        return check(settings, warehouse, gate).as_dict()


def build_warehouse(settings: Settings | None = None, on_node: Callable[[Any], None] | None = None) -> dict:
    """dbt build: staging, warehouse and marts, with every model's tests."""
    from kho.transform import build

    settings = settings or Settings.from_env()
    with open_warehouse(settings) as warehouse:
        return build(settings, warehouse, on_node=on_node).as_dict()


def publish_open_data(settings: Settings | None = None) -> dict:
    """Write the open marts as a new version of each open dataset and switch `latest` to it."""
    from kho.publish import publish

    settings = settings or Settings.from_env()
    with open_warehouse(settings) as warehouse:
        return publish(settings, warehouse).as_dict()


class PipelineObserver(Protocol):
    def step_started(self, step: str) -> None: ...
    def step_finished(self, step: str, ok: bool, detail: dict | None) -> None: ...
    def ingest_progress(self, source: str, records: int) -> None: ...
    def node_finished(self, node: Any) -> None: ...


@dataclass
class RunSummary:
    ingests: dict[str, dict] = field(default_factory=dict)
    build: dict | None = None
    gates: dict[str, dict] = field(default_factory=dict)
    publish: dict | None = None
    failed_step: str | None = None
    error: str | None = None
    seconds: float = 0.0

    @property
    def success(self) -> bool:
        return self.failed_step is None


STEPS = ("ingest:dossier", "gate:after_ingest", "build", "gate:before_publish", "publish")


def run_pipeline(settings: Settings, observer: PipelineObserver | None = None) -> RunSummary:
    """Every step once, in order; the first failure stops the rest (so a failed gate publishes nothing)."""
    from kho.quality import GateFailed

    started = time.perf_counter()
    summary = RunSummary()
    with open_warehouse(settings) as warehouse:
        # Hold the (possibly embedded) warehouse for the whole run; every step reuses it by URL.
        settings = settings.with_(database_url=warehouse.url)
        steps: dict[str, Callable[[], dict]] = {
            "ingest:dossier": lambda: ingest_dossiers(
                settings, progress=(lambda n: observer.ingest_progress("dossier", n)) if observer else None),
            "gate:after_ingest": lambda: check_gate("after_ingest", settings),
            "build": lambda: build_warehouse(settings, on_node=observer.node_finished if observer else None),
            "gate:before_publish": lambda: check_gate("before_publish", settings),
            "publish": lambda: publish_open_data(settings),
        }
        for step in STEPS:
            if observer:
                observer.step_started(step)
            try:
                detail = steps[step]()
            except GateFailed as exc:
                summary.gates[exc.result.gate] = exc.result.as_dict()
                summary.failed_step, summary.error = step, str(exc)
            except Exception as exc:
                detail = getattr(getattr(exc, "result", None), "as_dict", lambda: None)()
                summary.failed_step, summary.error = step, f"{type(exc).__name__}: {exc}"
                _record(summary, step, detail)
            else:
                _record(summary, step, detail)
            if observer:
                observer.step_finished(step, summary.failed_step != step, None)
            if summary.failed_step:
                break
    summary.seconds = time.perf_counter() - started
    return summary


def _record(summary: RunSummary, step: str, detail: dict | None) -> None:
    if detail is None:
        return
    kind, _, name = step.partition(":")
    if kind == "ingest":
        summary.ingests[name] = detail
    elif kind == "gate":
        summary.gates[name] = detail
    elif kind == "build":
        summary.build = detail
    elif kind == "publish":
        summary.publish = detail
