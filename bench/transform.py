"""bench/transform: a full dbt build of the dossier models on 1M dossiers, then an incremental build after 1% of the
rows changed, in one run; the incremental figure is a ratio to the full one.

    .venv/bin/python -m bench.transform                 # 1,000,000 dossiers, 1% changed
    .venv/bin/python -m bench.transform --rows 200000   # quicker
    .venv/bin/python -m bench.transform --raw-load-id-index   # experiment: raw indexed on _load_id (ingest is not)

The rows are landed by Kho's own ingest from the dossier simulator (cached in .kho/bench), so the warehouse holds
exactly what a real run holds. The change is what an ingest load of late updates leaves: 1% of the dossiers (chosen
by a hash of the code) finish or re-open, with a newer update time, under a new load id from ingest's sequence,
logged as a succeeded load in ingest.load_log, in one transaction. Selected: every model the dossier source feeds
(staging, facts, KPI marts, open marts) and their tests.
"""

from __future__ import annotations

import argparse
import json
import socket
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.common import dossier_simulator, fresh_database, server

console = Console()
SELECT = ("--indirect-selection", "cautious", "--select", "+open_dossier_kpis_monthly",
          "+open_dossier_kpis_by_level_monthly", "+open_online_services_yearly", "+fct_dossier_status_steps",
          "+shared_dossier_kpis_monthly")
LATE_UPDATES = """
update raw.dossier__dossiers
set trang_thai_ho_so = case when trang_thai_ho_so in (9, 10) then 4 else 10 end,
    ngay_ket_thuc_xu_ly = case when trang_thai_ho_so in (9, 10) then null else ngay_cap_nhat end,
    ngay_cap_nhat = ngay_cap_nhat + interval '1 day',
    _load_id = %(load_id)s
where abs(hashtext(ma_ho_so)) %% 100 = 0
"""
LOGGED = """
insert into ingest.load_log (load_id, source, entity, status, started_at, finished_at, received, loaded, updated)
values (%(load_id)s, 'dossier', 'dossiers', 'succeeded', now(), now(), %(rows)s, %(rows)s, %(rows)s)
"""


def land_late_updates(warehouse) -> int:
    """1% of the dossiers finish or re-open, as one load of late updates lands them; the number of rows changed."""
    with warehouse.connect() as conn, conn.transaction():
        load_id = conn.execute("select nextval('ingest.load_id_seq')").fetchone()[0]
        rows = conn.execute(LATE_UPDATES, {"load_id": load_id}).rowcount
        conn.execute(LOGGED, {"load_id": load_id, "rows": rows})
    return rows


def free_port() -> int:
    """A port no other benchmark's simulator holds (several sessions share the machine)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def timed_build(settings, warehouse, *extra: str) -> tuple[float, object, dict[str, float]]:
    """Wall time of `dbt build`, its result, and dbt's own execution time per node (run_results.json)."""
    from kho.transform import build

    started = time.perf_counter()
    result = build(settings, warehouse, *SELECT, *extra)
    seconds = time.perf_counter() - started
    run = json.loads((settings.home / "dbt" / "target" / "run_results.json").read_text())
    return seconds, result, {r["unique_id"]: r["execution_time"] for r in run["results"]}


def _sum(times: dict[str, float], kind: str) -> float:
    return sum(t for uid, t in times.items() if uid.startswith(f"{kind}."))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--raw-load-id-index", action="store_true",
                        help="index the raw dossier tables on _load_id first (an experiment: ingest does not)")
    args = parser.parse_args()

    from kho.pipeline import ingest_source
    from kho.settings import Settings
    from kho.transform import build

    pg = server()
    with fresh_database(pg) as warehouse, tempfile.TemporaryDirectory() as home:
        settings = Settings.from_env({"KHO_HOME": home, "KHO_DATABASE_URL": warehouse.url, "KHO_PAGE_SIZE": "5000"})
        landing = console.status(f"Landing {args.rows:,} dossiers with Kho's ingest…")
        with landing, dossier_simulator(args.rows, free_port()) as url:
            loaded = ingest_source("dossier", settings.with_locations(KHO_DOSSIER_API_URL=url))
        if args.raw_load_id_index:
            with warehouse.connect(autocommit=True) as conn:
                for table in ("raw.dossier__dossiers", "raw.dossier__status_steps"):
                    conn.execute(f"create index on {table} (_load_id)")
                    conn.execute(f"analyze {table}")
        with console.status("Seeds and reference models (outside the timing)…"):
            build(settings, warehouse, "--indirect-selection", "cautious", "--select", "resource_type:seed", "dim_date")
        with console.status("Full build (--full-refresh)…"):
            full_seconds, full, full_times = timed_build(settings, warehouse, "--full-refresh")
        changed = land_late_updates(warehouse)
        with console.status(f"Incremental build after {changed:,} changed rows…"):
            incremental_seconds, incremental, incremental_times = timed_build(settings, warehouse)
        with console.status("The same build with nothing changed…"):
            idle_seconds, _, idle_times = timed_build(settings, warehouse)

    facts = loaded["dossiers"]["loaded"]
    indexed = ", raw indexed on _load_id" if args.raw_load_id_index else ""
    table = Table(title=f"dbt build of the dossier models, {facts:,} dossiers{indexed}")
    for column in ("build", "wall s", "× full", "models s", "× full ", "tests s", "× full  "):
        table.add_column(column, justify="right")
    full_models, full_tests = _sum(full_times, "model"), _sum(full_times, "test")
    for name, seconds, times in (("full refresh", full_seconds, full_times),
                                 (f"incremental, {changed:,} rows changed ({changed / facts:.1%})",
                                  incremental_seconds, incremental_times),
                                 ("incremental, nothing changed", idle_seconds, idle_times)):
        models, tests = _sum(times, "model"), _sum(times, "test")
        table.add_row(name, f"{seconds:.1f}", f"{seconds / full_seconds:.2f}", f"{models:.1f}",
                      f"{models / full_models:.2f}", f"{tests:.1f}", f"{tests / full_tests:.2f}")
    console.print(table)
    messages = {n.unique_id.split(".")[-1]: n.message for n in incremental.nodes}
    for kind, shown in (("model", 6), ("test", 4)):
        slowest = sorted(((t, uid.split(".")[2]) for uid, t in incremental_times.items() if uid.startswith(f"{kind}.")),
                         reverse=True)
        console.print(f"incremental, slowest {kind}s: " + "; ".join(
            f"{name} {t:.1f} s" + (f" ({messages.get(name, '')})" if kind == "model" else "")
            for t, name in slowest[:shown]))
    for what, ratio in (("models", _sum(incremental_times, "model") / full_models),
                        ("whole build (wall, with tests)", incremental_seconds / full_seconds)):
        console.print(f"target: incremental {what} ≤ 10% of the full build's — "
                      f"{'met' if ratio <= 0.10 else 'NOT met'} ({ratio:.1%})")
    del full


if __name__ == "__main__":
    Path(".kho").mkdir(exist_ok=True)
    main()
