"""Admin alerts: one message when fetching, translation or delivery breaks, one when it recovers.

An operator cannot watch logs all day; a bot that silently stops fetching or translating
looks, to its readers, like a bot that forgot them. The assessment is pure (`assess`); sending
and remembering what was said is `update_alerts`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from bot.render.telegram import escape
from storage import alerts, chats, outbox
from storage.database import Store
from storage.outbox import Kind, OutboxMessage, Priority

log = logging.getLogger(__name__)

# Fetch attempts failing in a row before admins hear of it (the fetch job retries with backoff,
# so three failures span half an hour or more).
FETCH_ERRORS = 3
# Delivery outcomes needed before judging the failure rate, and the rate that raises an alert
# (network errors and refusals; a user blocking the bot is their choice, not a failure).
DELIVERY_SAMPLE = 20
DELIVERY_FAILURE_RATE = 0.2


@dataclass(frozen=True)
class Health:
    """What the alerts are judged on."""

    fetch_errors: int = 0
    fetch_error: str | None = None
    translation_outage: str | None = None
    delivery_attempts: int = 0
    delivery_failures: int = 0
    delivery_errors: tuple[str, ...] = ()


def assess(health: Health) -> dict[str, str | None]:
    """For each alert kind whose state is known: the problem, or None when it is fine.

    A kind left out is unknown (too few deliveries to judge a rate), so it neither raises nor
    clears.
    """
    states: dict[str, str | None] = {
        "fetch": (
            f"fetching arXiv failed {health.fetch_errors} times in a row"
            f" (last: {health.fetch_error or 'unknown error'}); digests wait until it works"
            if health.fetch_errors >= FETCH_ERRORS
            else None
        ),
        "translation": (
            f"translation is down ({health.translation_outage}); digests go out with the"
            " original text"
            if health.translation_outage
            else None
        ),
    }
    if health.delivery_attempts >= DELIVERY_SAMPLE:
        rate = health.delivery_failures / health.delivery_attempts
        common = ", ".join(sorted(set(health.delivery_errors))[:3]) or "network errors"
        states["delivery"] = (
            f"{health.delivery_failures} of {health.delivery_attempts} deliveries failed"
            f" ({rate:.0%}; {common})"
            if rate >= DELIVERY_FAILURE_RATE
            else None
        )
    return states


RECOVERED = {
    "fetch": "fetching arXiv works again",
    "translation": "translation works again",
    "delivery": "deliveries go through again",
}


def update_alerts(
    store: Store, admin_ids: Iterable[int], states: dict[str, str | None]
) -> list[str]:
    """Raise new problems and clear recovered ones, queueing one message per admin in the
    outbox (the sender delivers it like everything else); returns the messages (for logs and
    tests). An admin who never opened a chat with the bot cannot be messaged: logged."""
    messages: list[str] = []
    for kind, problem in states.items():
        if problem is not None and alerts.raise_alert(store, kind, problem):
            messages.append(f"⚠️ Alert: {problem}.")
            log.warning("alert raised: %s", problem)
        elif problem is None and alerts.clear_alert(store, kind):
            messages.append(f"✅ Recovered: {RECOVERED[kind]}.")
            log.info("alert cleared: %s", kind)
    if not messages:
        return messages
    reachable = [admin for admin in admin_ids if chats.get_chat(store, admin) is not None]
    for admin in sorted(set(admin_ids) - set(reachable)):
        log.warning("admin %s never started the bot: cannot be alerted", admin)
    outbox.enqueue(
        store,
        [
            OutboxMessage(admin, 0, escape(text), kind=Kind.ALERT, priority=Priority.INTERACTIVE)
            for text in messages
            for admin in reachable
        ],
    )
    return messages
