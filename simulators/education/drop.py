"""The education statistics system's yearly workbook: one .xlsx per school year into a drop folder.

`csdl_truong_hoc_YYYY-YYYY.xlsx` holds two sheets: "Trường học" (the schools open that year: code, name,
level, public or private, commune, address) and "Học sinh" (per school: classes, pupils, girls, teachers).
Clean workbooks have one header row at the top. Faults on request: the report layout people actually send (a
title block above a two-row header with merged cells), malformed cells, schema drift, NFD text. Workbooks are
written in openpyxl's write-only mode (flat memory) with fixed zip timestamps, so the same seed writes the
same bytes.
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any

from simulators.base import RunningSource, SimulationPlan
from simulators.education.schools import School, enrolment, schools
from simulators.faults import stable_fraction
from simulators.provinces import province

SCHOOLS_SHEET = "Trường học"
ENROLMENT_SHEET = "Học sinh"
SCHOOL_COLUMNS = ("Mã trường", "Tên trường", "Cấp học", "Loại hình", "Mã xã", "Tên xã", "Địa chỉ", "Năm học")
ENROLMENT_COLUMNS = ("Mã trường", "Năm học", "Số lớp", "Số học sinh", "Số học sinh nữ", "Số giáo viên")
DRIFT_RENAMED = ("Loại hình", "Loại hình trường")
DRIFT_ADDED = "Số điện thoại"
DRIFT_REMOVED = "Địa chỉ"
MALFORMATIONS = ("text_in_number", "negative", "bad_level", "missing_code", "overlong_name", "bad_commune",
                 "error_value")
FIXED_STAMP = (2016, 1, 1, 0, 0, 0)
TITLE_ROWS = 4  # three lines and a blank row
AREA_CODES = {"long-an": "0272", "vinh-long": "0270"}  # landline area codes


@dataclass
class EducationFaults:
    """What goes wrong with a delivery. The layout faults and drift hit the latest workbook; NFD the one
    before; malformed cells hit every workbook."""

    merged_header: bool = False  # "Học sinh" with a two-row header: Học sinh merged over Tổng số / Trong đó nữ
    title_block: bool = False  # both sheets start with the department's title block, the header below it
    malformed_rate: float = 0.0  # cells typed wrong: text in a number, a negative, an unknown level, …
    drift: bool = False  # "Trường học": a column renamed, one added, one removed
    nfd: bool = False  # text decomposed (NFD)

    @classmethod
    def parse(cls, text: str) -> EducationFaults:
        values: dict[str, object] = {}
        known = {f.name: f.type for f in fields(cls)}
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, _, value = part.partition("=")
            if name not in known:
                raise ValueError(f"unknown education fault {name!r}; known: {', '.join(known)}")
            values[name] = float(value) if known[name] == "float" else (value or "1") not in ("0", "false")
        return cls(**values)  # type: ignore[arg-type]

    def hits(self, year: int, years: list[int]) -> set[str]:
        found = set()
        for name in ("merged_header", "title_block", "drift"):
            if getattr(self, name) and years and year == years[-1]:
                found.add(name)
        if self.nfd and years and year == years[-2 if len(years) > 1 else -1]:
            found.add("nfd")
        return found


@dataclass(frozen=True)
class EducationSimConfig:
    province: str = "long-an"
    start: date = date(2016, 1, 1)
    as_of: datetime = datetime(2026, 11, 1)
    seed: int = 20250701
    first_year: int | None = None  # first school year delivered (its opening year); None = from start
    multiplier: int = 1  # more schools per commune, for load tests at scale


def school_years(config: EducationSimConfig) -> list[int]:
    """School years (by opening year) whose report is out by as_of: a year's statistics date from 30 September."""
    first = config.first_year or (config.start.year if config.start <= date(config.start.year, 9, 5)
                                  else config.start.year + 1)
    last = config.as_of.year if config.as_of.date() >= date(config.as_of.year, 9, 30) else config.as_of.year - 1
    return list(range(first, last + 1))


def file_name(year: int) -> str:
    return f"csdl_truong_hoc_{year}-{year + 1}.xlsx"


def _malform(row: list[Any], columns: tuple[str, ...], kind: str) -> list[Any]:
    row = list(row)

    def put(column: str, value: Any) -> None:
        if column in columns:
            row[columns.index(column)] = value

    if kind == "text_in_number":
        put("Số học sinh", "khoảng 300")
        put("Mã xã", "không rõ")
    elif kind == "negative":
        put("Số lớp", -3)
        put("Mã xã", "-1")
    elif kind == "bad_level":
        put("Cấp học", "Cấp 2")
        put("Số giáo viên", 12.5)
    elif kind == "missing_code":
        put("Mã trường", None)
    elif kind == "overlong_name":
        put("Tên trường", "Trường " * 120)
        put("Năm học", "năm nay")
    elif kind == "bad_commune":
        put("Mã xã", "2768")
        put("Số học sinh nữ", "=D2*0,5")
    elif kind == "error_value":
        put("Số học sinh", "#N/A")
        put("Loại hình", "#REF!")
    return row


