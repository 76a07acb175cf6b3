"""Logging set-up, and the redaction of secrets from everything the process prints.

python-telegram-bot puts the token in every request URL, and its exceptions quote it (an
`InvalidToken` says "The token `…` was rejected"; a gateway's error page echoing the request
path ends up in a `NetworkError`). So every handler carries a filter that replaces each secret
in the message, its arguments and the formatted traceback with the setting's name, and uncaught
exceptions and warnings go through logging too, instead of straight to stderr.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import traceback
from collections.abc import Iterable
from datetime import UTC, datetime
from types import TracebackType
from urllib.parse import quote

from bot.config import Settings

# Short values (a LibreTranslate key of "x" for a private server) are matched only as whole
# words: replacing every occurrence of two letters would wreck every line and hide nothing.
_WHOLE_WORD_BELOW = 8
_WORD = r"[A-Za-z0-9_\-]"
_QUIET_LOGGERS = ("httpx", "httpcore", "telegram", "apscheduler", "urllib3", "tornado")
# What a record may carry through `extra=` for log collectors to filter on (LOG_FORMAT=json).
CONTEXT_FIELDS = ("chat_id", "outbox_id", "fetch_id")


class Redactor:
    """Replaces known secret values in text with `[SETTING_NAME]`."""

    def __init__(self) -> None:
        self._labels: dict[str, str] = {}
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, value: str, label: str) -> None:
        """Hide `value` (and its URL-encoded form, as it appears in a request path) from now on."""
        if not value:
            return
        with self._lock:
            for variant in {value, quote(value, safe="")}:
                self._labels[variant] = label
            parts = []
            # Longest first, so the token wins over its own secret part.
            for secret in sorted(self._labels, key=len, reverse=True):
                escaped = re.escape(secret)
                if len(secret) < _WHOLE_WORD_BELOW:
                    escaped = rf"(?<!{_WORD}){escaped}(?!{_WORD})"
                parts.append(escaped)
            self._pattern = re.compile("|".join(parts))

    def add_token(self, token: str) -> None:
        """The bot token, and its secret part alone (the part before the colon is the bot's
        public id; the part after it is what grants access, quoted alone by some errors)."""
        self.add(token, "TELEGRAM_BOT_TOKEN")
        _, _, secret = token.partition(":")
        self.add(secret, "TELEGRAM_BOT_TOKEN")

    def add_settings(self, settings: Settings) -> None:
        """Every secret the settings hold."""
        self.add_token(settings.telegram_bot_token)
        self.add(settings.webhook_secret, "WEBHOOK_SECRET")
        self.add(settings.llm_api_key, "LLM_API_KEY")
        self.add(settings.deepl_api_key, "DEEPL_API_KEY")
        self.add(settings.libre_api_key, "LIBRE_API_KEY")

    def __call__(self, text: str) -> str:
        pattern = self._pattern
        if pattern is None:
            return text
        return pattern.sub(lambda match: f"[{self._labels[match.group(0)]}]", text)


class RedactingFilter(logging.Filter):
    """A handler filter that scrubs a record before any formatter sees it.

    The message is formatted here (arguments included) and the traceback rendered to text, both
    redacted; `exc_info` is cleared so no formatter renders the raw exception again.
    python-telegram-bot's tracebacks (its network internals: 40 lines for a refused token) are
    cut to their last line, which names the error, unless LOG_LEVEL is DEBUG; the bot's own stay
    whole. Done here rather than in a filter of its own: the first handler to see a record
    renders it for all.
    """

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record, nor leak its args
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = _render(record)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def _render(record: logging.LogRecord) -> str:
    assert record.exc_info is not None
    kind, error, tb = record.exc_info
    if (
        error is not None
        and record.name.startswith("telegram")
        and not logging.getLogger().isEnabledFor(logging.DEBUG)
    ):
        return "".join(traceback.format_exception_only(error)).strip()
    return "".join(traceback.format_exception(kind, error, tb)).rstrip()


# One redactor for the process: the logging set-up, the CLI's one-line errors and the webhook
# secret generated after start-up all feed or use it.
REDACT = Redactor()
_FILTER = RedactingFilter(REDACT)


class JsonFormatter(logging.Formatter):
    """LOG_FORMAT=json: one JSON object a line, traceback included, for log collectors.

    Keys: `time` (UTC, ISO 8601), `level`, `logger`, `event` (the message), the context
    fields the record carries (`chat_id`, `outbox_id`, `fetch_id`), and `exc` for a traceback.
    The redacting filter has scrubbed message and traceback before this runs; the line is
    scrubbed once more, as a whole, because a context field could hold anything.
    """

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key in CONTEXT_FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return self.redact(json.dumps(entry, ensure_ascii=False, default=str))


def formatter(log_format: str) -> logging.Formatter:
    """The formatter LOG_FORMAT names: `text` (one line a record, tracebacks below it) or
    `json`."""
    if log_format == "json":
        return JsonFormatter(REDACT)
    return logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg,unused-ignore]
    """The bot's own handler: stderr, in the LOG_FORMAT's format."""

    def __init__(self, log_format: str) -> None:
        super().__init__(sys.stderr)
        self.setFormatter(formatter(log_format))


def _every_handler() -> Iterable[logging.Handler]:
    yield from logging.getLogger().handlers
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            yield from logger.handlers


def filter_every_handler() -> None:
    """Attach the redaction filter to every handler that exists now (idempotent)."""
    for handler in _every_handler():
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)


def _log_uncaught(
    kind: type[BaseException], value: BaseException, tb: TracebackType | None
) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, tb)
        return
    logging.getLogger("bot").critical("unexpected error", exc_info=(kind, value, tb))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None:
        return
    logging.getLogger("bot").critical(
        "unexpected error in thread %s",
        args.thread.name if args.thread else "?",
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )


def configure_logging(level: str, settings: Settings | None = None) -> None:
    """The process's one logging set-up: stderr in `settings.log_format`, every handler
    redacting `settings`' secrets, HTTP client loggers at WARNING (their request URLs carry the
    token), uncaught exceptions and warnings logged rather than printed raw."""
    if settings is not None:
        REDACT.add_settings(settings)
    root = logging.getLogger()
    root.setLevel(getattr(logging, level, logging.INFO))
    if not root.handlers:  # as logging.basicConfig: a host's (or pytest's) handlers are kept
        root.addHandler(_StderrHandler(settings.log_format if settings else "text"))
    for noisy in _QUIET_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread
    filter_every_handler()
