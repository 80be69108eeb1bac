"""The warehouse objects ingest owns: raw tables, the quarantine, watermarks and the load log."""

from __future__ import annotations

import psycopg

from ingest.contract import PG_TYPES, Contract

BOOTSTRAP = """
create schema if not exists raw;
create schema if not exists ingest;
create sequence if not exists ingest.load_id_seq;
create table if not exists ingest.watermarks (
    source text not null,
    entity text not null,
    cursor_value timestamptz not null,
    load_id bigint not null,
    updated_at timestamptz not null default now(),
    primary key (source, entity)
);
create table if not exists ingest.load_log (
    load_id bigint primary key,
    source text not null,
    entity text not null,
    status text not null check (status in ('succeeded', 'failed')),
    started_at timestamptz not null,
    finished_at timestamptz not null,
    received bigint not null default 0,
    loaded bigint not null default 0,
    inserted bigint not null default 0,
    updated bigint not null default 0,
    unchanged bigint not null default 0,
    quarantined bigint not null default 0,
    duplicates bigint not null default 0,
    watermark_before timestamptz,
    watermark_after timestamptz,
    drift jsonb,
    message text,
    constraint received_is_accounted_for
        check (status = 'failed' or received = loaded + quarantined + duplicates)
);
create table if not exists ingest.sources (
    source text primary key,
    title text not null,
    setting text not null,
    schedule text not null,
    interval_hours integer not null,
    entities integer not null
);
create table if not exists raw._quarantine (
    quarantine_id bigserial primary key,
    load_id bigint not null,
    source text not null,
    entity text not null,
    record_key text,
    reason text not null,
    payload text not null,
    payload_sha256 text not null,
    quarantined_at timestamptz not null default now(),
    replayed_load_id bigint,
    unique (source, entity, payload_sha256)
);
"""


def bootstrap(conn: psycopg.Connection) -> None:
    """Create what is missing; safe to run concurrently (serialised by an advisory lock)."""
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext('kho.ingest.bootstrap'))")
        conn.execute(BOOTSTRAP)


def raw_table_ddl(contract: Contract) -> str:
    columns = ",\n    ".join(
        f"{f.column} {PG_TYPES[f.type]}{' not null' if f.name in (contract.key, contract.cursor) else ''}"
        for f in contract.fields
    )
    return f"""create table if not exists {contract.table} (
    {columns},
    _extra jsonb,
    _load_id bigint not null,
    _loaded_at timestamptz not null default now(),
    primary key ({contract.field(contract.key).column})
)"""


def ensure_raw_table(conn: psycopg.Connection, contract: Contract) -> None:
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext('kho.ingest.bootstrap'))")
        conn.execute(raw_table_ddl(contract))


def ensure_every_raw_table(conninfo: str) -> None:
    """Every registered source's raw tables, empty where the source is not connected yet: the warehouse builds
    the same models whichever sources are configured (a missing source shows as empty marts and stale
    freshness, not as a failed build)."""
    from ingest.sources import sources

    with psycopg.connect(conninfo) as conn:
        bootstrap(conn)
        for spec in sources().values():
            for contract in spec.entities.values():
                ensure_raw_table(conn, contract)
        with conn.transaction():
            # The registry as the warehouse sees it: which sources exist and how often each should arrive.
            conn.execute("select pg_advisory_xact_lock(hashtext('kho.ingest.bootstrap'))")
            conn.execute("delete from ingest.sources")
            with conn.cursor() as cursor:
                cursor.executemany(
                    "insert into ingest.sources (source, title, setting, schedule, interval_hours, entities) "
                    "values (%s, %s, %s, %s, %s, %s)",
                    [(s.name, s.title, s.setting, s.schedule, s.interval_hours, len(s.entities))
                     for s in sources().values()])
