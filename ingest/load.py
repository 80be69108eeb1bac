"""One load of one source entity, all or nothing: validate → COPY → merge → advance watermark → log."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import msgspec
import psycopg

from ingest.columnar import compile_columnar
from ingest.contract import PG_TYPES, Contract, Invalid
from ingest.render import compile_renderer, copy_text, extra_text
from ingest.schema import bootstrap, ensure_raw_table

# A page is a list of records: raw JSON bytes from an API, or dicts already read from a file or a database.
Page = list[Any]
Extract = Callable[[datetime | None], Iterable[Page]]
Progress = Callable[[int], None]
# Runs inside the load's transaction, after the merge: a file source records the files it loaded here, so
# files and rows commit together.
BeforeCommit = Callable[[psycopg.Connection, "LoadResult"], None]

_decode = msgspec.json.Decoder().decode


@dataclass
class LoadResult:
    source: str
    entity: str
    load_id: int
    status: str = "succeeded"
    received: int = 0
    loaded: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    duplicates: int = 0
    watermark_before: datetime | None = None
    watermark_after: datetime | None = None
    drift: dict = field(default_factory=dict)
    seconds: float = 0.0
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        for name in ("watermark_before", "watermark_after"):
            if values[name] is not None:
                values[name] = values[name].isoformat()
        return values


class IngestError(RuntimeError):
    """A load failed and was rolled back; the message says which source, why, and what was kept."""

    def __init__(self, message: str, result: LoadResult) -> None:
        super().__init__(message)
        self.result = result


def _payload_text(record: Any) -> str:
    if isinstance(record, bytes | bytearray | memoryview | msgspec.Raw):
        return bytes(record).decode("utf-8", errors="backslashreplace")
    # A record read from a file may hold lone surrogates; keep them visible instead of failing the load.
    return json.dumps(record, ensure_ascii=False, default=str).encode("utf-8", "backslashreplace").decode()


def load(
    conninfo: str,
    contract: Contract,
    extract: Extract,
    *,
    lookback: timedelta = timedelta(0),
    progress: Progress | None = None,
    before_commit: BeforeCommit | None = None,
    note: str = "",
    advance_watermark: bool = True,
    fast: bool = True,
    only_newer: bool = False,
) -> LoadResult:
    """Load everything the source changed since the watermark, or nothing at all. `note` is logged with it;
    a load that does not read the source (a quarantine replay) leaves the watermark alone. `fast=False` checks
    every record with the contract alone (slower; the reference the fast paths are tested against)."""
    started = time.perf_counter()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        bootstrap(conn)
        ensure_raw_table(conn, contract)
        load_id = conn.execute("select nextval('ingest.load_id_seq')").fetchone()[0]
        result = LoadResult(contract.source, contract.entity, load_id, message=note)
        started_at = conn.execute("select now()").fetchone()[0]
        try:
            with conn.transaction():
                _load_in_transaction(conn, contract, extract, result, lookback, progress, advance_watermark, fast,
                                     only_newer)
                if before_commit is not None:
                    before_commit(conn, result)
                result.seconds = time.perf_counter() - started
                _log(conn, result, started_at)
        except Exception as exc:
            result.status = "failed"
            result.seconds = time.perf_counter() - started
            result.message = f"{note + ': ' if note else ''}{type(exc).__name__}: {exc}"
            result.watermark_after = result.watermark_before
            _log(conn, result, started_at)
            raise IngestError(
                f"{contract.source}.{contract.entity}: load {load_id} failed and was rolled back "
                f"({result.message}); the raw table and watermark are as they were before it", result
            ) from exc
    return result


def _slow_render(contract: Contract) -> Callable[[Any], tuple[str, Any, dict | None]]:
    """The contract's own validation, rendered: the reference the fast paths are held to."""
    cursor_index = contract.columns.index(contract.field(contract.cursor).column)

    def render(record: Any) -> tuple[str, Any, dict | None]:
        values, extra = contract.validate(record)
        return "\t".join(copy_text(v) for v in values), values[cursor_index], extra or None

    return render


