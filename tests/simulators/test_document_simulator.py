"""The document simulator: deterministic, real formats, numbers restarting each year, agencies only in their
own periods, and the published shares of electronic exchange, e-signing and online work files."""

from __future__ import annotations

import json
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, datetime, time
from itertools import islice
from pathlib import Path

import pytest

from ingest.document.contract import AGENCIES, EXCHANGE_EVENTS, INCOMING_DOCUMENTS, OUTGOING_DOCUMENTS
from kho.simulation import SIMULATOR_MODULES
from simulators.base import SimulationPlan
from simulators.document.generate import (
    ELECTRONIC,
    ONLINE_WORK_FILES,
    SIGNED,
    DocumentSimConfig,
    agency_records,
    event_records,
    incoming_records,
    outgoing_records,
    share,
)
from simulators.document.server import (
    AGENCIES_PATH,
    EVENTS_PATH,
    INCOMING_PATH,
    OUTGOING_PATH,
    DocumentSimulator,
    build_stores,
    start,
)
from simulators.document.vocabulary import OTHER_REGISTER, REGISTERS
from simulators.provinces import REORGANISATION, agencies

SMALL = DocumentSimConfig(documents=600, start=date(2016, 1, 1), as_of=datetime(2026, 3, 1, 8, 0), seed=5)
# Large enough that each (year, level) holds a few hundred documents; generated, not served.
CALIBRATION = DocumentSimConfig(documents=12_000, start=date(2016, 1, 1), as_of=datetime(2026, 1, 1), seed=9)
LEVEL_OF = {"Cấp Tỉnh": "province", "Cấp Huyện": "district", "Cấp Xã": "commune"}


@pytest.fixture(scope="module")
def small() -> dict[str, list[dict]]:
    return {"agencies": list(agency_records(SMALL)), "outgoing": list(outgoing_records(SMALL)),
            "incoming": list(incoming_records(SMALL)), "events": list(event_records(SMALL))}


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocumentSimulator]:
    running = DocumentSimulator(build_stores(SMALL, tmp_path_factory.mktemp("document")))
    running.start()
    yield running
    running.stop()


def served(simulator: DocumentSimulator, path: str, query: str = "") -> list[dict]:
    """Every record of a collection, read over HTTP without any of Kho's code."""
    records, url = [], f"{simulator.url}{path}?page_size=500{query}"
    while url:
        with urllib.request.urlopen(url) as response:
            page = json.load(response)
        records.extend(page["data"])
        url = page["next"]
    return records


def test_the_same_configuration_yields_the_same_records() -> None:
    config = DocumentSimConfig(documents=300, seed=3)
    for records in (outgoing_records, incoming_records, event_records):
        assert list(records(config)) == list(records(config))
    other = DocumentSimConfig(documents=300, seed=4)
    assert list(islice(outgoing_records(config), 50)) != list(islice(outgoing_records(other), 50))


def test_every_record_meets_its_contract(small: dict[str, list[dict]]) -> None:
    for contract, name in ((AGENCIES, "agencies"), (OUTGOING_DOCUMENTS, "outgoing"),
                           (INCOMING_DOCUMENTS, "incoming"), (EXCHANGE_EVENTS, "events")):
        for record in small[name]:
            contract.validate(record)  # raises Invalid with the reason
        assert small[name], name


def test_document_ids_and_numbers_follow_edxml_and_decree_30(small: dict[str, list[dict]]) -> None:
    for doc in small["outgoing"]:
        issued = date.fromisoformat(doc["NgayBanHanh"])
        assert doc["SoKyHieu"] == f"{doc['SoVanBan']:02d}/{doc['KyHieu']}"
        assert doc["MaVanBan"] == f"{doc['MaDinhDanhNoiBanHanh']},{issued:%Y/%m/%d},{doc['SoKyHieu']}"
        if doc["MaLoaiVanBan"] == "CV":  # a công văn names the issuer, then the drafting unit
            assert not doc["KyHieu"].startswith("CV")
        else:
            assert doc["KyHieu"].startswith(doc["MaLoaiVanBan"] + "-")
        assert doc["NgayCapNhat"] >= doc["NgayBanHanh"]
    outgoing = {d["MaVanBan"]: d for d in small["outgoing"]}
    for record in small["incoming"]:
        assert record["MaVanBan"] in outgoing
        assert record["MaVanBanDen"] == f"{record['MaDinhDanhNoiNhan']},{record['NgayDen'][:10].replace('-', '/')}," \
                                        f"{record['SoDen']}"
        sent = outgoing[record["MaVanBan"]]
        assert record["MaDinhDanhNoiNhan"] in {r["MaDinhDanh"] for r in sent["NoiNhan"]}
        assert record["NhanDienTu"] == sent["GuiDienTu"]
    for event in small["events"]:
        assert outgoing[event["MaVanBan"]]["GuiDienTu"], "only documents sent over the axis have status messages"
    assert len({e["MaSuKien"] for e in small["events"]}) == len(small["events"])


