"""Published files: a data package frictionless accepts, Parquet that says what the CSV says, no personal data."""

from __future__ import annotations

import csv
import hashlib
import json

import pyarrow.parquet as pq
from frictionless import validate

from kho.pipeline import run_pipeline
from kho.settings import Settings
from simulators.dossier.server import DossierSimulator
from tests.conftest import served_dossiers


def test_published_dataset_validates_and_its_formats_agree(settings: Settings,
                                                           dossier_simulator: DossierSimulator) -> None:
    assert run_pipeline(settings).success
    folder = settings.open_data_dir / "dossier-kpis-monthly" / "latest"

    report = validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]

    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    for resource in package["resources"]:
        digest = hashlib.sha256((folder / resource["path"]).read_bytes()).hexdigest()
        assert resource["hash"] == f"sha256:{digest}"
    with (folder / "dossier-kpis-monthly.csv").open(encoding="utf-8-sig", newline="") as handle:
        csv_rows = list(csv.DictReader(handle))
    table = pq.read_table(folder / "dossier-kpis-monthly.parquet")
    assert table.column_names == list(csv_rows[0])
    assert [f["name"] for f in package["resources"][0]["schema"]["fields"]] == table.column_names
    for csv_row, parquet_row in zip(csv_rows, table.to_pylist(), strict=True):
        as_text = {k: ("" if v is None else str(v).lower() if isinstance(v, bool) else str(v))
                   for k, v in parquet_row.items()}
        assert as_text == csv_row

    # Vietnamese stays intact, and nothing of the applicants leaves the warehouse.
    text = (folder / "dossier-kpis-monthly.csv").read_text(encoding="utf-8-sig")
    assert "Sở Tư pháp Long An" in text
    records = served_dossiers(dossier_simulator)
    for record in records[:500]:
        assert record["ChuHoSo"] not in text
        if record["SoDinhDanh"]:
            assert record["SoDinhDanh"] not in text