def _load_in_transaction(conn: psycopg.Connection, contract: Contract, extract: Extract, result: LoadResult,
                         lookback: timedelta, progress: Progress | None, advance_watermark: bool,
                         fast: bool, only_newer: bool) -> None:
    # One loader per entity at a time: a second one waits here instead of interleaving merges.
    conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (f"kho.ingest.{contract.table}",))
    row = conn.execute(
        "select cursor_value from ingest.watermarks where source = %s and entity = %s",
        (contract.source, contract.entity),
    ).fetchone()
    result.watermark_before = row[0] if row else None
    since = result.watermark_before - lookback if result.watermark_before else None

    columns = contract.columns
    # A first load (or a backfill) into an empty table goes straight in: each page is COPYed into the raw table
    # itself, under a savepoint. The first page that brings a key already loaded fails on the primary key; it is
    # rolled back and it and every later page go to the temporary table, merged at the end (latest version per
    # key, as always). Either way all of it commits or none of it does.
    direct = not only_newer and conn.execute(f"select not exists (select 1 from {contract.table})").fetchone()[0]
    started_empty = direct
    batch_created = False

    def create_batch() -> None:
        nonlocal batch_created
        if not batch_created:
            column_types = ", ".join(f"{f.column} {PG_TYPES[f.type]}" for f in contract.fields)
            conn.execute(f"create temp table _batch ({column_types}, _extra jsonb, _seq bigint) on commit drop")
            batch_created = True

    conn.execute("create temp table _rejects (record_key text, reason text, payload text, payload_sha256 text,"
                 " cursor_value timestamptz) on commit drop")
    max_cursor = result.watermark_before
    first_drifted = None  # earliest cursor among records that arrived with fields added or missing
    field_count = len(contract.fields)
    seen_fields: set[str] = set()
    seq = 0
    targets = {True: f"{contract.table} ({', '.join(columns)}, _extra, _load_id)",
               False: f"_batch ({', '.join(columns)}, _extra, _seq)"}
    render = compile_renderer(contract) if fast else _slow_render(contract)
    columnar = compile_columnar(contract) if fast else None
    all_fields = [f.name for f in contract.fields]

    def prepare(page: Page, first: int) -> Any:
        # Written for the raw table (the last column is the load id) while a first load goes straight in.
        return columnar(page, first, result.load_id if direct else None) if columnar is not None else None

    def write(cur: psycopg.Cursor, into_raw: bool, handled: Any, lines: list[tuple[str, str, int]]) -> None:
        """One page's rows into the raw table (the last column is the load id) or the batch (the record's seq)."""
        target = targets[into_raw]
        if handled is not None and handled.accepted:
            with cur.copy(f"copy {target} from stdin with (format binary)") as copy:
                copy.write(handled.copy if into_raw else handled.with_seqs())
        if lines:
            with cur.copy(f"copy {target} from stdin") as copy:
                copy.write("".join(f"{values}\t{extra}\t{result.load_id if into_raw else record_seq}\n"
                                   for values, extra, record_seq in lines))

    if direct:
        conn.execute("savepoint kho_page")
    def quarantine(cur: psycopg.Cursor, rejects: list[tuple[str | None, str, Any, Any]]) -> None:
        if not rejects:
            return
        result.quarantined += len(rejects)
        with cur.copy("copy _rejects from stdin") as reject_copy:
            for key, reason, record, cursor_value in rejects:
                payload = _payload_text(record)
                digest = hashlib.sha256(payload.encode("utf-8", "backslashreplace")).hexdigest()
                reject_copy.write_row((key, reason, payload, digest, cursor_value))

    with conn.cursor() as cur:
        for page, handled in read_ahead(extract(since), prepare):
            first = seq + 1
            seq += len(page)
            lines: list[tuple[str, str, int]] = []
            if handled is not None:
                seen_fields.update(all_fields)
                if handled.max_cursor is not None and (max_cursor is None or handled.max_cursor > max_cursor):
                    max_cursor = handled.max_cursor
                todo = [(first + i, page[i]) for i in handled.leftovers]
            else:
                todo = list(enumerate(page, start=first))
            rejects: list[tuple[str | None, str, Any, Any]] = []
            for record_seq, record in todo:
                try:
                    decoded = record if isinstance(record, dict) else _decode(record)
                except (msgspec.DecodeError, UnicodeDecodeError) as exc:
                    rejects.append((None, f"not a readable JSON record: {exc}", record, None))
                    continue
                if isinstance(decoded, dict):
                    seen_fields.update(decoded)
                try:
                    values, cursor_value, extra = render(decoded)
                except Invalid as exc:
                    rejects.append((contract.key_of(decoded), str(exc), record, contract.cursor_of(decoded)))
                    continue
                if max_cursor is None or cursor_value > max_cursor:
                    max_cursor = cursor_value
                if (extra or (isinstance(decoded, dict) and len(decoded) < field_count)) and (
                        first_drifted is None or cursor_value < first_drifted):
                    first_drifted = cursor_value
                lines.append((values, extra_text(extra), record_seq))
            if direct:
                # The page's rows under a savepoint; its rejects outside it, so that rolling a later page back
                # never takes them along. One round trip closes this savepoint and opens the next page's.
                try:
                    write(cur, True, handled, lines)
                except psycopg.errors.UniqueViolation:
                    conn.execute("rollback to savepoint kho_page; release savepoint kho_page")
                    direct = False  # a key seen before in this load: from here on, the batch and the merge
                else:
                    if rejects:
                        conn.execute("release savepoint kho_page")
                        quarantine(cur, rejects)
                        conn.execute("savepoint kho_page")
                    else:
                        conn.execute("release savepoint kho_page; savepoint kho_page")
                    rejects = []
            if not direct:
                create_batch()
                write(cur, False, handled, lines)
            quarantine(cur, rejects)
            if progress:
                progress(seq)
    if direct:
        conn.execute("release savepoint kho_page")
    result.received = seq
    if seen_fields:
        drift = contract.drift(seen_fields)
        result.drift = {k: v for k, v in drift.items() if v}

    valid = result.received - result.quarantined
    if started_empty:
        # Every valid row is in the raw table already (direct), or the rows of the pages before the first repeated
        # key are and the rest merge in now: the latest version of each key wins, as in a merge into an empty
        # table. Either way each key in the table was inserted by this load.
        if batch_created:
            _merge(conn, contract, result.load_id, only_newer)
            loaded = conn.execute(f"select count(*) from {contract.table}").fetchone()[0]
        else:
            loaded = valid
        result.loaded = result.inserted = loaded
        result.duplicates = valid - loaded
    else:
        create_batch()
        key_column = contract.field(contract.key).column
        distinct_keys = conn.execute(f"select count(distinct {key_column}) from _batch").fetchone()[0]
        target_empty = conn.execute(f"select not exists (select 1 from {contract.table})").fetchone()[0]
        if target_empty and distinct_keys == valid:
            # A replay into an empty table with no key twice: nothing can conflict, so the rows go straight in.
            compared = ", ".join([*columns, "_extra"])
            inserted = conn.execute(f"insert into {contract.table} ({compared}, _load_id) "
                                    f"select {compared}, %(load_id)s from _batch",
                                    {"load_id": result.load_id}).rowcount
            merged = [(True,)] * inserted
        else:
            merged = _merge(conn, contract, result.load_id, only_newer)
        result.loaded = distinct_keys
        result.duplicates = valid - distinct_keys
        result.inserted = sum(1 for (ins,) in merged if ins)
        result.updated = len(merged) - result.inserted
        result.unchanged = distinct_keys - len(merged)

    # A record quarantined for the first time holds the watermark at its own cursor, so the next run reads it
    # once more: if the source has fixed it by then, it loads without anyone replaying it. A record seen
    # (and quarantined) before does not hold it again; it waits for `kho quarantine replay`.
    first_seen = conn.execute(
        """
        with inserted as (
            insert into raw._quarantine (load_id, source, entity, record_key, reason, payload, payload_sha256)
            select %s, %s, %s, record_key, reason, payload, payload_sha256 from _rejects
            on conflict (source, entity, payload_sha256) do nothing
            returning payload_sha256
        )
        select min(r.cursor_value) from _rejects as r join inserted using (payload_sha256)
        """,
        (result.load_id, contract.source, contract.entity),
    ).fetchone()[0]
    # Likewise a drift not seen on the previous load: records landed with a field missing (null) or new
    # (in _extra); the next run reads them once more, so a source that reverts or fixes them is taken whole.
    # The same drift again on that run is the source's new normal: the watermark moves on.
    previous_drift = conn.execute(
        "select coalesce(drift, '{}'::jsonb) from ingest.load_log where source = %s and entity = %s"
        " and status = 'succeeded' order by load_id desc limit 1",
        (contract.source, contract.entity),
    ).fetchone()
    if result.drift and result.drift != (previous_drift[0] if previous_drift else {}) and first_drifted is not None:
        first_seen = first_drifted if first_seen is None else min(first_seen, first_drifted)
    if first_seen is not None and max_cursor is not None and first_seen < max_cursor:
        max_cursor = max(first_seen, result.watermark_before) if result.watermark_before else first_seen
    if not advance_watermark:
        max_cursor = result.watermark_before
    result.watermark_after = max_cursor
    if max_cursor is not None and advance_watermark:
        conn.execute(
            """
            insert into ingest.watermarks (source, entity, cursor_value, load_id) values (%s, %s, %s, %s)
            on conflict (source, entity) do update
            set cursor_value = excluded.cursor_value, load_id = excluded.load_id, updated_at = now()
            """,
            (contract.source, contract.entity, max_cursor, result.load_id),
        )


