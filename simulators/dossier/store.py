"""The dossier system's database, played by SQLite: built once per configuration, then read by keyset."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from pathlib import Path

from simulators.dossier.generate import DossierSimConfig, generate


class DossierStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    @classmethod
    def open(cls, config: DossierSimConfig, folder: Path) -> DossierStore:
        """Open the store for `config`, generating it first if this configuration was never built."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"dossiers-{config.key()}.sqlite"
        if not path.exists():
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            tmp.unlink(missing_ok=True)
            with sqlite3.connect(tmp) as db:
                db.execute("create table dossiers (updated_at text, code text primary key, body text) without rowid")
                batch: list[tuple[str, str, str]] = []
                for record in generate(config):
                    batch.append((record["NgayCapNhat"], record["MaHoSo"], json.dumps(record, ensure_ascii=False)))
                    if len(batch) >= 10_000:
                        db.executemany("insert into dossiers values (?, ?, ?)", batch)
                        batch.clear()
                db.executemany("insert into dossiers values (?, ?, ?)", batch)
                db.execute("create index dossiers_by_update on dossiers (updated_at, code)")
            os.replace(tmp, path)  # readers never see a half-built store
        return cls(path)

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        return db

    def page(self, updated_since: str, after: tuple[str, str] | None, limit: int) -> list[tuple[str, str, str]]:
        """Records with NgayCapNhat >= updated_since, after the keyset position, oldest first."""
        after = (updated_since, "") if after is None else max(after, (updated_since, ""))
        return self._db().execute(
            "select updated_at, code, body from dossiers where (updated_at, code) > (?, ?)"
            " order by updated_at, code limit ?",
            (*after, limit),
        ).fetchall()

    def count(self) -> int:
        return self._db().execute("select count(*) from dossiers").fetchone()[0]
