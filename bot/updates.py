"""Updates of different chats run concurrently; one chat's updates run in the order they came.

python-telegram-bot either runs updates one at a time (one chat's slow /search stalls every
other chat) or, with `concurrent_updates(True)`, all at once with no order, so a chat's
`/keyword a` and `/unsubscribe a` could swap. This processor keeps a lock per chat: a chat's
updates queue behind each other, other chats' go ahead.

python-telegram-bot's own semaphore is taken before an update reaches us, so updates waiting for
their chat would hold its slots; its bound is therefore set high (`PENDING`) and the bound on
updates actually running (`RUNNING`) is applied here, after the chat's turn has come.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot import metrics

# Updates admitted at once, most of them waiting for their chat's turn (a few KB each).
PENDING = 4096
# Handlers running at once; each waits mostly on the network, arXiv or a translator.
RUNNING = 64


def order_key(update: object) -> int | None:
    """The chat whose order an update belongs to (its user when it has no chat), or None for
    updates that need no order."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Concurrent across chats, in order within a chat."""

    def __init__(self, pending: int = PENDING, running: int = RUNNING) -> None:
        super().__init__(max_concurrent_updates=pending)
        self._running = asyncio.Semaphore(running)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        # Measured from arrival, the wait for the chat's earlier updates included: that is the
        # delay the user sees (bot.metrics' update handling histogram).
        started = time.perf_counter()
        try:
            await self._in_turn(update, coroutine)
        finally:
            metrics.update_handled(time.perf_counter() - started)

    async def _in_turn(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = order_key(update)
        if key is None:
            async with self._running:
                await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock, self._running:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                # No update of this chat is queued: forget its lock, so memory follows the
                # chats active now, not every chat ever seen.
                del self._waiting[key]
                del self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up: locks are made as chats appear."""

    async def shutdown(self) -> None:
        """Nothing to free: the application waits for running updates itself."""
