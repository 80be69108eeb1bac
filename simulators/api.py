"""A source system's JSON API: collections paged by an `updated_since` cursor and `next` links, with faults.

Every API simulator (dossiers, documents, civil status) is one of these with its own collections."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from simulators.faults import Faults, every
from simulators.http import BadRequest, JsonApiServer
from simulators.store import RecordStore

MAX_PAGE_SIZE = 5000
Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Drift:
    """How the source's schema drifts when asked: a field renamed, one added, one removed."""

    renamed: tuple[str, str]
    added: tuple[str, object]
    removed: str

    def apply(self, record: dict) -> dict:
        old, new = self.renamed
        if old in record:
            record[new] = record.pop(old)
        record[self.added[0]] = self.added[1]
        record.pop(self.removed, None)
        return record


@dataclass
class Collection:
    path: str  # e.g. /api/v1/dossiers
    store: RecordStore
    key: str  # business key field
    cursor: str  # last-update field, in the source's own timestamp format
    later: Callable[[str], str]  # a timestamp (source format) a little after the given one
    parse_since: Callable[[str], str] = lambda value: value  # the updated_since parameter, in store form
    corrupt: Callable[[dict, Faults], dict] | None = None  # record faults specific to this entity
    drift: Drift | None = None
    change: Callable[[dict], None] = lambda record: None  # what an update during a read changes
    # Serve each stored record as these records instead (a dossier's processing log, one row per step);
    # paging still counts stored records.
    expand: Callable[[dict], list[dict]] | None = None


def encode_cursor(updated_at: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{updated_at}|{key}".encode()).decode()


def decode_cursor(token: str) -> tuple[str, str]:
    try:
        updated_at, key = base64.urlsafe_b64decode(token.encode()).decode().split("|", 1)
    except Exception as exc:
        raise BadRequest(f"invalid cursor {token!r}") from exc
    return updated_at, key


class PagedApiSimulator:
    """Serves collections over HTTP; `faults` may change while it runs (in process, or PUT /_sim/faults)."""

    def __init__(self, collections: list[Collection], faults: Faults | None = None, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.collections = {c.path: c for c in collections}
        self._lock = threading.Lock()
        self.requests = 0
        self._touched = False
        self.faults = faults or Faults()
        routes: dict = {("GET", path): self._handler(collection) for path, collection in self.collections.items()}
        routes.update({("GET", "/health"): lambda q, b: (200, {}, b'{"status":"ok"}'),
                       ("GET", "/_sim/faults"): lambda q, b: (200, {}, json.dumps(self.faults.as_dict()).encode()),
                       ("PUT", "/_sim/faults"): self._set_faults})
        self.server = JsonApiServer(routes, host, port)

    @property
    def faults(self) -> Faults:
        return self._faults

    @faults.setter
    def faults(self, value: Faults) -> None:
        with self._lock:
            self._faults, self.requests, self._touched = value, 0, False

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> str:
        return self.server.start()

    def stop(self) -> None:
        self.server.stop()

    def _set_faults(self, query: dict[str, str], body: bytes) -> Answer:
        try:
            self.faults = Faults.from_dict(json.loads(body or b"{}"))
        except ValueError as exc:
            raise BadRequest(str(exc)) from exc
        return 200, {}, json.dumps(self.faults.as_dict()).encode()

    def _handler(self, collection: Collection) -> Callable[[dict[str, str], bytes], Answer]:
        return lambda query, body: self._serve(collection, query)

    def _request_fault(self, faults: Faults, count: int) -> Answer | None:
        if faults.fail_after_requests and count >= faults.fail_after_requests:
            return 503, {}, b'{"error":"service unavailable"}'
        if every(faults.rate_limit_every, count):
            return 429, {"Retry-After": f"{faults.retry_after:g}"}, b'{"error":"too many requests"}'
        if every(faults.error_every, count):
            status = 503 if (count // faults.error_every) % 2 else 500
            return status, {}, b'{"error":"internal error"}'
        if every(faults.slow_every, count):
            time.sleep(faults.slow_seconds)
        return None

    def _serve(self, collection: Collection, query: dict[str, str]) -> Answer:
        with self._lock:
            self.requests += 1
            count, faults = self.requests, self._faults
        failure = self._request_fault(faults, count)
        if failure is not None:
            return failure
        since = collection.parse_since(query.get("updated_since", ""))
        page_size = int(query.get("page_size", 1000))
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise BadRequest(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        after = decode_cursor(query["cursor"]) if query.get("cursor") else None
        rows = collection.store.page(since, after, page_size)

        bodies: list[bytes] = []
        for _, _, body in rows:
            if collection.expand is None and not faults.touches_records:
                bodies.append(body)
                continue
            served = collection.expand(json.loads(body)) if collection.expand else [json.loads(body)]
            for record in served:
                if faults.touches_records:
                    if collection.corrupt is not None:
                        record = collection.corrupt(record, faults)
                    if faults.drift and collection.drift is not None:
                        record = collection.drift.apply(record)
                # ASCII escapes: a broken record may hold a lone surrogate, which only a JSON escape can carry.
                bodies.append(json.dumps(record).encode())

        next_url = None
        if len(rows) == page_size:
            if every(faults.duplicate_page_every, count):
                resume = after  # the same page again
            else:
                back = min(faults.overlap_records, len(rows) - 1)
                resume = tuple(rows[-1 - back][:2])
            params = {"updated_since": since, "page_size": page_size}
            if resume:
                params["cursor"] = encode_cursor(*resume)
            next_url = f"{self.url}{collection.path}?{urlencode(params)}"

        if faults.update_during_read and rows:
            with self._lock:
                touch, self._touched = not self._touched, True
            if touch:  # once per fault setting: records just served change, and move past the cursor
                stamp = collection.later(collection.store.max_updated_at())
                keys = [r[1] for r in rows[: faults.update_during_read]]
                collection.store.touch(keys, collection.cursor, stamp, collection.change)
        return 200, {}, b'{"data":[' + b",".join(bodies) + b'],"next":' + json.dumps(next_url).encode() + b"}"
