"""Drop folders: files a source system delivers (CSV, Excel), each read once, in order, with what became of it.

A file source hands Kho a folder. For one entity, `load_drop` lists the files that match its pattern, in the
order of the report date in their names, and decides for each from the ledger `ingest.files`:

- the same name with the same content as last time → skipped (a rerun loads nothing new);
- a new name, or a known name whose content changed (a corrected file) → read and loaded; rows the previous
  version held and the corrected one no longer does are removed (rows carry the sha256 of their file);
- content already loaded under another name (a re-delivery) → a duplicate: counted, not read again;
- with a backfill window (`since`, a backfill run's start): a file the ledger already holds unchanged is read
  again when its report date falls on or after `since`'s day (Vietnam time); its rows are merged on their keys,
  the rows of that file that the re-read no longer yields are removed, and the ledger records the re-read (its
  load and a note). Files dated before the window, and duplicates, stay as they are.

Each file is streamed (csv reader or openpyxl's read-only mode; memory stays flat). A text file's encoding is
found first: UTF-8 (with or without BOM) as is, else TCVN3 or VNI by their byte patterns (converted to NFC),
else the file is quarantined as one record whose reason says why. A file that does not end with a line break
was cut: its last row is quarantined, the rest loads, and the file is recorded `incomplete` — its re-delivery
(different content) loads again. Records carry the date in the file name (`_file_date`, the load's cursor) and
the file's hash (`_file_sha256`). The ledger rows, the quarantined lines and the rows commit with the load, in
one transaction (load()'s `before_commit`)."""

from __future__ import annotations

import codecs
import csv
import hashlib
import itertools
import json
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import psycopg

from ingest.contract import VN_TZ, Contract, Field
from ingest.load import LoadResult, Progress, load, pages_of
from ingest.schema import bootstrap
from ingest.vietnamese_encodings import decode as legacy_decode
from ingest.vietnamese_encodings import detect

ROW_KEY = "_row_key"  # the business key Kho builds when a source's key spans several columns
FILE_DATE = "_file_date"  # the report date in the file name: the cursor
FILE_SHA256 = "_file_sha256"  # the content hash of the file version the row came from

SAMPLE_BYTES = 256 * 1024  # read by the encoding detector
CHUNK = 1024 * 1024
MAX_PAYLOAD = 20_000  # characters of a broken line kept in the quarantine
MAX_PROBLEMS_PER_FILE = 1000  # a file broken on more lines than this is not read further

LEDGER = """
create table if not exists ingest.files (
    source text not null,
    entity text not null,
    file_name text not null,
    sha256 text not null,
    size bigint not null,
    rows bigint not null default 0,
    load_id bigint not null,
    loaded_at timestamptz not null default now(),
    status text not null check (status in ('loaded', 'incomplete', 'duplicate', 'unreadable')),
    file_date date,
    encoding text,
    duplicate_of text,
    note text,
    primary key (source, entity, file_name, sha256)
)
"""

HOLDS_ROWS = ("loaded", "incomplete")


def lineage_fields(*, row_key: bool = False, key_length: int = 200) -> tuple[Field, ...]:
    """The fields Kho adds to every record read from a file (and the row key, for composite keys)."""
    fields = (Field(FILE_DATE, "timestamp", required=True),
              Field(FILE_SHA256, "text", required=True, pattern=r"[0-9a-f]{64}"))
    return ((Field(ROW_KEY, "text", required=True, max_length=key_length),) if row_key else ()) + fields


def report_date(name: str) -> date | None:
    """The date a file name carries: YYYYMMDD or YYYY-MM-DD (kcb_20250115.csv), or a school year YYYY-YYYY
    (its opening day, 5 September of the first year)."""
    for pattern, make in (
        (r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})(?!\d)", lambda m: date(int(m[1]), int(m[2]), int(m[3]))),
        (r"(?<!\d)(\d{4})[-_](\d{4})(?!\d)",
         lambda m: date(int(m[1]), 9, 5) if int(m[2]) == int(m[1]) + 1 else None),
    ):
        for match in re.finditer(pattern, name):
            try:
                found = make(match)
            except ValueError:
                continue
            if found is not None and 1900 < found.year < 2100:
                return found
    return None


