"""Every published dataset and the catalog, the versions and changelog, and the portal page in a real browser."""

from __future__ import annotations

import contextlib
import csv
import functools
import hashlib
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from frictionless import validate

from kho.publish import LICENCES, compare, publish
from kho.transform import target_dir
from kho.warehouse import Warehouse
from tests.kho.conftest import Published

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_every_dataset_is_published_in_every_format_and_listed_in_the_catalog(
        published: Published, copy_of: Callable[[], Warehouse], tmp_path: Path) -> None:
    root = published.root
    manifest_path = target_dir(published.settings) / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    open_models = {n["name"] for n in manifest["nodes"].values()
                   if n["resource_type"] == "model" and n["name"].startswith("open_")}
    catalog = json.loads((root / "catalog.jsonld").read_text(encoding="utf-8"))
    listed = {d["dct:identifier"]: d for d in catalog["dcat:dataset"]}
    assert set(listed) == {m.removeprefix("open_").replace("_", "-") for m in open_models}

    for slug, entry in listed.items():
        folder = root / slug / "latest"
        report = validate(str(folder / "datapackage.json"))
        assert report.valid, (slug, report.flatten(["rowNumber", "fieldName", "type", "note"])[:3])
        sums = dict(reversed(line.split("  ")) for line in (folder / "SHA256SUMS").read_text().splitlines())
        for name, digest in sums.items():
            assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, (slug, name)
        for distribution in entry["dcat:distribution"]:
            name = distribution["dcat:downloadURL"].rsplit("/", 1)[1]
            assert sums[name] == distribution["spdx:checksum"]["spdx:checksumValue"]
        csv_bytes = (folder / f"{slug}.csv").read_bytes()
        assert csv_bytes.startswith(b"\xef\xbb\xbf"), "CSV without the byte-order mark Excel needs"
        with (folder / f"{slug}.csv").open(encoding="utf-8-sig", newline="") as handle:
            csv_rows = list(csv.DictReader(handle))
        as_json = json.loads((folder / f"{slug}.json").read_text(encoding="utf-8"))
        table = pq.read_table(folder / f"{slug}.parquet")
        assert len(csv_rows) == len(as_json) == table.num_rows, slug
        if csv_rows:
            assert list(as_json[0]) == list(csv_rows[0]) == table.column_names
        package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
        assert package["version"] == "1.0.0" and package["title"] and package.get("title_en")
        assert (root / slug / "CHANGELOG.md").read_text(encoding="utf-8").count("First publication") == 1

    # Publishing again, from a copy of the warehouse into a copy of the open data (the published run is shared).
    root = tmp_path / "open_data"
    shutil.copytree(published.root, root, symlinks=True)
    warehouse = copy_of()
    settings = published.settings.with_(database_url=warehouse.url, home=tmp_path / "home", open_data_dir=root)
    target_dir(settings).mkdir(parents=True)
    shutil.copyfile(manifest_path, target_dir(settings) / "manifest.json")
    # Nothing changed: publishing again makes no new version.
    again = publish(settings, warehouse)
    assert again.versions == {}
    # Rows revised in a mart: a patch version, with the revision in the changelog.
    with warehouse.connect(autocommit=True) as conn:
        revised = conn.execute("update marts.open_dossier_kpis_by_level_monthly set agencies = agencies + 1 "
                               "where month = (select min(month) from marts.open_dossier_kpis_by_level_monthly)"
                               ).rowcount
    patched = publish(settings, warehouse)
    assert patched.versions == {"dossier-kpis-by-level-monthly": "1.0.1"}
    changes = json.loads((root / "dossier-kpis-by-level-monthly" / "changelog.json").read_text(encoding="utf-8"))
    assert changes[0]["rows_revised"] == revised and changes[0]["previous"] == "1.0.0"
    assert Path(root / "dossier-kpis-by-level-monthly" / "latest").resolve().name == "v1.0.1"
    assert (root / "dossier-kpis-by-level-monthly" / "v1.0.0" / "datapackage.json").exists()  # kept, immutable


