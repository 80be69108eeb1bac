"""The education statistics system's yearly workbook (trường học, học sinh): what Kho reads from its drop folder.

| entity    | key                                   | cursor                   | raw table                  |
|-----------|---------------------------------------|--------------------------|----------------------------|
| schools   | Mã trường + Năm học (`_row_key`)      | the school year's opening | raw.education__schools     |
| enrolment | Mã trường + Năm học (`_row_key`)      | the school year's opening | raw.education__enrolment   |
"""

from __future__ import annotations

from ingest.contract import Contract
from ingest.education.client import PATTERN, READERS, row_key
from ingest.education.contract import ENROLMENT, SCHOOLS
from ingest.files import DropEntity, load_drop
from ingest.load import LoadResult
from ingest.sources import LoadOptions, Source

ENTITIES: dict[str, Contract] = {"schools": SCHOOLS, "enrolment": ENROLMENT}
DROPS = {name: DropEntity(contract, PATTERN, READERS[name], text=False, key_of=row_key)
         for name, contract in ENTITIES.items()}


def load_all(conninfo: str, folder: str, options: LoadOptions) -> list[LoadResult]:
    results = []
    for entity, drop in DROPS.items():
        progress = (lambda n, entity=entity: options.progress(entity, n)) if options.progress else None
        results.append(load_drop(conninfo, folder, drop, page_size=options.page_size, progress=progress,
                                 since=options.since))
    return results


SOURCE = Source(
    name="education",
    title="Education statistics system, yearly schools and enrolment workbook (trường học, học sinh; Excel drop)",
    setting="KHO_EDUCATION_DROP_DIR",
    entities=ENTITIES,
    load=load_all,
)
