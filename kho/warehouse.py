"""The warehouse connection: the PostgreSQL named by KHO_DATABASE_URL, or an embedded one kept in a folder."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from kho.settings import Settings

EMBEDDED_DATABASE = "kho"


@dataclass(frozen=True)
class Warehouse:
    url: str  # a libpq connection URI or key=value string

    @property
    def params(self) -> dict[str, str]:
        return {k: str(v) for k, v in conninfo_to_dict(self.url).items()}

    @property
    def host(self) -> str:
        return self.params.get("host", "localhost")

    @property
    def dbname(self) -> str:
        params = self.params
        return params.get("dbname", params.get("user", "postgres"))

    def dbt_env(self) -> dict[str, str]:
        """What dbt_project/profiles.yml reads; a socket directory works as host."""
        params = self.params
        return {
            "KHO_DB_HOST": self.host,
            "KHO_DB_PORT": params.get("port", "5432"),
            "KHO_DB_USER": params.get("user", "postgres"),
            "KHO_DB_PASSWORD": params.get("password", ""),
            "KHO_DB_NAME": self.dbname,
        }

    def sqlalchemy_url(self) -> str:
        """For Great Expectations. A socket directory goes in the query: GX rejects a URL without a host."""
        params = self.params
        user = quote(params.get("user", "postgres"), safe="")
        password = params.get("password")
        auth = f"{user}:{quote(password, safe='')}" if password else user
        host = self.host
        if host.startswith("/"):
            return f"postgresql+psycopg2://{auth}@localhost/{quote(self.dbname)}?host={quote(host, safe='/')}"
        port = params.get("port", "5432")
        return f"postgresql+psycopg2://{auth}@{host}:{port}/{quote(self.dbname)}"

    def with_database(self, dbname: str) -> Warehouse:
        params = self.params
        params["dbname"] = dbname
        return Warehouse(make_conninfo(**params))

    def connect(self, **kwargs: object) -> psycopg.Connection:
        return psycopg.connect(self.url, **kwargs)

    def describe(self) -> str:
        params = self.params
        where = params.get("host", "localhost")
        return f"postgresql database {self.dbname!r} at {where}" + (f":{params['port']}" if "port" in params else "")


def ensure_database(server: Warehouse, dbname: str) -> Warehouse:
    """Create `dbname` on the server if missing (UTF-8, so Vietnamese text and normalize() work)."""
    with server.connect(autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (dbname,)).fetchone()
        if not exists:
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(f'create database "{dbname}" encoding \'UTF8\' template template0')
    return server.with_database(dbname)


@contextlib.contextmanager
def open_warehouse(settings: Settings) -> Iterator[Warehouse]:
    """Yield the warehouse; an embedded server stays up at least until the block ends."""
    if settings.database_url:
        yield Warehouse(settings.database_url)
        return
    server = start_embedded(settings.home / "pg")
    yield ensure_database(server, EMBEDDED_DATABASE)


_held_servers: dict[Path, object] = {}


@contextlib.contextmanager
def _one_start_at_a_time() -> Iterator[None]:
    """Hold a machine-wide lock while pgserver starts a server. Run as root, pgserver creates its `pgserver` system
    user on first use and chowns the data folder to it; two processes starting servers at once (test workers on a
    new machine) could each create the user, and one chowned its folder to a uid that was not the user's in the end
    (initdb: "could not change permissions of directory"). Other users' servers run as themselves: no lock."""
    if os.geteuid() != 0:
        yield
        return
    with open(Path(tempfile.gettempdir()) / "kho-pgserver-start.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def start_embedded(folder: Path) -> Warehouse:
    """Start (or join) the embedded PostgreSQL in `folder`; it stops when the last process using it exits."""
    with warnings.catch_warnings():
        # platformdirs warns at import when XDG_RUNTIME_DIR is unset (containers, CI); harmless here.
        warnings.simplefilter("ignore")
        import pgserver  # imported here: only the embedded path needs it

    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if len(str(folder)) > 90:
        # The server's Unix socket lives in this folder and socket paths are limited to ~107 bytes.
        raise RuntimeError(f"the embedded database folder {folder} is too long a path for a Unix socket; "
                           "set KHO_HOME to a shorter path")
    # pgserver narrates every pg_ctl call at INFO, and does so again at exit when streams may be closed.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    with warnings.catch_warnings(), _one_start_at_a_time():
        warnings.simplefilter("ignore")
        server = _held_servers.get(folder) or pgserver.get_server(folder, cleanup_mode="stop")
    _held_servers[folder] = server  # holding the object keeps the server up for this process
    return Warehouse(server.get_uri())


def stop_embedded(folder: Path) -> None:
    """Let go of the embedded server now instead of at exit (it stops if no other process uses it)."""
    server = _held_servers.pop(folder.resolve(), None)
    if server is not None:
        server.cleanup()
