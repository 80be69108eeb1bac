"""The quarantine: what was refused, why, what to do about it, and replaying it once the cause is fixed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import psycopg

from ingest.contract import Contract
from ingest.load import LoadResult, load
from ingest.schema import bootstrap

REPLAY_NOTE = "replay of quarantined records"

# (pattern in a reason, what it means and how to fix it). First match wins.
ADVICE = (
    (r"required field is missing", "The source sent the record without this field. If the source renamed it, "
     "the load log shows the drift: map the new name in the contract, then replay; otherwise ask the source "
     "system's owner to send it."),
    (r"required field is empty", "The field is present but empty. Ask the source system's owner to fill it; "
     "the record loads on the next run after they do."),
    (r"is not a timestamp|is not a date|outside the years", "A date the contract cannot read. If the source "
     "uses another date format for good, add it to the contract and replay; otherwise the source must fix it."),
    (r"expected (an integer|a number|text|0/1)", "A value of the wrong type. Check the source's export or API "
     "version; if the new type is legitimate, change the contract and replay."),
    (r"does not match the expected format", "A code in the wrong format (agency identifiers follow QCVN "
     "102:2016, dossier codes <agency>-YYMMDD-NNNN). Ask the source owner to correct the code."),
    (r"is not one of", "A coded value outside the allowed set. If the code set grew (a new channel, status or "
     "type), add it to the contract and replay."),
    (r"longer than", "Text longer than the contract allows, often a field filled by mistake (a pasted "
     "document). Ask the source owner; raise the limit in the contract only if the length is legitimate."),
    (r"invalid Unicode|NUL character|not a readable JSON|legacy|encoding", "Text that is not valid Unicode: a "
     "broken export or a legacy encoding (TCVN3/VNI). The source must re-send it in UTF-8."),
    (r"below the minimum", "A value below its allowed minimum (a negative fee or area). Ask the source owner."),
    (r"cut short|ends in the middle", "The file was cut off in transfer. Ask for it again: the complete file "
     "replaces this one's rows on the next run."),
    (r"is not the day of this file", "A row dated another day than its file. The export mixed days; ask the "
     "source owner to re-export that day."),
    (r"values where the header has|header", "The file's columns do not match its header (a shifted or merged "
     "row). Ask for a clean export."),
    (r"not a readable Excel workbook|unreadable|no date in", "The file itself cannot be read. Ask the source "
     "owner to send it again; nothing of it was loaded."),
)


def advice_for(reason: str) -> str:
    for pattern, text in ADVICE:
        if re.search(pattern, reason):
            return text
    return "Read the reason and the payload; fix the source or the contract, then replay."


@dataclass(frozen=True)
class QuarantineGroup:
    source: str
    entity: str
    problem: str  # the reason with the offending value taken out, so alike records group together
    pending: int
    replayed: int
    first_seen: datetime
    last_seen: datetime
    example_key: str | None


def problem_of(reason: str) -> str:
    """'KenhThucHien: expected an integer, got str 'x'' → 'KenhThucHien: expected an integer'."""
    parts = []
    for part in reason.split("; "):
        field, _, text = part.partition(": ")
        text = re.sub(r"'[^']*'|-?\d[\d.]*", "…", text).split(", got")[0]
        parts.append(f"{field}: {text}" if text else field)
    return "; ".join(parts)


def summary(conninfo: str) -> list[QuarantineGroup]:
    with psycopg.connect(conninfo) as conn:
        if not conn.execute("select to_regclass('raw._quarantine') is not null").fetchone()[0]:
            return []
        rows = conn.execute("select source, entity, reason, replayed_load_id is null, quarantined_at, record_key "
                            "from raw._quarantine order by quarantined_at").fetchall()
    groups: dict[tuple[str, str, str], list] = {}
    for source, entity, reason, pending, at, key in rows:
        group = groups.setdefault((source, entity, problem_of(reason)), [0, 0, at, at, key])
        group[0 if pending else 1] += 1
        group[3] = at
    return [QuarantineGroup(s, e, p, g[0], g[1], g[2], g[3], g[4]) for (s, e, p), g in sorted(groups.items())]


@dataclass(frozen=True)
class QuarantinedRecord:
    quarantine_id: int
    load_id: int
    record_key: str | None
    reason: str
    payload: str
    quarantined_at: datetime
    replayed_load_id: int | None


def records(conninfo: str, source: str, entity: str | None = None, contains: str | None = None,
            limit: int = 10) -> list[QuarantinedRecord]:
    sql = ("select quarantine_id, load_id, record_key, reason, payload, quarantined_at, replayed_load_id "
           "from raw._quarantine where source = %s and (%s::text is null or entity = %s) "
           "and (%s::text is null or reason ilike '%%' || %s || '%%') order by quarantine_id limit %s")
    with psycopg.connect(conninfo) as conn:
        return [QuarantinedRecord(*row) for row in conn.execute(sql, (source, entity, entity, contains, contains,
                                                                      limit))]


def replay(conninfo: str, contract: Contract) -> LoadResult:
    """Run the pending quarantined records of one entity through the current contract, as a load of its own.

    Those that pass are merged — only where the key is absent or the replayed version is strictly newer, so a
    correction that arrived since (even with the same cursor, as a re-delivered file has) is never undone —
    and marked replayed; those that still fail stay pending. Replaying again changes nothing. The load log
    shows the replay."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        bootstrap(conn)
        started = conn.execute("select now()").fetchone()[0]

    def pending_payloads(_since: datetime | None) -> Iterator[list[bytes]]:
        with psycopg.connect(conninfo) as conn, conn.cursor(name="quarantine_replay") as cursor:
            cursor.execute("select payload from raw._quarantine where source = %s and entity = %s "
                           "and replayed_load_id is null and quarantined_at <= %s order by quarantine_id",
                           (contract.source, contract.entity, started))
            while page := cursor.fetchmany(2000):
                yield [payload.encode("utf-8", "surrogatepass") for (payload,) in page]

    def mark_replayed(conn: psycopg.Connection, result: LoadResult) -> None:
        conn.execute(
            """
            update raw._quarantine as q set replayed_load_id = %s
            where q.source = %s and q.entity = %s and q.replayed_load_id is null and q.quarantined_at <= %s
              and not exists (select 1 from _rejects as r where r.payload_sha256 = q.payload_sha256)
            """,
            (result.load_id, contract.source, contract.entity, started),
        )

    return load(conninfo, contract, pending_payloads, before_commit=mark_replayed, note=REPLAY_NOTE,
                advance_watermark=False, only_newer=True)
