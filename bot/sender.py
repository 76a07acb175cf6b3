"""The one way out: every message the bot sends goes through here, paced and with one error
policy.

Bulk messages (daily digests, /digest, notes, alerts, broadcasts) are written to the outbox
first (storage.outbox) and drained by the `Sender`, a long-running task woken whenever something
is queued: fairest first (every chat's first message before anyone's second), evenly paced under
Telegram's 30 a second, a chat's messages strictly in order, one a second to a private chat and
one per three seconds to a group, counted from Telegram's confirmation, several chats in flight
at once. A message is marked sent only when Telegram returns its message id (with the paper's
row in the ledger), so a crash repeats at most the messages in flight, one per chat.

Single replies to a command (`Sender.send_now`) take the same pace and the same policy:
- 429: all sends wait exactly `retry_after`, then the message goes again;
- Forbidden (the user blocked the bot): the chat is marked inactive, its queue dropped;
- ChatMigrated (a group became a supergroup): the chat moves to its new id;
- BadRequest (Telegram refused the text): logged with the outbox row or chat, not retried;
- network errors and 5xx: retried with backoff;
- anything else: logged at WARNING with its type, never swallowed silently.

The pace is shared by the drain and replies and survives a restart: a chat's next message waits
for its interval after the last message Telegram confirmed, read from the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TypeVar

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot import metrics
from bot.render.fit import split_message
from storage import chats, outbox
from storage.database import Store
from storage.outbox import OutboxMessage

log = logging.getLogger(__name__)

T = TypeVar("T")

PRIVATE_INTERVAL = 1.0
GROUP_INTERVAL = 3.0
MAX_ATTEMPTS = 6
# A reply is tried at most this many times (429s and network errors) before it is given up.
REPLY_ATTEMPTS = 4
# Outbox texts are Telegram HTML by construction, whatever defaults the sending bot has.
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
# Longest sleep with nothing to send: new rows wake the sender, this only bounds the worst case.
IDLE = 30.0
# A drain that crashed (a database error) is retried after this long instead of spinning.
CRASH_PAUSE = 5.0
# The delivery sample behind the admins' failure-rate alert covers at most this long.
SAMPLE_SPAN = 3600.0
# sent_at is stored to the second: a restarted sender adds this to be sure the interval passed.
STORED_PRECISION = 1.0


@dataclass(frozen=True)
class SendLimits:
    """How fast the bot sends, inside Telegram's flood limits.

    Telegram allows about 30 messages a second overall; the bot keeps to 28. A chat's next
    message waits for Telegram's confirmation of the previous one and then `private_interval`
    (one a second) or `group_interval` (20 a minute): counted from the confirmation, the gap at
    Telegram's end is never shorter, whatever the network does. `concurrency` messages may be in
    flight at once, to different chats: with 100–300 ms round trips to Telegram, one at a time
    would reach only 3–10 messages a second (bench/delivery.py measures both).
    """

    per_second: float = 28.0
    private_interval: float = PRIVATE_INTERVAL
    group_interval: float = GROUP_INTERVAL
    concurrency: int = 16

    def scaled(self, factor: float) -> SendLimits:
        """The same limits with time running `1/factor` times faster (tests, benchmarks)."""
        return replace(
            self,
            per_second=self.per_second / factor,
            private_interval=self.private_interval * factor,
            group_interval=self.group_interval * factor,
        )

    def interval(self, chat_id: int) -> float:
        """The gap after a confirmed message before the chat's next (groups have negative
        ids)."""
        return self.group_interval if chat_id < 0 else self.private_interval


class Failure(StrEnum):
    """What a failed send means, whichever path sent it."""

    RATE_LIMITED = "rate_limited"
    BLOCKED = "blocked"
    MIGRATED = "migrated"
    REJECTED = "rejected"
    NETWORK = "network"
    UNKNOWN = "unknown"


def classify(exc: BaseException) -> Failure:
    """The one reading of Telegram's errors (BadRequest is a NetworkError: checked first)."""
    if isinstance(exc, RetryAfter):
        return Failure.RATE_LIMITED
    if isinstance(exc, Forbidden):
        return Failure.BLOCKED
    if isinstance(exc, ChatMigrated):
        return Failure.MIGRATED
    if isinstance(exc, BadRequest):
        return Failure.REJECTED
    if isinstance(exc, NetworkError):
        return Failure.NETWORK
    return Failure.UNKNOWN


