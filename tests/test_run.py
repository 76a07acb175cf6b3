"""`python -m bot` as an operator starts it: one clear line when running, a clean stop on
Ctrl+C or SIGTERM, and the token never in what it prints."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.fakes.bot_api import FakeBotApi

ROOT = Path(__file__).parent.parent


def test_the_bot_starts_says_so_once_answers_and_stops_cleanly(tmp_path: Path) -> None:
    with FakeBotApi(token="987654:SECRET-token-value") as api:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
        env.update(
            PYTHONPATH=str(ROOT),
            TELEGRAM_BOT_TOKEN=api.token,
            TELEGRAM_BASE_URL=api.base_url,
            DATABASE_PATH=str(tmp_path / "data" / "bot.sqlite3"),
            TRANSLATOR="none",
            LOG_LEVEL="DEBUG",
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            while not api.sent(method="setMyCommands") or not any(
                name == "deleteWebhook" for name, _ in api.calls
            ):
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                assert time.monotonic() < deadline, "the bot did not start"
                time.sleep(0.05)
            api.push_message(5, "/help")
            while not api.sent(5):
                assert time.monotonic() < deadline, "the bot did not answer"
                time.sleep(0.05)
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    running = [line for line in output.splitlines() if "is running" in line]
    assert len(running) == 1 and "@digest_bot" in running[0]
    assert api.token not in output and "SECRET" not in output
    assert (tmp_path / "data" / "bot.sqlite3").exists()