class EducationDrop:
    def __init__(self, config: EducationSimConfig, folder: Path) -> None:
        self.config = config
        self.folder = Path(folder)
        self.years = school_years(config)

    def school_rows(self, year: int, columns: tuple[str, ...] = SCHOOL_COLUMNS) -> Iterator[list[Any]]:
        label = f"{year}-{year + 1}"
        area = AREA_CODES.get(self.config.province, "0272")
        for school in self._open(year):
            code, name = school.commune(year)
            values = {"Mã trường": school.code, "Tên trường": school.name, "Cấp học": school.level,
                      "Loại hình": school.ownership, "Loại hình trường": school.ownership, "Mã xã": code,
                      "Tên xã": name, "Địa chỉ": f"Ấp {school.hamlet}, {name}", "Năm học": label,
                      "Số điện thoại": f"{area} 38{int(school.code[-5:]):05d}"}
            yield [values[c] for c in columns]

    def enrolment_rows(self, year: int) -> Iterator[list[Any]]:
        label = f"{year}-{year + 1}"
        for school in self._open(year):
            size = enrolment(school, year, self.config.seed)
            yield [school.code, label, size.classes, size.pupils, size.girls, size.teachers]

    def _open(self, year: int) -> Iterator[School]:
        return (s for s in schools(self.config.province, self.config.multiplier) if s.open_in(year))

    def render(self, year: int, faults: EducationFaults | None = None) -> bytes:
        from openpyxl import Workbook

        faults = faults or EducationFaults()
        hits = faults.hits(year, self.years)
        label = f"{year}-{year + 1}"
        workbook = Workbook(write_only=True)

        def text(value: Any) -> Any:
            return unicodedata.normalize("NFD", value) if "nfd" in hits and isinstance(value, str) else value

        def title(sheet: Any, heading: str, width: int) -> None:
            if "title_block" not in hits:
                return
            lines = (f"SỞ GIÁO DỤC VÀ ĐÀO TẠO {province(self.config.province).name.upper()}",
                     f"{heading} NĂM HỌC {label}", f"(Số liệu tính đến ngày 30/9/{year})")
            for number, line in enumerate(lines, start=1):
                sheet.append([text(line)])
                sheet.merged_cells.add(f"A{number}:{chr(64 + width)}{number}")
            sheet.append([])

        def broken(row: list[Any], columns: tuple[str, ...], sheet_name: str) -> list[Any]:
            if faults.malformed_rate and stable_fraction("education", sheet_name, label, str(row[0])) < \
                    faults.malformed_rate:
                kind = MALFORMATIONS[int(stable_fraction("education", "kind", sheet_name, str(row[0]))
                                         * len(MALFORMATIONS))]
                return _malform(row, columns, kind)
            return row

        columns = SCHOOL_COLUMNS
        if "drift" in hits:
            kept = (DRIFT_RENAMED[1] if c == DRIFT_RENAMED[0] else c for c in columns if c != DRIFT_REMOVED)
            columns = (*kept, DRIFT_ADDED)
        sheet = workbook.create_sheet(SCHOOLS_SHEET)
        title(sheet, "DANH SÁCH TRƯỜNG HỌC", len(columns))
        sheet.append([text(c) for c in columns])
        for row in self.school_rows(year, columns):
            sheet.append([text(v) for v in broken(row, columns, SCHOOLS_SHEET)])

        sheet = workbook.create_sheet(ENROLMENT_SHEET)
        title(sheet, "THỐNG KÊ LỚP, HỌC SINH, GIÁO VIÊN", len(ENROLMENT_COLUMNS))
        if "merged_header" in hits:
            top = TITLE_ROWS + 1 if "title_block" in hits else 1
            sheet.append([text(v) for v in ("Mã trường", "Năm học", "Số lớp", "Học sinh", None, "Số giáo viên")])
            sheet.append([None, None, None, text("Tổng số"), text("Trong đó nữ"), None])
            for cells in ("A{0}:A{1}", "B{0}:B{1}", "C{0}:C{1}", "D{0}:E{0}", "F{0}:F{1}"):
                sheet.merged_cells.add(cells.format(top, top + 1))
        else:
            sheet.append([text(c) for c in ENROLMENT_COLUMNS])
        for row in self.enrolment_rows(year):
            sheet.append([text(v) for v in broken(row, ENROLMENT_COLUMNS, ENROLMENT_SHEET)])

        buffer = io.BytesIO()
        workbook.save(buffer)
        return _fixed_zip(buffer.getvalue())

    def deliver(self, faults: EducationFaults | None = None) -> list[Path]:
        self.folder.mkdir(parents=True, exist_ok=True)
        written = []
        for year in self.years:
            path = self.folder / file_name(year)
            if _write(path, self.render(year, faults)):
                written.append(path)
        return written


def _fixed_zip(data: bytes) -> bytes:
    """The workbook with fixed timestamps (zip entries, document properties): same content, same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2016-01-01T00:00:00Z",
                                 content)
            target.writestr(zipfile.ZipInfo(info.filename, date_time=FIXED_STAMP), content,
                            compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _write(path: Path, data: bytes) -> bool:
    """Atomically: a reader never sees a half-written workbook under the real name."""
    if path.exists() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return False
    temporary = path.with_name(f".{path.name}.part")
    temporary.write_bytes(data)
    os.replace(temporary, path)
    return True


def config_from(plan: SimulationPlan) -> EducationSimConfig:
    """Every school year of the plan; the number of schools is the province's (more only at a large scale)."""
    return EducationSimConfig(plan.province, plan.start, plan.as_of, plan.seed,
                              multiplier=max(1, plan.scale // 1_000_000))


def start(plan: SimulationPlan, folder: Path, *, postgres_url: str | None = None,
          faults: EducationFaults | None = None) -> RunningSource:
    """Deliver the workbooks into `folder`/drop; the drop folder is what KHO_EDUCATION_DROP_DIR should hold."""
    drop = EducationDrop(config_from(plan), Path(folder) / "drop")
    drop.deliver(faults)
    summary = f"education drop folder {drop.folder} · {len(drop.years)} yearly workbooks"
    if faults is not None and any(asdict(faults).values()):
        summary += f" · faults: {', '.join(k for k, v in asdict(faults).items() if v)}"
    return RunningSource("education", str(drop.folder), summary, handle=drop)
