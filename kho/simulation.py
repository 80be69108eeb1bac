"""Stand the simulated source systems up for the demo (and for tests), on localhost."""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from datetime import date, datetime, time

from kho.settings import Settings
from simulators.base import RunningSource, SimulationPlan

# Each module has start(plan, folder, *, postgres_url) -> RunningSource; the key is the ingest source it plays.
SIMULATOR_MODULES = {
    "dossier": "simulators.dossier.server",
    "health": "simulators.health.drop",
    "education": "simulators.education.drop",
    "document": "simulators.document.server",
    "land": "simulators.land.database",
    "civil_status": "simulators.civil_status.server",
}


def today_plan(scale: int, start: date, province: str = "long-an") -> SimulationPlan:
    """A plan whose "now" is today at midnight, so one day's demo runs reuse one generated data set."""
    return SimulationPlan(province=province, scale=scale, start=start, as_of=datetime.combine(date.today(), time()))


@contextlib.contextmanager
def running_simulators(settings: Settings, plan: SimulationPlan, postgres_url: str | None = None,
                       only: list[str] | None = None) -> Iterator[tuple[Settings, dict[str, RunningSource]]]:
    """Serve every simulator while the block runs; yield settings pointing each source at its simulator."""
    from ingest.sources import sources

    known = sources()
    running: dict[str, RunningSource] = {}
    try:
        for name, module_name in SIMULATOR_MODULES.items():
            if only is not None and name not in only:
                continue
            module = importlib.import_module(module_name)
            running[name] = module.start(plan, settings.home / "simulators" / name, postgres_url=postgres_url)
        locations = {known[name].setting: source.location for name, source in running.items()}
        yield settings.with_locations(**locations), running
    finally:
        for source in running.values():
            source.stop()
