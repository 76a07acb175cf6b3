"""A loopback fake of the translation services deep-translator talks to, and of an LLM endpoint.

Tests point the real libraries at it; nothing leaves 127.0.0.1.

    with FakeTranslateServer() as server:
        settings = Settings(translator="google", google_translate_url=server.google_url)
        ...
        assert server.count("google") == 1
        assert server.requests[0].target == "zh-CN"

Endpoints (port chosen by the OS):
- `GET  /m?sl=&tl=&q=` (`google_url`): Google's mobile page, HTML with
  `<div class="result-container">…</div>`, as GoogleTranslator parses it.
- `POST /libre/translate` (`libre_url`, ends with `/`): LibreTranslate, fields `q`, `source`,
  `target`, `format`, `api_key` in a JSON or form body (or, as deep-translator sends them, the
  query string: `RecordedRequest.url` shows where the key travelled), JSON
  `{"translatedText": …}`; with `libre_api_key` set, a request without that key gets 403.
- `GET  /mymemory/get?q=&langpair=en-GB|zh-CN` (`mymemory_url`): MyMemory JSON.
- `POST /v2/translate`, `GET /v2/usage` (`deepl_url`, DeepL's server URL): DeepL's API as the
  `deepl` client calls it (JSON body, `Authorization: DeepL-Auth-Key …`; 403 without it).
- `POST /v1/chat/completions` (`llm_base_url` is `…/v1`): OpenAI-compatible chat completion.

The translation is deterministic: every line becomes `prefix + line` (`译:` by default), except
lines that are only a batch marker such as `[[3]]`, which are kept; placeholders such as `[M0]`
inside a line are untouched. So `译:Hello` is the translation of `Hello`.

Switches (plain attributes, change them at any time):
- `mode`: `"ok"`; `"error"` (HTTP 500 on every request); `"wrong-language"` (the text comes
  back untranslated, as a backend answering in the source language does); `"empty"` (an empty
  translation); `"drop-markers"`
  (batch markers removed); `"drop-placeholders"` (`[M0]` tokens removed); `"fullwidth"` (markers
  and placeholders come back as `【 [3] 】`-like variants with full-width brackets and spaces);
  `"huge"` (100,000 characters whatever the request, as a broken or hostile service might).
- `modes`: per service, e.g. `{"google": "error"}`, overriding `mode` for that service.
- `fail_next(n, status=429)`: the next n translation requests answer `status`.
- `first_of_day_429`: the first request of each service each day (`day`, settable) answers 429
  with `Retry-After: 1`, as Google's page did through Aug–Sep 2026.
- `latency`: seconds every translation request waits before answering (a slow backend).
- `max_length`: requests with a longer text answer HTTP 413, as a service that refuses long
  texts does (None: no limit).
- `llm_reply`: the LLM's answer (None: `LLM: <title>`); `llm_status`: its HTTP status.
- A chat completion whose user message is `{"papers": [{"id", "title", "abstract"}]}` (the
  `llm` translation backend's batch) is answered `{"papers": [{"id", "title", "abstract",
  "summary"}]}`, each field the prefix plus the source (so math is echoed), the summary
  `<prefix>摘要 <title>`, with `usage` counted as one token per 4 characters. `llm_mode`:
  `"ok"`; `"malformed"` (not JSON); `"wrong-count"` (the last item left out);
  `"wrong-language"` (the sources echoed); `"429"` (HTTP 429, `Retry-After: 1`); `"timeout"`
  (no answer until the server stops). `llm_next`: modes for the next batch requests, used
  first, one each. `llm_bad_ids`: papers answered in the wrong language whatever the mode.

Records: `requests` (one `RecordedRequest` per translation request, failures included, with
its full request target and Authorization header), `usage_requests` (DeepL usage calls),
`llm_requests` (the JSON bodies and Authorization headers), `llm_batches` (the paper ids of
each batch request, in arrival order), `llm_tokens` (the usage the fake reported),
`max_in_flight` (the most translation requests being handled at the same moment). `reset()`
clears records and switches.
"""

from __future__ import annotations

import html
import json
import re
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

