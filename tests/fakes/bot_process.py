"""`python -m bot` started as an operator starts it, against the fake Bot API."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from tests.fakes.bot_api import FakeBotApi

ROOT = Path(__file__).parent.parent.parent


def start_bot(
    api: FakeBotApi,
    database: Path,
    cwd: Path | None = None,
    args: Sequence[str] = (),
    **settings: str,
) -> subprocess.Popen[str]:
    """The bot in its own process, talking to `api`, with no translation and arXiv unreachable
    unless `settings` (environment variables) say otherwise; stdout and stderr together, as
    text. It runs in `cwd` (the database's folder by default); `args` follow `python -m bot`
    (`["run", "--webhook", URL]`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env.update(
        PYTHONPATH=str(ROOT),
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_BASE_URL=api.base_url,
        DATABASE_PATH=str(database),
        TRANSLATOR="none",
        ARXIV_RSS_URL="http://127.0.0.1:9/rss/",
    )
    env.update(settings)
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd or database.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_until_polling(api: FakeBotApi, process: subprocess.Popen[str], deadline: float) -> None:
    """Until the bot set its commands and dropped any webhook (it polls next), failing with its
    output if it exits first, or when `deadline` (time.monotonic) passes."""
    while not api.sent(method="setMyCommands") or not any(
        name == "deleteWebhook" for name, _ in api.calls
    ):
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        assert time.monotonic() < deadline, "the bot did not start"
        time.sleep(0.05)
