"""What the benchmarks share: a warehouse server, fresh databases, the dossier simulator in its own process."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
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
def _serving(arguments: list[str], port: int) -> Iterator[str]:
    """A server in a process of its own, as a real source is: it does not share Kho's CPU time slice."""
    process = subprocess.Popen([sys.executable, "-m", *arguments, "--port", str(port)],
                               cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=1):
                    break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(f"{arguments[0]} did not start: "
                                       f"{process.stderr.read().decode()[-2000:]}") from None
                time.sleep(0.1)
        else:
            raise RuntimeError(f"{arguments[0]} did not answer within a minute")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextlib.contextmanager
def dossier_simulator(rows: int, port: int = 8799) -> Iterator[str]:
    """The dossier system, its SQLite store generated once (outside any timing)."""
    from simulators.dossier.server import build_stores

    build_stores(simulator_config(rows), BENCH_HOME / "simulators")
    with _serving(["simulators.dossier", "--dossiers", str(rows), "--start", START.isoformat(),
                   "--as-of", AS_OF.isoformat(), "--data-dir", str(BENCH_HOME / "simulators")], port) as url:
        yield url


def record_pages(rows: int, page_size: int, port: int = 8799) -> Path:
    """Every page of dossiers the simulator serves to a first load, as it served them, in a folder (once)."""
    import httpx
    import msgspec

    folder = BENCH_HOME / f"pages-{simulator_config(rows).key()}-{page_size}"
    if (folder / "index.json").exists():
        return folder
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    index: dict[str, str] = {}
    decode = msgspec.json.Decoder(dict).decode
    with dossier_simulator(rows, port) as base, httpx.Client(timeout=120) as client:
        url: str | None = f"{base}/api/v1/dossiers"
        params: dict | None = {"page_size": page_size}
        while url:
            response = client.get(url, params=params)
            response.raise_for_status()
            cursor = response.request.url.params.get("cursor", "")
            name = index[cursor] = f"{len(index):06d}.json"
            (tmp / name).write_bytes(response.content)
            url, params = decode(response.content)["next"], None
    (tmp / "index.json").write_text(json.dumps(index))
    tmp.rename(folder)
    return folder


@contextlib.contextmanager
def replayed_pages(rows: int, page_size: int, port: int = 8799) -> Iterator[str]:
    """The simulator's recorded pages served byte for byte by a server that only reads files (bench/replay.py)."""
    folder = record_pages(rows, page_size, port)
    with _serving(["bench.replay", "--pages", str(folder)], port) as url:
        yield url


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
