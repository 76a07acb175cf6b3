"""A process that drains the outbox until it is empty, for the kill -9 test.

python -m tests.fakes.drain_worker DB_PATH BASE_URL TOKEN
"""

from __future__ import annotations

import asyncio
import sys

from telegram import Bot

from bot.sender import SendLimits, drain_outbox
from storage import outbox
from storage.database import open_store


async def main(db_path: str, base_url: str, token: str) -> None:
    """Drain with scaled-down spacing until nothing is pending."""
    store = open_store(db_path)
    async with Bot(token, base_url=base_url) as bot:
        while outbox.pending_count(store):
            await drain_outbox(bot, store, budget=5.0, limits=SendLimits().scaled(0.001))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