def _seconds(value: object) -> float:
    """retry_after is an int or, since python-telegram-bot 22.2, a timedelta."""
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]


def chat_went_away(store: Store, chat_id: int, exc: TelegramError) -> None:
    """Forbidden or ChatMigrated: mark the chat inactive (its queue dropped, its data kept) or
    move it to its new id."""
    if isinstance(exc, ChatMigrated):
        chats.migrate_chat(store, chat_id, exc.new_chat_id)
        log.info("chat %s migrated to %s", chat_id, exc.new_chat_id, extra={"chat_id": chat_id})
        return
    chats.update_chat(store, chat_id, active=False)
    dropped = outbox.drop_chat(store, chat_id, exc.message)
    log.info(
        "chat %s blocked the bot; %d queued messages dropped",
        chat_id,
        dropped,
        extra={"chat_id": chat_id},
    )


class Pace:
    """When the next message may go: one overall slot sequence and each chat's next allowed
    moment (monotonic seconds), shared by the drain and by replies.

    A chat seen for the first time is paced from its last confirmed message in the outbox, so a
    restart right after a crash does not send to a chat that got a message a moment before.
    """

    def __init__(self, limits: SendLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self.next_slot = 0.0
        self.ready_at: dict[int, float] = {}
        self.busy: set[int] = set()

    def remember(self, store: Store, chat_ids: Iterable[int]) -> None:
        """Pace chats not seen yet from their last confirmed message (one query for all)."""
        unseen = [c for c in dict.fromkeys(chat_ids) if c not in self.ready_at]
        if not unseen:
            return
        last = outbox.last_sent(store, unseen)
        now_wall, now = time.time(), self.clock()
        for chat_id in unseen:
            sent_at = last.get(chat_id)
            if sent_at is None:
                self.ready_at[chat_id] = 0.0
                continue
            free = sent_at.timestamp() + STORED_PRECISION + self.limits.interval(chat_id)
            self.ready_at[chat_id] = now + max(free - now_wall, 0.0)
        if len(self.ready_at) > 50_000:
            # Chats whose moment has passed need no entry: it reads as "ready" when absent,
            # after one more look at the outbox.
            self.ready_at = {c: at for c, at in self.ready_at.items() if at > now}

    def ready(self, chat_id: int) -> bool:
        """True when nothing is in flight to the chat and its interval has passed."""
        return chat_id not in self.busy and self.ready_at.get(chat_id, 0.0) <= self.clock()

    def wait_for(self, chat_id: int) -> float:
        """Seconds until the chat's interval has passed (0 when it has)."""
        return max(self.ready_at.get(chat_id, 0.0) - self.clock(), 0.0)

    async def overall(self) -> None:
        """Wait for the next overall slot: evenly spaced sends, never a burst."""
        slot = max(self.next_slot, self.clock())
        self.next_slot = slot + 1.0 / self.limits.per_second
        if slot > self.clock():
            await asyncio.sleep(slot - self.clock())

    def confirmed(self, chat_id: int) -> None:
        """A send to the chat ended: its next message waits for the chat's interval."""
        self.busy.discard(chat_id)
        after = self.clock() + self.limits.interval(chat_id)
        self.ready_at[chat_id] = max(self.ready_at.get(chat_id, 0.0), after)

    def pause(self, seconds: float, chat_id: int) -> None:
        """Telegram said wait: hold every send for that long, and this chat at least as long."""
        until = self.clock() + seconds
        self.next_slot = max(self.next_slot, until)
        self.ready_at[chat_id] = max(self.ready_at.get(chat_id, 0.0), until)


@dataclass
class DrainReport:
    """What one drain did, for logs, alerts and the benchmark."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    blocked_chats: int = 0
    rate_limited: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def attempts(self) -> int:
        """Messages tried, whatever the outcome (a rate-limited one is retried, not counted)."""
        return self.sent + self.retried + self.failed

    def add(self, other: DrainReport) -> None:
        """Accumulate another drain's counts (the sender's running totals)."""
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.blocked_chats += other.blocked_chats
        self.rate_limited += other.rate_limited
        self.errors.extend(other.errors)


class _Drain:
    """The state of one drain: what is in flight, and chats that went away (blocked or
    migrated) while it ran; the pace outlives it."""

    def __init__(self, bot: Bot, store: Store, pace: Pace) -> None:
        self.bot = bot
        self.store = store
        self.pace = pace
        self.report = DrainReport()
        self.in_flight: dict[int, asyncio.Task[None]] = {}
        self.gone: set[int] = set()

    def sendable(self, message: OutboxMessage) -> bool:
        """Its chat is still here and may get a message now: nothing in flight to it (from this
        drain or a reply: the pace knows both) and its interval passed."""
        return message.chat_id not in self.gone and self.pace.ready(message.chat_id)

    def start(self, message: OutboxMessage) -> None:
        self.pace.busy.add(message.chat_id)
        task = asyncio.create_task(self._send(message))
        self.in_flight[message.chat_id] = task

    async def _send(self, message: OutboxMessage) -> None:
        chat_id = message.chat_id
        try:
            await _send_one(self, message)
        except Exception as exc:  # a bug must not stop the other chats' deliveries
            log.exception(
                "sending outbox message %d to chat %s failed (%s)",
                message.id,
                chat_id,
                type(exc).__name__,
                extra=_about(message),
            )
            metrics.send_failed(Failure.UNKNOWN)
            outbox.retry_later(self.store, message, time.time() + 60, "internal error")
            self.report.retried += 1
        finally:
            self.pace.confirmed(chat_id)
            self.in_flight.pop(chat_id, None)

    async def settle(self, timeout: float) -> None:
        """Wait until something changes: a send finishes, or `timeout` passes."""
        if self.in_flight:
            await asyncio.wait(
                list(self.in_flight.values()),
                timeout=max(timeout, 0.0),
                return_when=asyncio.FIRST_COMPLETED,
            )
        else:
            await asyncio.sleep(max(timeout, 0.0))


async def drain_outbox(
    bot: Bot,
    store: Store,
    *,
    budget: float = 50.0,
    limits: SendLimits | None = None,
    stop: asyncio.Event | None = None,
    clock: Callable[[], float] = time.monotonic,
    pace: Pace | None = None,
) -> DrainReport:
    """Send pending messages until none is ready, `budget` seconds pass or `stop` is set.

    Returns when the queue holds nothing sendable now; messages waiting for a retry are left
    for a later drain. Messages in flight are always finished (and recorded) before returning,
    so stopping never leaves a sent message unrecorded. `pace` is the sender's, shared with
    replies; without one, a fresh pace starts from the outbox's record of each chat.
    """
    limits = limits or SendLimits()
    drain = _Drain(bot, store, pace or Pace(limits, clock))
    deadline = clock() + budget

    def stopping() -> bool:
        return clock() >= deadline or (stop is not None and stop.is_set())

    try:
        while not stopping():
            heads = outbox.pending(store, time.time())
            drain.pace.remember(store, (m.chat_id for m in heads))
            ready = [m for m in heads if drain.sendable(m)]
            if not ready:
                if not drain.in_flight and not any(m.chat_id not in drain.gone for m in heads):
                    break
                waiting = [drain.pace.wait_for(m.chat_id) for m in heads]
                wake = min(waiting, default=0.5)
                await drain.settle(min(max(wake, 0.001), 0.5, deadline - clock()))
                continue
            for message in ready:
                while len(drain.in_flight) >= limits.concurrency:
                    await drain.settle(1.0)
                if stopping():
                    break
                if not drain.sendable(message):
                    continue  # its chat went away, was paused by a 429, or got a reply
                await drain.pace.overall()
                if not drain.sendable(message):
                    continue  # a reply to this chat took its turn while we waited
                drain.start(message)
    finally:
        if drain.in_flight:
            await asyncio.gather(*drain.in_flight.values(), return_exceptions=True)
    return drain.report


async def _send_one(drain: _Drain, message: OutboxMessage) -> None:
    """Send one outbox message and record the outcome in the outbox (and the ledger)."""
    store, report, bot = drain.store, drain.report, drain.bot
    markup = (
        InlineKeyboardMarkup.de_json(message.reply_markup, bot) if message.reply_markup else None
    )
    try:
        sent = await bot.send_message(
            message.chat_id,
            message.text,
            parse_mode=ParseMode.HTML,
            link_preview_options=NO_PREVIEW,
            reply_markup=markup,
        )
    except TelegramError as exc:
        failure = classify(exc)
        metrics.send_failed(failure)
        if failure is Failure.RATE_LIMITED:
            assert isinstance(exc, RetryAfter)
            # Telegram says exactly how long: hold all sends that long, then this one goes
            # again.
            report.rate_limited += 1
            drain.pace.pause(_seconds(exc.retry_after), message.chat_id)
        elif failure in (Failure.BLOCKED, Failure.MIGRATED):
            drain.gone.add(message.chat_id)
            chat_went_away(store, message.chat_id, exc)
            report.blocked_chats += failure is Failure.BLOCKED
        elif failure is Failure.REJECTED:
            outbox.mark_failed(store, message, exc.message)
            report.failed += 1
            report.errors.append(exc.message)
            log.warning(
                "outbox message %d (%s) for chat %s rejected: %s",
                message.id,
                message.kind,
                message.chat_id,
                exc.message,
                extra=_about(message),
            )
        else:
            _retry_or_give_up(store, report, message, exc)
        return
    outbox.mark_sent(store, message, sent.message_id)
    report.sent += 1
    metrics.sent()


def _about(message: OutboxMessage) -> dict[str, object]:
    """The log record's context for an outbox message (LOG_FORMAT=json shows it)."""
    return {"chat_id": message.chat_id, "outbox_id": message.id}


