"""Serve pages recorded from the dossier simulator, byte for byte, at the URLs it served them.

    python -m bench.replay --port 8799 --pages .kho/bench/pages-<config>

A real source serves its pages from its own machine; on this bench the simulator shares Kho's two cores and
spends most of its time in SQLite finding each page. This server does no work but read a file: it answers the
first request (`page_size`, no cursor) and each `next` link the simulator wrote (keyed by its `cursor`) with
the recorded body, so Kho reads the same bytes over the same HTTP, minus the simulator's own cost."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from simulators.http import JsonApiServer

PATH = "/api/v1/dossiers"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--pages", type=Path, required=True, help="a folder written by bench.common.record_pages")
    args = parser.parse_args()
    index = json.loads((args.pages / "index.json").read_text())

    def serve(query: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        name = index.get(query.get("cursor", ""))
        if name is None:
            return 404, {}, b'{"error":"no such page was recorded"}'
        return 200, {}, (args.pages / name).read_bytes()

    server = JsonApiServer({("GET", PATH): serve, ("GET", "/health"): lambda q, b: (200, {}, b'{"status":"ok"}')},
                           args.host, args.port)
    print(f"replaying {len(index)} pages at {server.url}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
