"""The open-data catalog (DCAT, JSON-LD) and the static bilingual portal page, both generated from the published
data packages: the metadata is written once, in the dbt project, and reaches them through datapackage.json."""

from __future__ import annotations

import html
import json
import os
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kho.dictionary import FILES as DICTIONARY_FILES
from kho.settings import Settings
from kho.warehouse import Warehouse

PUBLISHER = {"vi": "Ủy ban nhân dân tỉnh", "en": "Provincial People's Committee"}
FREQUENCIES = {"daily": "DAILY", "weekly": "WEEKLY", "monthly": "MONTHLY", "yearly": "ANNUAL", "annual": "ANNUAL"}
MEDIA_TYPES = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet", "json": "application/json"}
LEVEL_NAMES = {"province": ("Cấp tỉnh", "Province"), "district": ("Cấp huyện", "District"),
               "commune": ("Cấp xã", "Commune"), "unknown": ("Chưa xác định", "Unknown")}
COLOURS = ("#1b6ca8", "#d1495b", "#2e933c", "#edae49", "#6c4f9c")


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def published_packages(root: Path) -> list[tuple[str, dict]]:
    """(dataset folder, data package) of every dataset's `latest` version."""
    found = []
    for package_path in sorted(root.glob("*/latest/datapackage.json")):
        found.append((package_path.parent.parent.name, json.loads(package_path.read_text(encoding="utf-8"))))
    return found


def _descriptions(package: dict) -> tuple[str, str]:
    """(Vietnamese, English) description; a package written before it carried both has only the English one."""
    english = package.get("description_en", package["description"])
    return package.get("description_vi") or english, english


def catalog(settings: Settings) -> dict[str, Any]:
    """DCAT-AP style catalog of every published dataset, for a national portal to harvest."""
    base = settings.open_data_base_url.rstrip("/") + "/" if settings.open_data_base_url else ""
    datasets = []
    for slug, package in published_packages(settings.open_data_dir):
        distributions = [{
            "@type": "dcat:Distribution",
            "dct:title": resource["name"],
            "dcat:mediaType": MEDIA_TYPES.get(resource["format"], "application/octet-stream"),
            "dct:format": resource["format"].upper(),
            "dcat:downloadURL": f"{base}{slug}/latest/{resource['path']}",
            "dcat:byteSize": resource.get("bytes"),
            "spdx:checksum": {"@type": "spdx:Checksum", "spdx:algorithm": "spdx:checksumAlgorithm_sha256",
                              "spdx:checksumValue": resource["hash"].removeprefix("sha256:")},
            "dct:license": package["licenses"][0]["path"],
        } for resource in package["resources"]]
        vi, en = _descriptions(package)
        entry = {
            "@type": "dcat:Dataset",
            "dct:identifier": slug,
            "dct:title": [{"@language": "vi", "@value": package["title"]},
                          {"@language": "en", "@value": package.get("title_en", package["title"])}],
            "dct:description": [{"@language": "vi", "@value": vi}, {"@language": "en", "@value": en}],
            "dct:publisher": {"@type": "foaf:Agent", "foaf:name": package.get("owner", PUBLISHER["vi"])},
            "dcat:contactPoint": {"@type": "vcard:Organization", "vcard:fn": package.get("owner", PUBLISHER["vi"])},
            "dct:license": package["licenses"][0]["path"],
            "dct:accrualPeriodicity": "http://publications.europa.eu/resource/authority/frequency/"
                                      + FREQUENCIES.get(package.get("update_frequency", ""), "IRREG"),
            "dct:issued": package.get("first_published", package["created"]),
            "dct:modified": package["created"],
            "owl:versionInfo": package["version"],
            "dcat:keyword": package.get("keywords", []),
            "dct:language": ["http://publications.europa.eu/resource/authority/language/VIE",
                             "http://publications.europa.eu/resource/authority/language/ENG"],
            "dcat:landingPage": f"{base}index.html#{slug}",
            # The data dictionary (columns, types, units, what may be withheld), in both languages.
            "foaf:page": [f"{base}{slug}/latest/{name}" for name in DICTIONARY_FILES],
            "dcat:distribution": distributions,
        }
        if package.get("temporal"):
            entry["dct:temporal"] = {"@type": "dct:PeriodOfTime",
                                     "dcat:startDate": {"@value": package["temporal"]["start"], "@type": "xsd:date"},
                                     "dcat:endDate": {"@value": package["temporal"]["end"], "@type": "xsd:date"}}
        if package.get("sources"):
            # The upstream systems (from the dbt lineage), as DCAT-AP's provenance statement.
            entry["dct:provenance"] = {"@type": "dct:ProvenanceStatement", "rdfs:label": [
                {"@language": "en", "@value": "Derived from: " + "; ".join(s["title"] for s in package["sources"])}]}
        datasets.append(entry)
    return {
        "@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
                     "foaf": "http://xmlns.com/foaf/0.1/", "vcard": "http://www.w3.org/2006/vcard/ns#",
                     "spdx": "http://spdx.org/rdf/terms#", "owl": "http://www.w3.org/2002/07/owl#",
                     "rdfs": "http://www.w3.org/2000/01/rdf-schema#", "xsd": "http://www.w3.org/2001/XMLSchema#"},
        "@type": "dcat:Catalog",
        "dct:title": [{"@language": "vi", "@value": "Dữ liệu mở của tỉnh"},
                      {"@language": "en", "@value": "The province's open data"}],
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": PUBLISHER["vi"]},
        "dct:modified": datetime.now(UTC).isoformat(timespec="seconds"),
        "dcat:dataset": datasets,
    }


