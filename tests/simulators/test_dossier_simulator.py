"""The dossier simulator: deterministic, real code formats, and every record served exactly once."""

from __future__ import annotations

import json
import re
import urllib.request
from itertools import islice

from ingest.contract import AGENCY_CODE_RE
from ingest.dossier.contract import DOSSIER_CODE
from simulators.dossier.generate import DossierSimConfig, generate
from simulators.dossier.server import DOSSIERS_PATH, DossierSimulator
from tests.conftest import TEST_SIM, served_dossiers


def test_the_same_configuration_yields_the_same_records() -> None:
    config = DossierSimConfig(dossiers=500, seed=3)
    assert list(generate(config)) == list(generate(config))
    assert list(generate(config)) != list(generate(DossierSimConfig(dossiers=500, seed=4)))


def test_codes_follow_the_national_formats() -> None:
    for record in islice(generate(DossierSimConfig(dossiers=2000)), 2000):
        assert re.fullmatch(DOSSIER_CODE, record["MaHoSo"])
        assert AGENCY_CODE_RE.fullmatch(record["MaCoQuanTiepNhan"])
        assert record["MaHoSo"].startswith(record["MaCoQuanTiepNhan"] + "-" + record["NgayTiepNhan"][2:8])
        assert record["NgayTiepNhan"] <= (record["NgayKetThucXuLy"] or "99999999999999")


def test_every_record_is_served_once_across_pages(dossier_simulator: DossierSimulator) -> None:
    codes = [r["MaHoSo"] for r in served_dossiers(dossier_simulator)]
    assert len(codes) == len(set(codes)) == TEST_SIM.dossiers


def test_updated_since_returns_only_later_changes(dossier_simulator: DossierSimulator) -> None:
    url = f"{dossier_simulator.url}{DOSSIERS_PATH}?page_size=5000&updated_since=20250601000000"
    with urllib.request.urlopen(url) as response:
        records = json.load(response)["data"]
    assert records and all(r["NgayCapNhat"] >= "20250601000000" for r in records)
    assert len(records) < TEST_SIM.dossiers
