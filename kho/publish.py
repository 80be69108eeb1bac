"""Publish open marts as files anyone can download: CSV (UTF-8 with BOM), Parquet, JSON, a Frictionless data
package and SHA256SUMS per immutable, semantically versioned folder; then the DCAT catalog and the portal."""

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
from kho.dictionary import write_dictionary
from kho.settings import Settings
from kho.transform import target_dir
from kho.warehouse import Warehouse

OPEN_SCHEMA = "marts"
BATCH_ROWS = 10_000
# `meta.licence` holds an SPDX identifier; the data package and the catalog need its title and URL. A licence not
# listed here stops publication rather than be published with a wrong or missing URL.
LICENCES = {
    "CC-BY-4.0": ("Creative Commons Attribution 4.0 International", "https://creativecommons.org/licenses/by/4.0/"),
    "CC-BY-SA-4.0": ("Creative Commons Attribution-ShareAlike 4.0 International",
                     "https://creativecommons.org/licenses/by-sa/4.0/"),
    "CC0-1.0": ("Creative Commons Zero v1.0 Universal", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "ODC-BY-1.0": ("Open Data Commons Attribution License v1.0", "https://opendatacommons.org/licenses/by/1-0/"),
    "ODbL-1.0": ("Open Data Commons Open Database License v1.0", "https://opendatacommons.org/licenses/odbl/1-0/"),
    "PDDL-1.0": ("Open Data Commons Public Domain Dedication and License v1.0",
                 "https://opendatacommons.org/licenses/pddl/1-0/"),
}
# The period a dataset covers comes from its time column, named by the house style: `month` (first day of the
# month), `year`, or `school_year` ("2024-2025", taken as 1 September to 31 August).
PERIOD_COLUMNS = ("month", "year", "school_year")


class PublishError(RuntimeError):
    pass


def _in_languages(description: str) -> tuple[str, str]:
    """A column description written `"English. | Tiếng Việt."` → (English, Vietnamese); "" for a missing half."""
    english, _, vietnamese = description.partition(" | ")
    return " ".join(english.split()), " ".join(vietnamese.split())


def _first_clause(text: str) -> str:
    """The name part of a dbt source description: up to the first `,` `:` `;` `|` or full stop outside
    parentheses ("The province's dossier system (one-stop shop and public-service portal), landed by …")."""
    depth = 0
    for index, char in enumerate(text):
        depth += (char == "(") - (char == ")")
        if depth == 0 and (char in ",:;|" or (char == "." and text[index + 1:index + 2] in (" ", ""))):
            return text[:index].strip()
    return text.strip()


@dataclass
class Column:
    name: str
    data_type: str
    description: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def description_en(self) -> str:
        return _in_languages(self.description)[0]

    @property
    def description_vi(self) -> str:
        return _in_languages(self.description)[1]

    def unit(self, key: list[str]) -> str:
        """`meta.unit` if the column says; otherwise the house naming: `_pct` %, `_vnd` VND, `_per_` a ratio, and
        any other integer that is not part of the key a count."""
        if self.meta.get("unit"):
            return str(self.meta["unit"])
        if self.name.endswith("_pct"):
            return "%"
        if self.name.endswith("_vnd"):
            return "VND"
        if "_per_" in self.name:
            return "ratio"
        if self.frictionless_type == "integer" and self.name not in key and self.name not in PERIOD_COLUMNS:
            return "count"
        return ""

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
    description: str  # the model's description (English)
    meta: dict[str, Any]
    columns: list[Column]
    key: list[str] = field(default_factory=list)  # the model's unique_combination_of_columns test, if it has one
    # The upstream systems, from the dbt lineage: {"name", "title", "owner", "tables"} per source() reached.
    sources: list[dict[str, Any]] = field(default_factory=list)
    # Columns its small_cells_suppressed test names as measures: each may be withheld (null, is_suppressed).
    measures: list[str] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return self.name.removeprefix("open_").replace("_", "-")

    @property
    def description_vi(self) -> str:
        return " ".join(str(self.meta.get("description_vi", "")).split())

    @property
    def licence(self) -> dict[str, str]:
        name = self.meta.get("licence", "CC-BY-4.0")
        if name not in LICENCES:
            raise PublishError(f"{self.name}: meta.licence {name!r} is not one Kho knows the URL of "
                               f"({', '.join(LICENCES)}); add it to kho.publish.LICENCES")
        title, url = LICENCES[name]
        return {"name": name, "title": title, "path": url}

    @property
    def period_column(self) -> str | None:
        names = [c.name for c in self.columns]
        return next((name for name in PERIOD_COLUMNS if name in names), None)

    def may_be_withheld(self, column: Column) -> bool:
        """A measure of the suppression test, or a rate or ratio of a dataset that has one (every rate built on
        a withheld count is withheld too: docs/kpis.md, "Small cells")."""
        if not self.measures or column.name in self.key or column.name == self.period_column:
            return False
        return column.name in self.measures or column.frictionless_type == "number"


@dataclass
class PublishResult:
    folder: Path
    datasets: dict[str, int] = field(default_factory=dict)  # name → rows
    files: list[Path] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)  # dataset folder → new version (unchanged ones absent)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"folder": str(self.folder), "datasets": self.datasets, "files": [str(f) for f in self.files],
                "versions": self.versions, "seconds": round(self.seconds, 3)}


