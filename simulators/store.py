"""A source system's table, played by SQLite: records kept as JSON text, read by (updated_at, key) keyset."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

STORE_FORMAT = "v3"  # bump when the table layout changes


class RecordStore:
    """One entity's records. Built once per configuration (then cached on disk); writable, so a fault can
    change records while a client reads them, as a live source does."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._write_lock = threading.Lock()

    @classmethod
    def build(cls, path: Path, records: Callable[[], Iterable[dict]], key: str, cursor: str) -> RecordStore:
        """Create the store at `path` from `records()` unless it exists; readers never see a half-built one."""
        path = path.with_name(f"{path.stem}.{STORE_FORMAT}{path.suffix}")  # a cache of an older layout is not reused
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            tmp.unlink(missing_ok=True)
            with sqlite3.connect(tmp) as db:
                # Records arrive in generation order; they are appended to a heap first and written to the
                # clustered table in one sorted pass, which is several times faster than inserting each one
                # in its place.
                db.execute("create temp table incoming (updated_at text, key text, body blob)")
                batch: list[tuple[str, str, bytes]] = []
                for record in records():
                    batch.append((record[cursor], str(record[key]),
                                  json.dumps(record, ensure_ascii=False).encode()))
                    if len(batch) >= 10_000:
                        db.executemany("insert into incoming values (?, ?, ?)", batch)
                        batch.clear()
                db.executemany("insert into incoming values (?, ?, ?)", batch)
                # Bodies as UTF-8 bytes: served as they are, never re-encoded per request. Clustered on the
                # keyset order, so a page is one range read rather than an index walk and a lookup per record.
                db.execute("create table records (updated_at text, key text, body blob,"
                           " primary key (updated_at, key)) without rowid")
                db.execute("insert into records select updated_at, key, body from incoming order by updated_at, key")
                db.execute("create unique index records_by_key on records (key)")
                db.execute("drop table incoming")
            db.close()
            os.replace(tmp, path)
        return cls(path)

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        return db

    def page(self, updated_since: str, after: tuple[str, str] | None, limit: int) -> list[tuple[str, str, bytes]]:
        """Records with updated_at >= updated_since, after the keyset position, oldest first."""
        start = (updated_since, "") if after is None else max(after, (updated_since, ""))
        return self._db().execute(
            "select updated_at, key, body from records where (updated_at, key) > (?, ?)"
            " order by updated_at, key limit ?",
            (*start, limit),
        ).fetchall()

    def max_updated_at(self) -> str:
        return self._db().execute("select coalesce(max(updated_at), '') from records").fetchone()[0]

    def count(self) -> int:
        return self._db().execute("select count(*) from records").fetchone()[0]

    def all(self) -> list[dict]:
        return [json.loads(body) for (body,) in self._db().execute("select body from records order by updated_at, key")]

    def touch(self, keys: Iterable[str], cursor: str, updated_at: str, change: Callable[[dict], None]) -> None:
        """Change records as the live system would: new content, a later updated_at."""
        with self._write_lock:
            db = self._db()
            for key in keys:
                row = db.execute("select body from records where key = ?", (key,)).fetchone()
                if row is None:
                    continue
                record = json.loads(row[0])
                change(record)
                record[cursor] = updated_at
                db.execute("update records set updated_at = ?, body = ? where key = ?",
                           (updated_at, json.dumps(record, ensure_ascii=False).encode(), key))
            db.commit()

    def copy_to(self, path: Path) -> RecordStore:
        """A private copy, for a test that lets faults change records."""
        with sqlite3.connect(self.path) as source, sqlite3.connect(path) as target:
            source.backup(target)
        return RecordStore(path)