def key_from(record: Mapping[str, Any], names: Iterable[str]) -> str | None:
    """A composite business key, 'a|b|c', from the record's values (NFC, trimmed); None if one is missing."""
    parts = []
    for name in names:
        value = record.get(name)
        text = unicodedata.normalize("NFC", str(value)).strip() if value is not None else ""
        if not text:
            return None
        parts.append(text)
    return "|".join(parts)


def cursor_text(day: date) -> str:
    """A report date as the cursor value records carry: midnight local time, yyyyMMddHHmmss."""
    return day.strftime("%Y%m%d000000")


_DMY = re.compile(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*")


def iso_date(value: Any) -> Any:
    """dd/mm/yyyy (how Vietnamese exports write dates) or an Excel date as YYYY-MM-DD; anything else unchanged,
    for the contract to refuse with its own reason."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and (match := _DMY.fullmatch(value)):
        try:
            return date(int(match[3]), int(match[2]), int(match[1])).isoformat()
        except ValueError:
            return value
    return value


def header_name(value: Any) -> str:
    """A column header as a person means it: NFC, one space between words (Excel headers hold line breaks)."""
    return unicodedata.normalize("NFC", " ".join(str(value).split())) if value is not None else ""


@dataclass(frozen=True)
class DropFile:
    """One file found in the drop folder, as read once end to end."""

    path: Path
    size: int
    sha256: str
    file_date: date | None
    ends_with_newline: bool
    utf8: bool  # the whole file is valid UTF-8
    bom: bool
    sample: bytes  # its first bytes, for the encoding detector

    @property
    def name(self) -> str:
        return self.path.name


def inspect(path: Path) -> DropFile:
    """Hash the file, check it is UTF-8 and whether it ends with a line break, in one streaming pass."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8, size, sample, last = True, 0, b"", b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if len(sample) < SAMPLE_BYTES:
                sample += chunk[: SAMPLE_BYTES - len(sample)]
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
            last = chunk[-1:]
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    return DropFile(path, size, digest.hexdigest(), report_date(path.name), last in (b"\n", b"\r"), utf8,
                    sample.startswith(codecs.BOM_UTF8), sample)


@dataclass
class Problem:
    """A line or a file that cannot become a record: quarantined with this reason as it is."""

    reason: str
    payload: dict[str, Any]
    record_key: str | None = None


@dataclass
class FileReading:
    """What became of one file while it was read; the ledger and the load's counts come from it."""

    drop: DropFile
    encoding: str | None = None
    records: int = 0  # handed to the contract
    problems: list[Problem] = field(default_factory=list)
    complete: bool = True
    unreadable: bool = False
    reread: bool = False  # unchanged since it was loaded, read again for a backfill window

    def problem(self, reason: str, *, line: int | None = None, text: Any = None, key: str | None = None) -> None:
        payload: dict[str, Any] = {"file": self.drop.name, "sha256": self.drop.sha256}
        if line is not None:
            payload["line"] = line
        if text is not None:
            payload["record" if isinstance(text, dict) else "text"] = (
                text if not isinstance(text, str) else text[:MAX_PAYLOAD])
        self.problems.append(Problem(reason, payload, key))
        if len(self.problems) >= MAX_PROBLEMS_PER_FILE:
            raise _TooBroken

    def refuse(self, reason: str) -> None:
        """The whole file cannot be read: one record for the file goes to the quarantine."""
        self.unreadable = True
        self.complete = False
        sample = self.drop.sample[:400].decode("latin-1").encode("unicode_escape").decode("ascii")
        self.problems.append(Problem(f"{self.drop.name}: {reason}", {
            "file": self.drop.name, "sha256": self.drop.sha256, "size": self.drop.size, "first_bytes": sample}))


class _TooBroken(Exception):
    """Raised inside a reader once a file has had too many broken lines."""


# ------------------------------------------------------------------------------------------------- readers

def text_lines(drop: DropFile, encoding: str) -> Iterator[str]:
    """The file's lines as Unicode: UTF-8 read as is; TCVN3 or VNI converted line by line to NFC."""
    if encoding in ("utf-8", "utf-8-sig"):
        with drop.path.open(encoding=encoding, newline="") as handle:
            yield from handle
    else:
        with drop.path.open("rb") as handle:
            for raw in handle:
                yield legacy_decode(raw, encoding)


def csv_records(drop: DropFile, reading: FileReading) -> Iterator[dict[str, Any]]:
    """A CSV export's rows as dicts keyed by its (NFC) headers. The delimiter is the one the header line uses
    most (`,` `;` or tab). A row whose number of values differs from the header's, and the last row of a file
    cut short, are problems, not records."""
    lines = text_lines(drop, reading.encoding or "utf-8")
    first = next(lines, None)
    if first is None:
        reading.refuse("the file is empty")
        return
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter)
    try:
        header = [header_name(h) for h in next(reader)]
    except (csv.Error, StopIteration) as exc:
        reading.refuse(f"the header line cannot be read ({exc})")
        return
    pending: tuple[int, list[str]] | None = None
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            reading.problem(f"line {reader.line_num}: not readable as CSV ({exc})", line=reader.line_num)
            continue
        if not any(v.strip() for v in row):
            continue
        if pending is not None:
            record = _row_record(header, *pending, reading)
            if record is not None:
                yield record
        pending = (reader.line_num, row)
    if pending is None:
        if not drop.ends_with_newline:
            reading.refuse("the file ends inside its header line: it was cut short")
        return
    if drop.ends_with_newline:
        record = _row_record(header, *pending, reading)
        if record is not None:
            yield record
    else:
        reading.complete = False
        reading.problem(f"line {pending[0]}: the file ends in the middle of this row (no line break after it): "
                        "the file was cut short; a complete re-delivery loads it",
                        line=pending[0], text=delimiter.join(pending[1]))


