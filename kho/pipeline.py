"""The pipeline's task functions: the Airflow DAG and the `kho` CLI call exactly these."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from kho.settings import Settings
from kho.warehouse import open_warehouse


class ConfigurationError(RuntimeError):
    pass


def ingest_source(name: str, settings: Settings | None = None,
                  progress: Callable[[str, int], None] | None = None,
                  since: datetime | None = None) -> dict[str, dict]:
    """Extract every entity of one source, each since its own watermark, into raw; {entity: load result}.

    `since` (a backfill's window start) re-extracts from at least that instant: the look-back is widened to
    reach it, so a superset of the window is read again and merged idempotently; no watermark moves back. A drop
    folder reads again the files dated from `since`'s day on (ingest/files.py)."""
    from ingest.http import RetryPolicy
    from ingest.sources import LoadOptions, source

    settings = settings or Settings.from_env()
    spec = source(name)
    location = settings.location(spec.setting)
    if not location:
        raise ConfigurationError(f"{spec.setting} is not set: point it at the {spec.title} "
                                 "(`kho demo` starts a simulator and sets it for you)")
    options = LoadOptions(page_size=settings.page_size, progress=progress,
                          policy=RetryPolicy(attempts=settings.http_attempts, timeout=settings.http_timeout),
                          lookback=_lookback_reaching(since, timedelta(seconds=settings.lookback_seconds)),
                          since=since)
    with open_warehouse(settings) as warehouse:
        results = spec.load(warehouse.url, location, options)
    return {r.entity: r.as_dict() for r in results}


def _lookback_reaching(since: datetime | None, lookback: timedelta) -> timedelta:
    # Every watermark lies before now, so reading back (now - since) from it starts at or before `since`.
    if since is None:
        return lookback
    return max(lookback, datetime.now(UTC) - since)


def configured_sources(settings: Settings) -> list[str]:
    from ingest.sources import sources

    return [name for name, spec in sources().items() if settings.location(spec.setting)]


def check_gate(gate: str, settings: Settings | None = None) -> dict:
    """Run a quality gate; raise GateFailed (stopping what follows) if it does not pass."""
    from kho.quality import check

    settings = settings or Settings.from_env()
    with open_warehouse(settings) as warehouse:
        return check(settings, warehouse, gate).as_dict()


def build_warehouse(settings: Settings | None = None, on_node: Callable[[Any], None] | None = None) -> dict:
    """dbt build: staging, warehouse and marts, with every model's tests; then per-agency access (kho/access.py)."""
    from kho.access import apply_configured_access
    from kho.transform import build

    settings = settings or Settings.from_env()
    with open_warehouse(settings) as warehouse:
        result = build(settings, warehouse, on_node=on_node).as_dict()
        # dbt rebuilt the marts without their policies and grants (closed to every reader until now): re-apply.
        result["access"] = apply_configured_access(settings, warehouse)
        return result


def publish_open_data(settings: Settings | None = None) -> dict:
    """Write the open marts as a new version of each open dataset and switch `latest` to it."""
    from kho.publish import publish

    settings = settings or Settings.from_env()
    with open_warehouse(settings) as warehouse:
        return publish(settings, warehouse).as_dict()


class PipelineObserver(Protocol):
    def step_started(self, step: str) -> None: ...
    def step_finished(self, step: str, ok: bool, detail: dict | None) -> None: ...
    def ingest_progress(self, source: str, entity: str, records: int) -> None: ...
    def node_finished(self, node: Any) -> None: ...


@dataclass
class RunSummary:
    ingests: dict[str, dict] = field(default_factory=dict)  # "source.entity" → load result
    build: dict | None = None
    gates: dict[str, dict] = field(default_factory=dict)
    publish: dict | None = None
    steps: list[str] = field(default_factory=list)
    failed_step: str | None = None
    error: str | None = None
    seconds: float = 0.0

    @property
    def success(self) -> bool:
        return self.failed_step is None


STAGES = ("gate:after_ingest", "build", "gate:after_build", "gate:before_publish", "publish")


def steps_for(settings: Settings) -> list[str]:
    return [f"ingest:{name}" for name in configured_sources(settings)] + list(STAGES)


def run_pipeline(settings: Settings, observer: PipelineObserver | None = None) -> RunSummary:
    """Every step once, in order; the first failure stops the rest (so a failed gate publishes nothing)."""
    from kho.quality import GateFailed

    started = time.perf_counter()
    summary = RunSummary()
    with open_warehouse(settings) as warehouse:
        # Hold the (possibly embedded) warehouse for the whole run; every step reuses it by URL.
        settings = settings.with_(database_url=warehouse.url)
        plan = steps_for(settings)
        if not any(step.startswith("ingest:") for step in plan):
            raise ConfigurationError("no source is configured: set KHO_<SOURCE>_… (see README) or run `kho demo`")

        def ingest_step(name: str) -> Callable[[], dict]:
            progress = (lambda entity, n: observer.ingest_progress(name, entity, n)) if observer else None
            return lambda: ingest_source(name, settings, progress=progress)

        steps: dict[str, Callable[[], dict]] = {
            **{step: ingest_step(step.partition(":")[2]) for step in plan if step.startswith("ingest:")},
            "gate:after_ingest": lambda: check_gate("after_ingest", settings),
            "build": lambda: build_warehouse(settings, on_node=observer.node_finished if observer else None),
            "gate:after_build": lambda: check_gate("after_build", settings),
            "gate:before_publish": lambda: check_gate("before_publish", settings),
            "publish": lambda: publish_open_data(settings),
        }
        summary.steps = plan
        for step in plan:
            if observer:
                observer.step_started(step)
            try:
                detail = steps[step]()
            except GateFailed as exc:
                summary.gates[exc.result.gate] = exc.result.as_dict()
                summary.failed_step, summary.error = step, str(exc)
            except Exception as exc:
                summary.failed_step, summary.error = step, f"{type(exc).__name__}: {exc}"
                failed = getattr(getattr(exc, "result", None), "as_dict", lambda: None)()
                if failed is not None and step.startswith("ingest:"):
                    failed = {failed["entity"]: failed}
                _record(summary, step, failed)
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
        summary.ingests.update({f"{name}.{entity}": result for entity, result in detail.items()})
    elif kind == "gate":
        summary.gates[name] = detail
    elif kind == "build":
        summary.build = detail
    elif kind == "publish":
        summary.publish = detail
