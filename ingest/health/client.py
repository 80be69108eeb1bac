"""Reading one daily export: CSV rows as records, dates made ISO, the composite key joined."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ingest.files import DropFile, FileReading, csv_records, iso_date, key_from
from ingest.health.contract import KEY_FIELDS

PATTERN = "kcb_*.csv"
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def records(drop: DropFile, reading: FileReading) -> Iterator[dict[str, Any]]:
    """A daily file holds that day's visits only: a row of another day is a problem, not a record (it would
    otherwise overwrite that day's own row, and a correction of this file could not tell whose row it is)."""
    day = drop.file_date.isoformat() if drop.file_date else None
    for record in csv_records(drop, reading):
        if "Ngày khám" in record:
            record["Ngày khám"] = iso_date(record["Ngày khám"])
            visited = record["Ngày khám"]
            if day and isinstance(visited, str) and ISO_DAY.fullmatch(visited) and visited != day:
                reading.problem(f"Ngày khám {visited} is not the day of this file ({day}): a daily export "
                                "holds that day's visits only", text=record, key=row_key(record))
                continue
        yield record


def row_key(record: dict[str, Any]) -> str | None:
    return key_from(record, KEY_FIELDS)