def _row_record(header: list[str], line: int, row: list[str], reading: FileReading) -> dict[str, Any] | None:
    if len(row) != len(header):
        reading.problem(f"line {line}: {len(row)} values where the header has {len(header)} columns",
                        line=line, text=row)
        return None
    return dict(zip(header, row, strict=True))


def _cell(value: Any) -> Any:
    """Excel cells as the contract reads them: whole floats as ints, dates as ISO dates, text stripped."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _flatten(top: tuple, sub: tuple | None) -> list[str]:
    """One header from one or two header rows. In a two-row header (merged cells, as Excel reports have) the
    top cell spans the sub-headers under it: 'Học sinh' over 'Tổng số' and 'Nữ' → 'Học sinh / Tổng số',
    'Học sinh / Nữ'; a top cell with nothing under it (merged down) stands alone."""
    names, spanning = [], ""
    width = max(len(top), len(sub or ()))
    for i in range(width):
        upper = header_name(top[i]) if i < len(top) else ""
        lower = header_name(sub[i]) if sub is not None and i < len(sub) else ""
        if upper:
            spanning = upper
        elif not lower:
            spanning = ""
        if lower:
            names.append(f"{upper or spanning} / {lower}" if (upper or spanning) else lower)
        else:
            names.append(upper)
    return names


# What openpyxl raises on a damaged workbook: a broken zip, a missing part, bad XML (ParseError is a SyntaxError).
BROKEN_WORKBOOK = (zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError, EOFError, TypeError)


def xlsx_records(drop: DropFile, reading: FileReading, sheet: str, known: Iterable[str],
                 aliases: Mapping[str, str] | None = None, scan_rows: int = 30) -> Iterator[dict[str, Any]]:
    """One sheet of a workbook as dicts keyed by its headers, streamed (openpyxl read-only). The header is the
    first row, within `scan_rows`, that names at least two `known` columns, so a title block above it is
    skipped; a second header row under it (merged cells) is used when it names more known columns. `aliases`
    map a report's header (after flattening) to the contract's name."""
    import openpyxl
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.exceptions import InvalidFileException

    aliases = {header_name(k): v for k, v in (aliases or {}).items()}
    wanted = {header_name(k) for k in known} | set(aliases)

    def named(names: list[str]) -> list[str]:
        return [aliases.get(n, n) for n in names]

    def score(names: list[str]) -> int:
        return sum(1 for n in names if n in wanted)

    try:
        workbook = openpyxl.load_workbook(drop.path, read_only=True, data_only=True)
    except (*BROKEN_WORKBOOK, InvalidFileException) as exc:
        reading.refuse(f"not a readable Excel workbook ({type(exc).__name__}: {exc})")
        return
    try:
        if sheet not in workbook.sheetnames:
            reading.refuse(f"the workbook has no sheet {sheet!r} (it has {', '.join(workbook.sheetnames)})")
            return
        rows = workbook[sheet].iter_rows(values_only=True)
        head = list(itertools.islice(rows, scan_rows))
        found = next((i for i, row in enumerate(head) if score(_flatten(row, None)) >= 2), None)
        if found is None:
            reading.refuse(f"sheet {sheet!r}: no header row naming the expected columns in its first "
                           f"{scan_rows} rows")
            return
        header = named(_flatten(head[found], None))
        start = found + 1
        if found + 1 < len(head):
            two_rows = named(_flatten(head[found], head[found + 1]))
            if score(two_rows) > score(header):
                header, start = two_rows, found + 2
        header = [name or f"Cột {get_column_letter(i + 1)}" for i, name in enumerate(header)]
        for number, row in enumerate(itertools.chain(head[start:], rows), start=start + 1):
            values = [_cell(v) for v in row]
            if not any(v not in (None, "") for v in values):
                continue
            if len(values) > len(header):
                extra = values[len(header):]
                if any(v not in (None, "") for v in extra):
                    reading.problem(f"sheet {sheet!r} row {number}: values beyond the last header column",
                                    line=number, text=[str(v) for v in values])
                    continue
                values = values[: len(header)]
            record = {name: value for name, value in zip(header, values, strict=False)
                      if not (name.startswith("Cột ") and value in (None, ""))}
            yield record
    except BROKEN_WORKBOOK as exc:
        reading.complete = False
        reading.problem(f"sheet {sheet!r}: the workbook breaks off while being read ({type(exc).__name__}: "
                        f"{exc}); a complete re-delivery loads it")
    finally:
        workbook.close()


# ------------------------------------------------------------------------------------------------- loading

Reader = Callable[[DropFile, FileReading], Iterator[dict[str, Any]]]


@dataclass(frozen=True)
class DropEntity:
    """One entity a drop folder delivers: its contract, which files hold it, and how to read one."""

    contract: Contract
    pattern: str  # glob in the drop folder, e.g. "kcb_*.csv"
    read: Reader  # the records of one file, keyed by the source's headers
    text: bool = True  # a text file whose encoding must be found (CSV); False for a container such as .xlsx
    key_of: Callable[[dict[str, Any]], str | None] | None = None  # builds ROW_KEY from a record


@dataclass
class _Ledger:
    """The ledger's current view: for each file name, its latest version."""

    current: dict[str, tuple[str, str, int]]  # name → (sha256, status, rows)
    holders: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # sha256 → [(name, rows)] holding it

    def __post_init__(self) -> None:
        for name, (digest, status, rows) in self.current.items():
            if status in HOLDS_ROWS:
                self.holders.setdefault(digest, []).append((name, rows))

    def holder_of(self, sha256: str, other_than: str = "") -> tuple[str, int] | None:
        """A file other than `other_than` whose current version, with this content, is loaded."""
        return next((held for held in self.holders.get(sha256, ()) if held[0] != other_than), None)


