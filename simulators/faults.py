"""Faults a simulator can be asked to commit. Record faults pick records by a stable hash, so a run repeats
exactly; request faults follow a counter, so a test knows which request fails."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, fields


@dataclass
class Faults:
    # Records
    malformed_rate: float = 0.0  # broken the way real feeds break them (bad date, missing key, wrong type, …)
    inconsistent_rate: float = 0.0  # well-formed, but dates that contradict each other
    # Requests (every Nth request, counting from the first after the faults were set; 0 = never)
    rate_limit_every: int = 0  # 429 with Retry-After: retry_after seconds
    retry_after: float = 1.0
    error_every: int = 0  # 503 (odd occurrences) or 500 (even ones)
    slow_every: int = 0  # answer after slow_seconds (longer than the client's timeout → a timeout)
    slow_seconds: float = 0.0
    fail_after_requests: int = 0  # from this request on, every answer is 503 (a source that goes down)
    # Pages
    duplicate_page_every: int = 0  # the next link of every Nth page points at that same page again
    overlap_records: int = 0  # each next link restarts this many records back (overlapping pages)
    update_during_read: int = 0  # after the first page, this many records already served change again
    # Schema
    drift: bool = False  # one field renamed, one added, one removed

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> Faults:
        known = {f.name: f for f in fields(cls)}
        unknown = set(values) - set(known)
        if unknown:
            raise ValueError(f"unknown fault(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
        converted = {}
        for name, value in values.items():
            kind = known[name].type
            converted[name] = (bool(value) if kind == "bool" else int(value) if kind == "int" else float(value))
        return cls(**converted)

    @property
    def touches_records(self) -> bool:
        return bool(self.malformed_rate or self.inconsistent_rate or self.drift)


def stable_fraction(*parts: str) -> float:
    """A number in [0, 1) fixed by the parts: the same record is always picked, in every process."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def every(n: int, count: int) -> bool:
    return n > 0 and count % n == 0
