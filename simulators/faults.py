"""Faults a simulator can be asked to commit, chosen per record by a stable hash so runs repeat exactly."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, fields


@dataclass
class Faults:
    malformed_rate: float = 0.0  # records broken in one of the ways real feeds break them
    inconsistent_rate: float = 0.0  # well-formed records whose dates contradict each other

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> Faults:
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown fault(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
        return cls(**{k: float(v) for k, v in values.items()})


def stable_fraction(*parts: str) -> float:
    """A number in [0, 1) fixed by the parts: the same record is always picked, in every process."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64