def open_datasets(settings: Settings) -> list[Dataset]:
    """Every open_* model, described by the dbt project (the one place metadata is written)."""
    manifest_path = target_dir(settings) / "manifest.json"
    if not manifest_path.exists():
        raise PublishError(f"no dbt manifest at {manifest_path}: run `kho build` before publishing")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    keys, measures = {}, {}
    for node in manifest["nodes"].values():
        test = node.get("test_metadata") or {}
        if node["resource_type"] == "test" and test.get("name") == "unique_combination_of_columns":
            keys[node.get("attached_node")] = list(test["kwargs"]["combination_of_columns"])
        if node["resource_type"] == "test" and test.get("name") == "small_cells_suppressed":
            measures[node.get("attached_node")] = list(test["kwargs"].get("measures", []))
    datasets = []
    for uid, node in manifest["nodes"].items():
        if node["resource_type"] == "model" and node["name"].startswith("open_"):
            columns = [Column(c["name"], c.get("data_type") or "text", c.get("description", ""), c.get("meta") or {})
                       for c in node["columns"].values()]
            datasets.append(Dataset(node["name"], " ".join(node["description"].split()), node.get("meta", {}),
                                    columns, keys.get(uid, []), upstream_sources(manifest, uid),
                                    measures.get(uid, [])))
    for dataset in datasets:
        dataset.licence  # noqa: B018 -- an unknown licence stops publication before anything is written
    return sorted(datasets, key=lambda d: d.name)


