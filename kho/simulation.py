"""Stand the simulated source systems up for the demo (and for tests), on localhost."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time

from kho.settings import Settings


@dataclass(frozen=True)
class SimulationPlan:
    dossiers: int = 50_000
    start: date = date(2024, 1, 1)
    as_of: datetime | None = None  # None: today at 00:00, so one day's demo runs reuse one generated store
    province: str = "long-an"
    seed: int = 20250701


@contextlib.contextmanager
def running_simulators(settings: Settings, plan: SimulationPlan) -> Iterator[Settings]:
    """Serve the simulators while the block runs; yield settings pointing at them."""
    from simulators.dossier.generate import DossierSimConfig
    from simulators.dossier.server import DossierSimulator
    from simulators.dossier.store import DossierStore

    as_of = plan.as_of or datetime.combine(date.today(), time(0, 0))
    config = DossierSimConfig(plan.province, plan.dossiers, plan.start, as_of, plan.seed)
    simulator = DossierSimulator(DossierStore.open(config, settings.home / "simulators"))
    url = simulator.start()
    try:
        yield settings.with_(dossier_api_url=url)
    finally:
        simulator.stop()
