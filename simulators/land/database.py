"""The land registration system's database: its own PostgreSQL database holding one legacy table of dossiers,
with the faults a live source commits (malformed rows, updates during a read, schema drift, dropped
connections) as methods a test or the demo calls while Kho reads it."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from simulators.base import RunningSource, SimulationPlan
from simulators.land.generate import COLUMNS, SHARE_OF_SCALE, LandSimConfig, generate

TABLE = "ho_so_dang_ky"
APPLICATION_NAME = "land-registry-simulator"
DDL = f"""
create table {TABLE} (
    id bigint primary key,
    ma_ho_so varchar(60),
    loai_thu_tuc text,
    ma_co_quan_tiep_nhan varchar(40),
    ma_xa varchar(5),
    so_to_ban_do integer,
    so_thua integer,
    dien_tich numeric(14, 1),
    muc_dich_su_dung varchar(50),
    ten_chu_su_dung text,
    ngay_tiep_nhan varchar(20),
    ngay_hen_tra varchar(20),
    ngay_tra_ket_qua varchar(20),
    trang_thai smallint,
    updated_at timestamp not null
);
comment on table {TABLE} is 'Hồ sơ đăng ký đất đai (simulated VBDLIS-like legacy table)';
"""
INDEXES = f"create index {TABLE}_by_update on {TABLE} (updated_at, id)"
# The simulator's own bookkeeping, beside the source table (a real system has such tables too).
META_DDL = "create table _sim_meta (key text primary key, value text not null)"

MALFORMATIONS = ("bad_date", "negative_area", "missing_key", "overlong_text", "nfd_text")
# What each malformation does to a row, in SQL (the row is saved in _sim_saved first, for repair()).
MALFORM_SQL = {
    "bad_date": "ngay_tiep_nhan = (array['31/02/', '29/13/', '00/00/'])[1 + id % 3] || right(ngay_tiep_nhan, 4)",
    "negative_area": "dien_tich = -dien_tich",
    "missing_key": "ma_ho_so = null",
    "overlong_text": "loai_thu_tuc = repeat(loai_thu_tuc || ' ', 40)",
    "nfd_text": "ten_chu_su_dung = normalize(ten_chu_su_dung, NFD)",
}
DRIFT_RENAMED = ("muc_dich_su_dung", "ma_muc_dich")
DRIFT_ADDED = ("ghi_chu", "Dữ liệu chuyển đổi từ hệ thống cũ")
DRIFT_REMOVED = "so_to_ban_do"


def with_database(url: str, dbname: str) -> str:
    """The same server, another database; a postgresql:// URL stays a URL (it is what the setting holds)."""
    parts = urlsplit(url)
    if parts.scheme in ("postgresql", "postgres"):
        return urlunsplit(parts._replace(path="/" + quote(dbname)))
    params = conninfo_to_dict(url)
    params["dbname"] = dbname
    return make_conninfo(**params)


