"""Webhook mode: only a request carrying the secret Telegram was given reaches the bot.

The bot runs as an operator runs it (`python -m bot run --webhook URL`, a subprocess) against the
fake Bot API, and the tests post updates to its webhook the way Telegram, or an attacker, would.
"""

from __future__ import annotations

import http.client
import json
import re
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.config import Settings
from bot.webhook import (
    SECRET_KEY,
    WebhookUrlError,
    configure_webhook,
    generate_secret,
    webhook_path,
)
from storage import bot_state
from storage.database import open_store
from tests.fakes.bot_api import FakeBotApi
from tests.fakes.bot_process import start_bot

TOKEN = "987654:WEBHOOK-test-token"
SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _post(port: int, path: str, update: dict[str, Any], secret: str | None) -> int:
    """POST an update as Telegram does; the HTTP status the webhook answered."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", path, json.dumps(update), headers)
        return connection.getresponse().status
    finally:
        connection.close()


def _wait_for_webhook(
    api: FakeBotApi, process: subprocess.Popen[str], port: int, count: int = 1
) -> dict[str, Any]:
    """Wait until the bot has called setWebhook `count` times and its server accepts
    connections; the last setWebhook's parameters."""
    deadline = time.monotonic() + 60
    while len(api.sent(method="setWebhook")) < count:
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline, "the bot never called setWebhook"
        time.sleep(0.05)
    while True:  # python-telegram-bot listens right after setWebhook
        try:
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
            break
        except OSError:
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "the webhook server never listened"
            time.sleep(0.05)
    return api.sent(method="setWebhook")[-1]


def _update(api: FakeBotApi, chat_id: int, text: str) -> dict[str, Any]:
    """An update as Telegram would post it (built by the fake, which nobody polls here)."""
    api.push_message(chat_id, text)
    return api.updates[-1]


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    return output


def test_only_updates_carrying_the_secret_are_processed_and_it_survives_a_restart(
    tmp_path: Path,
) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/some/path"
    args = ["run", "--webhook", url]
    env = {"WEBHOOK_LISTEN": "127.0.0.1", "WEBHOOK_PORT": str(port), "LOG_LEVEL": "DEBUG"}
    with FakeBotApi(token=TOKEN) as api:
        process = start_bot(api, tmp_path / "bot.sqlite3", args=args, **env)
        try:
            hook = _wait_for_webhook(api, process, port)
            secret = hook["secret_token"]
            assert hook["url"] == url and SECRET.fullmatch(secret)
            # 👍/👎 reactions vote: Telegram sends them only to a bot that names them.
            assert "message_reaction" in hook["allowed_updates"]
            # A forged /help (no secret, then a wrong one): refused before it is read.
            assert _post(port, "/some/path", _update(api, 5, "/help"), None) == 403
            assert _post(port, "/some/path", _update(api, 5, "/help"), "guess") == 403
            assert _post(port, "/some/path", _update(api, 5, "/help"), secret[:-1]) == 403
            # The right secret on another path: nothing is served there.
            assert _post(port, "/", _update(api, 5, "/help"), secret) == 404
            assert _post(port, "/some/other", _update(api, 5, "/help"), secret) == 404
            # Telegram's own request: answered. A chat's updates are handled in order, so a
            # forged one that got through would have been answered before this one.
            assert _post(port, "/some/path", _update(api, 5, "/help"), secret) == 200
            deadline = time.monotonic() + 30
            while not api.sent(5):
                assert time.monotonic() < deadline, "the genuine update was not answered"
                time.sleep(0.05)
            assert len(api.sent(5)) == 1
        finally:
            output = _stop(process)
        assert f"webhook mode: serving /some/path on 127.0.0.1:{port}" in output
        assert secret not in output and TOKEN not in output and TOKEN.split(":")[1] not in output

        # Restarted, the bot gives Telegram the same secret: it was kept in the database.
        metrics_port = _free_port()
        again = start_bot(
            api, tmp_path / "bot.sqlite3", args=args, METRICS_PORT=str(metrics_port), **env
        )
        try:
            assert _wait_for_webhook(api, again, port, count=2)["secret_token"] == secret
            assert _post(port, "/some/path", _update(api, 6, "/help"), secret) == 200
            # The health probe knows updates come by webhook (no getUpdates to watch).
            health = httpx.get(f"http://127.0.0.1:{metrics_port}/healthz", timeout=10)
            assert health.status_code == 200
            assert (health.json()["mode"], health.json()["updates"]) == ("webhook", "ok")
        finally:
            output = _stop(again)
        assert secret not in output
    store = open_store(tmp_path / "bot.sqlite3")
    assert bot_state.get_value(store, SECRET_KEY) == secret


def test_webhook_secret_from_the_setting_is_used_and_not_stored(tmp_path: Path) -> None:
    store = open_store(tmp_path / "bot.sqlite3")
    settings = Settings(webhook_secret="set-by-the-operator_1", webhook_port=8443)
    webhook = configure_webhook(settings, "https://bot.example.org/tg/", None, store)
    assert webhook.secret == "set-by-the-operator_1"
    assert bot_state.get_value(store, SECRET_KEY) is None
    assert (webhook.path, webhook.listen, webhook.port) == ("/tg", "0.0.0.0", 8443)
    assert "set-by-the-operator" not in repr(webhook)


def test_a_generated_secret_is_kept_and_port_flag_wins(tmp_path: Path) -> None:
    store = open_store(tmp_path / "bot.sqlite3")
    settings = Settings(webhook_listen="127.0.0.1", webhook_port=8443)
    first = configure_webhook(settings, "https://bot.example.org/hook", 88, store)
    second = configure_webhook(settings, "https://bot.example.org/hook", None, store)
    assert first.secret == second.secret and SECRET.fullmatch(first.secret)
    assert (first.port, second.port, first.listen) == (88, 8443, "127.0.0.1")


def test_generated_secrets_are_what_telegram_accepts_and_differ() -> None:
    secrets = {generate_secret() for _ in range(50)}
    assert len(secrets) == 50
    assert all(SECRET.fullmatch(secret) and len(secret) >= 32 for secret in secrets)


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("https://bot.example.org/telegram", "/telegram"),
        ("https://bot.example.org/telegram/", "/telegram"),
        ("https://bot.example.org:8443/a/b.c?x=1", "/a/b.c"),
        ("https://bot.example.org", ""),
    ],
)
def test_the_url_path_is_served(url: str, path: str) -> None:
    assert webhook_path(url) == path


def test_a_dot_in_the_path_matches_only_a_dot(tmp_path: Path) -> None:
    webhook = configure_webhook(
        Settings(), "https://bot.example.org/a/b.c", None, open_store(tmp_path / "x.sqlite3")
    )
    route = re.compile(webhook.route + "/?$")
    assert route.match("/a/b.c") and route.match("/a/b.c/") and not route.match("/a/bxc")


@pytest.mark.parametrize("url", ["bot.example.org/hook", "ftp://bot.example.org/", "https:///x"])
def test_a_url_that_is_not_a_public_url_is_refused(url: str) -> None:
    with pytest.raises(WebhookUrlError, match="--webhook"):
        webhook_path(url)