def _log(conn: psycopg.Connection, result: LoadResult, started_at: datetime) -> None:
    conn.execute(
        """
        insert into ingest.load_log (load_id, source, entity, status, started_at, finished_at, received, loaded,
            inserted, updated, unchanged, quarantined, duplicates, watermark_before, watermark_after, drift, message)
        values (%s, %s, %s, %s, %s, now(), %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
        """,
        (result.load_id, result.source, result.entity, result.status, started_at, result.received, result.loaded,
         result.inserted, result.updated, result.unchanged, result.quarantined, result.duplicates,
         result.watermark_before, result.watermark_after, json.dumps(result.drift) if result.drift else None,
         result.message or None),
    )


def pages_of(records: Iterable[Any], size: int = 5000) -> Iterator[Page]:
    """Group a stream of records into pages without holding more than one page."""
    page: Page = []
    for record in records:
        page.append(record)
        if len(page) >= size:
            yield page
            page = []
    if page:
        yield page


def _merge(conn: psycopg.Connection, contract: Contract, load_id: int, only_newer: bool) -> list[tuple[bool]]:
    """The latest version of each key in the batch into raw: a row changes only if the record is at least as new
    (strictly newer with `only_newer`) and differs. One (inserted?) per row written."""
    columns = contract.columns
    key_column = contract.field(contract.key).column
    cursor_column = contract.field(contract.cursor).column
    # A fresh temp table has no statistics; the plan needs them for the key and cursor (all columns would cost
    # more than the better plan saves).
    conn.execute(f"analyze _batch ({key_column}, {cursor_column})")
    assignments = ", ".join(f"{c} = excluded.{c}" for c in [*columns, "_extra", "_load_id"])
    compared = ", ".join([*columns, "_extra"])
    return conn.execute(
        f"""
        with latest_per_key as (
            select distinct on ({key_column}) *
            from _batch
            order by {key_column}, {cursor_column} desc, _seq desc
        )
        insert into {contract.table} as target ({compared}, _load_id)
        select {compared}, %(load_id)s from latest_per_key
        on conflict ({key_column}) do update set {assignments}, _loaded_at = now()
        where target.{cursor_column} {"<" if only_newer else "<="} excluded.{cursor_column}
          and ({", ".join(f"target.{c}" for c in [*columns, "_extra"])})
              is distinct from ({", ".join(f"excluded.{c}" for c in [*columns, "_extra"])})
        returning (xmax = 0) as inserted
        """,
        {"load_id": load_id},
    ).fetchall()


