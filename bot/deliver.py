"""Daily pushes: queue each due chat's digest in the outbox, then drain it within Telegram's limits.

Queue: a chat is due when its local delivery time has passed and it has not been queued the
latest announcement (bot.schedule). Its messages (overview first, then one per paper) are written
to the outbox in one transaction with the announcement mark.

Drain: messages go out fairest first (every chat's overview before anyone's second message),
evenly paced under Telegram's 30 a second, a chat's messages strictly in order, one a second to
a private chat and one per three seconds to a group (SendLimits), several chats in flight at
once. The Application's AIORateLimiter stays underneath as a safety net: it retries a 429 after
retry_after for command replies too. A message is marked sent only when Telegram returns its
message id, together with the paper's row in the ledger, so a crash repeats at most the
messages in flight (one per chat).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter

from bot.i18n import t
from bot.match_index import AnnouncementIndex
from bot.models import Digest
from bot.notices import (
    AnnouncementState,
    Notice,
    announcement_state,
    feed_ready_at,
    notice_due,
)
from bot.render.telegram import render_entry, render_overview
from bot.schedule import expected_announcement, is_due, time_has_come
from bot.translate import TranslationService
from storage import chats, deliveries, fetchlog, outbox, papers
from storage.chats import Chat
from storage.database import Store
from storage.outbox import OutboxMessage

log = logging.getLogger(__name__)

PRIVATE_INTERVAL = 1.0
GROUP_INTERVAL = 3.0
MAX_ATTEMPTS = 6
# Due chats matched per round: subscriptions are read a batch at a time, and the sender is
# woken after each batch.
PUSH_BATCH = 1000
# Outbox texts are Telegram HTML by construction, whatever defaults the sending bot has.
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def _keyboard(arxiv_id: str, pdf_url: str) -> dict[str, Any]:
    """The buttons under a pushed paper, as stored in the outbox (JSON)."""
    return {
        "inline_keyboard": [
            [
                {"text": "📄 PDF", "url": pdf_url},
                {"text": "⭐", "callback_data": f"save:{arxiv_id}"},
                {"text": "👍", "callback_data": f"fb:1:{arxiv_id}"},
                {"text": "👎", "callback_data": f"fb:-1:{arxiv_id}"},
            ]
        ]
    }


def announcement_now(store: Store, now: datetime) -> AnnouncementState:
    """What the store says about the announcement expected by `now` (bot.notices)."""
    expected = expected_announcement(now)
    statuses = fetchlog.statuses_since(store, feed_ready_at(expected))
    return announcement_state(
        now,
        latest=papers.latest_announcement(store),
        empty_since_ready="empty" in statuses,
        fetched_since_ready=bool(statuses - {"error"}),
    )


async def queue_due_digests(
    store: Store,
    translator: TranslationService,
    now: datetime,
    queued_some: Callable[[], None] | None = None,
) -> int:
    """Queue the digest of every due chat, or a one-line note when its digest is late or arXiv
    did not announce (bot.notices); returns how many chats got something queued.

    `queued_some` is called after each batch of digests (the sender's wake), so a big push
    starts sending with its first thousand digests, not after the last.
    """
    latest = papers.latest_announcement(store)
    state = announcement_now(store, now)
    # Only chats whose local delivery time has passed today and who lack an announcement they
    # could get: found per (time zone, time) slot in SQL, so 100,000 chats cost a few hundred
    # clock checks a minute, not 100,000.
    wanted = [d for d in (latest, state.expected) if d is not None]
    if not wanted:
        return 0
    slots = [slot for slot in chats.delivery_slots(store) if time_has_come(now, *slot)]
    queued = 0
    due: list[Chat] = []
    for chat in chats.deliverable_chats(store, slots=slots, missing=max(wanted)):
        last = _date(chat.last_announced)
        if latest is not None and is_due(
            now,
            timezone=chat.timezone,
            delivery_time=chat.delivery_time,
            last_queued=last,
            latest=latest,
        ):
            due.append(chat)
            continue
        notice = notice_due(
            now,
            state,
            timezone=chat.timezone,
            delivery_time=chat.delivery_time,
            last_queued=last,
            told_for=_date(chat.notice_for),
            told=Notice(chat.notice_kind) if chat.notice_kind else None,
            wants_quiet_notes=chat.notify_no_announcement,
        )
        if notice is not None:
            text = t(f"notice_{notice.value}", chat.ui_language, date=state.expected.isoformat())
            outbox.enqueue_note(store, chat.chat_id, state.expected, notice.value, text)
            queued += 1
    if due and latest is not None:
        queued += await _queue_digests(store, translator, due, latest, queued_some)
    return queued


def _date(value: str | None) -> date | None:
    return datetime.fromisoformat(value).date() if value else None


async def _queue_digests(
    store: Store,
    translator: TranslationService,
    due: Sequence[Chat],
    latest: date,
    queued_some: Callable[[], None] | None,
) -> int:
    """Match every due chat against the announcement in one pass (bot.match_index) and queue
    each digest as it comes.

    SQL per digest, whatever the number of papers: the day's papers once, subscriptions once per
    `PUSH_BATCH` chats, the ledger rows of a chat's matching papers, the translation cache, and
    one transaction for its messages. The event loop gets a turn after each digest, so the
    sender keeps sending and commands are answered while 100,000 digests are queued.
    """
    index = AnnouncementIndex(papers.announced_papers(store, latest))
    for start in range(0, len(due), PUSH_BATCH):
        batch = {chat.chat_id: chat for chat in due[start : start + PUSH_BATCH]}
        followed = chats.subscriptions_of(store, list(batch))
        digests = index.digests(
            (
                (chat_id, chats.interests_of(chat, followed.get(chat_id, ())))
                for chat_id, chat in batch.items()
            ),
            announced=latest,
            caps={chat_id: chat.max_papers for chat_id, chat in batch.items()},
            ledger=lambda chat_id, arxiv_ids: deliveries.delivered_versions(
                store, chat_id, arxiv_ids
            ),
        )
        for chat_id, digest in digests:
            await _queue_digest(store, translator, batch[chat_id], latest, digest)
            # A turn for the sender and for commands after each digest (about 10 ms of work).
            await asyncio.sleep(0)
        if queued_some is not None:
            queued_some()
    return len(due)


async def _queue_digest(
    store: Store, translator: TranslationService, chat: Chat, latest: date, digest: Digest
) -> None:
    """Render the chat's digest of `latest` into outbox messages and queue them atomically."""
    messages: list[OutboxMessage] = []
    if digest.entries:
        texts = await translator.paper_texts(
            [e.paper for e in digest.entries], chat.language, summaries=chat.summaries
        )
        overview = render_overview(digest, texts, chat.language)
        messages = [
            OutboxMessage(chat.chat_id, seq, text, announced=latest)
            for seq, text in enumerate(overview)
        ]
        for index, entry in enumerate(digest.entries, 1):
            paper = entry.paper
            messages.append(
                OutboxMessage(
                    chat.chat_id,
                    len(overview) + index - 1,
                    render_entry(entry, texts[paper.arxiv_id], chat.language, index),
                    arxiv_id=paper.arxiv_id,
                    version=paper.version,
                    reply_markup=_keyboard(paper.arxiv_id, paper.pdf_url),
                    announced=latest,
                )
            )
    elif chat.notify_no_matches:
        # The chat asked for a word on quiet days instead of silence.
        messages = [
            OutboxMessage(chat.chat_id, 0, text, announced=latest)
            for text in render_overview(digest, {}, chat.language)
        ]
    outbox.enqueue_digest(store, chat.chat_id, latest, messages)


@dataclass(frozen=True)
class SendLimits:
    """How fast the drain sends, inside Telegram's flood limits.

    Telegram allows about 30 messages a second overall; the drain keeps to 28 so replies to
    commands sent meanwhile stay inside the limit too. A chat's next message waits for
    Telegram's confirmation of the previous one and then `private_interval` (one a second) or
    `group_interval` (20 a minute): counted from the confirmation, the gap at Telegram's end is
    never shorter, whatever the network does. `concurrency` messages may be in flight at once,
    to different chats: with 100–300 ms round trips to Telegram, one at a time would reach only
    3–10 messages a second (bench/delivery.py measures both).
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


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]


class _Drain:
    """The state of one drain: the overall pace, each chat's next allowed moment, what is in
    flight, and chats that went away (blocked or migrated) while it ran."""

    def __init__(
        self,
        bot: Bot,
        store: Store,
        limits: SendLimits,
        clock: Callable[[], float],
    ) -> None:
        self.bot = bot
        self.store = store
        self.limits = limits
        self.clock = clock
        self.report = DrainReport()
        self.next_slot = 0.0
        self.ready_at: dict[int, float] = {}
        self.in_flight: dict[int, asyncio.Task[None]] = {}
        self.gone: set[int] = set()

    def sendable(self, message: OutboxMessage) -> bool:
        chat_id = message.chat_id
        return (
            chat_id not in self.in_flight
            and chat_id not in self.gone
            and self.ready_at.get(chat_id, 0.0) <= self.clock()
        )

    async def pace(self) -> None:
        """Wait for the next overall slot: evenly spaced sends, never a burst."""
        slot = max(self.next_slot, self.clock())
        if slot > self.clock():
            await asyncio.sleep(slot - self.clock())
        self.next_slot = slot + 1.0 / self.limits.per_second

    def start(self, message: OutboxMessage) -> None:
        task = asyncio.create_task(self._send(message))
        self.in_flight[message.chat_id] = task

    async def _send(self, message: OutboxMessage) -> None:
        chat_id = message.chat_id
        try:
            await _send_one(self, message)
        except Exception:  # a bug must not stop the other chats' deliveries
            log.exception("sending outbox message %d to chat %s failed", message.id, chat_id)
            outbox.retry_later(self.store, message, time.time() + 60, "internal error")
            self.report.retried += 1
        finally:
            interval = self.limits.group_interval if chat_id < 0 else self.limits.private_interval
            self.ready_at[chat_id] = max(self.ready_at.get(chat_id, 0.0), self.clock() + interval)
            self.in_flight.pop(chat_id, None)

    def pause(self, seconds: float, chat_id: int) -> None:
        """Telegram said wait: hold every send for that long, and this chat at least as long."""
        until = self.clock() + seconds
        self.next_slot = max(self.next_slot, until)
        self.ready_at[chat_id] = max(self.ready_at.get(chat_id, 0.0), until)

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
) -> DrainReport:
    """Send pending messages until none is ready, `budget` seconds pass or `stop` is set.

    Returns when the queue holds nothing sendable now; messages waiting for a retry are left
    for a later drain. Messages in flight are always finished (and recorded) before returning,
    so stopping never leaves a sent message unrecorded.
    """
    limits = limits or SendLimits()
    drain = _Drain(bot, store, limits, clock)
    deadline = clock() + budget

    def stopping() -> bool:
        return clock() >= deadline or (stop is not None and stop.is_set())

    try:
        while not stopping():
            heads = outbox.pending(store, time.time())
            ready = [m for m in heads if drain.sendable(m)]
            if not ready:
                if not drain.in_flight and not any(m.chat_id not in drain.gone for m in heads):
                    break
                waiting = [drain.ready_at.get(m.chat_id, 0.0) for m in heads]
                wake = min(waiting, default=clock() + 0.5) - clock()
                await drain.settle(min(max(wake, 0.001), 0.5, deadline - clock()))
                continue
            for message in ready:
                while len(drain.in_flight) >= limits.concurrency:
                    await drain.settle(1.0)
                if stopping():
                    break
                if not drain.sendable(message):
                    continue  # its chat went away or was paused by a 429 meanwhile
                await drain.pace()
                drain.start(message)
    finally:
        if drain.in_flight:
            await asyncio.gather(*drain.in_flight.values(), return_exceptions=True)
    return drain.report


async def _send_one(drain: _Drain, message: OutboxMessage) -> None:
    """Send one message and record the outcome in the outbox (and the ledger)."""
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
    except RetryAfter as exc:
        # Telegram says exactly how long: hold all sends that long, then this one goes again.
        report.rate_limited += 1
        drain.pause(_seconds(exc.retry_after), message.chat_id)
        return
    except Forbidden as exc:
        drain.gone.add(message.chat_id)
        chats.update_chat(store, message.chat_id, active=False)
        dropped = outbox.drop_chat(store, message.chat_id, exc.message)
        report.blocked_chats += 1
        log.info("chat %s blocked the bot; %d queued messages dropped", message.chat_id, dropped)
        return
    except ChatMigrated as exc:
        drain.gone.add(message.chat_id)
        chats.migrate_chat(store, message.chat_id, exc.new_chat_id)
        log.info("chat %s migrated to %s", message.chat_id, exc.new_chat_id)
        return
    except BadRequest as exc:
        outbox.mark_failed(store, message, exc.message)
        report.failed += 1
        report.errors.append(exc.message)
        log.warning(
            "outbox message %d for chat %s rejected: %s", message.id, message.chat_id, exc.message
        )
        return
    except NetworkError as exc:
        # Timeouts, resets and 5xx: the message may or may not have arrived; try again later
        # with backoff (a repeat is possible only for a message Telegram never confirmed).
        if message.attempts + 1 >= MAX_ATTEMPTS:
            outbox.mark_failed(store, message, type(exc).__name__)
            report.failed += 1
            report.errors.append(type(exc).__name__)
            log.warning(
                "outbox message %d for chat %s given up after %d attempts: %s",
                message.id,
                message.chat_id,
                MAX_ATTEMPTS,
                exc,
            )
            return
        outbox.retry_later(store, message, time.time() + 2**message.attempts, type(exc).__name__)
        report.retried += 1
        return
    outbox.mark_sent(store, message, sent.message_id)
    report.sent += 1
