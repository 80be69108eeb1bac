"""bench/ingest: the same dossier records landed four ways in the same PostgreSQL, in one run.

    .venv/bin/python -m bench.ingest                  # 1,000,000 records
    .venv/bin/python -m bench.ingest --rows 200000    # quicker
    .venv/bin/python -m bench.ingest --memory         # Kho's peak memory at 1M and 5M records
    .venv/bin/python -m bench.ingest --repeat 5       # more runs of Kho and the bare COPYs (medians)

1. Kho end to end: over HTTP, validated, COPY, merge, watermark, load log, one transaction; twice: from the
   dossier simulator itself (its own process, SQLite behind it, on the same cores), and from the same pages
   recorded and served byte for byte by a server that only reads files (bench/replay.py), as a source on its
   own machine would cost Kho's machine nothing.
2. Bare psycopg COPY of the same rows into a table of the same shape (primary key included): typed tuples
   (write_row), pre-rendered text, and pre-rendered binary (PostgreSQL's own rendering). The fastest of them
   is the ceiling.
3. dlt into the same PostgreSQL (merge on the key), from the records in memory.
4. pandas DataFrame.to_sql (method="multi"), from the records in memory.
Figures are rows per second and ratios to the ceiling measured in the same run (machines here are noisy): Kho
and the bare COPYs run in turn `--repeat` times and each reports its median.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.common import (
    BENCH_HOME,
    dossier_simulator,
    fresh_database,
    record_pages,
    replayed_pages,
    run_in_process,
    server,
    simulator_config,
)

console = Console()
PAGE_SIZE = 5000  # the most the dossier simulator serves in one page

KHO = f"""
import sys, time
from ingest.dossier import load_entity
started = time.perf_counter()
result = load_entity(sys.argv[1], sys.argv[2], "dossiers", page_size={PAGE_SIZE})
figures = {{"seconds": time.perf_counter() - started, "rows": result.loaded, "received": result.received,
           "quarantined": result.quarantined}}
