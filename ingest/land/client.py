"""Reading the land registration database: a server-side cursor in (updated_at, id) order, resumed where it
stopped when the connection drops, with the table's columns read first to see schema drift."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from ingest.contract import VN_TZ
from ingest.http import RetryPolicy, SourceError

log = logging.getLogger(__name__)

TABLE = "ho_so_dang_ky"
APPLICATION_NAME = "kho-ingest-land"
# The legacy table keeps these dates as varchar 'dd/mm/yyyy'.
DATE_COLUMNS = frozenset({"ngay_tiep_nhan", "ngay_hen_tra", "ngay_tra_ket_qua"})
# Paging order: the cursor, then the table's primary key. The business key (ma_ho_so) cannot break ties: the
# legacy table does not constrain it and it may be NULL, so a position on it could skip rows.
CURSOR_COLUMN, TIEBREAK_COLUMN = "updated_at", "id"
_DAY_MONTH_YEAR = re.compile(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*")


def iso_date(text: str) -> str:
    """'05/03/2024' → '2024-03-05'. Anything else is returned as it came, for the contract to refuse with the
    source's own value in the reason."""
    match = _DAY_MONTH_YEAR.fullmatch(text)
    if match is None:
        return text
    day, month, year = (int(g) for g in match.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return text


def as_record(row: dict[str, Any]) -> dict[str, Any]:
    """A row as the contract reads it: timestamps in ISO 8601 (naive = local time), dd/mm/yyyy text as ISO."""
    record = {}
    for name, value in row.items():
        if isinstance(value, datetime | date):
            value = value.isoformat()
        elif name in DATE_COLUMNS and isinstance(value, str):
            value = iso_date(value)
        record[name] = value
    return record


def table_columns(conn: psycopg.Connection, table: str = TABLE) -> list[str]:
    """The table's (or view's) columns as the source defines them now (information_schema), in order; the
    name is resolved as the query will resolve it, along the search_path."""
    return [r[0] for r in conn.execute(
        """
        select column_name from information_schema.columns
        where (table_schema, table_name) = (select n.nspname, c.relname from pg_class as c
                                            join pg_namespace as n on n.oid = c.relnamespace
                                            where c.oid = to_regclass(%s))
        order by ordinal_position
        """, (table,)).fetchall()]


def _query(table: str, since: datetime | None, position: tuple[datetime, Any] | None) -> tuple[sql.Composed, dict]:
    conditions, params = [], {}
    if since is not None:
        conditions.append(sql.SQL("{} >= %(since)s").format(sql.Identifier(CURSOR_COLUMN)))
        # The source stores local time without a zone; the watermark is an instant.
        params["since"] = since.astimezone(VN_TZ).replace(tzinfo=None)
    if position is not None:
        conditions.append(sql.SQL("({}, {}) > (%(at)s, %(after)s)").format(
            sql.Identifier(CURSOR_COLUMN), sql.Identifier(TIEBREAK_COLUMN)))
        params["at"], params["after"] = position
    where = sql.SQL(" where ") + sql.SQL(" and ").join(conditions) if conditions else sql.SQL("")
    query = sql.SQL("select * from {}{} order by {}, {}").format(
        sql.Identifier(*table.split(".")), where, sql.Identifier(CURSOR_COLUMN), sql.Identifier(TIEBREAK_COLUMN))
    return query, params


def pages(url: str, since: datetime | None, *, page_size: int = 2000, policy: RetryPolicy | None = None,
          table: str = TABLE, on_columns: Callable[[list[str]], None] | None = None,
          sleep: Callable[[float], None] = time.sleep) -> Iterator[list[dict[str, Any]]]:
    """Yield pages of rows changed since `since`, oldest first, streamed through a server-side cursor (flat
    memory). A dropped connection is reopened with backoff and the read resumes after the last row yielded;
    `policy.attempts` failures in a row without a new row give up with SourceError."""
    policy = policy or RetryPolicy()
    position: tuple[datetime, Any] | None = None  # (updated_at, id) of the last row yielded
    failures = 0
    columns_seen = False
    while True:
        try:
            with psycopg.connect(url, application_name=APPLICATION_NAME,
                                 connect_timeout=max(1, round(policy.timeout))) as conn:
                conn.read_only = True  # Kho never writes to a source
                if not columns_seen:
                    columns = table_columns(conn, table)
                    if not columns:
                        raise SourceError(f"land: the source database has no table {table!r}; check "
                                          "KHO_LAND_DATABASE_URL points at the land registration database")
                    missing = {CURSOR_COLUMN, TIEBREAK_COLUMN} - set(columns)
                    if missing:
                        raise SourceError(f"land: table {table!r} has no column {', '.join(sorted(missing))}, "
                                          f"which Kho reads it in order of; its columns now: {', '.join(columns)}")
                    if on_columns is not None:
                        on_columns(columns)
                    columns_seen = True
                query, params = _query(table, since, position)
                with conn.cursor(name="kho_land_reader", row_factory=dict_row) as cursor:
                    cursor.execute(query, params)
                    while rows := cursor.fetchmany(page_size):
                        failures = 0
                        position = (rows[-1][CURSOR_COLUMN], rows[-1][TIEBREAK_COLUMN])
                        yield [as_record(row) for row in rows]
                return
        except psycopg.OperationalError as exc:
            # A dropped or refused connection. Everything else (a query the schema no longer allows, …) is
            # not retried: reading again would not change it.
            failures += 1
            problem = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
            if failures >= policy.attempts:
                raise SourceError(f"land: gave up reading {table} after {failures} failed attempts in a row "
                                  f"(last: {problem}); the watermark was not moved, so the next run starts "
                                  "from the same point") from exc
            wait = policy.delay(failures)
            where = f"after {position[0]} / id {position[1]}" if position else "from the start"
            log.warning("land: %s on attempt %d/%d; resuming %s in %.2fs", problem, failures, policy.attempts,
                        where, wait)
            sleep(wait)