def upstream_sources(manifest: dict[str, Any], unique_id: str) -> list[dict[str, Any]]:
    """The dbt sources a model is built from, through every model between (the manifest's parent map): one entry
    per source system, titled by its description's first clause unless its `meta.title` says."""
    parents = manifest.get("parent_map", {})
    seen, stack, found = set(), [unique_id], {}
    while stack:
        for parent in parents.get(stack.pop(), []):
            if parent in seen:
                continue
            seen.add(parent)
            if parent.startswith("source."):
                table = manifest["sources"][parent]
                meta = table.get("source_meta") or {}
                entry = found.setdefault(table["source_name"], {
                    "name": table["source_name"],
                    "title": meta.get("title") or _first_clause(" ".join(table.get("source_description", "").split()))
                    or table["source_name"],
                    "owner": meta.get("owner", ""), "tables": []})
                entry["tables"].append(table["name"])
            else:
                stack.append(parent)
    for entry in found.values():
        entry["tables"].sort()
    return [found[name] for name in sorted(found)]


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime | Decimal):
        return value.isoformat() if not isinstance(value, Decimal) else str(value)
    return str(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _as_floats(row: tuple, columns: set[int]) -> tuple:
    return tuple(float(v) if i in columns and v is not None else v for i, v in enumerate(row))


def write_dataset(warehouse: Warehouse, dataset: Dataset, folder: Path) -> tuple[int, list[Path]]:
    """Stream one open mart into CSV and Parquet in `folder`, then describe both in datapackage.json."""
    folder.mkdir(parents=True, exist_ok=False)
    names = [c.name for c in dataset.columns]
    csv_path, parquet_path = folder / f"{dataset.slug}.csv", folder / f"{dataset.slug}.parquet"
    json_path = folder / f"{dataset.slug}.json"
    schema = pa.schema([(c.name, c.arrow_type) for c in dataset.columns])
    key = dataset.key or names[:1]
    rows = 0
    # A numeric with no declared scale is a double in Parquet, and Arrow will not turn a Decimal into one itself.
    floats = {i for i, c in enumerate(dataset.columns) if c.arrow_type == pa.float64()}
    period_at = names.index(dataset.period_column) if dataset.period_column else None
    lowest = highest = None
    with warehouse.connect() as conn, conn.cursor(name=f"publish_{dataset.name}") as cursor, \
            csv_path.open("w", encoding="utf-8-sig", newline="") as csv_file, \
            json_path.open("w", encoding="utf-8") as json_file, \
            pq.ParquetWriter(parquet_path, schema) as parquet:
        cursor.itersize = BATCH_ROWS
        cursor.execute(f"select {', '.join(names)} from {OPEN_SCHEMA}.{dataset.name} order by {', '.join(key)}")
        writer = csv.writer(csv_file, lineterminator="\n")
        writer.writerow(names)
        json_file.write("[")
        while batch := cursor.fetchmany(BATCH_ROWS):
            writer.writerows([_csv_value(v) for v in row] for row in batch)
            json_file.write(("," if rows else "") + ",".join(
                json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False, default=_json_value)
                for row in batch))
            parquet.write_batch(pa.RecordBatch.from_pylist(
                [dict(zip(names, _as_floats(row, floats) if floats else row, strict=True)) for row in batch],
                schema=schema))
            if period_at is not None:
                values = [row[period_at] for row in batch if row[period_at] is not None]
                if values:
                    lowest = min(values) if lowest is None else min(lowest, *values)
                    highest = max(values) if highest is None else max(highest, *values)
            rows += len(batch)
        json_file.write("]\n")
    # Both languages in every descriptor: Vietnamese in the standard `title`, English beside it; a column's
    # `description` stays as the dbt project writes it, "English. | Tiếng Việt.".
    fields = []
    for c in dataset.columns:
        title_vi, title_en = c.description_vi.removesuffix("."), c.description_en.removesuffix(".")
        descriptor: dict[str, Any] = {"name": c.name, "title": title_vi or title_en or c.name,
                                      "title_en": title_en or c.name, "type": c.frictionless_type,
                                      "description": c.description, "sql_type": c.data_type}
        if c.unit(key):
            descriptor["unit"] = c.unit(key)
        descriptor["may_be_withheld"] = dataset.may_be_withheld(c)
        if c.frictionless_type == "boolean":
            descriptor.update(trueValues=["true"], falseValues=["false"])
        fields.append(descriptor)
    table_schema = {"fields": fields, "primaryKey": key, "missingValues": [""]}
    meta = dataset.meta
    description_en, description_vi = dataset.description, dataset.description_vi
    package = {
        "name": dataset.slug,
        "title": meta.get("title_vi") or dataset.name,
        "title_en": meta.get("title_en") or meta.get("title_vi") or dataset.name,
        # The standard `description` holds both languages (tools show only it); each language also on its own.
        "description": "\n\n".join(d for d in (description_vi, description_en) if d),
        "description_vi": description_vi,
        "description_en": description_en,
        "version": "1.0.0",  # set by publish() against the previous version
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "owner": meta.get("owner", ""),
        "update_frequency": meta.get("update_frequency", ""),
        "keywords": meta.get("keywords", []),
        "publisher": f"Kho {__version__}",
        "licenses": [dataset.licence],
        "sources": dataset.sources,
        "resources": [
            # UTF-8 with a byte-order mark: Excel opens it with Vietnamese intact (without it, Excel guesses the
            # legacy code page); every other reader skips the mark.
            {"name": f"{dataset.slug}-csv", "path": csv_path.name, "format": "csv", "mediatype": "text/csv",
             "encoding": "utf-8-sig", "schema": table_schema, "hash": f"sha256:{_sha256(csv_path)}",
             "bytes": csv_path.stat().st_size},
            # A file resource, not a table: frictionless reads Parquet through pandas, which turns a nullable
            # integer column into floats and then rejects it. Parquet carries its own typed schema; the
            # hash is checked here, and tests/kho/test_publish.py checks the columns against the CSV.
            {"name": f"{dataset.slug}-parquet", "type": "file", "path": parquet_path.name, "format": "parquet",
             "mediatype": "application/vnd.apache.parquet", "hash": f"sha256:{_sha256(parquet_path)}",
             "bytes": parquet_path.stat().st_size},
            {"name": f"{dataset.slug}-json", "type": "file", "path": json_path.name, "format": "json",
             "mediatype": "application/json", "hash": f"sha256:{_sha256(json_path)}",
             "bytes": json_path.stat().st_size},
        ],
    }
    if dataset.period_column and lowest is not None:
        package["temporal"] = period(dataset.period_column, lowest, highest)
    package_path = folder / "datapackage.json"
    package_path.write_text(json.dumps(package, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    dictionary = write_dictionary(folder, package)
    return rows, [csv_path, parquet_path, json_path, package_path, *dictionary]


def period(column: str, lowest: Any, highest: Any) -> dict[str, str]:
    """The days a dataset covers, from the lowest and highest value of its time column."""
    if column == "month":
        following = date(highest.year + highest.month // 12, highest.month % 12 + 1, 1)
        return {"start": lowest.isoformat(), "end": date.fromordinal(following.toordinal() - 1).isoformat()}
    if column == "year":
        return {"start": f"{int(lowest):04d}-01-01", "end": f"{int(highest):04d}-12-31"}
    return {"start": f"{str(lowest)[:4]}-09-01", "end": f"{str(highest)[-4:]}-08-31"}  # school_year "2024-2025"


def validate_package(package_path: Path) -> None:
    from frictionless import validate  # heavy: imported only when publishing

    report = validate(str(package_path))
    if not report.valid:
        errors = report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]
        raise PublishError(f"{package_path} does not validate: {errors}")


@dataclass
class Change:
    """What a new version changes against the previous one, and the semantic version that follows."""
    version: str
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)
    columns_retyped: list[str] = field(default_factory=list)
    rows_added: int = 0
    rows_removed: int = 0
    rows_revised: int = 0
    metadata_revised: bool = False  # titles, descriptions, licence, owner, sources or the dictionary's content
    previous: str | None = None

    @property
    def changed(self) -> bool:
        return self.previous is None or any((self.columns_added, self.columns_removed, self.columns_retyped,
                                             self.rows_added, self.rows_removed, self.rows_revised,
                                             self.metadata_revised))

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


def _csv_rows(folder: Path, package: dict) -> tuple[dict[str, str], dict[tuple, dict]]:
    resource = package["resources"][0]
    fields = resource["schema"]["fields"]
    key = resource["schema"].get("primaryKey") or [fields[0]["name"]]
    with (folder / resource["path"]).open(encoding="utf-8-sig", newline="") as handle:
        rows = {tuple(row[k] for k in key): row for row in csv.DictReader(handle)}
    return {f["name"]: f["type"] for f in fields}, rows


def _description(package: dict) -> dict:
    """What a data package says about its data, without what changes on every publication (version, dates, hashes)
    or follows the rows (the period covered): a revision of it is a patch version, so that a corrected title or
    licence reaches readers without waiting for new rows."""
    said = {k: v for k, v in package.items()
            if k not in ("version", "created", "first_published", "temporal", "publisher", "resources")}
    fields = package["resources"][0].get("schema", {}).get("fields", [])
    said["fields"] = {f["name"]: {k: v for k, v in f.items() if k not in ("name", "type")} for f in fields}
    return said


def compare(previous_folder: Path | None, staging: Path) -> Change:
    """Semantic versioning of a dataset: a column removed or retyped is a major change, a column added a minor
    one, changed rows or revised metadata a patch; rows are matched on the dataset's key."""
    package = json.loads((staging / "datapackage.json").read_text(encoding="utf-8"))
    if previous_folder is None or not (previous_folder / "datapackage.json").exists():
        return Change("1.0.0")
    before = json.loads((previous_folder / "datapackage.json").read_text(encoding="utf-8"))
    old_types, old_rows = _csv_rows(previous_folder, before)
    new_types, new_rows = _csv_rows(staging, package)
    change = Change(before["version"], previous=before["version"])
    change.columns_added = [c for c in new_types if c not in old_types]
    change.columns_removed = [c for c in old_types if c not in new_types]
    change.columns_retyped = [c for c in new_types if c in old_types and new_types[c] != old_types[c]]
    common = [c for c in new_types if c in old_types]
    change.rows_added = sum(1 for k in new_rows if k not in old_rows)
    change.rows_removed = sum(1 for k in old_rows if k not in new_rows)
    change.rows_revised = sum(1 for k, row in new_rows.items() if k in old_rows
                              and any(row[c] != old_rows[k][c] for c in common))
    said_before, said_now = _description(before), _description(package)
    for column in change.columns_added + change.columns_removed:  # reported as columns, not as metadata
        said_before["fields"].pop(column, None)
        said_now["fields"].pop(column, None)
    change.metadata_revised = said_before != said_now
    major, minor, patch = (int(n) for n in before["version"].split("."))
    if change.columns_removed or change.columns_retyped:
        change.version = f"{major + 1}.0.0"
    elif change.columns_added:
        change.version = f"{major}.{minor + 1}.0"
    elif change.changed:
        change.version = f"{major}.{minor}.{patch + 1}"
    return change


def first_published(dataset_folder: Path) -> str | None:
    """When the dataset's first version was published: its latest package says, or (for a version published before
    packages carried it) the oldest entry of its changelog; None for a dataset never published."""
    package_path = dataset_folder / "latest" / "datapackage.json"
    if package_path.exists():
        package = json.loads(package_path.read_text(encoding="utf-8"))
        if package.get("first_published"):
            return str(package["first_published"])
    log_path = dataset_folder / "changelog.json"
    if log_path.exists():
        entries = json.loads(log_path.read_text(encoding="utf-8"))
        if entries:
            return str(entries[-1]["published"])
    return None


def _finalise(staging: Path, change: Change, first: str | None) -> None:
    """Stamp the version and the first publication date (kept from the first version on) into the package, write
    SHA256SUMS over every file, and check everything before anyone can see it."""
    package_path = staging / "datapackage.json"
    package = json.loads(package_path.read_text(encoding="utf-8"))
    package["version"] = change.version
    package["first_published"] = first or package["created"]
    package_path.write_text(json.dumps(package, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    for resource in package["resources"]:
        if f"sha256:{_sha256(staging / resource['path'])}" != resource["hash"]:
            raise PublishError(f"{staging / resource['path']}: checksum differs from its data package")
    sums = "".join(f"{_sha256(f)}  {f.name}\n" for f in sorted(staging.iterdir()) if f.name != "SHA256SUMS")
    (staging / "SHA256SUMS").write_text(sums, encoding="utf-8")
    validate_package(package_path)


def _record_change(dataset_folder: Path, slug: str, change: Change) -> None:
    """changelog.json (every version, newest first) and CHANGELOG.md rendered from it, each replaced at once."""
    log_path = dataset_folder / "changelog.json"
    entries = json.loads(log_path.read_text(encoding="utf-8")) if log_path.exists() else []
    entry = {"version": change.version, "published": datetime.now(UTC).isoformat(timespec="seconds"),
             **{k: v for k, v in change.as_dict().items() if k != "version"}}
    entries.insert(0, entry)
    lines = [f"# {slug} — changelog\n"]
    for e in entries:
        lines.append(f"\n## {e['version']} — {e['published']}\n")
        if e["previous"] is None:
            lines.append("- First publication.\n")
            continue
        for label, key in (("Columns added", "columns_added"), ("Columns removed", "columns_removed"),
                           ("Columns retyped", "columns_retyped")):
            if e[key]:
                lines.append(f"- {label}: {', '.join(e[key])}\n")
        lines.append(f"- Rows: {e['rows_added']} added, {e['rows_removed']} removed, {e['rows_revised']} revised "
                     f"(against {e['previous']}).\n")
        if e.get("metadata_revised"):
            lines.append("- Metadata revised (titles, descriptions, licence, owner, sources or units).\n")
    for path, text in ((log_path, json.dumps(entries, ensure_ascii=False, indent=2) + "\n"),
                       (dataset_folder / "CHANGELOG.md", "".join(lines))):
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)


def publish(settings: Settings, warehouse: Warehouse) -> PublishResult:
    """Write every open dataset as a new immutable version, check it, then point `latest` at it.

    `latest` is a symbolic link replaced by one rename, so a reader sees the previous version or the new
    one, never a mixture; a failure before the switch leaves the previous version served. A dataset whose
    rows and columns did not change gets no new version."""
    from kho.portal import write_catalog_and_portal

    started = time.perf_counter()
    root = settings.open_data_dir
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    result = PublishResult(root)
    staged: list[tuple[Path, Path, Change]] = []
    try:
        for dataset in open_datasets(settings):
            folder = root / dataset.slug
            staging = folder / f".staging-{stamp}"
            rows, files = write_dataset(warehouse, dataset, staging)
            validate_package(staging / "datapackage.json")
            latest = folder / "latest"
            change = compare(latest.resolve() if latest.exists() else None, staging)
            result.datasets[dataset.name] = rows
            result.files.extend(latest / f.name for f in files)
            if not change.changed:
                shutil.rmtree(staging)
                continue
            _finalise(staging, change, first_published(folder))
            staged.append((staging, folder / f"v{change.version}", change))
    except BaseException:
        for leftover in root.glob(f"*/.staging-{stamp}"):
            shutil.rmtree(leftover, ignore_errors=True)
        raise
    for staging, final, change in staged:
        if final.exists():  # left by a run that stopped before its switch: never served, so safe to replace
            shutil.rmtree(final)
        staging.rename(final)
        link = final.parent / f".latest-{stamp}"
        link.symlink_to(final.name)
        os.replace(link, final.parent / "latest")
        _record_change(final.parent, final.parent.name, change)
    result.versions = {final.parent.name: change.version for _, final, change in staged}
    result.files.extend(write_catalog_and_portal(settings, warehouse))
    result.seconds = time.perf_counter() - started
    return result


def latest_folder(settings: Settings, dataset_slug: str) -> Path:
    return settings.open_data_dir / dataset_slug / "latest"
