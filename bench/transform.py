"""bench/transform: a full dbt build of the dossier models on 1M dossiers, then an incremental build after 1% of the
rows changed, in one run; the incremental figure is a ratio to the full one.

    .venv/bin/python -m bench.transform                 # 1,000,000 dossiers, 1% changed
    .venv/bin/python -m bench.transform --rows 200000   # quicker

The rows are landed by Kho's own ingest from the dossier simulator (cached in .kho/bench), so the warehouse holds
exactly what a real run holds. The change is what an ingest load of late updates leaves in raw: 1% of the dossiers
(chosen by a hash of the code) finish or re-open, with a newer update time and a new load id. Selected: every
model the dossier source feeds (staging, facts, KPI marts, open marts) and their tests.
"""

from __future__ import annotations

import argparse
import json
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
    _load_id = (select max(_load_id) + 1 from raw.dossier__dossiers)
where abs(hashtext(ma_ho_so)) % 100 = 0
"""


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
    args = parser.parse_args()

    from kho.pipeline import ingest_source
    from kho.settings import Settings
    from kho.transform import build

    pg = server()
    with fresh_database(pg) as warehouse, tempfile.TemporaryDirectory() as home:
        settings = Settings.from_env({"KHO_HOME": home, "KHO_DATABASE_URL": warehouse.url, "KHO_PAGE_SIZE": "5000"})
        with console.status(f"Landing {args.rows:,} dossiers with Kho's ingest…"), dossier_simulator(args.rows) as url:
            loaded = ingest_source("dossier", settings.with_locations(KHO_DOSSIER_API_URL=url))
        with console.status("Seeds and reference models (outside the timing)…"):
            build(settings, warehouse, "--indirect-selection", "cautious", "--select", "resource_type:seed", "dim_date")
        with console.status("Full build (--full-refresh)…"):
            full_seconds, full, full_times = timed_build(settings, warehouse, "--full-refresh")
        with warehouse.connect(autocommit=True) as conn:
            changed = conn.execute(LATE_UPDATES).rowcount
        with console.status(f"Incremental build after {changed:,} changed rows…"):
            incremental_seconds, incremental, incremental_times = timed_build(settings, warehouse)
        with console.status("The same build with nothing changed…"):
            idle_seconds, _, idle_times = timed_build(settings, warehouse)

    facts = loaded["dossiers"]["loaded"]
    table = Table(title=f"dbt build of the dossier models, {facts:,} dossiers")
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
    per_model = sorted(((t, uid.split(".")[-1]) for uid, t in incremental_times.items() if uid.startswith("model.")),
                       reverse=True)
    messages = {n.unique_id.split(".")[-1]: n.message for n in incremental.nodes}
    console.print("incremental, slowest models: " + "; ".join(
        f"{name} {t:.1f} s ({messages.get(name, '')})" for t, name in per_model[:6]))
    ratio = _sum(incremental_times, "model") / full_models
    console.print(f"target: incremental models ≤ 10% of the full build's — {'met' if ratio <= 0.10 else 'NOT met'} "
                  f"({ratio:.1%}); whole build with tests {incremental_seconds / full_seconds:.1%}")
    del full


if __name__ == "__main__":
    Path(".kho").mkdir(exist_ok=True)
    main()
