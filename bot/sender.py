"""The sender: one long-running task that drains the outbox whenever there is something to send.

A drain inside the minute tick would stop at the tick's end and leave a gap before the next
one (a 10-second gap a minute is a sixth of Telegram's allowance lost on a big push). So the
tick only queues digests and wakes the sender; the sender drains until nothing is sendable, then
sleeps until woken or until the next retry is due. Stopping it (SIGTERM, Ctrl+C) lets the
messages in flight finish and be recorded, then returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time

from telegram import Bot

from bot.deliver import DrainReport, SendLimits, drain_outbox
from storage import outbox
from storage.database import Store

log = logging.getLogger(__name__)

# Longest sleep with nothing to send: new rows wake the sender, this only bounds the worst case.
IDLE = 30.0
# A drain that crashed (a database error) is retried after this long instead of spinning.
CRASH_PAUSE = 5.0
# The delivery sample behind the admins' failure-rate alert covers at most this long.
SAMPLE_SPAN = 3600.0


class Sender:
    """Drains the outbox in the background; `sample` holds recent outcomes for the alerts."""

    def __init__(self, bot: Bot, store: Store, limits: SendLimits | None = None) -> None:
        self.bot = bot
        self.store = store
        self.limits = limits or SendLimits()
        self.sample = DrainReport()
        self.totals = DrainReport()
        self._sample_started = time.monotonic()
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start draining on the running event loop."""
        if not self.running:
            self._stop.clear()
            self._task = asyncio.create_task(self._run(), name="outbox-sender")

    def wake(self) -> None:
        """New messages were queued: drain now rather than after the idle sleep."""
        self._wake.set()

    async def stop(self) -> None:
        """Finish the messages in flight, record them, and end."""
        self._stop.set()
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def take_sample(self) -> DrainReport:
        """Outcomes since the sample began; a new sample begins after an hour."""
        sample = self.sample
        if time.monotonic() - self._sample_started > SAMPLE_SPAN:
            self.reset_sample()
        return sample

    def reset_sample(self) -> None:
        """Start a new delivery sample (after the alerts judged this one)."""
        self.sample = DrainReport()
        self._sample_started = time.monotonic()

    async def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                report = await drain_outbox(
                    self.bot, self.store, budget=math.inf, limits=self.limits, stop=self._stop
                )
            except Exception:
                log.exception("draining the outbox failed; trying again in %.0f s", CRASH_PAUSE)
                await self._sleep(CRASH_PAUSE)
                continue
            self.sample.add(report)
            self.totals.add(report)
            if report.sent or report.failed or report.retried or report.blocked_chats:
                log.info(
                    "delivery: %d sent, %d to retry, %d failed, %d chats blocked the bot",
                    report.sent,
                    report.retried,
                    report.failed,
                    report.blocked_chats,
                )
            due = outbox.next_due(self.store)
            wait = IDLE if due is None else min(max(due - time.time(), 0.05), IDLE)
            await self._sleep(wait)

    async def _sleep(self, seconds: float) -> None:
        """Sleep until woken, stopped, or `seconds` pass."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
