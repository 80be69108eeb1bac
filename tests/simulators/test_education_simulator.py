"""The simulated education workbook: deterministic bytes, schools in the communes of their school year, and the
report layout (title block, merged header cells) as Excel itself reads it."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from kho.simulation import SIMULATOR_MODULES
from simulators.base import SimulationPlan
from simulators.education.drop import (
    ENROLMENT_COLUMNS,
    SCHOOL_COLUMNS,
    EducationDrop,
    EducationFaults,
    EducationSimConfig,
    school_years,
    start,
)
from simulators.education.schools import enrolment, schools
from simulators.reference import post_2025_communes, pre_2025_units

CONFIG = EducationSimConfig(province="long-an", start=date(2024, 1, 1), as_of=datetime(2025, 12, 1), seed=9)


def sheet(path: Path, name: str) -> tuple[openpyxl.Workbook, list[tuple]]:
    workbook = openpyxl.load_workbook(path)  # full mode: merged cells are visible
    return workbook, list(workbook[name].iter_rows(values_only=True))


def test_the_same_seed_writes_the_same_bytes(tmp_path: Path) -> None:
    a, b = EducationDrop(CONFIG, tmp_path / "a"), EducationDrop(CONFIG, tmp_path / "b")
    assert [p.name for p in a.deliver()] == ["csdl_truong_hoc_2024-2025.xlsx", "csdl_truong_hoc_2025-2026.xlsx"]
    b.deliver()
    for path in (tmp_path / "a").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes()
    assert a.deliver() == []


def test_a_workbook_has_schools_and_their_size(tmp_path: Path) -> None:
    EducationDrop(CONFIG, tmp_path).deliver()
    _, rows = sheet(tmp_path / "csdl_truong_hoc_2024-2025.xlsx", "Trường học")
    assert rows[0] == SCHOOL_COLUMNS
    levels = {r[2] for r in rows[1:]}
    assert levels == {"Mầm non", "Tiểu học", "THCS", "THPT"} and {r[3] for r in rows[1:]} == {"Công lập", "Tư thục"}
    assert "Trường Mầm non Mỹ Yên" in {r[1] for r in rows[1:]}
    _, sizes = sheet(tmp_path / "csdl_truong_hoc_2024-2025.xlsx", "Học sinh")
    assert sizes[0] == ENROLMENT_COLUMNS and len(sizes) == len(rows)
    for _, year, classes, pupils, girls, teachers in sizes[1:]:
        assert year == "2024-2025" and 0 < classes <= pupils and girls <= pupils and teachers >= classes


def test_schools_stand_in_the_communes_of_their_school_year(tmp_path: Path) -> None:
    EducationDrop(CONFIG, tmp_path).deliver()
    old_codes = {c.code for c in pre_2025_units("80")[1]}
    new_codes = {code for code, _ in post_2025_communes("80")}
    _, before = sheet(tmp_path / "csdl_truong_hoc_2024-2025.xlsx", "Trường học")
    _, after = sheet(tmp_path / "csdl_truong_hoc_2025-2026.xlsx", "Trường học")
    assert {r[4] for r in before[1:]} <= old_codes
    assert {r[4] for r in after[1:]} <= new_codes
    codes = [s.code for s in schools("long-an")]
    assert len(codes) == len(set(codes)) and all(len(c) == 8 and c.startswith("80") for c in codes)


def test_school_years_follow_the_plan() -> None:
    assert school_years(EducationSimConfig(start=date(2016, 1, 1), as_of=datetime(2026, 11, 1))) == list(
        range(2016, 2027))
    assert school_years(EducationSimConfig(start=date(2016, 10, 1), as_of=datetime(2026, 9, 1))) == list(
        range(2017, 2026))


def test_sizes_are_stable_and_plausible() -> None:
    school = schools("long-an")[0]
    assert enrolment(school, 2024, 1) == enrolment(school, 2024, 1)
    assert enrolment(school, 2024, 1) != enrolment(school, 2025, 1)


def test_the_report_layout_is_real_excel(tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    path.write_bytes(EducationDrop(CONFIG, tmp_path).render(2025, EducationFaults(merged_header=True,
                                                                                   title_block=True)))
    workbook, rows = sheet(path, "Học sinh")
    merged = {str(r) for r in workbook["Học sinh"].merged_cells.ranges}
    assert {"A1:F1", "A5:A6", "D5:E5", "F5:F6"} <= merged
    assert rows[0][0].startswith("SỞ GIÁO DỤC VÀ ĐÀO TẠO LONG AN") and rows[3] == (None,) * 6
    assert rows[4] == ("Mã trường", "Năm học", "Số lớp", "Học sinh", None, "Số giáo viên")
    assert rows[5] == (None, None, None, "Tổng số", "Trong đó nữ", None)
    assert rows[6][1] == "2025-2026"


def test_drift_nfd_and_malformed_cells(tmp_path: Path) -> None:
    drop = EducationDrop(CONFIG, tmp_path)
    path = tmp_path / "x.xlsx"
    path.write_bytes(drop.render(2025, EducationFaults(drift=True)))
    _, rows = sheet(path, "Trường học")
    assert "Loại hình trường" in rows[0] and "Số điện thoại" in rows[0] and "Địa chỉ" not in rows[0]
    path.write_bytes(drop.render(2024, EducationFaults(nfd=True)))
    _, rows = sheet(path, "Trường học")
    assert all(unicodedata.is_normalized("NFD", v) for r in rows for v in r if isinstance(v, str))
    assert any(not unicodedata.is_normalized("NFC", r[1]) for r in rows[1:])
    path.write_bytes(drop.render(2024, EducationFaults(malformed_rate=0.1)))
    _, rows = sheet(path, "Học sinh")
    values = {v for r in rows for v in r}
    assert {"khoảng 300", "#N/A"} & values and any(isinstance(v, int) and v < 0 for v in values)


def test_faults_parse_from_text() -> None:
    assert EducationFaults.parse("merged_header,malformed_rate=0.02") == EducationFaults(merged_header=True,
                                                                                         malformed_rate=0.02)
    with pytest.raises(ValueError, match="unknown education fault"):
        EducationFaults.parse("flood")


def test_start_gives_the_drop_folder_as_location(tmp_path: Path) -> None:
    running = start(SimulationPlan(province="vinh-long", start=date(2025, 1, 1), as_of=datetime(2025, 10, 1)),
                    tmp_path)
    assert running.name == "education" and Path(running.location) == tmp_path / "drop"
    assert [p.name for p in Path(running.location).iterdir()] == ["csdl_truong_hoc_2025-2026.xlsx"]
    assert SIMULATOR_MODULES["education"] == "simulators.education.drop"