@dataclass
class _Run:
    """What one run found and did, shared by the extract (which fills it) and before_commit (which records it)."""

    readings: list[FileReading] = field(default_factory=list)
    duplicates: list[tuple[DropFile, str, int]] = field(default_factory=list)  # (file, original, its rows)
    superseded: list[str] = field(default_factory=list)  # sha256 of replaced versions whose rows may go
    unchanged: int = 0
    window_from: date | None = None  # a backfill's first day: unchanged files dated on or after it are re-read
    removed_on_reread: int = 0  # rows of re-read files that their re-read no longer yields


def ensure_ledger(conninfo: str) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        bootstrap(conn)
        with conn.transaction():
            conn.execute("select pg_advisory_xact_lock(hashtext('kho.ingest.bootstrap'))")
            conn.execute(LEDGER)


def _read_ledger(conninfo: str, contract: Contract) -> _Ledger:
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            "select distinct on (file_name) file_name, sha256, status, rows from ingest.files "
            "where source = %s and entity = %s order by file_name, load_id desc",
            (contract.source, contract.entity)).fetchall()
    return _Ledger({name: (digest, status, count) for name, digest, status, count in rows})


def drop_files(folder: Path, pattern: str) -> list[Path]:
    """The files matching `pattern`, by report date then name; hidden and partial files (a sender still
    writing) are not listed."""
    found = [p for p in folder.iterdir() if p.is_file() and fnmatch(p.name, pattern)
             and not p.name.startswith((".", "~$")) and not p.name.endswith((".part", ".tmp"))]
    return sorted(found, key=lambda p: (report_date(p.name) or date.max, p.name))