def test_numbers_restart_each_year_and_follow_the_order_of_issue(small: dict[str, list[dict]]) -> None:
    series: dict[tuple, list[tuple[str, int]]] = defaultdict(list)
    for doc in small["outgoing"]:
        register = REGISTERS.get(doc["MaLoaiVanBan"], OTHER_REGISTER)
        series[(doc["MaDinhDanhNoiBanHanh"], doc["NgayBanHanh"][:4], register)].append(
            (doc["MaVanBan"].split(",")[1], doc["SoVanBan"]))
    years_starting_at_one = Counter()
    for (agency, year, _), numbers in series.items():
        in_order = sorted(numbers)
        assert [n for _, n in in_order] == list(range(1, len(numbers) + 1)), (agency, year)
        years_starting_at_one[agency] += 1
    assert max(years_starting_at_one.values()) >= 8  # the busiest agencies start again at 01 every year

    arrivals: dict[tuple, list[tuple[str, int]]] = defaultdict(list)
    for record in small["incoming"]:
        arrivals[(record["MaDinhDanhNoiNhan"], record["NgayDen"][:4])].append((record["NgayDen"], record["SoDen"]))
    for key, numbers in arrivals.items():
        assert [n for _, n in sorted(numbers)] == list(range(1, len(numbers) + 1)), key


def _active(code: str, day: date) -> bool:
    return any(a.agency_code == code and a.active_on(day) for a in agencies("long-an"))


def test_agencies_act_only_within_their_validity(small: dict[str, list[dict]]) -> None:
    for doc in small["outgoing"]:
        issued = date.fromisoformat(doc["NgayBanHanh"])
        assert _active(doc["MaDinhDanhNoiBanHanh"], issued)
        assert all(_active(r["MaDinhDanh"], issued) for r in doc["NoiNhan"])
        assert (doc["CapBanHanh"] == "Cấp Huyện") <= (issued < REORGANISATION)
    for record in small["incoming"]:
        assert _active(record["MaDinhDanhNoiNhan"], datetime.fromisoformat(record["NgayDen"]).date())
    for event in small["events"]:
        assert _active(event["MaDinhDanhNoiNhan"], datetime.fromisoformat(event["ThoiGian"]).date())
    levels_by_period = {(LEVEL_OF[d["CapBanHanh"]], d["NgayBanHanh"] >= REORGANISATION.isoformat())
                        for d in small["outgoing"]}
    assert levels_by_period == {("province", False), ("district", False), ("commune", False),
                                ("province", True), ("commune", True)}


def test_the_agency_directory_keeps_every_period(small: dict[str, list[dict]]) -> None:
    records = small["agencies"]
    assert len(records) == len(agencies("long-an"))
    ended = [r for r in records if r["HieuLucDenNgay"]]
    assert ended and all(r["HieuLucDenNgay"] == "2025-06-30" for r in ended)
    assert {r["CapCoQuan"] for r in records if r["HieuLucTuNgay"] == REORGANISATION.isoformat()} == {
        "Cấp Tỉnh", "Cấp Xã"}


def test_vinh_long_reuses_identifiers_yet_every_key_is_unique() -> None:
    """Vĩnh Long's departments keep their identifiers on 1 July 2025 but are new agencies: their numbers restart
    at 01 that day, so only the DocumentId (which carries the date) and the agency's period tell them apart."""
    config = DocumentSimConfig(province="vinh-long", documents=800, start=date(2025, 1, 1),
                               as_of=datetime(2025, 12, 1), seed=2)
    for records, key in ((agency_records, "MaBanGhi"), (outgoing_records, "MaVanBan"),
                         (incoming_records, "MaVanBanDen"), (event_records, "MaSuKien")):
        keys = [r[key] for r in records(config)]
        assert len(keys) == len(set(keys)), key
    restarted = [d for d in outgoing_records(config)
                 if d["NgayBanHanh"] >= REORGANISATION.isoformat() and d["SoVanBan"] == 1]
    assert any(d["MaDinhDanhNoiBanHanh"] == "000.00.00.H62" for d in restarted)


