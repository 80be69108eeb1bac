"""Publish open marts as files anyone can download: CSV (UTF-8), Parquet and a Frictionless data package."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from kho import __version__
from kho.settings import Settings
from kho.warehouse import Warehouse

OPEN_SCHEMA = "marts"
BATCH_ROWS = 10_000


class PublishError(RuntimeError):
    pass


@dataclass
class Column:
    name: str
    data_type: str
    description: str = ""

    @property
    def frictionless_type(self) -> str:
        kind = self.data_type.split("(")[0].strip().lower()
        return {"date": "date", "text": "string", "integer": "integer", "bigint": "integer", "smallint": "integer",
                "numeric": "number", "boolean": "boolean", "timestamptz": "datetime",
                "timestamp with time zone": "datetime"}.get(kind, "string")

    @property
    def arrow_type(self) -> pa.DataType:
        kind = self.data_type.split("(")[0].strip().lower()
        if kind == "numeric":
            match = re.search(r"\((\d+)\s*,\s*(\d+)\)", self.data_type)
            return pa.decimal128(int(match[1]), int(match[2])) if match else pa.float64()
        return {"date": pa.date32(), "integer": pa.int32(), "smallint": pa.int16(), "bigint": pa.int64(),
                "boolean": pa.bool_(), "timestamptz": pa.timestamp("us", tz="UTC")}.get(kind, pa.string())


@dataclass
class Dataset:
    name: str  # the open_* model
    description: str
    meta: dict[str, Any]
    columns: list[Column]
    key: list[str] = field(default_factory=list)  # the model's unique_combination_of_columns test, if it has one

    @property
    def slug(self) -> str:
        return self.name.removeprefix("open_").replace("_", "-")


@dataclass
class PublishResult:
    folder: Path
    datasets: dict[str, int] = field(default_factory=dict)  # name → rows
    files: list[Path] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"folder": str(self.folder), "datasets": self.datasets, "files": [str(f) for f in self.files],
                "seconds": round(self.seconds, 3)}


def open_datasets(settings: Settings) -> list[Dataset]:
    """Every open_* model, described by the dbt project (the one place metadata is written)."""
    manifest_path = settings.home / "dbt" / "target" / "manifest.json"
    if not manifest_path.exists():
        raise PublishError(f"no dbt manifest at {manifest_path}: run `kho build` before publishing")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    keys = {}
    for node in manifest["nodes"].values():
        test = node.get("test_metadata") or {}
        if node["resource_type"] == "test" and test.get("name") == "unique_combination_of_columns":
            keys[node.get("attached_node")] = list(test["kwargs"]["combination_of_columns"])
    datasets = []
    for uid, node in manifest["nodes"].items():
        if node["resource_type"] == "model" and node["name"].startswith("open_"):
            columns = [Column(c["name"], c.get("data_type") or "text", c.get("description", ""))
                       for c in node["columns"].values()]
            datasets.append(Dataset(node["name"], " ".join(node["description"].split()), node.get("meta", {}),
                                    columns, keys.get(uid, [])))
    return sorted(datasets, key=lambda d: d.name)


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime | Decimal):
        return value.isoformat() if not isinstance(value, Decimal) else str(value)
    return str(value)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_dataset(warehouse: Warehouse, dataset: Dataset, folder: Path) -> tuple[int, list[Path]]:
    """Stream one open mart into CSV and Parquet in `folder`, then describe both in datapackage.json."""
    folder.mkdir(parents=True, exist_ok=False)
    names = [c.name for c in dataset.columns]
    csv_path, parquet_path = folder / f"{dataset.slug}.csv", folder / f"{dataset.slug}.parquet"
    schema = pa.schema([(c.name, c.arrow_type) for c in dataset.columns])
    key = dataset.key or names[:1]
    rows = 0
    with warehouse.connect() as conn, conn.cursor(name=f"publish_{dataset.name}") as cursor, \
            csv_path.open("w", encoding="utf-8", newline="") as csv_file, \
            pq.ParquetWriter(parquet_path, schema) as parquet:
        cursor.itersize = BATCH_ROWS
        cursor.execute(f"select {', '.join(names)} from {OPEN_SCHEMA}.{dataset.name} order by {', '.join(key)}")
        writer = csv.writer(csv_file, lineterminator="\n")
        writer.writerow(names)
        while batch := cursor.fetchmany(BATCH_ROWS):
            writer.writerows([_csv_value(v) for v in row] for row in batch)
            parquet.write_batch(pa.RecordBatch.from_pylist([dict(zip(names, row, strict=True)) for row in batch],
                                                           schema=schema))
            rows += len(batch)
    fields = [{"name": c.name, "type": c.frictionless_type, "description": c.description} for c in dataset.columns]
    for f in fields:
        if f["type"] == "boolean":
            f.update(trueValues=["true"], falseValues=["false"])
    table_schema = {"fields": fields, "primaryKey": key, "missingValues": [""]}
    meta = dataset.meta
    package = {
        "name": dataset.slug,
        "title": meta.get("title_vi") or dataset.name,
        "description": dataset.description,
        "version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "licenses": [{"name": meta.get("licence", "CC-BY-4.0"),
                      "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "sources": [{"title": "Kho — kho cơ sở dữ liệu dùng chung của tỉnh"}],
        "resources": [
            {"name": f"{dataset.slug}-csv", "path": csv_path.name, "format": "csv", "mediatype": "text/csv",
             "encoding": "utf-8", "schema": table_schema, "hash": f"sha256:{_sha256(csv_path)}"},
            # A file resource, not a table: frictionless reads Parquet through pandas, which turns a nullable
            # integer column into floats and then rejects it. Parquet carries its own typed schema; the
            # hash is checked here, and tests/kho/test_publish.py checks the columns against the CSV.
            {"name": f"{dataset.slug}-parquet", "type": "file", "path": parquet_path.name, "format": "parquet",
             "mediatype": "application/vnd.apache.parquet", "hash": f"sha256:{_sha256(parquet_path)}"},
        ],
    }
    if meta.get("title_en"):
        package["title_en"] = meta["title_en"]
    package_path = folder / "datapackage.json"
    package_path.write_text(json.dumps(package, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return rows, [csv_path, parquet_path, package_path]


def validate_package(package_path: Path) -> None:
    from frictionless import validate  # heavy: imported only when publishing

    report = validate(str(package_path))
    if not report.valid:
        errors = report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]
        raise PublishError(f"{package_path} does not validate: {errors}")


def publish(settings: Settings, warehouse: Warehouse) -> PublishResult:
    """Write every open dataset as a new immutable version, check it, then point `latest` at it.

    `latest` is a symbolic link replaced by one rename, so a reader sees the previous version or the new
    one, never a mixture; a failure before the switch leaves the previous version served."""
    started = time.perf_counter()
    root = settings.open_data_dir
    version = "v" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    result = PublishResult(root)
    staged: list[tuple[Path, Path]] = []
    try:
        for dataset in open_datasets(settings):
            staging = root / dataset.slug / f".staging-{version}"
            rows, files = write_dataset(warehouse, dataset, staging)
            validate_package(staging / "datapackage.json")
            result.datasets[dataset.name] = rows
            staged.append((staging, root / dataset.slug / version))
            result.files.extend(root / dataset.slug / "latest" / f.name for f in files)
    except BaseException:
        for staging, _ in staged:
            shutil.rmtree(staging, ignore_errors=True)
        for leftover in root.glob(f"*/.staging-{version}"):
            shutil.rmtree(leftover, ignore_errors=True)
        raise
    for staging, final in staged:
        staging.rename(final)
        link = final.parent / f".latest-{version}"
        link.symlink_to(final.name)
        os.replace(link, final.parent / "latest")
    result.seconds = time.perf_counter() - started
    return result


def latest_folder(settings: Settings, dataset_slug: str) -> Path:
    return settings.open_data_dir / dataset_slug / "latest"
