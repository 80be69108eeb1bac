"""Retries against a real HTTP server: Retry-After honoured, bounded attempts, and a load that gives up
leaves the raw table and the watermark as they were."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from ingest.dossier import load_dossiers
from ingest.http import HttpClient, RetryPolicy, SourceError, get, retry_after_seconds
from ingest.load import IngestError
from kho.warehouse import Warehouse
from simulators.http import JsonApiServer
from tests.conftest import query
from tests.ingest.test_contract import GOOD


class ScriptedServer:
    """Answers each GET with the next scripted (status, headers, body); repeats the last one."""

    def __init__(self, script: list[tuple[int, dict, bytes]]) -> None:
        self.script, self.calls = script, 0
        self.server = JsonApiServer({("GET", "/api/v1/dossiers"): self._answer})

    def _answer(self, query: dict, body: bytes) -> tuple[int, dict, bytes]:
        status, headers, payload = self.script[min(self.calls, len(self.script) - 1)]
        self.calls += 1
        return status, dict(headers), payload


@pytest.fixture
def scripted() -> Iterator[callable]:
    servers = []

    def start(script: list[tuple[int, dict, bytes]]) -> ScriptedServer:
        server = ScriptedServer(script)
        server.server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.server.stop()


def page(records: list[dict], next_url: str | None = None) -> bytes:
    return json.dumps({"data": records, "next": next_url}).encode()


def test_retry_after_is_honoured_and_the_page_then_read(scripted) -> None:
    server = scripted([(429, {"Retry-After": "1"}, b"slow down"), (503, {}, b"busy"), (200, {}, page([GOOD]))])
    waits: list[float] = []
    with HttpClient() as client:
        body = get(client, f"{server.server.url}/api/v1/dossiers", None, RetryPolicy(attempts=4, base_delay=0.01),
                   "dossier", json.loads, sleep=waits.append)
    assert body["data"] == [GOOD]
    assert server.calls == 3
    assert waits[0] == 1.0 and 0 <= waits[1] <= 0.02


def test_a_client_error_is_not_retried(scripted) -> None:
    server = scripted([(404, {}, b"no such endpoint")])
    with HttpClient() as client, pytest.raises(SourceError, match=r"answered 404.*not retried"):
        get(client, f"{server.server.url}/api/v1/dossiers", None, RetryPolicy(attempts=5), "dossier", json.loads)
    assert server.calls == 1


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: no wait
    assert retry_after_seconds("soon") is None


def test_a_load_that_gives_up_changes_nothing(scripted, warehouse: Warehouse) -> None:
    first = scripted([(200, {}, page([GOOD]))])
    load_dossiers(warehouse.url, first.server.url)
    before = query(warehouse, "select ma_ho_so, ngay_cap_nhat from raw.dossier__dossiers")
    watermark = query(warehouse, "select cursor_value from ingest.watermarks")

    # Two good pages, then the source fails for good: the load must roll back whole.
    newer = {**GOOD, "MaHoSo": "000.00.03.H37-240116-0001", "NgayCapNhat": "20240117100000"}
    broken = scripted([])
    broken.script = [(200, {}, page([newer], f"{broken.server.url}/api/v1/dossiers?p=2")),
                     (200, {}, page([newer], f"{broken.server.url}/api/v1/dossiers?p=3")),
                     (503, {}, b"down")]
    with pytest.raises(IngestError, match="rolled back") as failure:
        load_dossiers(warehouse.url, broken.server.url, policy=RetryPolicy(attempts=3, base_delay=0.01))

    assert "gave up" in str(failure.value.__cause__)
    assert query(warehouse, "select ma_ho_so, ngay_cap_nhat from raw.dossier__dossiers") == before
    assert query(warehouse, "select cursor_value from ingest.watermarks") == watermark
    assert query(warehouse, "select status from ingest.load_log order by load_id") == [("succeeded",), ("failed",)]


def test_a_fractional_retry_after_is_honoured_and_nonsense_is_not() -> None:
    assert retry_after_seconds("0.25") == 0.25
    assert retry_after_seconds("-1") is None and retry_after_seconds("nan") is None


def test_a_page_cut_short_is_fetched_again_on_a_new_connection() -> None:
    """The server promises a body and drops the connection halfway; the client reconnects and reads it whole."""
    import socket
    import threading

    body = page([GOOD])
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    connections: list[int] = []

    def serve() -> None:
        for attempt in range(2):
            conn, _ = listener.accept()
            connections.append(attempt)
            conn.recv(65536)
            head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            conn.sendall(head.encode() + (body[: len(body) // 2] if attempt == 0 else body))
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    waits: list[float] = []
    with HttpClient() as client:
        result = get(client, f"http://127.0.0.1:{port}/api/v1/dossiers", {"page_size": 1},
                     RetryPolicy(attempts=3, base_delay=0.01), "dossier", json.loads, sleep=waits.append)
    thread.join(timeout=5)
    listener.close()
    assert result["data"] == [GOOD]
    assert connections == [0, 1] and len(waits) == 1