def _records(folder: Path, entity: DropEntity, conninfo: str, run: _Run) -> Iterator[dict[str, Any]]:
    contract = entity.contract
    if not folder.is_dir():
        raise FileNotFoundError(f"{contract.source}: the drop folder {folder} does not exist or is not a folder")
    ledger = _read_ledger(conninfo, contract)
    this_run: dict[str, tuple[str, int]] = {}  # sha256 → (name, rows) of files read in this run
    for path in drop_files(folder, entity.pattern):
        drop = inspect(path)
        current = ledger.current.get(drop.name)
        reread = False
        if current is not None and current[0] == drop.sha256:
            if not _in_window(drop, current[1], run.window_from):
                run.unchanged += 1
                continue
            reread = True  # its rows are this file's own: nothing is superseded, no duplicate to look for
        else:
            original = this_run.get(drop.sha256) or ledger.holder_of(drop.sha256, drop.name)
            if original is not None:
                run.duplicates.append((replace(drop, sample=b""), *original))
                continue
            if current is not None and current[1] in HOLDS_ROWS and ledger.holder_of(current[0], drop.name) is None:
                run.superseded.append(current[0])
        reading = FileReading(drop, reread=reread)
        run.readings.append(reading)
        if drop.file_date is None:
            reading.refuse(f"the file name carries no report date (expected a date such as {entity.pattern!r} "
                           "with YYYYMMDD or a school year YYYY-YYYY)")
            continue
        if entity.text:
            if drop.bom:
                reading.encoding = "utf-8-sig"
            elif drop.utf8:
                reading.encoding = "utf-8"
            else:
                guess = detect(drop.sample)
                if guess.encoding is None:
                    reading.refuse(f"not UTF-8, and the encoding cannot be determined: {guess.reason}; ask the "
                                   "sender to export it again in UTF-8")
                    continue
                reading.encoding = guess.encoding
        reading.drop = drop = replace(drop, sample=b"")  # kept for the ledger: no need to hold its bytes
        lineage = {FILE_DATE: cursor_text(drop.file_date), FILE_SHA256: drop.sha256}
        try:
            for record in entity.read(drop, reading):
                record.update(lineage)
                if entity.key_of is not None:
                    record[ROW_KEY] = entity.key_of(record)
                reading.records += 1
                yield record
        except _TooBroken:
            reading.complete = False
            reading.problems.append(Problem(
                f"{drop.name}: more than {MAX_PROBLEMS_PER_FILE} broken lines; the rest of the file was not read",
                {"file": drop.name, "sha256": drop.sha256}))
        if not reading.unreadable:
            this_run[drop.sha256] = (drop.name, reading.records + len(reading.problems))


def _in_window(drop: DropFile, status: str, window_from: date | None) -> bool:
    """Whether a file the ledger holds unchanged is read again: a backfill window reaches its report date."""
    return (window_from is not None and drop.file_date is not None and drop.file_date >= window_from
            and status != "duplicate")


def window_start(since: datetime | None) -> date | None:
    """The first report day a backfill window reaches: `since` as a date in Vietnam (naive means Vietnam time)."""
    if since is None:
        return None
    return (since.replace(tzinfo=VN_TZ) if since.tzinfo is None else since).astimezone(VN_TZ).date()


