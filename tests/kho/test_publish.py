"""Published files: data packages frictionless accepts, formats that agree, metadata in both languages with a data
dictionary, no personal value from any simulator anywhere, and a failed write that leaves `latest` where it was."""

from __future__ import annotations

import csv
import hashlib
import html
import json
import re
import unicodedata
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pyarrow.parquet as pq
import pytest
from frictionless import validate
from psycopg.rows import dict_row

import kho.publish
from ingest.sources import sources
from kho.publish import LICENCES, publish
from kho.settings import Settings
from kho.warehouse import Warehouse
from simulators.api import PagedApiSimulator
from simulators.base import RunningSource
from simulators.land.database import TABLE as LAND_TABLE
from simulators.land.database import LandRegistry
from simulators.provinces import province
from simulators.reference import post_2025_communes, pre_2025_units
from tests.kho.conftest import PLAN, Published


def _datasets(published: Published) -> dict[str, dict]:
    """slug → the data package of its latest version, for every open_* model of the dbt project."""
    manifest = json.loads((published.settings.home / "dbt" / "target" / "manifest.json").read_text())
    slugs = {n["name"].removeprefix("open_").replace("_", "-") for n in manifest["nodes"].values()
             if n["resource_type"] == "model" and n["name"].startswith("open_")}
    return {slug: json.loads((published.root / slug / "latest" / "datapackage.json").read_text(encoding="utf-8"))
            for slug in sorted(slugs)}


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_published_dataset_validates_and_its_formats_agree(published: Published) -> None:
    datasets = _datasets(published)
    assert len(datasets) >= 6
    for slug, package in datasets.items():
        folder = published.root / slug / "latest"
        report = validate(str(folder / "datapackage.json"))
        assert report.valid, (slug, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5])
        for resource in package["resources"]:
            digest = hashlib.sha256((folder / resource["path"]).read_bytes()).hexdigest()
            assert resource["hash"] == f"sha256:{digest}", (slug, resource["path"])
        csv_rows = _csv(folder / f"{slug}.csv")
        assert csv_rows, f"{slug}: published without rows (is its source configured in the fixture?)"
        table = pq.read_table(folder / f"{slug}.parquet")
        assert table.column_names == list(csv_rows[0])
        assert [f["name"] for f in package["resources"][0]["schema"]["fields"]] == table.column_names
        for csv_row, parquet_row in zip(csv_rows, table.to_pylist(), strict=True):
            as_text = {k: ("" if v is None else str(v).lower() if isinstance(v, bool) else str(v))
                       for k, v in parquet_row.items()}
            assert as_text == csv_row, slug
    # Vietnamese stays intact.
    assert "Sở Tư pháp Long An" in (published.root / "dossier-kpis-monthly" / "latest" /
                                     "dossier-kpis-monthly.csv").read_text(encoding="utf-8-sig")


# --- Personal data ---------------------------------------------------------------------------------------------

def _paged(url: str) -> Iterator[dict]:
    while url:
        with urllib.request.urlopen(url) as response:
            page = json.load(response)
        yield from page["data"]
        url = page["next"]


def served_records(source: RunningSource) -> Iterator[dict]:
    """Every record a simulator holds, read as a client of the system would, not through Kho's ingest."""
    handle = source.handle
    if isinstance(handle, PagedApiSimulator):
        for path in handle.collections:
            yield from _paged(f"{handle.url}{path}?page_size=5000")
    elif isinstance(handle, LandRegistry):
        with handle.connect() as conn, conn.cursor(row_factory=dict_row) as cursor:
            yield from cursor.execute(f"select * from {LAND_TABLE}")
    # The drop folders (health, education) hold counts only: their contracts mark no field personal, and the test
    # below fails if one ever does while nothing here reads its records.