class LandRegistry:
    """One source database on a PostgreSQL server. `url` is what Kho's KHO_LAND_DATABASE_URL should hold."""

    def __init__(self, server_url: str, database: str) -> None:
        self.server_url = server_url  # any database on the server: for create/drop and pg_stat_activity
        self.database = database
        self.url = with_database(server_url, database)
        self.fired: list[str] = []  # faults committed while a reader was reading, in order

    # --- building ------------------------------------------------------------------------------------------
    def _server(self) -> psycopg.Connection:
        return psycopg.connect(self.server_url, autocommit=True, application_name=APPLICATION_NAME)

    def connect(self, **kwargs: object) -> psycopg.Connection:
        return psycopg.connect(self.url, application_name=APPLICATION_NAME, **kwargs)  # type: ignore[arg-type]

    def build(self, config: LandSimConfig, *, reuse: bool = True) -> LandRegistry:
        """Create the database and fill it, unless an untouched one for the same configuration exists."""
        with self._server() as server:
            server.execute("select pg_advisory_lock(hashtext(%s))", (f"kho.simulators.land.{self.database}",))
            try:
                if reuse and self._holds(config):
                    return self
                server.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(self.database)))
                server.execute(sql.SQL("create database {} encoding 'UTF8' template template0")
                               .format(sql.Identifier(self.database)))
                with self.connect() as conn:
                    conn.execute(DDL)
                    with conn.cursor().copy(
                            sql.SQL("copy {} ({}) from stdin").format(
                                sql.Identifier(TABLE), sql.SQL(", ").join(map(sql.Identifier, COLUMNS)))) as copy:
                        for row in generate(config):
                            copy.write_row(row)
                    conn.execute(INDEXES)
                    conn.execute(META_DDL)
                    # Written last: a database without it was not finished and is built again.
                    conn.execute("insert into _sim_meta values ('config', %s), ('state', 'clean')", (config.key(),))
            finally:
                server.execute("select pg_advisory_unlock(hashtext(%s))", (f"kho.simulators.land.{self.database}",))
        return self

    def _holds(self, config: LandSimConfig) -> bool:
        try:
            with self.connect() as conn:
                meta = dict(conn.execute("select key, value from _sim_meta").fetchall())
        except psycopg.Error:
            return False
        return meta.get("config") == config.key() and meta.get("state") == "clean"

    def clone(self, database: str) -> LandRegistry:
        """A copy of this database under another name (PostgreSQL copies it block by block: faster than
        building it again), for tests that let faults change rows."""
        with self._server() as server:
            server.execute(sql.SQL("create database {} template {}").format(
                sql.Identifier(database), sql.Identifier(self.database)))
        return LandRegistry(self.server_url, database)

    def drop(self) -> None:
        with self._server() as server:
            server.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(self.database)))

    def count(self) -> int:
        with self.connect() as conn:
            return conn.execute(f"select count(*) from {TABLE}").fetchone()[0]

    def columns(self) -> list[str]:
        with self.connect() as conn:
            return [r[0] for r in conn.execute(
                "select column_name from information_schema.columns where table_name = %s order by ordinal_position",
                (TABLE,))]

    def _touched(self, conn: psycopg.Connection) -> None:
        # A faulted database is not reused by the next start().
        conn.execute("update _sim_meta set value = 'faulted' where key = 'state'")

    # --- malformed rows --------------------------------------------------------------------------------------
    def corrupt(self, rate: float = 0.05, kinds: tuple[str, ...] = MALFORMATIONS) -> dict[str, int]:
        """Break about `rate` of the rows, each in one of `kinds`, as a legacy system's data entry breaks them.
        The same rows and kinds every time (picked by a hash of the row id). Returns rows broken per kind."""
        threshold = int(rate * 10_000)
        counts: dict[str, int] = {}
        with self.connect() as conn:
            conn.execute(f"create table if not exists _sim_saved (like {TABLE} including all)")
            picked = f"abs(hashtext('land-malformed-' || id)) % 10000 < {threshold}"
            conn.execute(f"insert into _sim_saved select * from {TABLE} where {picked} on conflict do nothing")
            for i, kind in enumerate(MALFORMATIONS):
                if kind not in kinds:
                    continue
                counts[kind] = conn.execute(
                    f"update {TABLE} set {MALFORM_SQL[kind]} where {picked}"
                    f" and abs(hashtext('land-kind-' || id)) % {len(MALFORMATIONS)} = {i}").rowcount
            self._touched(conn)
        return counts

    def repair(self, *, touch: bool = False) -> int:
        """Put the broken rows back as they were. `touch` also moves their updated_at on, as a clerk's fix
        would; without it the fix is silent and only a reader that reads them again sees it."""
        # With touch, updated_at is set anew, not restored (one column cannot be assigned twice).
        columns = ", ".join(c for c in COLUMNS if c != "id" and not (touch and c == "updated_at"))
        stamp = ", updated_at = (select max(updated_at) from ho_so_dang_ky) + interval '1 minute'" if touch else ""
        with self.connect() as conn:
            if not conn.execute("select to_regclass('_sim_saved')").fetchone()[0]:
                return 0
            fixed = conn.execute(
                f"update {TABLE} as t set ({columns}) = (select {columns} from _sim_saved as s where s.id = t.id)"
                f"{stamp} where t.id in (select id from _sim_saved)").rowcount
            conn.execute("drop table _sim_saved")
        return fixed

    # --- changes while Kho reads -------------------------------------------------------------------------------
    def update_rows(self, count: int = 25) -> list[int]:
        """Commit an UPDATE of the `count` oldest rows (a re-measured area), stamped after every other row:
        rows a reader has already passed change and move past its position."""
        with self.connect() as conn:
            ids = [r[0] for r in conn.execute(
                f"update {TABLE} set dien_tich = abs(dien_tich) + 1.0,"
                f" updated_at = (select max(updated_at) from {TABLE}) + interval '1 minute'"
                f" where id in (select id from {TABLE} order by updated_at, id limit %s) returning id", (count,))]
            self._touched(conn)
        return ids

    def readers(self, conn: psycopg.Connection) -> list[int]:
        """Backends reading this database through a cursor right now (anyone but the simulator itself)."""
        return [r[0] for r in conn.execute(
            "select pid from pg_stat_activity where datname = %s and pid <> pg_backend_pid()"
            " and application_name <> %s and query ilike 'fetch%%'"
            " and state in ('active', 'idle in transaction')", (self.database, APPLICATION_NAME))]

    def terminate_readers(self) -> int:
        """pg_terminate_backend() every connection reading the table now: the reader's next fetch fails."""
        with self._server() as server:
            pids = self.readers(server)
            for pid in pids:
                server.execute("select pg_terminate_backend(%s)", (pid,))
        return len(pids)

    def when_reading(self, action: Callable[[], object], *, name: str, times: int = 1,
                     timeout: float = 30.0) -> threading.Thread:
        """Watch for a client reading the table through a cursor and run `action` then (`times` times, each on
        a new read), from a thread of the simulator's own; `fired` records each time it did."""

        def watch() -> None:
            deadline = time.monotonic() + timeout
            seen: set[int] = set()
            try:
                with self._server() as server:
                    while len(seen) < times and time.monotonic() < deadline:
                        fresh = [pid for pid in self.readers(server) if pid not in seen]
                        if fresh:
                            seen.update(fresh)
                            action()
                            self.fired.append(name)
                        else:
                            time.sleep(0.002)
            except psycopg.Error as exc:  # the server went away under the watcher: nothing left to do
                self.fired.append(f"{name} failed: {exc}")

        thread = threading.Thread(target=watch, name=f"land-sim-{name}", daemon=True)
        thread.start()
        return thread

    def drop_connection_mid_read(self, times: int = 1) -> threading.Thread:
        """The connection drops while Kho reads (pg_terminate_backend of its reader), `times` reads in a row."""
        return self.when_reading(self.terminate_readers, name="connection dropped", times=times)

    def update_during_read(self, count: int = 25) -> threading.Thread:
        """An UPDATE of `count` rows commits while Kho's cursor is open."""
        return self.when_reading(lambda: self.update_rows(count), name="rows updated")

    def go_down(self) -> None:
        """The source stops accepting connections and drops the ones it has (a server taken down)."""
        with self._server() as server:
            server.execute(sql.SQL("alter database {} allow_connections false").format(sql.Identifier(self.database)))
            server.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = %s"
                           " and pid <> pg_backend_pid()", (self.database,))

    def come_back(self) -> None:
        with self._server() as server:
            server.execute(sql.SQL("alter database {} allow_connections true").format(sql.Identifier(self.database)))

    def go_down_mid_read(self) -> threading.Thread:
        return self.when_reading(self.go_down, name="source went down")

    # --- schema drift -------------------------------------------------------------------------------------------
    def drift(self, *, rename: bool = True, add: bool = True, remove: bool = True) -> None:
        """An upgrade of the legacy system: a column renamed, one added (filled), one removed."""
        with self.connect() as conn:
            if rename:
                conn.execute(sql.SQL("alter table {} rename column {} to {}").format(
                    sql.Identifier(TABLE), *map(sql.Identifier, DRIFT_RENAMED)))
            if add:
                conn.execute(sql.SQL("alter table {} add column {} text default {}").format(
                    sql.Identifier(TABLE), sql.Identifier(DRIFT_ADDED[0]), sql.Literal(DRIFT_ADDED[1])))
            if remove:
                conn.execute(f"create table _sim_dropped as select id, {DRIFT_REMOVED} from {TABLE}")
                conn.execute(sql.SQL("alter table {} drop column {}").format(
                    sql.Identifier(TABLE), sql.Identifier(DRIFT_REMOVED)))
            self._touched(conn)

    def undo_drift(self) -> None:
        """Back to the original schema, with the removed column's values restored."""
        columns = self.columns()
        with self.connect() as conn:
            if DRIFT_RENAMED[1] in columns:
                conn.execute(sql.SQL("alter table {} rename column {} to {}").format(
                    sql.Identifier(TABLE), *map(sql.Identifier, reversed(DRIFT_RENAMED))))
            if DRIFT_ADDED[0] in columns:
                conn.execute(sql.SQL("alter table {} drop column {}").format(
                    sql.Identifier(TABLE), sql.Identifier(DRIFT_ADDED[0])))
            if DRIFT_REMOVED not in columns:
                conn.execute(f"alter table {TABLE} add column {DRIFT_REMOVED} integer")
                conn.execute(f"update {TABLE} as t set {DRIFT_REMOVED} = d.{DRIFT_REMOVED}"
                             " from _sim_dropped as d where d.id = t.id")
                conn.execute("drop table _sim_dropped")


def config_for(plan: SimulationPlan) -> LandSimConfig:
    return LandSimConfig(plan.province, max(1, round(SHARE_OF_SCALE * plan.scale)), plan.start, plan.as_of, plan.seed)


def start(plan: SimulationPlan, folder: Path, *, postgres_url: str | None = None,
          database: str | None = None) -> RunningSource:
    """Create (or reuse) land_registry_<seed> on the server at `postgres_url`; the location is its URL."""
    if not postgres_url:
        raise ValueError("the land registry simulator needs a PostgreSQL server (postgres_url) to create its "
                         "source database on")
    config = config_for(plan)
    registry = LandRegistry(postgres_url, database or f"land_registry_{plan.seed}").build(config)
    return RunningSource("land", registry.url,
                         f"land registry database {registry.database!r} · {config.rows:,} dossiers",
                         lambda: None, registry)


@contextlib.contextmanager
def running(plan: SimulationPlan, postgres_url: str, database: str) -> Iterator[LandRegistry]:
    """A registry for one test or script: built fresh, dropped afterwards."""
    registry = LandRegistry(postgres_url, database).build(config_for(plan), reuse=False)
    try:
        yield registry
    finally:
        registry.drop()
