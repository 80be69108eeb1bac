"""The provincial health information system's daily export: one CSV per day into a drop folder, faults on request.

Files are named `kcb_YYYYMMDD.csv` (visits of that day), UTF-8, comma-separated, CRLF line ends, dates as
dd/mm/yyyy, written atomically (a hidden temporary file, then a rename). `deliver(faults)` writes every day's
file as the system would send it now; a later clean `deliver()` re-sends the correct files, as a sender does
once told about a problem. The same seed writes the same bytes.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import unicodedata
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta
from pathlib import Path

from simulators.base import RunningSource, SimulationPlan
from simulators.faults import stable_fraction
from simulators.health.facilities import facilities
from simulators.health.generate import COLUMNS, HealthSimConfig, day_rows, report_days
from simulators.health.legacy import to_tcvn3, to_vni

MALFORMATIONS = ("bad_date", "wrong_type", "missing_key", "overlong_text", "extra_value", "negative", "bad_code",
                 "wrong_day")
DRIFT_RENAMED = ("Số lượt khám BHYT", "Số lượt KCB BHYT")
DRIFT_ADDED = "Ghi chú"
DRIFT_REMOVED = "Số lượt chuyển tuyến"


@dataclass
class HealthFaults:
    """What goes wrong with the drop, per delivery. Each file-level fault hits one file (a different one each,
    given enough days); `malformed_rate` hits rows in every file."""

    truncated: bool = False  # the latest file cut mid-row (the transfer broke off)
    tcvn3: bool = False  # one file in TCVN3 (ABC) instead of UTF-8
    vni: bool = False  # one file in VNI-Windows
    unknown_encoding: bool = False  # one file in Windows-1258: neither UTF-8 nor a legacy encoding Kho knows
    bom: bool = False  # one file in UTF-8 with a byte-order mark
    nfd: bool = False  # one file's text decomposed (NFD), as some Mac tools write it
    malformed_rate: float = 0.0  # rows with a bad date, a wrong type, no facility code, over-long text, …
    duplicate: bool = False  # one file delivered again under a second name (same content)
    drift: bool = False  # the last two files: a column renamed, one added, one removed
    corrected: bool = False  # one file with wrong figures (a re-delivery corrects it)

    @classmethod
    def parse(cls, text: str) -> HealthFaults:
        """'truncated,tcvn3,malformed_rate=0.01' → HealthFaults."""
        values: dict[str, object] = {}
        known = {f.name: f.type for f in fields(cls)}
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, _, value = part.partition("=")
            if name not in known:
                raise ValueError(f"unknown health fault {name!r}; known: {', '.join(known)}")
            values[name] = float(value) if known[name] == "float" else (value or "1") not in ("0", "false")
        return cls(**values)  # type: ignore[arg-type]

    def targets(self, days: list[date]) -> dict[str, list[date]]:
        """The day(s) each file-level fault hits: distinct days while there are enough."""
        if not days:
            return {}
        found: dict[str, list[date]] = {}
        if self.truncated:
            found["truncated"] = [days[-1]]
        if self.drift:
            found["drift"] = days[-3:-1] if len(days) > 2 else days[-1:]
        order = ("duplicate", "tcvn3", "vni", "bom", "nfd", "unknown_encoding", "corrected")
        for i, name in enumerate(n for n in order if getattr(self, n)):
            found[name] = [days[(i + 1) % len(days)] if len(days) > 1 else days[0]]
        return found


def file_name(day: date) -> str:
    return f"kcb_{day:%Y%m%d}.csv"


def _cp1258(text: str) -> bytes:
    """Windows-1258 writes ô, ơ, ư, … whole and the tone as a combining mark after them."""
    out = bytearray()
    for char in text:
        parts = unicodedata.normalize("NFD", char)
        tones = "".join(c for c in parts if c in "\u0300\u0301\u0303\u0309\u0323")
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out += (base + tones).encode("cp1258", errors="replace")
    return bytes(out)


def _malform(row: dict, kind: str) -> dict | str:
    row = dict(row)
    if kind == "bad_date":
        row["Ngày khám"] = "31/02/" + row["Ngày khám"][-4:]
    elif kind == "wrong_type":
        row["Số lượt khám"] = "mười hai"
    elif kind == "missing_key":
        row["Mã cơ sở KCB"] = ""
    elif kind == "overlong_text":
        row["Tên cơ sở KCB"] = (row["Tên cơ sở KCB"] + " ") * 40
    elif kind == "negative":
        row["Số lượt khám BHYT"] = -row["Số lượt khám BHYT"] - 1
    elif kind == "wrong_day":  # a visit of the day before, in this day's file
        day = date(int(row["Ngày khám"][6:]), int(row["Ngày khám"][3:5]), int(row["Ngày khám"][:2]))
        row["Ngày khám"] = (day - timedelta(days=1)).strftime("%d/%m/%Y")
    elif kind == "bad_code":
        row["Mã xã"] = row["Mã xã"][:4]
    elif kind == "extra_value":
        # A name with a comma, written without quotes: the row has one value too many.
        return ",".join(str(v) for v in {**row, "Tên cơ sở KCB": row["Tên cơ sở KCB"] + ", cơ sở 2"}.values())
    return row


def _wrong_version(rows: Iterator[dict], config: HealthSimConfig, day: date) -> Iterator[dict]:
    """A first version with mistakes: one figure tripled, and a row under a station code of the other side of
    1 July 2025 (an old station still reporting after the merger, or a new one before it)."""
    for number, row in enumerate(rows):
        yield {**row, "Số lượt khám": row["Số lượt khám"] * 3} if number == 1 else row
    stray = next(f for f in facilities(config.province) if f.level == "Xã" and not f.active_on(day))
    yield {"Mã cơ sở KCB": stray.code, "Tên cơ sở KCB": stray.name, "Tuyến": stray.level,
           "Mã xã": stray.commune_code, "Ngày khám": day.strftime("%d/%m/%Y"), "Giới tính": "Nữ",
           "Nhóm tuổi": "Từ 60 tuổi", "Số lượt khám": 4, "Số lượt khám BHYT": 4, "Số lượt nội trú": 0,
           "Số lượt chuyển tuyến": 0}


class HealthDrop:
    """The drop folder and what the health system writes into it."""

    def __init__(self, config: HealthSimConfig, folder: Path) -> None:
        self.config = config
        self.folder = Path(folder)
        self.days = report_days(config)

    def render(self, day: date, faults: HealthFaults | None = None) -> bytes:
        """One day's file, as bytes, with the faults that hit that day."""
        faults = faults or HealthFaults()
        hits = {name for name, days in faults.targets(self.days).items() if day in days}
        columns = list(COLUMNS)
        if "drift" in hits:
            columns = [DRIFT_RENAMED[1] if c == DRIFT_RENAMED[0] else c for c in columns if c != DRIFT_REMOVED]
            columns.append(DRIFT_ADDED)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(columns)
        rows = day_rows(self.config, day)
        if "corrected" in hits:
            rows = _wrong_version(rows, self.config, day)
        for row in rows:
            if "drift" in hits:
                row = {**row, DRIFT_RENAMED[1]: row.pop(DRIFT_RENAMED[0]), DRIFT_ADDED: ""}
                row.pop(DRIFT_REMOVED)
            who = f"{day}|{row['Mã cơ sở KCB']}|{row['Giới tính']}|{row['Nhóm tuổi']}"
            if faults.malformed_rate and stable_fraction("health", "malformed", who) < faults.malformed_rate:
                kind = MALFORMATIONS[int(stable_fraction("health", "kind", who) * len(MALFORMATIONS))]
                broken = _malform(row, kind)
                if isinstance(broken, str):
                    buffer.write(broken + "\r\n")
                    continue
                row = broken
            writer.writerow([row[c] for c in columns])
        text = buffer.getvalue()
        if "nfd" in hits:
            text = unicodedata.normalize("NFD", text)
        if "tcvn3" in hits:
            data = to_tcvn3(text)
        elif "vni" in hits:
            data = to_vni(text)
        elif "unknown_encoding" in hits:
            data = _cp1258(text)
        else:
            data = text.encode("utf-8-sig" if "bom" in hits else "utf-8")
        if "truncated" in hits:
            cut = int(len(data) * 0.6)
            while data[cut - 1:cut] in (b"\n", b"\r") or data[cut:cut + 1] in (b"\n", b"\r"):
                cut += 1  # mid-row, not at a line end
            data = data[:cut]
        return data

    def deliver(self, faults: HealthFaults | None = None) -> list[Path]:
        """Write every day's file (only those whose bytes changed are rewritten); return the files written."""
        faults = faults or HealthFaults()
        self.folder.mkdir(parents=True, exist_ok=True)
        written = []
        for day in self.days:
            path = self.folder / file_name(day)
            if _write(path, self.render(day, faults)):
                written.append(path)
        for day in faults.targets(self.days).get("duplicate", []):
            copy = self.folder / f"kcb_{day:%Y%m%d}_gui_lai.csv"  # "gửi lại": sent again
            if not copy.exists():
                shutil.copyfile(self.folder / file_name(day), copy)
                written.append(copy)
        return written


def _write(path: Path, data: bytes) -> bool:
    """Atomically: a reader never sees a half-written file under the real name."""
    if path.exists() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return False
    temporary = path.with_name(f".{path.name}.part")
    temporary.write_bytes(data)
    os.replace(temporary, path)
    return True


def config_from(plan: SimulationPlan) -> HealthSimConfig:
    """The plan's scale (dossiers) sets how many daily files: one per thousand, at least 14."""
    return HealthSimConfig(plan.province, plan.start, plan.as_of, plan.seed, days=max(14, plan.scale // 1000))


def start(plan: SimulationPlan, folder: Path, *, postgres_url: str | None = None,
          faults: HealthFaults | None = None) -> RunningSource:
    """Deliver the files into `folder`/drop; the drop folder is what KHO_HEALTH_DROP_DIR should hold."""
    drop = HealthDrop(config_from(plan), Path(folder) / "drop")
    drop.deliver(faults)
    summary = f"health drop folder {drop.folder} · {len(drop.days)} daily CSV files"
    if faults is not None and any(asdict(faults).values()):
        summary += f" · faults: {', '.join(k for k, v in asdict(faults).items() if v)}"
    return RunningSource("health", str(drop.folder), summary, handle=drop)
