"""A fake Telegram Bot API on 127.0.0.1 that the real python-telegram-bot talks to.

    with FakeBotApi(token="123:ABC") as api:
        settings = Settings(telegram_bot_token=api.token, telegram_base_url=api.base_url)
        api.push_message(42, "/start")               # an update the bot will poll
        api.wait_for_messages(1, chat_id=42)          # what the bot sent, as dicts
        api.blocked.add(43)                           # 403 Forbidden for that chat
        api.admins[-100] = {7}                        # group admins, for getChatMember
        api.limits = TelegramLimits(scale=0.1)        # Telegram's flood limits, 10x faster
        api.get_me_status = 502                       # getMe refused: 401, 404, or a gateway
                                                      # page echoing the path (and the token)
        api.webhook_url = "https://bot.example.org/t"  # what getWebhookInfo reports
        api.push_reaction(42, 7, new=["👍"])          # a reaction on the bot's message 7

Like Telegram, getUpdates serves only the update types the bot asked for (`allowed_updates`,
remembered from the last call that named some); by default every type except `chat_member`,
`message_reaction` and `message_reaction_count`. Updates of other types are dropped.

Requests arrive as `/bot<token>/<method>`, form-encoded (JSON-encoded values) or multipart for
files. Messages with parse_mode HTML are checked like Telegram does (tests/telegram_html.py):
invalid HTML or more than 4096 characters answer 400, as do callback data over 64 bytes.
With `limits` set, messages beyond Telegram's flood limits answer 429 with retry_after.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs

from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from tests.telegram_html import check_telegram_html

BOT_ID = 4242
SENDING_METHODS = ("sendMessage", "sendDocument")
# What Telegram leaves out of getUpdates unless a bot names it in allowed_updates.
NOT_SENT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


@dataclass(frozen=True)
class TelegramLimits:
    """Telegram's flood limits for sending, as sliding windows over arrival times.

    Telegram documents about 30 messages a second overall, about one a second to a private
    chat and 20 a minute to a group. `scale` shrinks every window (0.1: ten times faster) so
    tests exercise the same behaviour in a tenth of the time; retry_after stays whole seconds,
    as Telegram sends it.
    """

    per_second: int = 30
    private_gap: float = 1.0
    group_per_minute: int = 20
    scale: float = 1.0


class _FloodControl:
    """Arrival times of accepted messages, and the 429 decision for the next one."""

    def __init__(self, limits: TelegramLimits) -> None:
        self.limits = limits
        self.overall: deque[float] = deque()
        self.private_last: dict[int, float] = {}
        self.groups: dict[int, deque[float]] = {}

    def admit(self, chat_id: int, now: float) -> float | None:
        """Record the message and return None, or return how long to wait (seconds)."""
        scale = self.limits.scale
        second, minute = 1.0 * scale, 60.0 * scale
        while self.overall and self.overall[0] <= now - second:
            self.overall.popleft()
        waits: list[float] = []
        if len(self.overall) >= self.limits.per_second:
            waits.append(self.overall[0] + second - now)
        if chat_id > 0:
            last = self.private_last.get(chat_id)
            gap = self.limits.private_gap * scale
            if last is not None and now - last < gap:
                waits.append(last + gap - now)
        else:
            window = self.groups.setdefault(chat_id, deque())
            while window and window[0] <= now - minute:
                window.popleft()
            if len(window) >= self.limits.group_per_minute:
                waits.append(window[0] + minute - now)
        if waits:
            return max(waits)
        self.overall.append(now)
        if chat_id > 0:
            self.private_last[chat_id] = now
        else:
            self.groups[chat_id].append(now)
        return None


class FakeBotApi:
    """The server, its recorded calls, and helpers to push updates and wait for replies."""

    def __init__(self, token: str = "123456:TEST-TOKEN") -> None:
        self.token = token
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.updates: list[dict[str, Any]] = []
        self.blocked: set[int] = set()
        self.admins: dict[int, set[int]] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        # Scripted failures for sendMessage: (status, description, parameters) used in order.
        self.script: list[tuple[int, str, dict[str, Any]]] = []
        self.migrated: dict[int, int] = {}
        self.rate_limited = 0
        self.send_delay = 0.0  # seconds each sendMessage takes (a slow Telegram)
        self.sends_started = 0  # sendMessage requests received, answered or not yet
        self.limits: TelegramLimits | None = None
        self._flood: _FloodControl | None = None
        # Scripted transport faults for sendMessage, used in order: "reset" closes the
        # connection without an answer, "timeout" answers after `fault_delay` seconds.
        self.faults: list[str] = []
        self.fault_delay = 0.0
        # getMe answered with this status instead (401/404 as Telegram words them, any other
        # as a proxy's HTML error page that echoes the request path, token included).
        self.get_me_status: int | None = None
        # What getWebhookInfo reports: the URL (setWebhook sets it, deleteWebhook clears it),
        # the updates waiting, and the last delivery error as (unix time, message).
        self.webhook_url = ""
        self.webhook_pending = 0
        self.webhook_last_error: tuple[int, str] | None = None
        # The update types getUpdates serves (None: Telegram's default).
        self.allowed_updates: frozenset[str] | None = None
        self._next_update = 1
        self._next_message: dict[int, int] = {}
        self._cond = threading.Condition()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out as separate writes; without this, Nagle's algorithm and
            # delayed ACKs add 40 ms to every keep-alive request, as no real server does.
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                api._handle(self)

            do_GET = do_POST

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        # A short poll interval keeps shutdown (and so each test's teardown) fast.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    # -- setup -----------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What TELEGRAM_BASE_URL should be."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/bot"

    def __enter__(self) -> FakeBotApi:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._cond:
            self._cond.notify_all()
        self._httpd.shutdown()
        self._httpd.server_close()

    # -- updates ---------------------------------------------------------------------------------

    def _push(self, update: dict[str, Any]) -> int:
        with self._cond:
            update["update_id"] = self._next_update
            self._next_update += 1
            self.updates.append(update)
            self._cond.notify_all()
            return int(update["update_id"])

    @staticmethod
    def _chat(chat_id: int, chat_type: str, title: str | None) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = "Test"
        else:
            chat["title"] = title or "Group"
        return chat

    def push_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: str = "private",
        language_code: str = "en",
        title: str | None = None,
        edited: bool = False,
    ) -> int:
        """Queue a text message from a user (a command gets its bot_command entity)."""
        user = user_id if user_id is not None else chat_id
        message: dict[str, Any] = {
            "message_id": self._message_id(chat_id),
            "date": int(time.time()),
            "chat": self._chat(chat_id, chat_type, title),
            "from": {
                "id": user,
                "is_bot": False,
                "first_name": "Test",
                "language_code": language_code,
            },
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split()[0]) if text.split() else 1
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        if chat_type == "channel":
            del message["from"]
            message["sender_chat"] = message["chat"]
            return self._push({"edited_channel_post" if edited else "channel_post": message})
        return self._push({"edited_message" if edited else "message": message})

    def push_callback(
        self,
        chat_id: int,
        message_id: int,
        data: str,
        *,
        user_id: int | None = None,
        chat_type: str = "private",
        language_code: str = "en",
    ) -> int:
        """Queue a button press on a message the bot sent."""
        sent = self.messages.get((chat_id, message_id), {})
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(chat_id, chat_type, None),
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Digest"},
            "text": sent.get("text", "…"),
        }
        if sent.get("reply_markup"):
            # Telegram sends the pressed message's keyboard along, as it is now.
            message["reply_markup"] = sent["reply_markup"]
        user = user_id if user_id is not None else chat_id
        return self._push(
            {
                "callback_query": {
                    "id": f"cb{self._next_update}",
                    "from": {
                        "id": user,
                        "is_bot": False,
                        "first_name": "Test",
                        "language_code": language_code,
                    },
                    "chat_instance": str(chat_id),
                    "message": message,
                    "data": data,
                }
            }
        )

    def push_reaction(
        self,
        chat_id: int,
        message_id: int,
        *,
        old: list[str] | tuple[str, ...] = (),
        new: list[str] | tuple[str, ...] = (),
        user_id: int | None = None,
        chat_type: str = "private",
    ) -> int:
        """Queue a change of a user's reactions on a message (emoji before and after), as
        Telegram reports it in a `message_reaction` update."""
        user = user_id if user_id is not None else chat_id
        return self._push(
            {
                "message_reaction": {
                    "chat": self._chat(chat_id, chat_type, None),
                    "message_id": message_id,
                    "user": {"id": user, "is_bot": False, "first_name": "Test"},
                    "date": int(time.time()),
                    "old_reaction": [{"type": "emoji", "emoji": e} for e in old],
                    "new_reaction": [{"type": "emoji", "emoji": e} for e in new],
                }
            }
        )

    # -- what the bot did ------------------------------------------------------------------------

    def sent(self, chat_id: int | None = None, method: str = "sendMessage") -> list[dict[str, Any]]:
        """Parameters of every successful call of `method` (to one chat, or all)."""
        with self._cond:
            return [
                params
                for name, params in self.calls
                if name == method
                and params.get("_ok")
                and (chat_id is None or int(params.get("chat_id", 0)) == chat_id)
            ]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait (without blocking the bot's event loop) until `predicate()` holds."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; last calls: {self.calls[-3:]}")
            await asyncio.sleep(0.01)

    async def wait_for_messages(
        self, count: int, chat_id: int | None = None, timeout: float = 10.0
    ) -> list[dict[str, Any]]:
        """Wait until at least `count` messages went to the chat; returns them all."""
        await self.wait_for(lambda: len(self.sent(chat_id)) >= count, timeout)
        return self.sent(chat_id)

    # -- the protocol ----------------------------------------------------------------------------

    def _message_id(self, chat_id: int) -> int:
        with self._cond:
            self._next_message[chat_id] = self._next_message.get(chat_id, 0) + 1
            return self._next_message[chat_id]

    @staticmethod
    def _params(handler: BaseHTTPRequestHandler) -> dict[str, Any]:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        kind = handler.headers.get("Content-Type", "")
        params: dict[str, Any] = {}
        if kind.startswith("multipart/form-data"):
            message = BytesParser(policy=HTTP).parsebytes(
                b"Content-Type: " + kind.encode() + b"\r\n\r\n" + body
            )
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True) or b""
                filename = part.get_filename()
                if filename:
                    params[str(name)] = {"filename": filename, "content": payload}
                else:
                    params[str(name)] = payload.decode()
        elif kind.startswith("application/json"):
            params = json.loads(body or b"{}")
        else:
            params = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        for key in ("reply_markup", "link_preview_options", "commands", "allowed_updates"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        return params

    def _respond(self, handler: BaseHTTPRequestHandler, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the bot gave up on a long poll while shutting down

    def _refuse_get_me(self, handler: BaseHTTPRequestHandler, status: int) -> None:
        if status in (401, 404):
            description = "Unauthorized" if status == 401 else "Not Found"
            self._respond(
                handler, status, {"ok": False, "error_code": status, "description": description}
            )
            return
        page = (
            f"<html><head><title>{status} Bad Gateway</title></head><body>"
            f"<h1>Bad Gateway</h1><p>The upstream server failed for POST {handler.path}</p>"
            "</body></html>"
        ).encode()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            handler.send_response(status)
            handler.send_header("Content-Type", "text/html")
            handler.send_header("Content-Length", str(len(page)))
            handler.end_headers()
            handler.wfile.write(page)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        prefix = f"/bot{self.token}/"
        if self.get_me_status is not None and handler.path.split("?")[0].endswith("/getMe"):
            self._params(handler)  # read the body: the connection stays usable
            self._refuse_get_me(handler, self.get_me_status)
            return
        if not handler.path.startswith(prefix):
            self._respond(
                handler, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            )
            return
        method = handler.path[len(prefix) :].split("?")[0]
        params = self._params(handler)
        if method == "getUpdates":
            self._get_updates(handler, params)
            return
        if method == "sendMessage" and self._fault(handler):
            return
        wait = self._flood_wait(method, params)
        if wait is not None:
            status, result = 429, f"Too Many Requests: retry after {wait}"
            params["_parameters"] = {"retry_after": wait}
        else:
            status, result = self._call(method, params)
        with self._cond:
            params["_ok"] = status == 200
            params["_at"] = time.monotonic()
            self.calls.append((method, params))
            self._cond.notify_all()
        if status == 200:
            self._respond(handler, 200, {"ok": True, "result": result})
        else:
            payload: dict[str, Any] = {"ok": False, "error_code": status, "description": result}
            if params.get("_parameters"):
                payload["parameters"] = params["_parameters"]
            self._respond(handler, status, payload)

    def _fault(self, handler: BaseHTTPRequestHandler) -> bool:
        """Play the next scripted transport fault; True when the request got no answer."""
        with self._cond:
            fault = self.faults.pop(0) if self.faults else None
        if fault == "timeout":
            time.sleep(self.fault_delay)
            return False
        if fault == "reset":
            handler.close_connection = True
            with contextlib.suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RDWR)  # the peer sees the connection drop
            return True
        return False

    def _flood_wait(self, method: str, params: dict[str, Any]) -> int | None:
        """Whole seconds to retry after when this message breaks a flood limit, else None."""
        if self.limits is None or method not in SENDING_METHODS or "chat_id" not in params:
            return None
        with self._cond:
            if self._flood is None or self._flood.limits is not self.limits:
                self._flood = _FloodControl(self.limits)
            wait = self._flood.admit(int(params["chat_id"]), time.monotonic())
            if wait is None:
                return None
            self.rate_limited += 1
        return max(1, math.ceil(wait))

    def _get_updates(self, handler: BaseHTTPRequestHandler, params: dict[str, Any]) -> None:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 2.0)
        deadline = time.monotonic() + timeout
        with self._cond:
            if params.get("allowed_updates"):
                self.allowed_updates = frozenset(params["allowed_updates"])
            self.updates = [u for u in self.updates if u["update_id"] >= offset and self._wanted(u)]
            while not self.updates and time.monotonic() < deadline:
                self._cond.wait(deadline - time.monotonic())
            pending = list(self.updates)
        self._respond(handler, 200, {"ok": True, "result": pending})

    def _wanted(self, update: dict[str, Any]) -> bool:
        """Whether getUpdates serves this update, given the types the bot asked for."""
        kind = next(key for key in update if key != "update_id")
        if self.allowed_updates is None:
            return kind not in NOT_SENT_BY_DEFAULT
        return kind in self.allowed_updates

    def _check_markup(self, params: dict[str, Any]) -> str | None:
        markup = params.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= 64:
                    return "Bad Request: BUTTON_DATA_INVALID"
        return None

    def _check_text(self, text: str, params: dict[str, Any]) -> str | None:
        if not text.strip():
            return "Bad Request: message text is empty"
        if params.get("parse_mode") == "HTML":
            problem = check_telegram_html(text)
            if problem == "message is too long":
                return "Bad Request: message is too long"
            if problem:
                return f"Bad Request: {problem}"
        elif len(text.encode("utf-16-le")) // 2 > 4096:
            return "Bad Request: message is too long"
        return self._check_markup(params)

    def _message(self, chat_id: int, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
        message = {
            "message_id": self._message_id(chat_id),
            "date": int(time.time()),
            "chat": self._chat(chat_id, "private" if chat_id > 0 else "supergroup", None),
            "from": {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Digest",
                "username": "digest_bot",
            },
            **extra,
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self.messages[(chat_id, message["message_id"])] = message
        return message

    def _call(self, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        chat_id = int(params["chat_id"]) if "chat_id" in params else None
        if chat_id is not None and chat_id in self.blocked:
            return 403, "Forbidden: bot was blocked by the user"
        if method == "getMe":
            return 200, {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Digest",
                "username": "digest_bot",
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method == "setWebhook":
            self.webhook_url = str(params.get("url", ""))
            return 200, True
        if method == "deleteWebhook":
            self.webhook_url = ""
            return 200, True
        if method == "getWebhookInfo":
            info: dict[str, Any] = {
                "url": self.webhook_url,
                "has_custom_certificate": False,
                "pending_update_count": self.webhook_pending,
            }
            if self.webhook_last_error is not None:
                info["last_error_date"], info["last_error_message"] = self.webhook_last_error
            return 200, info
        if method in (
            "setMyCommands",
            "deleteMyCommands",
            "sendChatAction",
            "answerCallbackQuery",
            "close",
            "logOut",
        ):
            return 200, True
        if method == "getMyCommands":
            return 200, []
        if method == "sendMessage" and chat_id is not None and chat_id in self.migrated:
            params["_parameters"] = {"migrate_to_chat_id": self.migrated[chat_id]}
            return 400, "Bad Request: group chat was upgraded to a supergroup chat"
        if method == "sendMessage" and self.script:
            status, description, parameters = self.script.pop(0)
            if status == 429:
                self.rate_limited += 1
            params["_parameters"] = parameters
            return status, description
        if method == "sendMessage":
            self.sends_started += 1
        if method == "sendMessage" and self.send_delay:
            time.sleep(self.send_delay)
        if method == "sendMessage" and chat_id is not None:
            problem = self._check_text(str(params.get("text", "")), params)
            if problem:
                return 400, problem
            return 200, self._message(chat_id, params, text=params["text"])
        if method == "sendDocument" and chat_id is not None:
            document = params.get("document") or {}
            name = document.get("filename", "file") if isinstance(document, dict) else "file"
            return 200, self._message(
                chat_id,
                params,
                document={"file_id": "F1", "file_unique_id": "U1", "file_name": name},
            )
        if method in ("editMessageText", "editMessageReplyMarkup") and chat_id is not None:
            key = (chat_id, int(params["message_id"]))
            old = self.messages.get(key)
            if old is None:
                return 400, "Bad Request: message to edit not found"
            text = str(params.get("text", old.get("text", "")))
            if method == "editMessageText":
                problem = self._check_text(text, params)
                if problem:
                    return 400, problem
            else:
                problem = self._check_markup(params)
                if problem:
                    return 400, problem
            if text == old.get("text") and params.get("reply_markup") == old.get("reply_markup"):
                return (
                    400,
                    "Bad Request: message is not modified: specified new message "
                    "content and reply markup are exactly the same",
                )
            old["text"] = text
            if "reply_markup" in params:
                old["reply_markup"] = params["reply_markup"]
            return 200, old
        if method == "getChatMember" and chat_id is not None:
            user_id = int(params["user_id"])
            status = "administrator" if user_id in self.admins.get(chat_id, set()) else "member"
            member: dict[str, Any] = {
                "status": status,
                "user": {"id": user_id, "is_bot": False, "first_name": "Test"},
            }
            if status == "administrator":
                member.update(
                    {
                        key: True
                        for key in (
                            "can_be_edited",
                            "is_anonymous",
                            "can_manage_chat",
                            "can_delete_messages",
                            "can_manage_video_chats",
                            "can_restrict_members",
                            "can_promote_members",
                            "can_change_info",
                            "can_invite_users",
                            "can_post_stories",
                            "can_edit_stories",
                            "can_delete_stories",
                        )
                    }
                )
            return 200, member
        return 404, "Not Found"


def limited_bot(
    token: str, base_url: str, scale: float = 1.0, read_timeout: float = 5.0
) -> ExtBot[None]:
    """A bot for a fake at `base_url` with the production rate limiter running `1/scale` times
    faster, as the Application builds it (use `async with`)."""
    from bot.app import rate_limiter

    return ExtBot(
        token,
        base_url=base_url,
        rate_limiter=rate_limiter(scale),
        request=HTTPXRequest(read_timeout=read_timeout),
    )


def _serve_in_process(conn: Any, limits: TelegramLimits | None, send_delay: float) -> None:
    with FakeBotApi() as api:
        api.limits = limits
        api.send_delay = send_delay
        conn.send((api.token, api.base_url))
        conn.recv()  # the benchmark is done
        sent = [(int(m["chat_id"]), str(m["text"]), float(m["_at"])) for m in api.sent()]
        conn.send((sent, api.rate_limited))


class FakeBotApiProcess:
    """A FakeBotApi in its own process, so its CPU time does not compete with the bot's for the
    GIL (a benchmark's arrival times would otherwise measure that contention).

        with FakeBotApiProcess(TelegramLimits(scale=0.5)) as api:
            ...  # api.token, api.base_url
        api.sent, api.rate_limited  # [(chat_id, text, arrival)], 429s answered
    """

    def __init__(self, limits: TelegramLimits | None = None, send_delay: float = 0.0) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_serve_in_process, args=(child, limits, send_delay), daemon=True
        )
        self.token = ""
        self.base_url = ""
        self.sent: list[tuple[int, str, float]] = []
        self.rate_limited = 0

    def __enter__(self) -> FakeBotApiProcess:
        self._process.start()
        self.token, self.base_url = self._conn.recv()
        return self

    def __exit__(self, *exc: object) -> None:
        self._conn.send("done")
        self.sent, self.rate_limited = self._conn.recv()
        self._process.join(timeout=10)
