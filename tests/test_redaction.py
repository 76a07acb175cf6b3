"""The token and the other secrets never reach what the process prints, whatever fails.

Telegram refusing the token (401, 404) and a gateway whose error page echoes the request path
(502) are played by the fake Bot API against `python -m bot` in a subprocess; the redaction
itself is tested on log records with tracebacks, and on any text (hypothesis).
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.config import Settings
from bot.logs import REDACT, RedactingFilter, Redactor, configure_logging
from tests.fakes.bot_api import FakeBotApi
from tests.fakes.bot_process import ROOT, start_bot

TOKEN = "987654:AAH-redaction_Secret"
SECRET_PART = TOKEN.split(":")[1]


@pytest.mark.parametrize(
    ("status", "exit_status", "line"),
    [
        (401, 2, "Telegram rejected TELEGRAM_BOT_TOKEN"),
        (404, 2, "Telegram rejected TELEGRAM_BOT_TOKEN"),
        (502, 1, "cannot reach Telegram at TELEGRAM_BASE_URL: Bad Gateway (502)"),
    ],
)
@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_a_refused_start_never_prints_the_token(
    tmp_path: Path, status: int, exit_status: int, line: str, level: str
) -> None:
    with FakeBotApi(token=TOKEN) as api:
        api.get_me_status = status
        process = start_bot(
            api, tmp_path / "bot.sqlite3", LOG_LEVEL=level, LLM_API_KEY="sk-llm-key-value"
        )
        output, _ = process.communicate(timeout=120)
    assert process.returncode == exit_status, output
    assert TOKEN not in output and SECRET_PART not in output and "sk-llm" not in output
    assert "%3A" + SECRET_PART not in output
    own = [text for text in output.splitlines() if " ERROR bot." in text]
    assert len(own) == 1 and line in own[0], output
    assert output.rstrip().splitlines()[-1] == own[0]
    if level == "INFO":  # python-telegram-bot's tracebacks are cut to the error's own line
        assert "Traceback" not in output


def test_an_uncaught_exception_is_logged_redacted(tmp_path: Path) -> None:
    script = (
        "from bot.config import Settings\n"
        "from bot.logs import configure_logging\n"
        f"configure_logging('INFO', Settings(telegram_bot_token={TOKEN!r}))\n"
        "import threading\n"
        f"thread = threading.Thread(target=lambda: int({SECRET_PART!r}))\n"
        "thread.start(); thread.join()\n"
        f"raise RuntimeError('the token ' + {TOKEN!r})\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "RuntimeError: the token [TELEGRAM_BOT_TOKEN]" in result.stderr
    assert "unexpected error in thread" in result.stderr
    assert SECRET_PART not in result.stderr + result.stdout


@pytest.fixture
def logging_restored() -> Iterator[None]:
    """configure_logging changes process-wide state; put it back for the other tests."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    hooks = sys.excepthook, threading.excepthook
    yield
    root.setLevel(level)
    root.handlers[:] = handlers
    sys.excepthook, threading.excepthook = hooks
    logging.captureWarnings(False)


def test_every_handler_redacts_including_telegram_and_httpx(
    tmp_path: Path, logging_restored: None, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.app import build_application

    settings = Settings(
        telegram_bot_token="555:ZZ-every-handler-token",
        deepl_api_key="deepl-key-0123",
        database_path=tmp_path / "bot.sqlite3",
        translator="none",
    )
    configure_logging("INFO", settings)
    build_application(settings)  # imports python-telegram-bot, httpx, tornado, apscheduler
    handlers = list(logging.getLogger().handlers)
    for name, logger in logging.Logger.manager.loggerDict.items():
        if isinstance(logger, logging.Logger) and name.startswith(("telegram", "httpx", "bot")):
            handlers += logger.handlers
    assert handlers and all(
        any(isinstance(f, RedactingFilter) for f in handler.filters) for handler in handlers
    )
    try:
        raise ValueError("rejected 555:ZZ-every-handler-token")
    except ValueError:
        logging.getLogger("telegram.ext").error("with %s", "deepl-key-0123", exc_info=True)
    logging.getLogger("httpx").warning("POST /bot555:ZZ-every-handler-token/getMe")
    # pytest's handler stands in for stderr here (the subprocess tests above use the real one).
    library = caplog.text
    assert "with [DEEPL_API_KEY]\nValueError: rejected [TELEGRAM_BOT_TOKEN]\n" in library
    assert "POST /bot[TELEGRAM_BOT_TOKEN]/getMe" in library
    assert "ZZ-every" not in library and "deepl-key" not in library
    assert "Traceback" not in library  # the library's own: its last line is enough
    try:
        raise ValueError("ours 555:ZZ-every-handler-token")
    except ValueError:
        caplog.clear()
        logging.getLogger("bot.app").exception("handler failed")
    ours = caplog.text
    assert "Traceback" in ours and "ValueError: ours [TELEGRAM_BOT_TOKEN]" in ours
    assert "ZZ-every" not in ours


def _redactor(token: str = TOKEN) -> Redactor:
    redact = Redactor()
    redact.add_settings(
        Settings(
            telegram_bot_token=token,
            webhook_secret="hook-secret-value",
            llm_api_key="sk-abcdef123456",
            libre_api_key="x",
        )
    )
    return redact


def test_each_secret_becomes_its_setting_name() -> None:
    redact = _redactor()
    assert redact(f"GET /bot{TOKEN}/getMe") == "GET /bot[TELEGRAM_BOT_TOKEN]/getMe"
    assert redact(f"GET /bot987654%3A{SECRET_PART}/getMe") == "GET /bot[TELEGRAM_BOT_TOKEN]/getMe"
    assert redact(f"secret={SECRET_PART}") == "secret=[TELEGRAM_BOT_TOKEN]"
    assert redact("header hook-secret-value") == "header [WEBHOOK_SECRET]"
    assert redact("Bearer sk-abcdef123456.") == "Bearer [LLM_API_KEY]."
    # A one-letter key is hidden where it stands alone, not inside every word.
    assert redact("api_key=x&q=box") == "api_key=[LIBRE_API_KEY]&q=box"
    assert redact("bot 987654 is fine") == "bot 987654 is fine"  # the public bot id


def test_a_record_with_arguments_and_a_traceback_is_scrubbed() -> None:
    redact = _redactor()
    try:
        raise RuntimeError(f"The token `{TOKEN}` was rejected by the server.")
    except RuntimeError:
        record = logging.LogRecord(
            "telegram.ext",
            logging.ERROR,
            __file__,
            1,
            "loop %s: %r",
            ("retry", TOKEN),
            sys.exc_info(),
        )
    assert RedactingFilter(redact).filter(record)
    text = logging.Formatter().format(record)
    assert SECRET_PART not in text
    assert "loop retry: '[TELEGRAM_BOT_TOKEN]'" in text
    assert "RuntimeError: The token `[TELEGRAM_BOT_TOKEN]` was rejected" in text


@given(
    before=st.text(),
    after=st.text(),
    secret=st.text(
        alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-",
        min_size=8,
        max_size=60,
    ),
)
def test_no_text_keeps_a_secret(before: str, after: str, secret: str) -> None:
    assume(secret not in "[TELEGRAM_BOT_TOKEN]")
    redact = _redactor(f"42:{secret}")
    assert secret not in redact(before + secret + after + secret)


def test_the_process_redactor_knows_nothing_until_told() -> None:
    assert isinstance(REDACT, Redactor)
    assert Redactor()("anything") == "anything"
