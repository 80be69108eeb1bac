"""The provincial health information system's daily export (lượt khám chữa bệnh): what Kho reads from its drop
folder.

| entity | key                                                      | cursor                 | raw table          |
|--------|----------------------------------------------------------|------------------------|--------------------|
| visits | facility, day, sex, age group (joined into `_row_key`)   | report date in the name | raw.health__visits |
"""

from __future__ import annotations

from ingest.contract import Contract
from ingest.files import DropEntity, load_drop
from ingest.health.client import PATTERN, records, row_key
from ingest.health.contract import VISITS
from ingest.load import LoadResult
from ingest.sources import LoadOptions, Source

ENTITIES: dict[str, Contract] = {"visits": VISITS}
DROPS = {"visits": DropEntity(VISITS, PATTERN, records, text=True, key_of=row_key)}


def load_all(conninfo: str, folder: str, options: LoadOptions) -> list[LoadResult]:
    results = []
    for entity, drop in DROPS.items():
        progress = (lambda n, entity=entity: options.progress(entity, n)) if options.progress else None
        results.append(load_drop(conninfo, folder, drop, page_size=options.page_size, progress=progress,
                                 since=options.since))
    return results


SOURCE = Source(
    name="health",
    title="Provincial health information system, daily visits export (lượt khám chữa bệnh; CSV drop folder)",
    setting="KHO_HEALTH_DROP_DIR",
    entities=ENTITIES,
    load=load_all,
)
