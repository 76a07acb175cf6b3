"""A loopback HTTP server that serves feed files the way rss.arxiv.org does, for tests.

    with FeedServer() as server:
        server.route("/rss/cs.CV", body=path.read_bytes())   # 200 with ETag + Last-Modified
        server.script("/rss/cs.CV", [(503, {"Retry-After": "1"}, b"busy")])  # answered first
        server.delay = 2.0                                    # a slow server
        url = server.base_url                                  # http://127.0.0.1:PORT/rss/
        server.requests                                        # [(path, headers), ...]

A conditional request whose If-None-Match or If-Modified-Since matches gets 304. Paths not routed
answer 404.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

LAST_MODIFIED = "Tue, 26 Mar 2024 04:00:03 GMT"


class FeedServer:
    """Serves routed bodies with validators, scripted failures and an optional delay."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.scripts: dict[str, deque[tuple[int, dict[str, str], bytes]]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.arrivals: list[float] = []  # time.monotonic() of each request, as received
        self.delay = 0.0
        # Optional: answers computed from the request path (the arXiv API fake uses it).
        self.responder: Callable[[str], tuple[int, dict[str, str], bytes] | None] | None = None
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server._handle(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """The feed base, to use as ARXIV_RSS_URL."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/rss/"

    def url(self, path: str) -> str:
        """The full URL of a path on this server."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{path}"

    def route(
        self,
        path: str,
        body: bytes,
        status: int = 200,
        headers: dict[str, str] | None = None,
        validators: bool = True,
    ) -> None:
        """Serve `body` at `path`; with validators, an ETag and Last-Modified are sent."""
        extra = dict(headers or {})
        if validators and status == 200:
            extra.setdefault("ETag", '"' + hashlib.sha256(body).hexdigest()[:16] + '"')
            extra.setdefault("Last-Modified", LAST_MODIFIED)
        self.routes[path] = (status, extra, body)

    def script(self, path: str, responses: list[tuple[int, dict[str, str], bytes]]) -> None:
        """Answers used once each, in order, before the route's own answer."""
        self.scripts.setdefault(path, deque()).extend(responses)

    def count(self, path: str | None = None) -> int:
        """How many requests arrived (for one path, or all)."""
        return sum(1 for p, _ in self.requests if path is None or p == path)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        with self._lock:
            self.requests.append((path, {k: v for k, v in handler.headers.items()}))
            self.arrivals.append(time.monotonic())
            scripted = self.scripts.get(path)
            answer = scripted.popleft() if scripted else self.routes.get(path)
        if answer is None and self.responder is not None:
            answer = self.responder(path)
        if self.delay:
            time.sleep(self.delay)
        if answer is None:
            answer = (404, {"Content-Type": "text/plain"}, b"not found")
        status, headers, body = answer
        etag = headers.get("ETag")
        if status == 200 and (
            (etag and handler.headers.get("If-None-Match") == etag)
            or (
                "Last-Modified" in headers
                and handler.headers.get("If-Modified-Since") == headers["Last-Modified"]
            )
        ):
            status, body = 304, b""
        try:
            handler.send_response(status)
            for key, value in headers.items():
                handler.send_header(key, value)
            if "Content-Type" not in headers:
                handler.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