def _retry_or_give_up(
    store: Store, report: DrainReport, message: OutboxMessage, exc: TelegramError
) -> None:
    """Timeouts, resets, 5xx and errors we do not know: the message may or may not have
    arrived; try again later with backoff (a repeat is possible only for a message Telegram
    never confirmed), and give up after MAX_ATTEMPTS."""
    name = type(exc).__name__
    if classify(exc) is Failure.UNKNOWN:
        log.warning(
            "outbox message %d for chat %s: unexpected %s",
            message.id,
            message.chat_id,
            name,
            extra=_about(message),
        )
    if message.attempts + 1 >= MAX_ATTEMPTS:
        outbox.mark_failed(store, message, name)
        report.failed += 1
        report.errors.append(name)
        log.warning(
            "outbox message %d for chat %s given up after %d attempts: %s",
            message.id,
            message.chat_id,
            MAX_ATTEMPTS,
            exc,
            extra=_about(message),
        )
        return
    outbox.retry_later(store, message, time.time() + 2**message.attempts, name)
    report.retried += 1


class Sender:
    """Drains the outbox in the background and sends single replies, with one pace and one
    error policy; `sample` holds recent outcomes for the alerts."""

    def __init__(self, bot: Bot, store: Store, limits: SendLimits | None = None) -> None:
        self.bot = bot
        self.store = store
        self.limits = limits or SendLimits()
        self.pace = Pace(self.limits)
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

    async def send_now(
        self,
        chat_id: int,
        text: str,
        *,
        reply_markup: InlineKeyboardMarkup | None = None,
        reply_to: int | None = None,
    ) -> Message | None:
        """Send a reply now (Telegram HTML), split to fit, on the shared pace; returns the last
        message sent, or None when it could not be sent (the reason is logged and acted on)."""
        parts = split_message(text)
        if not parts:
            # A reply with nothing to show is a handler's mistake, and the reader gets silence:
            # say so where it can be fixed rather than sending Telegram an empty message.
            log.warning("empty reply to chat %s not sent", chat_id, extra={"chat_id": chat_id})
            return None
        sent: Message | None = None
        for number, part in enumerate(parts):
            markup = reply_markup if number == len(parts) - 1 else None
            quote = (
                ReplyParameters(reply_to, allow_sending_without_reply=True)
                if reply_to is not None and number == 0
                else None
            )
            sent = await self.call(chat_id, self._message(chat_id, part, markup, quote))
            if sent is None:
                return None
        return sent

    def _message(
        self,
        chat_id: int,
        text: str,
        markup: InlineKeyboardMarkup | None,
        quote: ReplyParameters | None,
    ) -> Callable[[], Awaitable[Message]]:
        """The request sending one part of a reply (made anew on each attempt)."""
        return lambda: self.bot.send_message(
            chat_id,
            text,
            parse_mode=ParseMode.HTML,
            link_preview_options=NO_PREVIEW,
            reply_markup=markup,
            reply_parameters=quote,
        )

    async def call(self, chat_id: int, request: Callable[[], Awaitable[T]]) -> T | None:
        """Make one request that sends to `chat_id` (a message, a document) on the shared pace,
        with the one error policy; None when it failed for good."""
        self.pace.remember(self.store, [chat_id])
        for attempt in range(REPLY_ATTEMPTS):
            await self._turn(chat_id)
            self.pace.busy.add(chat_id)
            try:
                answer = await request()
            except TelegramError as exc:
                if not self._after_failure(chat_id, exc, attempt):
                    return None
            except Exception as exc:
                metrics.send_failed(Failure.UNKNOWN)
                log.warning(
                    "reply to chat %s failed: unexpected %s",
                    chat_id,
                    type(exc).__name__,
                    extra={"chat_id": chat_id},
                )
                return None
            else:
                metrics.sent()
                return answer
            finally:
                self.pace.confirmed(chat_id)
        log.warning(
            "reply to chat %s given up after %d attempts",
            chat_id,
            REPLY_ATTEMPTS,
            extra={"chat_id": chat_id},
        )
        return None

    async def _turn(self, chat_id: int) -> None:
        """Wait until the chat may get a message and an overall slot is ours."""
        while True:
            while not self.pace.ready(chat_id):
                await asyncio.sleep(min(max(self.pace.wait_for(chat_id), 0.01), 0.5))
            await self.pace.overall()
            if self.pace.ready(chat_id):
                return

    def _after_failure(self, chat_id: int, exc: TelegramError, attempt: int) -> bool:
        """Act on a failed reply; True when it should be tried again."""
        failure = classify(exc)
        metrics.send_failed(failure)
        if failure is Failure.RATE_LIMITED:
            assert isinstance(exc, RetryAfter)
            self.pace.pause(_seconds(exc.retry_after), chat_id)
            return True
        if failure in (Failure.BLOCKED, Failure.MIGRATED):
            chat_went_away(self.store, chat_id, exc)
            return False
        if failure is Failure.REJECTED:
            log.warning(
                "reply to chat %s rejected: %s", chat_id, exc.message, extra={"chat_id": chat_id}
            )
            return False
        if failure is Failure.UNKNOWN:
            log.warning(
                "reply to chat %s failed: unexpected %s",
                chat_id,
                type(exc).__name__,
                extra={"chat_id": chat_id},
            )
            return False
        self.pace.pause(min(2.0**attempt, 8.0), chat_id)
        return True

    async def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                report = await drain_outbox(
                    self.bot,
                    self.store,
                    budget=math.inf,
                    limits=self.limits,
                    stop=self._stop,
                    pace=self.pace,
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