"""


def records(rows: int) -> list[dict]:
    from simulators.dossier.server import build_stores

    return build_stores(simulator_config(rows), BENCH_HOME / "simulators").dossiers.all()


def bare_copy(url: str, rows: list, how: str) -> float:
    """COPY the rows into the raw table's shape: `rows` are typed tuples (write_row), COPY text lines, or chunks
    of one binary COPY stream."""
    import psycopg

    from ingest.dossier.contract import DOSSIERS
    from ingest.schema import bootstrap, ensure_raw_table

    columns = ", ".join([*DOSSIERS.columns, "_load_id"])
    with psycopg.connect(url, autocommit=True) as conn:
        bootstrap(conn)
        ensure_raw_table(conn, DOSSIERS)
        started = time.perf_counter()
        binary = " with (format binary)" if how == "binary" else ""
        statement = f"copy {DOSSIERS.table} ({columns}) from stdin{binary}"
        with conn.transaction(), conn.cursor() as cur, cur.copy(statement) as copy:
            if how == "text":
                for start in range(0, len(rows), PAGE_SIZE):
                    copy.write("".join(rows[start:start + PAGE_SIZE]))
            elif how == "binary":
                for chunk in rows:
                    copy.write(chunk)
            else:
                for row in rows:
                    copy.write_row(row)
        return time.perf_counter() - started


def binary_rows(pg, typed: list[tuple]) -> list[bytes]:
    """The rows as PostgreSQL itself renders them in binary COPY (loaded once, copied out), in ~3 MB chunks."""
    import psycopg

    from ingest.dossier.contract import DOSSIERS

    columns = ", ".join([*DOSSIERS.columns, "_load_id"])
    chunks, pending = [], bytearray()
    with fresh_database(pg) as database:
        bare_copy(database.url, typed, "write_row")
        with psycopg.connect(database.url) as conn, conn.cursor() as cur, \
                cur.copy(f"copy {DOSSIERS.table} ({columns}) to stdout with (format binary)") as copy:
            for data in copy:
                pending += data
                if len(pending) >= 3 << 20:
                    chunks.append(bytes(pending))
                    pending.clear()
    chunks.append(bytes(pending))
    return chunks


def with_dlt(url: str, data: list[dict], workdir: Path) -> float:
    import dlt

    @dlt.resource(name="dossiers", primary_key="MaHoSo", write_disposition="merge")
    def dossiers():
        yield from data

    from kho.warehouse import Warehouse

    # dlt wants a postgresql:// URL; a Unix-socket directory (the embedded server) rides in its query string.
    params = Warehouse(url).params
    host = params.get("host", "localhost")
    where = f"localhost:5432/{params['dbname']}?host={host}" if host.startswith("/") else \
        f"{host}:{params.get('port', 5432)}/{params['dbname']}"
    credentials = f"postgresql://{params.get('user', 'postgres')}:{params.get('password') or 'unused'}@{where}"
    pipeline = dlt.pipeline(pipeline_name="bench_ingest",
                            destination=dlt.destinations.postgres(credentials=credentials),
                            dataset_name="dlt_raw", pipelines_dir=str(workdir))
    started = time.perf_counter()
    pipeline.run(dossiers())
    return time.perf_counter() - started


def with_pandas(url: str, data: list[dict]) -> float:
    import pandas as pd
    from sqlalchemy import create_engine

    from kho.warehouse import Warehouse

    engine = create_engine(Warehouse(url).sqlalchemy_url().replace("+psycopg2", "+psycopg"))
    started = time.perf_counter()
    frame = pd.DataFrame.from_records(data)
    frame.to_sql("dossiers", engine, schema="public", if_exists="replace", index=False, method="multi",
                 chunksize=1000)
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds


def kho_end_to_end(pg, url: str) -> dict:
    with fresh_database(pg) as database:
        return run_in_process(KHO, database.url, url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--memory", action="store_true", help="Kho's peak RSS at --rows and at 5 × --rows")
    parser.add_argument("--skip", nargs="*", default=[], choices=["dlt", "pandas"], help="leave a method out")
    parser.add_argument("--repeat", type=int, default=3, help="runs of Kho and the bare COPYs, in turn")
    args = parser.parse_args()
    pg = server()
    n = args.rows

    if args.memory:
        table = Table(title="Kho end to end: peak memory as volume grows")
        for column in ("records", "seconds", "rows/s", "peak RSS (MB)", "× the first"):
            table.add_column(column, justify="right")
        first = None
        for rows in (n, 5 * n):
            with console.status(f"{rows:,} records: generating the source (once), then loading…"), \
                    dossier_simulator(rows) as url:
                figures = kho_end_to_end(pg, url)
            first = first or figures["peak_rss_mb"]
            table.add_row(f"{rows:,}", f"{figures['seconds']:.1f}", f"{figures['rows'] / figures['seconds']:,.0f}",
                          f"{figures['peak_rss_mb']:.0f}", f"{figures['peak_rss_mb'] / first:.2f}")
        console.print(table)
        return

    from ingest.dossier.contract import DOSSIERS
    from ingest.render import compile_renderer

    live, replayed = "Kho end to end, from the simulator", "Kho end to end, from recorded pages"
    bare = {"write_row": "bare psycopg COPY, typed tuples (write_row)",
            "text": "bare psycopg COPY, pre-rendered text",
            "binary": "bare psycopg COPY, pre-rendered binary"}
    with console.status(f"Generating {n:,} dossier records (once; cached in {BENCH_HOME}), recording the pages, "
                        "preparing the rows for the bare COPY…"):
        data = records(n)
        record_pages(n, PAGE_SIZE)
        typed = [(*DOSSIERS.validate(r)[0], 0) for r in data]
        render = compile_renderer(DOSSIERS)
        prepared = {"write_row": typed, "text": [f"{render(r)[0]}\t0\n" for r in data],
                    "binary": binary_rows(pg, typed)}

    # Kho and the bare COPYs in turn, `--repeat` times: a burst of load from others hits them alike, and the
    # median of each is reported (dlt and pandas, slow and far behind, run once).
    seconds: dict[str, list[float]] = {way: [] for way in (live, replayed, *bare.values())}
    kho_rss = 0.0
    for run in range(1, args.repeat + 1):
        with console.status(f"Run {run}/{args.repeat}: Kho from the simulator…"), dossier_simulator(n) as url:
            figures = kho_end_to_end(pg, url)
            assert figures["rows"] == n, figures
            seconds[live].append(figures["seconds"])
            kho_rss = max(kho_rss, figures["peak_rss_mb"])
        with console.status(f"Run {run}/{args.repeat}: Kho from recorded pages…"), \
                replayed_pages(n, PAGE_SIZE) as url:
            figures = kho_end_to_end(pg, url)
            assert figures["rows"] == n, figures
            seconds[replayed].append(figures["seconds"])
        for how, way in bare.items():
            with console.status(f"Run {run}/{args.repeat}: {way}…"), fresh_database(pg) as database:
                seconds[way].append(bare_copy(database.url, prepared[how], how))
    del typed, prepared
    if "dlt" not in args.skip:
        with console.status("dlt…"), fresh_database(pg) as database:
            seconds["dlt (merge on the key)"] = [with_dlt(database.url, data, BENCH_HOME / "dlt")]
    if "pandas" not in args.skip:
        with console.status("pandas to_sql…"), fresh_database(pg) as database:
            seconds["pandas to_sql (method='multi')"] = [with_pandas(database.url, data)]

    median = {way: statistics.median(values) for way, values in seconds.items()}
    # The ceiling is the fastest bare COPY, whichever form it took.
    ceiling_way = min(bare.values(), key=lambda way: median[way])
    ceiling = n / median[ceiling_way]
    dlt_rate = n / median["dlt (merge on the key)"] if "dlt (merge on the key)" in median else None
    table = Table(title=f"Landing {n:,} dossier records (19 fields) in PostgreSQL "
                        f"(median of {args.repeat} runs; dlt and pandas once)")
    for column in ("way", "seconds", "rows/s", "× ceiling", "× dlt"):
        table.add_column(column, justify="right" if column != "way" else "left")
    for way, value in median.items():
        rate = n / value
        table.add_row(way + (" (the ceiling)" if way == ceiling_way else ""), f"{value:.1f}", f"{rate:,.0f}",
                      f"{rate / ceiling:.2f}", f"{rate / dlt_rate:.1f}" if dlt_rate else "—")
    console.print(table)
    console.print(f"Kho's peak RSS: {kho_rss:.0f} MB. Ceiling: {ceiling_way}, {ceiling:,.0f} rows/s.")
    for way in (live, replayed):
        per_run = [min(seconds[b][i] for b in bare.values()) / seconds[way][i] for i in range(args.repeat)]
        console.print(f"{way} ÷ the fastest bare COPY of the same run: {', '.join(f'{r:.2f}' for r in per_run)}")


if __name__ == "__main__":
    main()
