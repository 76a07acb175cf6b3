"""Start-up: `python -m bot` with 100,000 chats stored answers a command within 2 seconds.

A database with 100,000 chats (each with a few subscriptions) is written in bulk, then the bot
is started as a user starts it, against the loopback fake Bot API, with `/start` already waiting
in its update queue. The figure is the time from launching the process to Telegram receiving the
reply; the same start with an empty database is printed beside it, so the cost of the stored
chats shows as the difference (Python's own start-up and imports are in both).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.report import figure
from storage.clock import utc_now
from storage.database import open_store
from tests.fakes.bot_api import FakeBotApi
from tests.fakes.bot_process import start_bot

CATEGORIES = ("cs.CV", "cs.LG", "cs.CL", "stat.ML", "math.OC", "quant-ph", "hep-th", "astro-ph.GA")
ZONES = ("Asia/Shanghai", "Europe/Berlin", "America/New_York", "UTC", "Asia/Tokyo")


def fill(path: Path, count: int) -> None:
    """`count` chats with 1–4 categories and a keyword each, in one transaction."""
    store = open_store(path)
    now = utc_now()
    with store.db.atomic():
        store.db.conn.executemany(
            "INSERT INTO chats (chat_id, language, timezone, delivery_time, created_at,"
            " updated_at) VALUES (?, 'zh-CN', ?, ?, ?, ?)",
            (
                (n, ZONES[n % len(ZONES)], f"{6 + n % 6:02d}:{(n % 4) * 15:02d}", now, now)
                for n in range(1, count + 1)
            ),
        )
        store.db.conn.executemany(
            "INSERT INTO subscriptions (chat_id, kind, value, phrase, created_at)"
            " VALUES (?, ?, ?, 0, ?)",
            (
                (n, kind, value, now)
                for n in range(1, count + 1)
                for kind, value in [
                    *(
                        ("category", CATEGORIES[(n + i) % len(CATEGORIES)])
                        for i in range(n % 4 + 1)
                    ),
                    ("keyword", f"topic{n % 500}"),
                ]
            ),
        )
    store.close()


def seconds_to_first_reply(database: Path) -> float:
    """Launch `python -m bot` on `database` and time its reply to a waiting /start."""
    with FakeBotApi() as api:
        api.push_message(424242, "/start")
        started = time.monotonic()
        process = start_bot(api, database)
        try:
            while not api.sent(424242):
                if process.poll() is not None or time.monotonic() - started > 60:
                    raise RuntimeError("the bot did not answer /start")
                time.sleep(0.005)
            return time.monotonic() - started
        finally:
            process.terminate()
            process.communicate(timeout=30)


def run(quick: bool = False) -> list[str]:
    """Measure and return the figure lines."""
    count = 100_000
    with tempfile.TemporaryDirectory() as directory:
        empty = Path(directory) / "empty" / "bot.sqlite3"
        full = Path(directory) / "full" / "bot.sqlite3"
        fill(empty, 0)
        fill(full, count)
        baseline = seconds_to_first_reply(empty)
        loaded = seconds_to_first_reply(full)
    return [
        figure(
            "startup_seconds_100k",
            loaded,
            " s",
            f"<= 2 s; {baseline:.2f} s with no chats",
            loaded <= 2.0,
        )
    ]


if __name__ == "__main__":
    for line in run():
        print(line, flush=True)
