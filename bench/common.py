"""What the benchmarks share: a warehouse server, fresh databases, the dossier simulator in its own process."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from kho.warehouse import Warehouse, ensure_database, start_embedded

REPO = Path(__file__).resolve().parent.parent
BENCH_HOME = REPO / ".kho" / "bench"
START, AS_OF = date(2016, 1, 1), datetime(2026, 11, 1)


def server() -> Warehouse:
    url = os.environ.get("KHO_DATABASE_URL")
    return Warehouse(url) if url else start_embedded(BENCH_HOME / "pg")


@contextlib.contextmanager
def fresh_database(pg: Warehouse) -> Iterator[Warehouse]:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    database = ensure_database(pg, name)
    try:
        yield database
    finally:
        with pg.connect(autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


def simulator_config(rows: int):
    from simulators.dossier.generate import DossierSimConfig

    return DossierSimConfig("long-an", rows, START, AS_OF, 20250701)


@contextlib.contextmanager
def dossier_simulator(rows: int, port: int = 8799) -> Iterator[str]:
    """The dossier system in a process of its own, as a real source is: it does not share Kho's CPU time slice."""
    from simulators.dossier.server import build_stores

    build_stores(simulator_config(rows), BENCH_HOME / "simulators")  # generate once, outside any timing
    process = subprocess.Popen(
        [sys.executable, "-m", "simulators.dossier", "--port", str(port), "--dossiers", str(rows),
         "--start", START.isoformat(), "--as-of", AS_OF.isoformat(), "--data-dir", str(BENCH_HOME / "simulators")],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"the simulator did not start: {process.stderr.read().decode()[-2000:]}")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def run_in_process(code: str, *args: str) -> dict:
    """Run `code` in a fresh Python process; it prints one JSON line with its figures (and peak RSS)."""
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the forked parent, which may hold the data
    # the other methods load; VmHWM belongs to this process's own memory map.
    wrapper = code + (
        "\nimport json\nhwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]"
        "\nfigures['peak_rss_mb'] = int(hwm.split()[1]) / 1024\nprint(json.dumps(figures))\n")
    done = subprocess.run([sys.executable, "-c", wrapper, *args], cwd=REPO, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])
