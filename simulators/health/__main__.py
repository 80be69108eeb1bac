"""Write the simulated health export into a folder: python -m simulators.health --folder drop --faults vni."""

from __future__ import annotations

import argparse
from datetime import date, datetime
from pathlib import Path

from simulators.health.drop import HealthDrop, HealthFaults
from simulators.health.generate import HealthSimConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folder", type=Path, default=Path(".kho/simulators/health/drop"))
    parser.add_argument("--province", default=HealthSimConfig.province)
    parser.add_argument("--start", type=date.fromisoformat, default=HealthSimConfig.start)
    parser.add_argument("--as-of", type=datetime.fromisoformat, default=HealthSimConfig.as_of)
    parser.add_argument("--seed", type=int, default=HealthSimConfig.seed)
    parser.add_argument("--days", type=int, default=50, help="daily files spread over the period (0 = every day)")
    parser.add_argument("--faults", default="", help="e.g. truncated,tcvn3,vni,duplicate,malformed_rate=0.01")
    args = parser.parse_args()
    config = HealthSimConfig(args.province, args.start, args.as_of, args.seed, days=args.days or None)
    drop = HealthDrop(config, args.folder)
    written = drop.deliver(HealthFaults.parse(args.faults))
    print(f"{len(written)} file(s) written to {drop.folder} ({len(drop.days)} days)", flush=True)


if __name__ == "__main__":
    main()