def personal_values(published: Published) -> dict[str, set[str]]:
    """"source.field" → the values of every field an ingest contract marks personal that identify someone.

    Left out, since they single no one out and open data may legitimately contain them: fields whose values repeat
    across records (fewer distinct values than a quarter of the records: sex, ethnicity, nationality, relationship,
    cause of death, place of birth), the codes and names of administrative units (public reference data), and dates
    on the first or last day of a month (the month labels and period ends every dataset publishes)."""
    values: dict[str, set[str]] = defaultdict(set)
    records: Counter[str] = Counter()
    for name, spec in sources().items():
        personal = {f.name for contract in spec.entities.values() for f in contract.fields if f.personal}
        if not personal:
            continue
        assert name in published.running, f"{name} has personal fields but no simulator in the fixture"
        for record in served_records(published.running[name]):
            for field in personal & record.keys():
                if record[field] not in (None, ""):
                    values[f"{name}.{field}"].add(str(record[field]))
                    records[f"{name}.{field}"] += 1
        assert any(key.startswith(f"{name}.") for key in values), f"no personal value read from {name}'s simulator"
    area = province(PLAN.province)
    districts, communes = pre_2025_units(area.code)
    public = ({u.code for u in (*districts, *communes)} | {u.name for u in (*districts, *communes)}
              | {part for unit in post_2025_communes(area.code) for part in unit})
    identifying = {}
    for key, found in values.items():
        if len(found) < records[key] / 4:
            continue
        identifying[key] = {v for v in found if v not in public and not _month_boundary(v)}
    return identifying


def _month_boundary(value: str) -> bool:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return False
    return day.day == 1 or (day + timedelta(days=1)).day == 1


def published_texts(root: Path) -> dict[str, str]:
    """Every published file (each version, changelogs, catalog, portal, dictionaries) as text; Parquet as its values."""
    texts = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file() or str(path.resolve()) in texts:
            continue
        if path.suffix == ".parquet":
            text = "\n".join(str(v) for row in pq.read_table(path).to_pylist() for v in row.values())
        else:
            text = path.read_text(encoding="utf-8-sig")
        texts[str(path.resolve())] = text
    return texts


def leaks(root: Path, personal: dict[str, set[str]]) -> list[tuple[Path, str, str]]:
    """(file, "source.field", value) for every personal value found, as whole words, in a published file."""
    texts = published_texts(root)
    # Dates are looked for as written in ISO and in the Vietnamese day/month/year order.
    forms = [(key, form, re.findall(r"\w+", form)) for key, values in personal.items() for value in values
             for form in [value, *([f"{value[8:10]}/{value[5:7]}/{value[:4]}"]
                                   if re.fullmatch(r"\d{4}-\d\d-\d\d", value) else [])]]
    found = []
    for path, text in texts.items():
        words = set(re.findall(r"\w+", text))
        for key, form, form_words in forms:
            # Cheap tests first (every word of the value among the file's words, then the value as a substring),
            # then the value as whole words: "Bùi Văn An" must not match inside "Bùi Văn Anh".
            if all(w in words for w in form_words) and form in text \
                    and re.search(rf"(?<!\w){re.escape(form)}(?!\w)", text):
                found.append((Path(path).relative_to(root.resolve()), key, form))
    return found


def test_no_published_file_holds_a_personal_value_from_any_simulator(published: Published) -> None:
    personal = personal_values(published)
    assert {"dossier.ChuHoSo", "dossier.SoDinhDanh", "civil_status.nksHoTen", "land.ten_chu_su_dung"} <= set(personal)
    names = {p.name for p in published.root.rglob("*")}
    assert {"catalog.jsonld", "index.html", "datapackage.json", "data-dictionary.md", "data-dictionary.csv",
            "CHANGELOG.md"} <= names
    assert {p.suffix for p in published.root.rglob("*")} >= {".csv", ".json", ".parquet", ".md", ".html", ".jsonld"}
    found = leaks(published.root, personal)
    assert not found, f"{len(found)} personal values published, e.g. {found[:10]}"


