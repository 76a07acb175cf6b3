"""LOG_FORMAT=json: one JSON object a line, with the chat, outbox message or fetch it is about,
and the token redacted exactly as in text lines."""

from __future__ import annotations

import io
import json
import logging
import signal
import socket
import time
from pathlib import Path

import httpx

from bot.logs import JsonFormatter, RedactingFilter, Redactor
from tests.fakes.bot_api import FakeBotApi
from tests.fakes.bot_process import start_bot, wait_until_polling

TOKEN = "987654:AAH-json_Secret-part"
SECRET_PART = TOKEN.split(":")[1]


def json_lines(output: str) -> list[dict[str, object]]:
    """Every line of `output` as JSON (fails on a line that is not)."""
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_a_record_becomes_one_redacted_json_object() -> None:
    redact = Redactor()
    redact.add_token(TOKEN)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter(redact))
    handler.setFormatter(JsonFormatter(redact))
    logger = logging.getLogger("tests.json_logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise RuntimeError(f"rejected {TOKEN}\nsecond line")
        except RuntimeError:
            logger.exception(
                "sending to %s failed", f"/bot{TOKEN}/sendMessage", extra={"chat_id": 42}
            )
        logger.warning("fetch failed", extra={"fetch_id": 7, "outbox_id": None})
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert TOKEN not in output and SECRET_PART not in output
    first, second = json_lines(output)
    assert first["event"] == "sending to /bot[TELEGRAM_BOT_TOKEN]/sendMessage failed"
    assert (first["level"], first["logger"], first["chat_id"]) == ("ERROR", "tests.json_logs", 42)
    assert "RuntimeError: rejected [TELEGRAM_BOT_TOKEN]" in str(first["exc"])
    assert str(first["time"]).endswith("+00:00")
    assert second == {
        "time": second["time"],
        "level": "WARNING",
        "logger": "tests.json_logs",
        "event": "fetch failed",
        "fetch_id": 7,
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_bot_logs_json_with_the_chat_and_serves_healthz(tmp_path: Path) -> None:
    """`python -m bot` as an operator runs it: LOG_FORMAT=json and METRICS_PORT set; a reply to
    a chat that blocked the bot is logged with its chat_id."""
    port = _free_port()
    with FakeBotApi(token=TOKEN) as api:
        api.blocked.add(5)
        process = start_bot(
            api, tmp_path / "bot.sqlite3", LOG_FORMAT="json", METRICS_PORT=str(port)
        )
        try:
            deadline = time.monotonic() + 30
            wait_until_polling(api, process, deadline)
            api.push_message(5, "/help")
            while not any(
                name == "sendMessage" and int(params.get("chat_id", 0)) == 5
                for name, params in list(api.calls)
            ):
                assert time.monotonic() < deadline, "the bot did not answer"
                time.sleep(0.05)
            health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
            scraped = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert TOKEN not in output and SECRET_PART not in output
    lines = json_lines(output)
    blocked = [line for line in lines if line.get("chat_id") == 5]
    assert blocked and "blocked the bot" in str(blocked[0]["event"]), output
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert 'arxiv_digest_messages_failed_total{failure="blocked"} 1.0' in scraped


def test_a_refused_token_is_redacted_in_json(tmp_path: Path) -> None:
    with FakeBotApi(token=TOKEN) as api:
        api.get_me_status = 401
        process = start_bot(api, tmp_path / "bot.sqlite3", LOG_FORMAT="json", LOG_LEVEL="DEBUG")
        output, _ = process.communicate(timeout=120)
    assert process.returncode == 2, output
    assert TOKEN not in output and SECRET_PART not in output
    lines = json_lines(output)
    assert lines[-1]["event"] == (
        "Telegram rejected TELEGRAM_BOT_TOKEN: check the token from @BotFather"
    )
    assert any("[TELEGRAM_BOT_TOKEN]" in str(line.get("exc", "")) for line in lines), output
