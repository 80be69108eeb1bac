"""The simulated health export: deterministic files, real communes on both sides of 1 July 2025, each fault as
a real sender commits it (read back without Kho's code where it matters)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

import pytest

from ingest.vietnamese_encodings import TCVN3, VNI, decode
from kho.simulation import SIMULATOR_MODULES
from simulators.base import SimulationPlan
from simulators.health.drop import COLUMNS, HealthDrop, HealthFaults, config_from, start
from simulators.health.facilities import facilities, facilities_on, station_name, successor_commune
from simulators.health.generate import HealthSimConfig, report_days
from simulators.reference import post_2025_communes, pre_2025_units

CONFIG = HealthSimConfig(province="long-an", start=date(2025, 6, 29), as_of=datetime(2025, 7, 3), seed=5)


def rows_of(data: bytes, encoding: str = "utf-8") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding), newline="")))


def test_the_same_seed_writes_the_same_bytes(tmp_path: Path) -> None:
    first, second = HealthDrop(CONFIG, tmp_path / "a"), HealthDrop(CONFIG, tmp_path / "b")
    assert len(first.deliver()) == 4
    second.deliver()
    for path in (tmp_path / "a").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes()
    assert first.deliver() == []  # nothing changed: nothing rewritten
    other = HealthDrop(HealthSimConfig(**{**CONFIG.__dict__, "seed": 6}), tmp_path / "c")
    assert other.render(date(2025, 7, 1)) != first.render(date(2025, 7, 1))


def test_a_file_is_a_days_visits_with_vietnamese_headers(tmp_path: Path) -> None:
    drop = HealthDrop(CONFIG, tmp_path)
    data = drop.render(date(2025, 6, 30))
    assert data.endswith(b"\r\n") and not data.startswith(b"\xef\xbb\xbf")
    header, *rows = rows_of(data)
    assert tuple(header) == COLUMNS
    assert {r[4] for r in rows} == {"30/06/2025"}
    keys = [(r[0], r[5], r[6]) for r in rows]
    assert len(keys) == len(set(keys))
    assert all(int(r[8]) <= int(r[7]) and int(r[9]) <= int(r[7]) for r in rows)


def test_stations_follow_the_communes_of_their_day(tmp_path: Path) -> None:
    _, old_communes = pre_2025_units("80")
    new_communes = post_2025_communes("80")
    before = facilities_on("long-an", date(2025, 6, 30))
    after = facilities_on("long-an", date(2025, 7, 1))
    old_codes = {c.code for c in old_communes}
    new_codes = {code for code, _ in new_communes}
    assert {f.commune_code for f in before} <= old_codes
    assert {f.commune_code for f in after} <= new_codes
    assert {f.name for f in after if f.level == "Xã"} == {station_name(name) for _, name in new_communes}
    assert "Trạm Y tế xã Mỹ Yên" in {f.name for f in before}
    # A facility code never means two facilities at once.
    for day in (date(2025, 6, 30), date(2025, 7, 1)):
        codes = [f.code for f in facilities_on("long-an", day)]
        assert len(codes) == len(set(codes))
    assert any(f.name.startswith("Trung tâm Y tế khu vực") for f in after)
    # Every old commune has a successor among the new ones, even where the crosswalk names the wrong province.
    assert set(successor_commune("80")) == old_codes and set(successor_commune("80").values()) <= new_codes
    assert all(f.valid_to is None or f.valid_to < date(2025, 7, 1) for f in facilities("long-an"))


def test_days_scale_with_the_plan_and_keep_the_reorganisation() -> None:
    small = config_from(SimulationPlan(scale=20_000, as_of=datetime(2026, 1, 1)))
    big = config_from(SimulationPlan(scale=200_000, as_of=datetime(2026, 1, 1)))
    assert len(report_days(small)) < len(report_days(big))
    days = report_days(small)
    assert days[0] == date(2016, 1, 1) and days[-1] == date(2025, 12, 31)
    assert {date(2025, 6, 30), date(2025, 7, 1)} <= set(days)
    assert len(report_days(HealthSimConfig(start=date(2025, 1, 1), as_of=datetime(2025, 2, 1)))) == 31


def test_legacy_encodings_are_what_old_office_pcs_write(tmp_path: Path) -> None:
    drop = HealthDrop(CONFIG, tmp_path)
    clean = drop.render(date(2025, 6, 30))
    for fault, encoding in (("tcvn3", TCVN3), ("vni", VNI)):
        data = drop.render(date(2025, 6, 30), HealthFaults(**{fault: True}))
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        assert decode(data, encoding) == clean.decode("utf-8")
    assert b"Tr\xb9m Y t\xd5" in drop.render(date(2025, 6, 30), HealthFaults(tcvn3=True))
    assert b"Tra\xefm Y te\xe1" in drop.render(date(2025, 6, 30), HealthFaults(vni=True))


def test_each_fault_as_a_sender_commits_it(tmp_path: Path) -> None:
    drop = HealthDrop(CONFIG, tmp_path)
    assert drop.render(date(2025, 6, 30), HealthFaults(bom=True)).startswith(b"\xef\xbb\xbf")
    nfd = drop.render(date(2025, 6, 30), HealthFaults(nfd=True)).decode()
    assert "Trạm" not in nfd and "Tra\u0323m" in nfd
    cut = drop.render(date(2025, 7, 2), HealthFaults(truncated=True))
    assert not cut.endswith((b"\n", b"\r")) and len(cut) < len(drop.render(date(2025, 7, 2)))
    drifted = rows_of(drop.render(date(2025, 7, 1), HealthFaults(drift=True)))[0]
    assert "Số lượt KCB BHYT" in drifted and "Ghi chú" in drifted and "Số lượt chuyển tuyến" not in drifted
    with pytest.raises(UnicodeDecodeError):
        drop.render(date(2025, 6, 30), HealthFaults(unknown_encoding=True)).decode("utf-8")
    wrong = rows_of(drop.render(date(2025, 6, 30), HealthFaults(corrected=True)))
    assert len(wrong) == len(rows_of(drop.render(date(2025, 6, 30)))) + 1
    written = drop.deliver(HealthFaults(duplicate=True))
    copy = tmp_path / "kcb_20250630_gui_lai.csv"
    assert copy in written and copy.read_bytes() == (tmp_path / "kcb_20250630.csv").read_bytes()
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_malformed_rows_break_in_the_ways_exports_do(tmp_path: Path) -> None:
    data = HealthDrop(CONFIG, tmp_path).render(date(2025, 6, 30), HealthFaults(malformed_rate=0.2)).decode()
    rows = rows_of(data.encode())
    assert any(len(r) == len(COLUMNS) + 1 for r in rows)  # a comma inside an unquoted name
    assert any(r[4] == "31/02/2025" for r in rows if len(r) == len(COLUMNS))
    assert any(r[7] == "mười hai" for r in rows if len(r) == len(COLUMNS))


def test_faults_parse_from_text() -> None:
    assert HealthFaults.parse("truncated, vni,malformed_rate=0.01") == HealthFaults(truncated=True, vni=True,
                                                                                    malformed_rate=0.01)
    with pytest.raises(ValueError, match="unknown health fault"):
        HealthFaults.parse("sunspots")


def test_start_gives_the_drop_folder_as_location(tmp_path: Path) -> None:
    plan = SimulationPlan(scale=14_000, start=date(2025, 6, 1), as_of=datetime(2025, 7, 3))
    running = start(plan, tmp_path)
    assert running.name == "health" and Path(running.location) == tmp_path / "drop"
    assert len(list(Path(running.location).glob("kcb_*.csv"))) == 14 + 1  # and 30 June / 1 July
    assert SIMULATOR_MODULES["health"] == "simulators.health.drop"
    running.stop()