def _record_run(conn: psycopg.Connection, contract: Contract, run: _Run, result: LoadResult) -> None:
    """Inside the load's transaction: the ledger, the superseded rows, the quarantined lines, and the counts."""
    removed = 0
    for digest in run.superseded:
        removed += conn.execute(f"delete from {contract.table} where {FILE_SHA256} = %s "
                                f"and _load_id <> %s", (digest, result.load_id)).rowcount
    # A file read again for a backfill replaces its own rows. What this load wrote carries its load id; a row it
    # left alone is either unchanged (its key is among the records load() staged in its temporary `_batch`) or
    # no longer in the file: that one goes. A load with no `_batch` wrote every record straight into raw (it
    # started on an empty table), so every row of the file left is its own.
    key = contract.field(contract.key).column
    staged = conn.execute("select to_regclass('pg_temp._batch') is not null").fetchone()[0]
    not_staged = (f" and not exists (select 1 from _batch as b where b.{key} = t.{key}"
                  f" and b.{FILE_SHA256} = t.{FILE_SHA256})") if staged else ""
    for reading in run.readings:
        if reading.reread and not reading.unreadable:
            run.removed_on_reread += conn.execute(
                f"delete from {contract.table} as t where t.{FILE_SHA256} = %s and t._load_id <> %s{not_staged}",
                (reading.drop.sha256, result.load_id)).rowcount
    quarantined = 0
    ledger_rows = []
    for reading in run.readings:
        drop = reading.drop
        for problem in reading.problems:
            payload = json.dumps(problem.payload, ensure_ascii=False, default=str)
            conn.execute(
                "insert into raw._quarantine (load_id, source, entity, record_key, reason, payload, payload_sha256)"
                " values (%s, %s, %s, %s, %s, %s, %s) on conflict (source, entity, payload_sha256) do nothing",
                (result.load_id, contract.source, contract.entity, problem.record_key, problem.reason, payload,
                 hashlib.sha256(payload.encode("utf-8", "backslashreplace")).hexdigest()))
            quarantined += 1
        status = "unreadable" if reading.unreadable else "loaded" if reading.complete else "incomplete"
        reasons = [p.reason for p in reading.problems[:3]]
        if reading.reread:
            reasons.insert(0, f"read again for a backfill from {run.window_from}")
        note = "; ".join(reasons) or None
        ledger_rows.append((drop, reading.records + len(reading.problems), status, reading.encoding, None, note))
    duplicate_rows = 0
    for drop, original, rows in run.duplicates:
        duplicate_rows += rows
        ledger_rows.append((drop, rows, "duplicate", None, original, f"same content as {original}"))
    for drop, rows, status, encoding, duplicate_of, note in ledger_rows:
        conn.execute(
            """
            insert into ingest.files (source, entity, file_name, sha256, size, rows, load_id, status, file_date,
                                      encoding, duplicate_of, note)
            values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
            on conflict (source, entity, file_name, sha256) do update
            set size = excluded.size, rows = excluded.rows, load_id = excluded.load_id, loaded_at = now(),
                status = excluded.status, file_date = excluded.file_date, encoding = excluded.encoding,
                duplicate_of = excluded.duplicate_of, note = excluded.note
            """,
            (contract.source, contract.entity, drop.name, drop.sha256, drop.size, rows, result.load_id, status,
             drop.file_date, encoding, duplicate_of, note))
    # Lines that never became records, and re-delivered files, are received too: the load log balances.
    result.received += quarantined + duplicate_rows
    result.quarantined += quarantined
    result.duplicates += duplicate_rows
    result.message = _summary(run, removed, result.message)


def _summary(run: _Run, removed: int, note: str) -> str:
    counts: dict[str, int] = {}
    for reading in run.readings:
        status = "unreadable" if reading.unreadable else "loaded" if reading.complete else "incomplete"
        counts[status] = counts.get(status, 0) + 1
    if run.duplicates:
        counts["duplicate"] = len(run.duplicates)
    if run.unchanged:
        counts["unchanged"] = run.unchanged
    parts = [f"files: {', '.join(f'{n} {s}' for s, n in counts.items()) or 'none new'}"]
    reread = sum(1 for reading in run.readings if reading.reread)
    if reread:
        parts.append(f"{reread} read again for a backfill from {run.window_from}")
    if run.removed_on_reread:
        parts.append(f"{run.removed_on_reread} row(s) no longer in their re-read file removed")
    legacy = sorted({r.encoding for r in run.readings if r.encoding not in (None, "utf-8", "utf-8-sig")})
    if legacy:
        parts.append(f"converted from {', '.join(legacy)}")
    if removed:
        parts.append(f"{removed} row(s) no longer in their corrected file removed")
    return "; ".join([*([note] if note else []), *parts])


def load_drop(conninfo: str, folder: str | Path, entity: DropEntity, *, page_size: int = 2000,
              progress: Progress | None = None, since: datetime | None = None) -> LoadResult:
    """Load every new or changed file of one entity from the drop folder, in one transaction. With `since` (a
    backfill window's start), files already loaded whose report date is on or after its day are read again."""
    ensure_ledger(conninfo)
    run = _Run(window_from=window_start(since))
    folder = Path(folder)

    def extract(_since: datetime | None) -> Iterator[list[Any]]:
        # The ledger, not the watermark, says which files to read: a late file for an old date (a backfill)
        # still loads. The ledger is read here, after load() holds the entity's lock.
        return pages_of(_records(folder, entity, conninfo, run), page_size)

    return load(conninfo, entity.contract, extract, progress=progress,
                before_commit=lambda conn, result: _record_run(conn, entity.contract, run, result))
