"""Write the simulated education workbooks into a folder: python -m simulators.education --faults merged_header."""

from __future__ import annotations

import argparse
from datetime import date, datetime
from pathlib import Path

from simulators.education.drop import EducationDrop, EducationFaults, EducationSimConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folder", type=Path, default=Path(".kho/simulators/education/drop"))
    parser.add_argument("--province", default=EducationSimConfig.province)
    parser.add_argument("--start", type=date.fromisoformat, default=EducationSimConfig.start)
    parser.add_argument("--as-of", type=datetime.fromisoformat, default=EducationSimConfig.as_of)
    parser.add_argument("--seed", type=int, default=EducationSimConfig.seed)
    parser.add_argument("--multiplier", type=int, default=1, help="schools per commune, for load tests")
    parser.add_argument("--faults", default="", help="e.g. merged_header,title_block,drift,nfd,malformed_rate=0.02")
    args = parser.parse_args()
    config = EducationSimConfig(args.province, args.start, args.as_of, args.seed, multiplier=args.multiplier)
    drop = EducationDrop(config, args.folder)
    written = drop.deliver(EducationFaults.parse(args.faults))
    print(f"{len(written)} workbook(s) written to {drop.folder} ({len(drop.years)} school years)", flush=True)


if __name__ == "__main__":
    main()
