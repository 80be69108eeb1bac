"""Run the dossier simulator as a process: python -m simulators.dossier --port 8701 --dossiers 100000."""

from __future__ import annotations

import argparse
from datetime import date, datetime
from pathlib import Path

from simulators.dossier.generate import DossierSimConfig
from simulators.dossier.server import DossierSimulator, build_stores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8701)
    parser.add_argument("--dossiers", type=int, default=DossierSimConfig.dossiers)
    parser.add_argument("--province", default=DossierSimConfig.province)
    parser.add_argument("--start", type=date.fromisoformat, default=DossierSimConfig.start)
    parser.add_argument("--as-of", type=datetime.fromisoformat, default=DossierSimConfig.as_of)
    parser.add_argument("--seed", type=int, default=DossierSimConfig.seed)
    parser.add_argument("--data-dir", type=Path, default=Path(".kho/simulators"))
    args = parser.parse_args()
    config = DossierSimConfig(args.province, args.dossiers, args.start, args.as_of, args.seed)
    simulator = DossierSimulator(build_stores(config, args.data_dir), host=args.host, port=args.port)
    print(f"dossier simulator serving {config.dossiers} dossiers at {simulator.url}", flush=True)
    simulator.server.serve_forever()


if __name__ == "__main__":
    main()
