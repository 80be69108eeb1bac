"""The registry of sources Kho ingests. A source package exposes SOURCE, a `Source`; listing its module in
SOURCE_MODULES is all it takes for `kho ingest`, the pipeline, the demo and the DAGs to know it."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ingest.contract import Contract
from ingest.http import RetryPolicy
from ingest.load import LoadResult

# One line per source package; the order is the order `kho ingest all` runs them.
SOURCE_MODULES = [
    "ingest.dossier",
    "ingest.health",
    "ingest.education",
    "ingest.document",
    "ingest.land",
    "ingest.civil_status",
]


@dataclass(frozen=True)
class LoadOptions:
    page_size: int = 2000
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    lookback: timedelta = timedelta(0)
    progress: Callable[[str, int], None] | None = None  # (entity, records read so far)
    # A backfill window's start: drop folders read again the files dated from its day (sources that filter on
    # "changed since" get it as a wider `lookback` instead).
    since: datetime | None = None


@dataclass(frozen=True)
class Source:
    name: str  # dossier, document, health, …: the <source> of raw.<source>__<entity>
    title: str  # what the real system is, for people
    setting: str  # environment variable holding where the real system is (URL, folder or database URL)
    entities: dict[str, Contract]
    # Loads every entity, in order, from `location` into the warehouse at `conninfo`; one LoadResult each.
    load: Callable[[str, str, LoadOptions], list[LoadResult]]
    # How often the source is read (the Airflow schedule); the data-quality marts judge timeliness against it.
    schedule: str = "@daily"

    @property
    def interval_hours(self) -> int:
        return SCHEDULE_HOURS[self.schedule]


SCHEDULE_HOURS = {"@hourly": 1, "@daily": 24, "@weekly": 168, "@monthly": 720}


def sources() -> dict[str, Source]:
    found = {}
    for module_name in SOURCE_MODULES:
        source: Source = importlib.import_module(module_name).SOURCE
        found[source.name] = source
    return found


def source(name: str) -> Source:
    known = sources()
    if name not in known:
        raise KeyError(f"unknown source {name!r}; sources: {', '.join(known)}")
    return known[name]
