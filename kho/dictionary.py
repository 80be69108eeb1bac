"""The data dictionary of a published dataset, in Vietnamese and English, rendered from its data package (whose
metadata comes from the dbt project): `data-dictionary.md` for people, `data-dictionary.csv` for tools."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

FILES = ("data-dictionary.md", "data-dictionary.csv")
CSV_COLUMNS = ("column", "type", "sql_type", "unit", "in_key", "may_be_withheld", "description_vi", "description_en")
TYPES_VI = {"string": "văn bản", "integer": "số nguyên", "number": "số thập phân", "boolean": "đúng/sai",
            "date": "ngày", "datetime": "thời điểm"}
UNITS_VI = {"count": "số lượng", "ratio": "tỷ số"}


def _cell(text: object) -> str:
    # A pipe or a line break would end a Markdown table cell early.
    return str(text).replace("|", "\\|").replace("\n", " ")


def rows(package: dict[str, Any]) -> list[dict[str, str]]:
    """One row per column of the dataset, in the data's order."""
    schema = package["resources"][0]["schema"]
    key = schema.get("primaryKey", [])
    return [{"column": f["name"], "type": f["type"], "sql_type": f.get("sql_type", ""), "unit": f.get("unit", ""),
             "in_key": "true" if f["name"] in key else "false",
             "may_be_withheld": "true" if f.get("may_be_withheld") else "false",
             "description_vi": f.get("title", ""), "description_en": f.get("title_en", "")}
            for f in schema["fields"]]


def markdown(package: dict[str, Any]) -> str:
    licence = package["licenses"][0]
    period = package.get("temporal")
    sources = "; ".join(f"{s['title']} — {', '.join(s.get('tables', []))}" for s in package.get("sources", []))
    files = ", ".join(f"`{r['path']}`" for r in package["resources"])
    lines = [
        f"# {package['title']}\n", f"\n*{package.get('title_en', '')}*\n",
        f"\nTừ điển dữ liệu · Data dictionary — `{package['name']}`\n",
        f"\n{package.get('description_vi', '')}\n", f"\n{package.get('description_en', '')}\n",
        "\n| | |\n|---|---|\n",
        f"| Khóa · Key | {', '.join(package['resources'][0]['schema'].get('primaryKey', []))} |\n",
        f"| Thời kỳ · Period | {period['start'] + ' – ' + period['end'] if period else ''} |\n",
        f"| Đơn vị chủ quản · Owner | {_cell(package.get('owner', ''))} |\n",
        f"| Giấy phép · Licence | [{licence['name']}]({licence['path']}) |\n",
        f"| Nguồn · Sources | {_cell(sources)} |\n",
        f"| Cập nhật · Updated | {package.get('update_frequency', '')} |\n",
        f"| Tệp · Files | {files} |\n",
        "\n## Các cột · Columns\n",
        "\nÔ bị ẩn (1–4, và ẩn thứ cấp) để trống, với `is_suppressed = true` trên dòng đó. · A withheld small cell is "
        "empty (null), with `is_suppressed = true` on its row.\n",
        "\n| Cột · Column | Kiểu · Type | Đơn vị · Unit | Khóa · Key | Có thể bị ẩn · May be withheld "
        "| Mô tả | Description |\n|---|---|---|---|---|---|---|\n",
    ]
    for row in rows(package):
        kind = f"{row['type']} ({TYPES_VI.get(row['type'], row['type'])}; `{row['sql_type']}`)"
        unit = f"{row['unit']} ({UNITS_VI[row['unit']]})" if row["unit"] in UNITS_VI else row["unit"]
        lines.append(f"| `{row['column']}` | {kind} | {unit} | {'✓' if row['in_key'] == 'true' else ''} "
                     f"| {'có · yes' if row['may_be_withheld'] == 'true' else ''} | {_cell(row['description_vi'])} "
                     f"| {_cell(row['description_en'])} |\n")
    return "".join(lines)


def write_dictionary(folder: Path, package: dict[str, Any]) -> list[Path]:
    """Both forms of the dictionary, beside the data they describe (covered by SHA256SUMS with it)."""
    md_path, csv_path = (folder / name for name in FILES)
    md_path.write_text(markdown(package), encoding="utf-8")
    # With a byte-order mark, as the data's CSV: Excel then reads the Vietnamese as UTF-8.
    with csv_path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows(package))
    return [md_path, csv_path]
