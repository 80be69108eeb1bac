"""What every simulator offers the demo and the tests: start from a plan, say where Kho should read, stop."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class SimulationPlan:
    """One simulated province. `scale` is the number of dossiers; other sources size themselves from it."""

    province: str = "long-an"
    scale: int = 50_000
    start: date = date(2016, 1, 1)
    as_of: datetime = datetime(2026, 11, 1)  # the simulated "now": nothing happens after it
    seed: int = 20250701


@dataclass
class RunningSource:
    name: str  # the ingest source it stands in for (dossier, document, health, …)
    location: str  # what Kho's setting for that source should hold: a URL, a folder, a database URL
    description: str
    stop: Callable[[], None] = field(default=lambda: None)
    handle: object = None  # the simulator object, for tests that set faults on it


# A simulator package exposes:  def start(plan: SimulationPlan, folder: Path, *, postgres_url: str | None)
#                                    -> RunningSource
# `folder` is its own working folder (stores, drop folders); `postgres_url` is a server on which it may
# create its own source database (the land registry does).
