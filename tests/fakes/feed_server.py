"""A loopback HTTP server that serves feed files the way rss.arxiv.org does, for tests.

    with FeedServer() as server:
        server.route("/rss/cs.CV", body=path.read_bytes())   # 200 with ETag + Last-Modified
        server.script("/rss/cs.CV", [(503, {"Retry-After": "1"}, b"busy")])  # answered first
        server.delay = 2.0                                    # a slow server
        url = server.base_url                                  # http://127.0.0.1:PORT/rss/
        server.requests                                        # [(path, headers), ...]
        server.endless("/rss/stat", head, item)   # a chunked body that never ends
        server.streamed["/rss/stat"], server.stream_closed  # bytes sent, set when it stopped

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
        # Endless bodies: (first bytes, bytes repeated forever) per path, and what was sent.
        self.endless_bodies: dict[str, tuple[bytes, bytes]] = {}
        self.streamed: dict[str, int] = {}
        self.stream_closed = threading.Event()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server._handle(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        # A short poll interval keeps shutdown (and so each test's teardown) fast.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

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

    def endless(self, path: str, head: bytes, repeated: bytes) -> None:
        """Answer `path` with `head` then `repeated` over and over, chunked, until the client
        hangs up (or a gigabyte, so a client that never stops cannot keep the test alive)."""
        self.endless_bodies[path] = (head, repeated)

    def _stream_endless(self, handler: BaseHTTPRequestHandler, path: str) -> None:
        head, repeated = self.endless_bodies[path]
        handler.protocol_version = "HTTP/1.1"  # chunked transfer needs 1.1
        handler.close_connection = True
        sent = 0
        try:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            handler.send_header("Transfer-Encoding", "chunked")
            handler.end_headers()
            chunk = repeated * max(1, 65536 // max(len(repeated), 1))
            body = head
            while sent < 1 << 30:
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(body), body))
                sent += len(body)
                with self._lock:
                    self.streamed[path] = sent
                body = chunk
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            self.stream_closed.set()

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
        if answer is None and path in self.endless_bodies:
            self._stream_endless(handler, path)
            return
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
            if "Content-Length" not in headers:  # a route may declare a size it does not send
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
