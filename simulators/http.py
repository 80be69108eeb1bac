"""A small threaded JSON-over-HTTP server that every API simulator shares."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

Handler = Callable[[dict[str, str], bytes], tuple[int, dict[str, str], bytes]]


class BadRequest(ValueError):
    """The client asked for something the API does not accept (answered 400)."""


class JsonApiServer:
    """Routes GET/PUT paths to handler functions; runs in a background thread until stopped."""

    def __init__(self, routes: dict[tuple[str, str], Handler], host: str = "127.0.0.1", port: int = 0) -> None:
        self.routes = routes
        server = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # The headers and the body go out in two writes; with Nagle's algorithm the body waits for the
            # client's delayed ACK of the headers, ~40 ms a page on a kept-alive connection.
            disable_nagle_algorithm = True

            def _dispatch(self, method: str) -> None:
                parts = urlsplit(self.path)
                handler = server.routes.get((method, parts.path))
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if handler is None:
                    status, headers, payload = 404, {}, json.dumps({"error": f"no route {parts.path}"}).encode()
                else:
                    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                    try:
                        status, headers, payload = handler(query, body)
                    except BadRequest as exc:
                        status, headers, payload = 400, {}, json.dumps({"error": str(exc)}).encode()
                    except Exception as exc:  # a simulator bug must look like a server error, not a hang
                        status, headers, payload = 500, {}, json.dumps({"error": repr(exc)}).encode()
                self.send_response(status)
                self.send_header("Content-Type", headers.pop("Content-Type", "application/json; charset=utf-8"))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                self._dispatch("GET")

            def do_PUT(self) -> None:
                self._dispatch("PUT")

            def log_message(self, format: str, *args: object) -> None:  # quiet by default
                pass

        self.httpd = ThreadingHTTPServer((host, port), RequestHandler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> str:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="simulator", daemon=True)
        self._thread.start()
        return self.url

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