def test_the_scan_finds_a_personal_value_in_every_file_and_form(tmp_path: Path) -> None:
    """The scanner itself, on hand-made files: whole words only, dates in both orders, Parquet by its values."""
    import pyarrow as pa

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "data.csv").write_text("name,day\nBùi Văn Anh,17/05/1990\n", encoding="utf-8-sig")
    pq.write_table(pa.table({"who": ["Trần Thị Bé"]}), tmp_path / "a" / "data.parquet")
    (tmp_path / "index.html").write_text("<p>Bùi Văn An</p>", encoding="utf-8")
    personal = {"x.name": {"Bùi Văn An", "Trần Thị Bé", "Lê Văn Tám"}, "x.birth": {"1990-05-17"}}
    assert sorted((str(path), key, value) for path, key, value in leaks(tmp_path, personal)) == [
        ("a/data.csv", "x.birth", "17/05/1990"), ("a/data.parquet", "x.name", "Trần Thị Bé"),
        ("index.html", "x.name", "Bùi Văn An")]


# --- Metadata in both languages, the data dictionary, sources, licence, period --------------------------------

def _has_diacritics(text: str) -> bool:
    return any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", text)) or "đ" in text.lower()


def _ancestor_sources(manifest: dict, unique_id: str) -> set[str]:
    seen, stack = set(), [unique_id]
    while stack:
        for parent in manifest["parent_map"][stack.pop()]:
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return {manifest["sources"][s]["source_name"] for s in seen if s.startswith("source.")}


def test_every_dataset_is_described_in_both_languages_with_a_data_dictionary(published: Published) -> None:
    root = published.root
    manifest = json.loads((published.settings.home / "dbt" / "target" / "manifest.json").read_text())
    catalog = {d["dct:identifier"]: d for d in json.loads((root / "catalog.jsonld").read_text())["dcat:dataset"]}
    page = (root / "index.html").read_text(encoding="utf-8")
    for slug, package in _datasets(published).items():
        node = manifest["nodes"][f"model.kho.open_{slug.replace('-', '_')}"]
        folder = root / slug / "latest"
        vi, en = package["description_vi"], package["description_en"]
        assert vi and unicodedata.is_normalized("NFC", vi) and _has_diacritics(vi), slug
        assert en and vi != en and vi in package["description"] and en in package["description"], slug
        assert package["title"] != package["title_en"], slug
        fields = package["resources"][0]["schema"]["fields"]
        for f in fields:
            assert f["title"] and f["title_en"] and f["title"] != f["title_en"], (slug, f["name"])
            assert _has_diacritics(f["title"]), (slug, f["name"])

        # Licence, sources (the dbt lineage), first publication and the period covered.
        licence = node["meta"].get("licence", "CC-BY-4.0")
        assert package["licenses"] == [{"name": licence, "title": LICENCES[licence][0], "path": LICENCES[licence][1]}]
        assert {s["name"] for s in package["sources"]} == _ancestor_sources(manifest, node["unique_id"]), slug
        assert all(s["title"] and s["tables"] for s in package["sources"]), slug
        assert package["first_published"] == package["created"]  # the first version
        rows = _csv(folder / f"{slug}.csv")
        period_column = next(c for c in ("month", "year", "school_year") if c in rows[0])
        first, last = min(r[period_column] for r in rows), max(r[period_column] for r in rows)
        if period_column == "month":
            end = (date.fromisoformat(last) + timedelta(days=31)).replace(day=1) - timedelta(days=1)
            expected = (first, end.isoformat())
        elif period_column == "year":
            expected = (f"{first}-01-01", f"{last}-12-31")
        else:
            expected = (f"{first[:4]}-09-01", f"{last[-4:]}-08-31")
        assert (package["temporal"]["start"], package["temporal"]["end"]) == expected, slug

        # The data dictionary: both files, every column once, covered by SHA256SUMS.
        sums = dict(reversed(line.split("  ")) for line in (folder / "SHA256SUMS").read_text().splitlines())
        for name in ("data-dictionary.md", "data-dictionary.csv"):
            assert sums[name] == hashlib.sha256((folder / name).read_bytes()).hexdigest(), (slug, name)
        dictionary = _csv(folder / "data-dictionary.csv")
        assert [d["column"] for d in dictionary] == [f["name"] for f in fields]
        assert all(d["description_vi"] and d["description_en"] for d in dictionary), slug
        assert all(d["unit"] == "%" for d in dictionary if d["column"].endswith("_pct")), slug
        withheld = {d["column"] for d in dictionary if d["may_be_withheld"] == "true"}
        # A column empty on a suppressed row, and never empty otherwise, is one the dictionary says may be withheld.
        if "is_suppressed" in rows[0]:
            empty_when_suppressed = {c for r in rows if r["is_suppressed"] == "true" for c, v in r.items() if v == ""}
            empty_otherwise = {c for r in rows if r["is_suppressed"] == "false" for c, v in r.items() if v == ""}
            assert empty_when_suppressed - empty_otherwise <= withheld, slug
        text = (folder / "data-dictionary.md").read_text(encoding="utf-8")
        assert package["title"] in text and package["title_en"] in text and vi in text and en in text
        assert all(f"`{f['name']}`" in text for f in fields)

        # The catalog and the portal say the same, in both languages.
        entry = catalog[slug]
        assert {d["@language"]: d["@value"] for d in entry["dct:description"]} == {"vi": vi, "en": en}
        assert entry["dct:issued"] == package["first_published"]
        assert entry["dct:license"] == LICENCES[licence][1]
        assert entry["dct:temporal"]["dcat:startDate"]["@value"] == package["temporal"]["start"]
        assert all(s["title"] in entry["dct:provenance"]["rdfs:label"][0]["@value"] for s in package["sources"])
        assert f"{slug}/latest/data-dictionary.md" in entry["foaf:page"][0]
        assert f'<span lang="vi">{html.escape(vi)}</span>' in page, slug
        assert f'href="{slug}/latest/data-dictionary.md"' in page