_MARKER_LINE = re.compile(r"^\s*\[\[\d+\]\]\s*$")
_MARKER = re.compile(r"\[\[(\d+)\]\]")
_PLACEHOLDER = re.compile(r"\[M(\d+)\]")
# What mode "huge" answers to every request.
HUGE_ANSWER = "很长的回答。" * (100_000 // 6) + "长" * (100_000 % 6)


@dataclass(frozen=True)
class RecordedRequest:
    """One translation request as the fake server saw it."""

    service: str
    path: str
    text: str
    source: str
    target: str
    params: dict[str, str] = field(default_factory=dict)
    url: str = ""  # the path and query string as received: what an access log keeps
    authorization: str = ""

    @property
    def length(self) -> int:
        """Characters of text in the request."""
        return len(self.text)


def fake_translate(text: str, prefix: str = "译:") -> str:
    """The fake's translation: each line prefixed, marker-only and blank lines kept."""
    return "\n".join(
        line if not line.strip() or _MARKER_LINE.match(line) else prefix + line
        for line in text.split("\n")
    )


class FakeTranslateServer:
    """Google, LibreTranslate, MyMemory, DeepL and an OpenAI-compatible LLM on 127.0.0.1."""

    def __init__(self) -> None:
        self.prefix = "译:"
        self.mode = "ok"
        self.modes: dict[str, str] = {}
        self.first_of_day_429 = False
        self.day = "today"
        self._days_seen: set[tuple[str, str]] = set()
        self.libre_api_key = ""
        self.deepl_auth_key = "test-key:fx"
        self.deepl_usage = (12_000, 500_000)
        self.usage_requests: list[str] = []
        self.latency = 0.0
        self.max_length: int | None = None
        self.llm_reply: str | None = None
        self.llm_status = 200
        self.llm_mode = "ok"
        self.llm_next: list[str] = []
        self.llm_bad_ids: set[str] = set()
        self.llm_batches: list[list[str]] = []
        self.llm_tokens = 0
        self.requests: list[RecordedRequest] = []
        self.llm_requests: list[dict[str, Any]] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._fail: list[int] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._httpd = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        # A short poll interval keeps stop() (and so each test's teardown) fast.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> FakeTranslateServer:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._stopped.set()  # wakes handlers that are still sleeping out their latency
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeTranslateServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT`."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def google_url(self) -> str:
        """For GOOGLE_TRANSLATE_URL."""
        return f"{self.url}/m"

    @property
    def libre_url(self) -> str:
        """For LIBRETRANSLATE_URL (deep-translator appends `translate`)."""
        return f"{self.url}/libre/"

    @property
    def mymemory_url(self) -> str:
        """MyMemory's `get` endpoint."""
        return f"{self.url}/mymemory/get"

    @property
    def deepl_url(self) -> str:
        """For DEEPL_SERVER_URL: the `deepl` client appends `v2/translate`."""
        return self.url

    @property
    def llm_base_url(self) -> str:
        """For LLM_BASE_URL."""
        return f"{self.url}/v1"

    # -- switches and records ------------------------------------------------------------

    def fail_next(self, count: int, status: int = 429) -> None:
        """Answer the next `count` translation requests with HTTP `status`."""
        with self._lock:
            self._fail.extend([status] * count)

    def reset(self) -> None:
        """Forget recorded requests and return every switch to normal."""
        with self._lock:
            self.requests.clear()
            self.llm_requests.clear()
            self.llm_batches.clear()
            self.llm_tokens = 0
            self.usage_requests.clear()
            self._fail.clear()
            self._days_seen.clear()
            self.max_in_flight = 0
        self.mode = "ok"
        self.modes = {}
        self.first_of_day_429 = False
        self.latency = 0.0
        self.max_length = None
        self.llm_reply = None
        self.llm_status = 200
        self.llm_mode = "ok"
        self.llm_next = []
        self.llm_bad_ids = set()

    def count(self, service: str | None = None) -> int:
        """How many translation requests arrived (for one service, or all)."""
        with self._lock:
            return sum(1 for r in self.requests if service is None or r.service == service)

    def texts(self) -> list[str]:
        """The texts of all translation requests, in arrival order."""
        with self._lock:
            return [r.text for r in self.requests]

    # -- behaviour (called from handler threads) -----------------------------------------

    def _begin(self, record: RecordedRequest) -> int | None:
        with self._lock:
            self.requests.append(record)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            failure = self._fail.pop(0) if self._fail else None
            if self.first_of_day_429 and (record.service, self.day) not in self._days_seen:
                self._days_seen.add((record.service, self.day))
                failure = failure or 429
        if self.latency:
            self._stopped.wait(self.latency)
        if failure is not None:
            return failure
        if self.max_length is not None and len(record.text) > self.max_length:
            return 413
        return 500 if self.mode_for(record.service) == "error" else None

    def mode_for(self, service: str) -> str:
        """The mode `service` answers in: its own in `modes`, else `mode`."""
        return self.modes.get(service, self.mode)

    def _end(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _translate(self, text: str, service: str) -> str:
        mode = self.mode_for(service)
        if mode == "empty":
            return ""
        if mode == "wrong-language":
            return text
        if mode == "huge":
            return HUGE_ANSWER
        if mode == "drop-markers":
            text = "\n".join(line for line in text.split("\n") if not _MARKER_LINE.match(line))
        translated = fake_translate(text, self.prefix)
        if mode == "drop-placeholders":
            translated = _PLACEHOLDER.sub("", translated)
        if mode == "fullwidth":
            translated = _MARKER.sub(r"【 [\1] 】", translated)
            translated = _PLACEHOLDER.sub(r"［ M\1 ］", translated)
        return translated

    def _chat(self, body: dict[str, Any], authorization: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.llm_requests.append({"body": body, "authorization": authorization})
        if self.llm_status != 200:
            return self.llm_status, {"error": {"message": "fake LLM failure"}}
        user = next((m["content"] for m in body["messages"] if m["role"] == "user"), "")
        batch = _papers_in(user)
        if batch is not None:
            return self._chat_batch(body, batch)
        reply = self.llm_reply
        if reply is None:
            title = user.split("\n", 1)[0].removeprefix("Title: ")
            reply = f"LLM: {title}"
        return 200, _completion(body, reply)

    def _chat_batch(
        self, body: dict[str, Any], papers: list[dict[str, Any]]
    ) -> tuple[int, dict[str, Any]]:
        """The llm translation backend's batch, answered in `llm_mode` (or the next queued)."""
        with self._lock:
            self.llm_batches.append([str(p.get("id")) for p in papers])
            mode = self.llm_next.pop(0) if self.llm_next else self.llm_mode
        if mode == "429":
            return 429, {"error": {"message": "rate limited"}}
        if mode == "timeout":
            self._stopped.wait()
            return 504, {"error": {"message": "too late"}}
        items = []
        for paper in papers:
            echo = mode == "wrong-language" or str(paper.get("id")) in self.llm_bad_ids
            prefix = "" if echo else self.prefix
            summary = f"{prefix}摘要 {paper.get('title', '')}" if not echo else "A summary."
            items.append(
                {
                    "id": paper.get("id"),
                    "title": prefix + str(paper.get("title", "")),
                    "abstract": prefix + str(paper.get("abstract", "")),
                    "summary": summary,
                }
            )
        if mode == "wrong-count":
            items = items[:-1]
        reply = json.dumps({"papers": items}, ensure_ascii=False)
        if mode == "malformed":
            reply = reply[: len(reply) // 2]
        prompt = sum(len(str(m.get("content", ""))) for m in body["messages"])
        usage = {"prompt_tokens": -(-prompt // 4), "completion_tokens": -(-len(reply) // 4)}
        with self._lock:
            self.llm_tokens += usage["prompt_tokens"] + usage["completion_tokens"]
        return 200, _completion(body, reply) | {"usage": usage}


def _papers_in(user: str) -> list[dict[str, Any]] | None:
    """The papers of a batch request's user message; None for any other request."""
    try:
        message = json.loads(user)
    except ValueError:
        return None
    papers = message.get("papers") if isinstance(message, dict) else None
    if not isinstance(papers, list):
        return None
    return [p for p in papers if isinstance(p, dict)]


def _completion(body: dict[str, Any], reply: str) -> dict[str, Any]:
    """A chat.completion object around `reply`."""
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "model": body.get("model", ""),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply},
                "finish_reason": "stop",
            }
        ],
    }


class _QuietServer(ThreadingHTTPServer):
    """A client that stopped waiting (a timeout test) is expected: no traceback on stderr."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler_for(server: FakeTranslateServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

        def _send(self, status: int, body: str, content_type: str) -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _json(self, status: int, payload: Any) -> None:
            self._send(status, json.dumps(payload, ensure_ascii=False), "application/json")

        def _params(self) -> tuple[str, dict[str, str]]:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            return parts.path, query

        def do_GET(self) -> None:
            """Google and MyMemory (the text travels in the query string), DeepL's usage."""
            path, query = self._params()
            if path == "/m":
                record = RecordedRequest(
                    "google",
                    path,
                    query.get("q", ""),
                    query.get("sl", ""),
                    query.get("tl", ""),
                    query,
                )
                self._translation(record, self._google_page)
            elif path == "/mymemory/get":
                source, _, target = query.get("langpair", "|").partition("|")
                record = RecordedRequest(
                    "mymemory", path, query.get("q", ""), source, target, query
                )
                self._translation(
                    record,
                    lambda text: self._json(
                        200, {"responseData": {"translatedText": text}, "matches": []}
                    ),
                )
            elif path == "/v2/usage":
                authorization = self.headers.get("Authorization", "")
                with server._lock:
                    server.usage_requests.append(authorization)
                if authorization != f"DeepL-Auth-Key {server.deepl_auth_key}":
                    self._json(403, {"message": "Wrong endpoint or key"})
                    return
                count, limit = server.deepl_usage
                self._json(200, {"character_count": count, "character_limit": limit})
            else:
                self._send(404, "not found", "text/plain")

        def do_POST(self) -> None:
            """LibreTranslate and DeepL (fields in the body, or for deep-translator's Libre the
            query string) and the LLM's chat completions (JSON body)."""
            path, query = self._params()
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if path == "/libre/translate":
                fields = {**query, **self._body_fields(raw)}
                record = RecordedRequest(
                    "libre",
                    path,
                    str(fields.get("q", "")),
                    str(fields.get("source", "")),
                    str(fields.get("target", "")),
                    {k: str(v) for k, v in fields.items()},
                    url=self.path,
                )
                if server.libre_api_key and fields.get("api_key") != server.libre_api_key:
                    with server._lock:
                        server.requests.append(record)
                    self._json(403, {"error": "Invalid API key"})
                    return
                self._translation(record, lambda text: self._json(200, {"translatedText": text}))
            elif path == "/v2/translate":
                self._deepl_translate(self._body_fields(raw))
            elif path == "/v1/chat/completions":
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    self._json(400, {"error": {"message": "invalid JSON"}})
                    return
                status, payload = server._chat(body, self.headers.get("Authorization", ""))
                if status == 429:
                    self._rate_limited(payload)
                else:
                    self._json(status, payload)
            else:
                self._send(404, "not found", "text/plain")

        def _body_fields(self, raw: bytes) -> dict[str, Any]:
            if "json" in self.headers.get("Content-Type", ""):
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    return {}
                return body if isinstance(body, dict) else {}
            form = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
            return {k: v[0] for k, v in form.items()}

        def _deepl_translate(self, body: dict[str, Any]) -> None:
            authorization = self.headers.get("Authorization", "")
            texts = body.get("text") or [""]
            record = RecordedRequest(
                "deepl",
                "/v2/translate",
                str(texts[0]),
                str(body.get("source_lang", "")),
                str(body.get("target_lang", "")),
                {k: str(v) for k, v in body.items()},
                url=self.path,
                authorization=authorization,
            )
            if authorization != f"DeepL-Auth-Key {server.deepl_auth_key}":
                with server._lock:
                    server.requests.append(record)
                self._json(403, {"message": "Wrong endpoint or key"})
                return
            self._translation(
                record,
                lambda text: self._json(
                    200,
                    {
                        "translations": [
                            {
                                "text": text,
                                "detected_source_language": "EN",
                                "billed_characters": len(record.text),
                            }
                        ]
                    },
                ),
            )

        def _rate_limited(self, payload: Any) -> None:
            data = json.dumps(payload).encode()
            self.send_response(429)
            self.send_header("Retry-After", "1")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _google_page(self, text: str) -> None:
            page = (
                "<!DOCTYPE html><html><head><title>Google Translate</title></head><body>"
                f'<div class="result-container">{html.escape(text)}</div></body></html>'
            )
            self._send(200, page, "text/html; charset=utf-8")

        def _translation(self, record: RecordedRequest, answer: Any) -> None:
            # The request stops counting as in flight before the answer is written: once the
            # client has the answer it may send the next one, which must not overlap it.
            try:
                status = server._begin(record)
                translated = (
                    server._translate(record.text, record.service) if status is None else ""
                )
            finally:
                server._end()
            if status == 429:
                self._rate_limited({"error": "too many requests"})
            elif status is not None:
                self._json(status, {"error": f"fake failure {status}"})
            else:
                answer(translated)

    return Handler