_DONE = object()


def read_ahead(pages: Iterable[Page], prepare: Callable[[Page, int], Any], depth: int = 3,
               workers: int = 2) -> Iterator[tuple[Page, Any]]:
    """Fetch the next pages in a thread, and prepare them in a small pool, while the caller copies this one.
    HTTP waits and Arrow's work release the GIL, so the source, this process (on as many cores as `workers`) and
    PostgreSQL work at once; at most `depth` pages wait, so memory stays flat. Pages come out in order, and an
    error in the thread or the pool is raised here, in order too."""
    import queue
    import threading
    from concurrent.futures import ThreadPoolExecutor

    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    pool = ThreadPoolExecutor(max_workers=max(1, min(workers, os.cpu_count() or 1)),
                              thread_name_prefix="ingest-prepare")

    def produce() -> None:
        first = 1
        try:
            for page in pages:
                item = (page, pool.submit(prepare, page, first))
                first += len(page)
                while not stop.is_set():
                    try:
                        ready.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            ready.put(_DONE)
        except BaseException as exc:  # handed to the consumer, which raises it
            ready.put(exc)
        finally:
            close = getattr(pages, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name="ingest-read-ahead", daemon=True)
    worker.start()
    try:
        while (item := ready.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            page, prepared = item
            yield page, prepared.result()
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                ready.get_nowait()
            except queue.Empty:
                worker.join(timeout=0.1)
        pool.shutdown(wait=True, cancel_futures=True)