# --- A failed write, licences, first publication and metadata revisions, on a small hand-made project -------

def _column(name: str, data_type: str, description: str) -> dict:
    return {"name": name, "data_type": data_type, "description": description, "meta": {}}


def _model(name: str, description_vi: str, licence: str, columns: list[dict]) -> dict:
    return {"resource_type": "model", "name": name, "unique_id": f"model.kho.{name}",
            "description": f"Open data. {name} in English.",
            "meta": {"title_vi": f"Bộ dữ liệu {name}", "title_en": f"Dataset {name}", "owner": "Sở Thử nghiệm",
                     "licence": licence, "update_frequency": "monthly", "description_vi": description_vi},
            "columns": {c["name"]: c for c in columns}}


def _test(model: str, name: str, kwargs: dict) -> dict:
    return {"resource_type": "test", "name": f"{name}_{model}", "attached_node": f"model.kho.{model}",
            "test_metadata": {"name": name, "kwargs": kwargs}}


def small_project(settings: Settings, warehouse: Warehouse, description_vi: str = "Số lượt theo tháng.") -> None:
    """Two open marts in the warehouse and a dbt manifest describing them: `open_alpha` (monthly, CC0, from the
    source `intake` through a warehouse model, with suppression) and `open_beta` (yearly, CC-BY-4.0)."""
    manifest = {
        "nodes": {
            "model.kho.open_alpha": _model("open_alpha", description_vi, "CC0-1.0", [
                _column("month", "date", "First day of the month. | Tháng (ngày đầu tháng)."),
                _column("visits", "integer", "Visits in the month. | Số lượt trong tháng."),
                _column("visits_rate_pct", "numeric(5,2)", "Share of visits, %. | Tỷ lệ lượt (%)."),
                _column("is_suppressed", "boolean", "Some count withheld. | Có ô bị ẩn.")]),
            "model.kho.open_beta": _model("open_beta", "Số dịch vụ theo năm.", "CC-BY-4.0", [
                _column("year", "integer", "Year. | Năm."),
                _column("services", "integer", "Services at the end of the year. | Số dịch vụ cuối năm.")]),
            "model.kho.fct_visits": {"resource_type": "model", "name": "fct_visits", "columns": {}},
            "test.alpha_key": _test("open_alpha", "unique_combination_of_columns",
                                    {"combination_of_columns": ["month"]}),
            "test.alpha_cells": _test("open_alpha", "small_cells_suppressed", {"measures": ["visits"]}),
            "test.beta_key": _test("open_beta", "unique_combination_of_columns",
                                   {"combination_of_columns": ["year"]}),
        },
        "sources": {"source.kho.intake.visits": {
            "source_name": "intake", "name": "visits", "source_meta": {"owner": "Sở Thử nghiệm"},
            "source_description": "The intake system (hệ thống tiếp nhận, test), landed by `kho ingest` into raw."}},
        "parent_map": {"model.kho.open_alpha": ["model.kho.fct_visits"], "model.kho.open_beta": [],
                       "model.kho.fct_visits": ["source.kho.intake.visits"]},
    }
    target = settings.home / "dbt" / "target"
    target.mkdir(parents=True, exist_ok=True)
    (target / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    with psycopg.connect(warehouse.url, autocommit=True) as conn:
        conn.execute("create schema if not exists marts")
        conn.execute("create table if not exists marts.open_alpha (month date, visits integer, "
                     "visits_rate_pct numeric(5,2), is_suppressed boolean)")
        conn.execute("create table if not exists marts.open_beta (year integer, services integer)")


def _tree(root: Path) -> dict[str, bytes | str]:
    """Every entry under root: a file's bytes, a symbolic link's target."""
    return {str(p.relative_to(root)): (str(p.readlink()) if p.is_symlink() else p.read_bytes())
            for p in sorted(root.rglob("*")) if p.is_symlink() or p.is_file()}


def test_a_failed_write_leaves_latest_where_it_was(tmp_path: Path, warehouse: Warehouse,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings.from_env({"KHO_HOME": str(tmp_path / "home"), "KHO_OPEN_DATA_DIR": str(tmp_path / "open"),
                                  "KHO_DATABASE_URL": warehouse.url})
    small_project(settings, warehouse)
    with psycopg.connect(warehouse.url, autocommit=True) as conn:
        conn.execute("insert into marts.open_alpha values ('2025-01-01', 10, 50.0, false), "
                     "('2025-03-01', null, null, true)")
        conn.execute("insert into marts.open_beta values (2023, 7), (2024, 9)")
    first = publish(settings, warehouse)
    assert first.versions == {"alpha": "1.0.0", "beta": "1.0.0"}
    alpha = json.loads((settings.open_data_dir / "alpha" / "latest" / "datapackage.json").read_text())
    assert alpha["licenses"][0]["path"] == "https://creativecommons.org/publicdomain/zero/1.0/"
    assert alpha["sources"] == [{"name": "intake", "title": "The intake system (hệ thống tiếp nhận, test)",
                                 "owner": "Sở Thử nghiệm", "tables": ["visits"]}]
    assert alpha["temporal"] == {"start": "2025-01-01", "end": "2025-03-31"}
    fields = {f["name"]: f for f in alpha["resources"][0]["schema"]["fields"]}
    assert [fields[c]["may_be_withheld"] for c in fields] == [False, True, True, False]
    assert fields["visits_rate_pct"]["unit"] == "%" and fields["visits"]["unit"] == "count"
    beta = json.loads((settings.open_data_dir / "beta" / "latest" / "datapackage.json").read_text())
    assert beta["temporal"] == {"start": "2023-01-01", "end": "2024-12-31"} and beta["sources"] == []
    issued = alpha["first_published"]

    # Both marts change; the second dataset's write fails after its data files are written, the first dataset
    # being fully staged by then. Nothing may switch, nothing half-written may be left.
    with psycopg.connect(warehouse.url, autocommit=True) as conn:
        conn.execute("update marts.open_alpha set visits = 11 where month = '2025-01-01'")
        conn.execute("insert into marts.open_beta values (2025, 12)")
    before = _tree(settings.open_data_dir)
    real = kho.publish.write_dictionary

    def failing(folder: Path, package: dict) -> list[Path]:
        if package["name"] == "beta":
            (folder / "data-dictionary.md").write_text("half", encoding="utf-8")
            raise OSError(28, "No space left on device")
        return real(folder, package)

    monkeypatch.setattr(kho.publish, "write_dictionary", failing)
    with pytest.raises(OSError, match="No space left"):
        publish(settings, warehouse)
    assert _tree(settings.open_data_dir) == before
    assert not [p for p in settings.open_data_dir.rglob(".*")], "a staging folder or temporary link was left"

    # The next publication succeeds, and the first publication date stays with the dataset.
    monkeypatch.setattr(kho.publish, "write_dictionary", real)
    again = publish(settings, warehouse)
    assert again.versions == {"alpha": "1.0.1", "beta": "1.0.1"}
    alpha = json.loads((settings.open_data_dir / "alpha" / "latest" / "datapackage.json").read_text())
    assert alpha["first_published"] == issued and alpha["created"] >= issued
    entry = next(d for d in json.loads((settings.open_data_dir / "catalog.jsonld").read_text())["dcat:dataset"]
                 if d["dct:identifier"] == "alpha")
    assert entry["dct:issued"] == issued and entry["owl:versionInfo"] == "1.0.1"

    # Revised metadata, same rows: a patch version, said in the changelog; the other dataset gets none.
    small_project(settings, warehouse, description_vi="Số lượt khám theo tháng, đã sửa.")
    revised = publish(settings, warehouse)
    assert revised.versions == {"alpha": "1.0.2"}
    log = json.loads((settings.open_data_dir / "alpha" / "changelog.json").read_text(encoding="utf-8"))
    assert log[0]["metadata_revised"] and log[0]["rows_revised"] == 0
    assert "Metadata revised" in (settings.open_data_dir / "alpha" / "CHANGELOG.md").read_text(encoding="utf-8")


def test_an_unknown_licence_stops_publication(tmp_path: Path, warehouse: Warehouse) -> None:
    settings = Settings.from_env({"KHO_HOME": str(tmp_path / "home"), "KHO_OPEN_DATA_DIR": str(tmp_path / "open"),
                                  "KHO_DATABASE_URL": warehouse.url})
    small_project(settings, warehouse)
    path = settings.home / "dbt" / "target" / "manifest.json"
    path.write_text(path.read_text(encoding="utf-8").replace("CC0-1.0", "Proprietary-1.0"), encoding="utf-8")
    with pytest.raises(kho.publish.PublishError, match=r"Proprietary-1\.0"):
        publish(settings, warehouse)
    assert not settings.open_data_dir.exists() or not any(settings.open_data_dir.iterdir())


# --- The dbt project's open marts carry what publication needs ------------------------------------------------

def test_every_open_mart_is_described_in_both_languages() -> None:
    """Read from the YAML (no dbt run): every open mart, also those added later, has a Vietnamese description and
    bilingual column descriptions, and a licence Kho can link to."""
    import yaml

    folder = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "marts" / "open"
    models = [m for path in sorted(folder.glob("*.yml"))
              for m in yaml.safe_load(path.read_text(encoding="utf-8")).get("models", [])]
    assert len(models) >= 6
    for model in models:
        meta = model.get("meta") or model.get("config", {}).get("meta", {})
        vi = meta.get("description_vi", "")
        assert vi and unicodedata.is_normalized("NFC", vi) and _has_diacritics(vi), model["name"]
        assert meta.get("title_vi") and meta.get("title_en"), model["name"]
        assert meta.get("licence", "CC-BY-4.0") in LICENCES, model["name"]
        for column in model["columns"]:
            english, _, vietnamese = column.get("description", "").partition(" | ")
            assert english.strip() and vietnamese.strip(), (model["name"], column["name"])
            assert unicodedata.is_normalized("NFC", vietnamese), (model["name"], column["name"])