# --- Charts: SVG drawn here, so the page needs no script library and works offline ---------------------------

def line_chart(title: str, series: dict[str, list[tuple[str, float]]], y_max: float | None = 100.0,
               y_label: str = "%") -> str:
    """A line per series over months ("YYYY-MM-DD"), y from 0 to y_max (or the data's maximum)."""
    width, height, left, bottom, top, right = 720, 300, 48, 36, 28, 140
    points = [(x, y) for values in series.values() for x, y in values if y is not None]
    if not points:
        return ""
    months = sorted({x for x, _ in points})
    top_value = y_max or max(y for _, y in points) or 1
    low_value = 0.0 if y_max is None else max(0.0, min(y for _, y in points) - 5)
    span = (top_value - low_value) or 1

    def px(month: str) -> float:
        return left + (width - left - right) * (months.index(month) / max(1, len(months) - 1))

    def py(value: float) -> float:
        return top + (height - top - bottom) * (1 - (value - low_value) / span)

    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(title)}">',
             f'<text x="{left}" y="16" class="chart-title">{html.escape(title)}</text>']
    for step in range(5):
        value = low_value + span * step / 4
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{py(value):.1f}" y2="{py(value):.1f}" '
                     f'class="grid"/><text x="{left - 6}" y="{py(value) + 4:.1f}" class="axis" '
                     f'text-anchor="end">{value:.0f}{y_label}</text>')
    for year in sorted({m[:4] for m in months}):
        first = next(m for m in months if m.startswith(year))
        parts.append(f'<text x="{px(first):.1f}" y="{height - 12}" class="axis">{year}</text>')
    for index, (name, values) in enumerate(series.items()):
        colour = COLOURS[index % len(COLOURS)]
        path = " ".join(f"{'M' if i == 0 else 'L'}{px(x):.1f},{py(y):.1f}"
                        for i, (x, y) in enumerate((x, y) for x, y in values if y is not None))
        parts.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="1.8"/>')
        parts.append(f'<rect x="{width - right + 12}" y="{top + 18 * index}" width="12" height="12" '
                     f'fill="{colour}"/><text x="{width - right + 30}" y="{top + 10 + 18 * index}" '
                     f'class="legend">{html.escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(title: str, bars: dict[str, list[tuple[str, float]]]) -> str:
    """Grouped bars: for each category (a year), one bar per series."""
    width, height, left, bottom, top, right = 720, 300, 48, 36, 28, 140
    categories = sorted({c for values in bars.values() for c, _ in values})
    if not categories:
        return ""
    top_value = max(v for values in bars.values() for _, v in values) or 1
    slot = (width - left - right) / len(categories)
    bar = slot * 0.8 / max(1, len(bars))
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(title)}">',
             f'<text x="{left}" y="16" class="chart-title">{html.escape(title)}</text>']
    for step in range(5):
        value = top_value * step / 4
        y = top + (height - top - bottom) * (1 - step / 4)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" class="axis" text-anchor="end">{value:,.0f}</text>')
    for index, (name, values) in enumerate(bars.items()):
        colour = COLOURS[index % len(COLOURS)]
        lookup = dict(values)
        for position, category in enumerate(categories):
            value = lookup.get(category, 0)
            h = (height - top - bottom) * value / top_value
            x = left + slot * position + slot * 0.1 + bar * index
            parts.append(f'<rect x="{x:.1f}" y="{height - bottom - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                         f'fill="{colour}"><title>{html.escape(name)} {category}: {value:,.0f}</title></rect>')
        parts.append(f'<rect x="{width - right + 12}" y="{top + 18 * index}" width="12" height="12" '
                     f'fill="{colour}"/><text x="{width - right + 30}" y="{top + 10 + 18 * index}" '
                     f'class="legend">{html.escape(name)}</text>')
    for position, category in enumerate(categories):
        if len(categories) <= 12 or position % 2 == 0:
            parts.append(f'<text x="{left + slot * position + slot * 0.1:.1f}" y="{height - 12}" '
                         f'class="axis">{html.escape(str(category))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _query(warehouse: Warehouse, sql: str) -> list[tuple]:
    with warehouse.connect() as conn:
        exists = conn.execute("select to_regclass(%s)", (sql.split(" from ")[1].split()[0],)).fetchone()[0]
        return conn.execute(sql).fetchall() if exists else []


def charts(warehouse: Warehouse) -> list[tuple[str, str, str]]:
    """(chart, Vietnamese caption, English caption) for the headline indicators, from the open marts only."""
    drawn = []
    for column, vi, en in (("on_time_rate_pct", "Tỷ lệ hồ sơ giải quyết đúng hạn theo cấp (%)",
                            "Dossiers resolved on time, by level (%)"),
                           ("online_rate_pct", "Tỷ lệ hồ sơ nộp trực tuyến theo cấp (%)",
                            "Dossiers submitted online, by level (%)")):
        rows = _query(warehouse, f"select agency_level, month, {column} from marts.open_dossier_kpis_by_level_monthly "
                                 "order by month")
        series: dict[str, list] = defaultdict(list)
        for level, month, value in rows:
            series[LEVEL_NAMES.get(level, (level, level))[0]].append((month.isoformat(), float(value)
                                                                       if value is not None else None))
        drawn.append((line_chart(f"{vi} · {en}", dict(series), y_max=100.0), vi, en))
    rows = _query(warehouse, "select level, month, e_signed_rate_pct from marts.open_document_kpis_monthly "
                             "order by month")
    series = defaultdict(list)
    for level, month, value in rows:
        series[LEVEL_NAMES.get(level, (level, level))[0]].append((month.isoformat(), float(value)
                                                                   if value is not None else None))
    drawn.append((line_chart("Văn bản đi được ký số theo cấp (%) · Outgoing documents e-signed, by level (%)",
                             dict(series)), "Văn bản đi được ký số theo cấp (%)",
                  "Outgoing documents e-signed, by level (%)"))
    rows = _query(warehouse, "select service_level, year, services from marts.open_online_services_yearly "
                             "where service_level <> 'none' order by year")
    bars = defaultdict(list)
    names = {"full_online": "Toàn trình · Full", "partial_online": "Một phần · Partial"}
    for level, year, services in rows:
        bars[names.get(level, level)].append((str(year), float(services)))
    drawn.append((bar_chart("Dịch vụ công trực tuyến theo mức độ · Online services by level", dict(bars)),
                  "Dịch vụ công trực tuyến theo mức độ", "Online services by level"))
    return [chart for chart in drawn if chart[0]]


PAGE = """<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Dữ liệu mở · Open data</title>
<style>
body {{ font-family: system-ui, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 1000px; padding: 1rem;
        color: #1d2733; }}
header {{ display: flex; justify-content: space-between; align-items: baseline; flex-wrap: wrap; gap: 1rem; }}
h1 {{ font-size: 1.6rem; margin: 0.2rem 0; }}
.dataset {{ border-top: 1px solid #d5dbe1; padding: 0.8rem 0; }}
.dataset h2 {{ font-size: 1.1rem; margin: 0 0 0.3rem; }}
.downloads a {{ margin-right: 0.8rem; }}
.meta {{ color: #5b6773; font-size: 0.85rem; }}
#search {{ width: 100%; padding: 0.5rem; font-size: 1rem; margin: 0.8rem 0; box-sizing: border-box; }}
.chart {{ width: 100%; height: auto; margin: 0.5rem 0 1rem; }}
.chart-title {{ font-size: 13px; font-weight: 600; }}
.axis, .legend {{ font-size: 11px; fill: #5b6773; }}
.grid {{ stroke: #e3e8ed; }}
[lang="en"] {{ display: none; }}
body.en [lang="en"] {{ display: revert; }}
body.en [lang="vi"] {{ display: none; }}
</style>
</head>
<body>
<header>
  <h1><span lang="vi">Dữ liệu mở của tỉnh</span><span lang="en">The province's open data</span></h1>
  <button id="language" type="button">English</button>
</header>
<p class="meta"><span lang="vi">Cập nhật lần cuối</span><span lang="en">Last updated</span>: {updated}.
<span lang="vi">Tệp CSV mã hóa UTF-8 có BOM để Excel hiển thị đúng tiếng Việt. Danh mục DCAT:</span>
<span lang="en">CSV files are UTF-8 with a byte-order mark so that Excel shows Vietnamese correctly.
DCAT catalog:</span>
<a href="catalog.jsonld">catalog.jsonld</a></p>
<section id="charts">
<h2><span lang="vi">Chỉ số chính</span><span lang="en">Headline indicators</span></h2>
{charts}
</section>
<input id="search" type="search" placeholder="Tìm bộ dữ liệu · Search datasets" aria-label="Search">
<section id="datasets">
{datasets}
</section>
<script>
document.getElementById("search").addEventListener("input", function (event) {{
  var words = event.target.value.toLowerCase().split(/\\s+/).filter(Boolean);
  document.querySelectorAll(".dataset").forEach(function (item) {{
    var text = item.textContent.toLowerCase();
    item.hidden = !words.every(function (word) {{ return text.indexOf(word) >= 0; }});
  }});
}});
document.getElementById("language").addEventListener("click", function (event) {{
  var english = document.body.classList.toggle("en");
  document.documentElement.lang = english ? "en" : "vi";
  event.target.textContent = english ? "Tiếng Việt" : "English";
}});
</script>
</body>
</html>
"""


def portal(settings: Settings, warehouse: Warehouse) -> str:
    items = []
    for slug, package in published_packages(settings.open_data_dir):
        links = " ".join(f'<a href="{slug}/latest/{html.escape(r["path"])}">{r["format"].upper()}</a>'
                         for r in package["resources"])
        extras = (f'<a href="{slug}/latest/datapackage.json">datapackage.json</a> '
                  f'<a href="{slug}/latest/SHA256SUMS">SHA256SUMS</a>')
        if (settings.open_data_dir / slug / "CHANGELOG.md").exists():
            extras += f' <a href="{slug}/CHANGELOG.md">CHANGELOG</a>'
        if (settings.open_data_dir / slug / "latest" / DICTIONARY_FILES[0]).exists():
            extras += (f' <a href="{slug}/latest/{DICTIONARY_FILES[0]}"><span lang="vi">Từ điển dữ liệu</span>'
                       f'<span lang="en">Data dictionary</span></a>'
                       f' <a href="{slug}/latest/{DICTIONARY_FILES[1]}">(CSV)</a>')
        vi, en = _descriptions(package)
        licence = package["licenses"][0]
        period = package.get("temporal")
        covered = (f' · <span lang="vi">thời kỳ</span><span lang="en">period</span> {period["start"]} – '
                   f'{period["end"]}') if period else ""
        sources = "; ".join(s["title"] for s in package.get("sources", []))
        items.append(
            f'<article class="dataset" id="{slug}">'
            f'<h2><span lang="vi">{html.escape(package["title"])}</span>'
            f'<span lang="en">{html.escape(package.get("title_en", package["title"]))}</span></h2>'
            f'<p><span lang="vi">{html.escape(vi)}</span><span lang="en">{html.escape(en)}</span></p>'
            f'<p class="downloads">{links} {extras}</p>'
            f'<p class="meta">{html.escape(package.get("owner", ""))} · '
            f'<a href="{html.escape(licence["path"])}">{html.escape(licence["name"])}</a>'
            f' · <span lang="vi">phiên bản</span><span lang="en">version</span> {package["version"]}'
            f' · {package["created"]}{covered}</p>'
            + (f'<p class="meta"><span lang="vi">Nguồn</span><span lang="en">Sources</span>: '
               f'{html.escape(sources)}</p>' if sources else "")
            + '</article>')
    drawn = "\n".join(f'<figure>{svg}<figcaption><span lang="vi">{html.escape(vi)}</span>'
                      f'<span lang="en">{html.escape(en)}</span></figcaption></figure>'
                      for svg, vi, en in charts(warehouse))
    updated = datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return PAGE.format(updated=updated, charts=drawn, datasets="\n".join(items))


def write_catalog_and_portal(settings: Settings, warehouse: Warehouse) -> list[Path]:
    """After every dataset's `latest` switched: the catalog and the page, each replaced in one rename."""
    root = settings.open_data_dir
    root.mkdir(parents=True, exist_ok=True)
    _write_atomically(root / "catalog.jsonld", json.dumps(catalog(settings), ensure_ascii=False, indent=2) + "\n")
    _write_atomically(root / "index.html", portal(settings, warehouse))
    return [root / "catalog.jsonld", root / "index.html"]