def _package(folder: Path, fields: dict[str, str], rows: list[dict], version: str = "1.0.0") -> Path:
    folder.mkdir(parents=True)
    names = list(fields)
    with (folder / "data.csv").open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, names)
        writer.writeheader()
        writer.writerows(rows)
    package = {"version": version, "resources": [{"path": "data.csv", "schema": {
        "fields": [{"name": n, "type": t} for n, t in fields.items()], "primaryKey": ["month"]}}]}
    (folder / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    return folder


def test_semantic_versions_follow_what_changed(tmp_path: Path) -> None:
    old = _package(tmp_path / "old", {"month": "date", "n": "integer", "name": "string"},
                   [{"month": "2025-01-01", "n": "5", "name": "a"}, {"month": "2025-02-01", "n": "6", "name": "b"}],
                   version="1.2.3")
    same = _package(tmp_path / "same", {"month": "date", "n": "integer", "name": "string"},
                    [{"month": "2025-01-01", "n": "5", "name": "a"}, {"month": "2025-02-01", "n": "6", "name": "b"}])
    rows = _package(tmp_path / "rows", {"month": "date", "n": "integer", "name": "string"},
                    [{"month": "2025-01-01", "n": "7", "name": "a"}, {"month": "2025-03-01", "n": "6", "name": "c"}])
    added = _package(tmp_path / "added", {"month": "date", "n": "integer", "name": "string", "m": "integer"},
                     [{"month": "2025-01-01", "n": "5", "name": "a", "m": "1"},
                      {"month": "2025-02-01", "n": "6", "name": "b", "m": "1"}])
    removed = _package(tmp_path / "removed", {"month": "date", "n": "number"},
                       [{"month": "2025-01-01", "n": "5"}, {"month": "2025-02-01", "n": "6"}])

    assert not compare(old, same).changed
    patch = compare(old, rows)
    assert (patch.version, patch.rows_added, patch.rows_removed, patch.rows_revised) == ("1.2.4", 1, 1, 1)
    minor = compare(old, added)
    assert (minor.version, minor.columns_added) == ("1.3.0", ["m"])
    major = compare(old, removed)
    assert (major.version, major.columns_removed, major.columns_retyped) == ("2.0.0", ["name"], ["n"])
    assert compare(None, same).version == "1.0.0"


BROWSER = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(not BROWSER, reason="no Chromium on this machine (`make test` installs Debian's chromium "
                                        "where apt is available, as on CI)")
def test_the_portal_opens_in_a_browser_with_its_charts_and_working_links(published: Published) -> None:
    browser = str(BROWSER)
    root = published.root
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "portal.png"
    screenshot.unlink(missing_ok=True)
    with serving(root) as base:
        common = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  f"--user-data-dir={published.settings.home / 'chromium'}"]
        dom = subprocess.run([*common, "--dump-dom", f"{base}/index.html"], capture_output=True, text=True,
                             timeout=120, check=True).stdout
        subprocess.run([*common, f"--screenshot={screenshot}", "--window-size=1280,2400", f"{base}/index.html"],
                       capture_output=True, timeout=120, check=True)
        links = set(re.findall(r'href="([^"#]+)"', dom))
        # The page works offline: every link but the licences' stays in the folder, and resolves.
        external = {link for link in links if urllib.parse.urlsplit(link).scheme}
        assert external <= {url for _, url in LICENCES.values()}, external
        for link in links - external:
            with urllib.request.urlopen(f"{base}/{link}") as response:
                assert response.status == 200, link
    assert "Dữ liệu mở của tỉnh" in dom and 'id="search"' in dom
    charts = re.findall(r'<svg class="chart".*?</svg>', dom, flags=re.S)
    assert len(charts) >= 4 and all("<path" in c or "<rect" in c for c in charts)
    packages = {p.parent.parent.name for p in root.glob("*/latest/datapackage.json")}
    assert all(f'id="{slug}"' in dom for slug in packages)
    assert len(links - external) >= 7 * len(packages)
    assert screenshot.stat().st_size > 10_000
    print(f"portal screenshot: {screenshot}")


def test_kho_serve_serves_the_portal_and_the_files_over_http(published: Published) -> None:
    """`kho serve` as a person runs it: a process on a free port, read over real HTTP, then stopped."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "KHO_OPEN_DATA_DIR": str(published.root), "KHO_HOME": str(published.settings.home)}
    server = subprocess.Popen([sys.executable, "-m", "kho.cli", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/index.html", timeout=5) as response:
                    page = response.read().decode("utf-8")
                break
            except OSError:
                assert server.poll() is None, server.communicate()[0]
                assert time.monotonic() < deadline, "kho serve did not answer within 60 s"
                time.sleep(0.2)
        assert "Dữ liệu mở của tỉnh" in page
        path = "dossier-kpis-by-level-monthly/latest/dossier-kpis-by-level-monthly.csv"
        with urllib.request.urlopen(f"{base}/{path}", timeout=10) as response:
            assert response.status == 200
            assert response.read() == (published.root / path).read_bytes()
    finally:
        server.terminate()
        server.wait(timeout=10)
