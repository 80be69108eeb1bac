"""Run the document simulator as a process: python -m simulators.document --port 8702 --documents 40000."""

from __future__ import annotations

import argparse
from datetime import date, datetime
from pathlib import Path

from simulators.document.generate import DocumentSimConfig
from simulators.document.server import DocumentSimulator, build_stores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8702)
    parser.add_argument("--documents", type=int, default=DocumentSimConfig.documents)
    parser.add_argument("--province", default=DocumentSimConfig.province)
    parser.add_argument("--start", type=date.fromisoformat, default=DocumentSimConfig.start)
    parser.add_argument("--as-of", type=datetime.fromisoformat, default=DocumentSimConfig.as_of)
    parser.add_argument("--seed", type=int, default=DocumentSimConfig.seed)
    parser.add_argument("--data-dir", type=Path, default=Path(".kho/simulators/document"))
    args = parser.parse_args()
    config = DocumentSimConfig(args.province, args.documents, args.start, args.as_of, args.seed)
    simulator = DocumentSimulator(build_stores(config, args.data_dir), host=args.host, port=args.port)
    print(f"document simulator serving {config.documents} outgoing documents at {simulator.url}", flush=True)
    simulator.server.serve_forever()


if __name__ == "__main__":
    main()
