"""Daily pushes: queue each due chat's digest in the outbox, then drain it within Telegram's limits.

Queue: a chat is due when its local delivery time has passed and it has not been queued the
latest announcement (bot.schedule). Its messages (overview first, then one per paper) are written
to the outbox in one transaction with the announcement mark.

Drain: messages go out fairest first (every chat's overview before anyone's second message), at
most one per second to a private chat and one per three seconds to a group, on top of the
Application's AIORateLimiter, which keeps the bot under 30 messages a second and a group under
20 a minute. A message is marked sent only when Telegram returns its message id, together with
the paper's row in the ledger, so a crash repeats at most the message in flight.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter

from bot.digest import match_chat
from bot.render.telegram import render_entry, render_overview
from bot.schedule import is_due
from bot.translate import TranslationService
from storage import chats, outbox, papers
from storage.database import Store
from storage.outbox import OutboxMessage

log = logging.getLogger(__name__)

PRIVATE_INTERVAL = 1.0
GROUP_INTERVAL = 3.0
MAX_ATTEMPTS = 6


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


async def queue_due_digests(store: Store, translator: TranslationService, now: datetime) -> int:
    """Queue the digest of every due chat; returns how many chats were queued."""
    latest = papers.latest_announcement(store)
    if latest is None:
        return 0
    queued = 0
    for chat in chats.deliverable_chats(store):
        last = datetime.fromisoformat(chat.last_announced).date() if chat.last_announced else None
        if not is_due(
            now,
            timezone=chat.timezone,
            delivery_time=chat.delivery_time,
            last_queued=last,
            latest=latest,
        ):
            continue
        digest = match_chat(store, chat, announced=latest, unsent_only=True)
        assert digest is not None
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
        queued += 1
    return queued


@dataclass
class DrainReport:
    """What one drain did, for logs, alerts and the benchmark."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    blocked_chats: int = 0
    rate_limited: int = 0
    errors: list[str] = field(default_factory=list)


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]


async def drain_outbox(
    bot: Bot,
    store: Store,
    *,
    budget: float = 50.0,
    private_interval: float = PRIVATE_INTERVAL,
    group_interval: float = GROUP_INTERVAL,
    clock: Callable[[], float] = time.monotonic,
) -> DrainReport:
    """Send pending messages for up to `budget` seconds; what is left waits for the next tick."""
    report = DrainReport()
    deadline = clock() + budget
    next_allowed: dict[int, float] = {}
    gone: set[int] = set()  # blocked or migrated during this drain: the batch is stale for them
    while clock() < deadline:
        batch = outbox.pending(store, time.time())
        if not batch:
            break
        progressed = False
        for message in batch:
            if clock() >= deadline:
                break
            if message.chat_id in gone:
                continue
            ready_at = next_allowed.get(message.chat_id, 0.0)
            if ready_at > clock():
                continue
            progressed = True
            interval = group_interval if message.chat_id < 0 else private_interval
            next_allowed[message.chat_id] = clock() + interval
            if not await _send_one(bot, store, message, report):
                gone.add(message.chat_id)
                break  # re-read the outbox: the chat's rows were dropped or moved
        if not progressed:
            wake = min(next_allowed.values(), default=clock() + 0.05)
            await asyncio.sleep(max(min(wake - clock(), deadline - clock()), 0.01))
    return report


async def _send_one(bot: Bot, store: Store, message: OutboxMessage, report: DrainReport) -> bool:
    """Send one message and record the outcome; False when the chat is gone (blocked or
    migrated), so the caller stops using rows read before."""
    markup = (
        InlineKeyboardMarkup.de_json(message.reply_markup, bot) if message.reply_markup else None
    )
    try:
        sent = await bot.send_message(message.chat_id, message.text, reply_markup=markup)
    except RetryAfter as exc:
        # Telegram says exactly how long: wait that, then the same message goes again.
        report.rate_limited += 1
        await asyncio.sleep(_seconds(exc.retry_after))
        return True
    except Forbidden as exc:
        chats.update_chat(store, message.chat_id, active=False)
        dropped = outbox.drop_chat(store, message.chat_id, exc.message)
        report.blocked_chats += 1
        log.info("chat %s blocked the bot; %d queued messages dropped", message.chat_id, dropped)
        return False
    except ChatMigrated as exc:
        chats.migrate_chat(store, message.chat_id, exc.new_chat_id)
        log.info("chat %s migrated to %s", message.chat_id, exc.new_chat_id)
        return False
    except BadRequest as exc:
        outbox.mark_failed(store, message, exc.message)
        report.failed += 1
        report.errors.append(exc.message)
        log.warning(
            "outbox message %d for chat %s rejected: %s", message.id, message.chat_id, exc.message
        )
        return True
    except NetworkError as exc:
        if message.attempts + 1 >= MAX_ATTEMPTS:
            outbox.mark_failed(store, message, type(exc).__name__)
            report.failed += 1
            return True
        outbox.retry_later(store, message, time.time() + 2**message.attempts, type(exc).__name__)
        report.retried += 1
        return True
    outbox.mark_sent(store, message, sent.message_id)
    report.sent += 1
    return True
