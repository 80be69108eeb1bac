"""Reading the yearly workbook: one sheet per entity, its header found under any title block, merged header
rows flattened and mapped to the contract's names."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ingest.contract import Contract
from ingest.education.contract import ENROLMENT, KEY_FIELDS, SCHOOLS
from ingest.files import DropFile, FileReading, Reader, key_from, xlsx_records

PATTERN = "csdl_truong_hoc_*.xlsx"
SHEETS = {"schools": "Trường học", "enrolment": "Học sinh"}
# Report layouts name some columns in two header rows (merged cells): Học sinh over Tổng số / Trong đó nữ.
ALIASES = {
    "Học sinh / Tổng số": "Số học sinh",
    "Học sinh / Trong đó nữ": "Số học sinh nữ",
    "Học sinh / Nữ": "Số học sinh nữ",
    "Giáo viên / Tổng số": "Số giáo viên",
    "Lớp / Tổng số": "Số lớp",
}


def school_year_of(drop: DropFile) -> str | None:
    """The workbook's school year (2024-2025) from its report date (opening day 5 September 2024)."""
    if drop.file_date is None:
        return None
    first = drop.file_date.year if drop.file_date.month >= 8 else drop.file_date.year - 1
    return f"{first}-{first + 1}"


def reader(entity: str, contract: Contract) -> Reader:
    sheet = SHEETS[entity]
    known = [f.name for f in contract.fields]

    def records(drop: DropFile, reading: FileReading) -> Iterator[dict[str, Any]]:
        """A workbook holds one school year: a row of another year is a problem, not a record."""
        year = school_year_of(drop)
        for record in xlsx_records(drop, reading, sheet, known, ALIASES):
            stated = record.get("Năm học")
            if year and isinstance(stated, str) and stated.strip() != year and stated.strip()[:4].isdigit():
                reading.problem(f"Năm học {stated.strip()} is not the school year of this workbook ({year})",
                                text=record, key=row_key(record))
                continue
            yield record

    return records


def row_key(record: dict[str, Any]) -> str | None:
    return key_from(record, KEY_FIELDS)


READERS = {"schools": reader("schools", SCHOOLS), "enrolment": reader("enrolment", ENROLMENT)}