def test_the_yearly_shares_follow_the_published_figures() -> None:
    counts: dict[tuple, Counter] = defaultdict(Counter)
    for doc in outgoing_records(CALIBRATION):
        stratum = (int(doc["NgayBanHanh"][:4]), LEVEL_OF[doc["CapBanHanh"]])
        counts[stratum].update(n=1, electronic=doc["GuiDienTu"], signed=doc["KySo"])
    for (year, level), c in counts.items():
        tolerance = 0.01 + 3 / c["n"]
        assert abs(c["electronic"] / c["n"] - share(ELECTRONIC[level], year)) <= tolerance, (year, level)
        assert abs(c["signed"] / c["n"] - share(SIGNED[level], year)) <= tolerance, (year, level)

    def overall(year: int, what: str) -> float:
        strata = [c for (y, _), c in counts.items() if y == year]
        return sum(c[what] for c in strata) / sum(c["n"] for c in strata)

    # Long An: ~50% electronic in 2016; 122,147 of 127,780 (95.6%) in 2020; 100% province and district in 2024.
    assert abs(overall(2016, "electronic") - 0.50) < 0.02
    assert abs(overall(2020, "electronic") - 122_147 / 127_780) < 0.01
    assert counts[(2024, "province")]["electronic"] == counts[(2024, "province")]["n"]
    assert counts[(2024, "district")]["electronic"] == counts[(2024, "district")]["n"]
    assert abs(counts[(2020, "commune")]["signed"] / counts[(2020, "commune")]["n"] - 0.78) < 0.02

    online: dict[tuple, Counter] = defaultdict(Counter)
    level_of = {(a.agency_code, a.valid_from): a.level for a in agencies("long-an")}
    current = {code: level for (code, _), level in level_of.items()}  # Long An reuses no identifier
    for record in incoming_records(CALIBRATION):
        stratum = (int(record["NgayDen"][:4]), current[record["MaDinhDanhNoiNhan"]])
        online[stratum].update(n=1, online=record["XuLyTrenMoiTruongMang"])
    # 2024: work files processed online — departments 92%, districts 97%, communes 99%.
    for level, published in (("province", 0.92), ("district", 0.97), ("commune", 0.99)):
        c = online[(2024, level)]
        assert abs(c["online"] / c["n"] - published) <= 0.01 + 3 / c["n"], level
    for (year, level), c in online.items():
        assert abs(c["online"] / c["n"] - share(ONLINE_WORK_FILES[level], year)) <= 0.01 + 3 / c["n"]


def test_every_record_is_served_once_across_pages(simulator: DocumentSimulator,
                                                  small: dict[str, list[dict]]) -> None:
    for path, name, key in ((AGENCIES_PATH, "agencies", "MaBanGhi"), (OUTGOING_PATH, "outgoing", "MaVanBan"),
                            (INCOMING_PATH, "incoming", "MaVanBanDen"), (EVENTS_PATH, "events", "MaSuKien")):
        keys = [r[key] for r in served(simulator, path)]
        assert len(keys) == len(set(keys)) == len(small[name]), name


def test_updated_since_returns_only_later_changes(simulator: DocumentSimulator) -> None:
    since = "2025-06-01T00:00:00+07:00"
    for query in ("&updated_since=2025-06-01T00%3A00%3A00%2B07%3A00", "&updated_since=20250601000000"):
        records = served(simulator, OUTGOING_PATH, query)
        assert records and all(r["NgayCapNhat"] >= since for r in records)
        assert len(records) < SMALL.documents


def test_start_serves_the_plan_and_is_registered(tmp_path: Path) -> None:
    assert SIMULATOR_MODULES["document"] == "simulators.document.server"
    plan = SimulationPlan(scale=500, start=date(2024, 1, 1), as_of=datetime.combine(date(2025, 12, 1), time()))
    running = start(plan, tmp_path)
    try:
        assert running.name == "document"
        with urllib.request.urlopen(f"{running.location}{OUTGOING_PATH}?page_size=5000") as response:
            assert len(json.load(response)["data"]) == 200  # 0.4 outgoing documents per dossier
    finally:
        running.stop()
