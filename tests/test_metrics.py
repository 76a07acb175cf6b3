"""METRICS_PORT: /metrics scraped over HTTP from the running bot, and /healthz's verdicts.

The bot runs against the fake Bot API and the feed server (tests/conftest.py); the scrape is a
real HTTP request to the bot's own server, parsed as Prometheus parses it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot import metrics
from bot.health import (
    OVERDUE,
    STALE_POLL,
    Observed,
    UpdatesWatch,
    health_report,
)
from bot.ingest import fetch_and_store
from bot.metrics_server import start_metrics, stop_metrics
from bot.notices import AnnouncementState, DayStatus, feed_ready_at
from storage import outbox
from tests.conftest import RunningBot
from tests.test_bot_digest import STAT, subscribe_conformal
from tests.test_bot_subscriptions import USER, ask

with_metrics = pytest.mark.bot_settings(metrics_port=0)
# The day of tests/fixtures/rss-current-stat.xml, and the weekday after it.
FIXTURE_DAY = date(2026, 3, 17)


def port_of(bot: RunningBot) -> int:
    return int(bot.application.bot_data["metrics_port"])


async def scrape(bot: RunningBot) -> dict[str, float]:
    """Every sample of /metrics, keyed as Prometheus shows it: `name{label="value"}`."""
    async with httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{port_of(bot)}/metrics")
    assert response.status_code == 200
    samples: dict[str, float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return samples


async def healthz(bot: RunningBot) -> tuple[int, dict[str, str]]:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{port_of(bot)}/healthz")
    return response.status_code, response.json()


@with_metrics
@pytest.mark.drain_by_hand
async def test_a_digest_moves_the_counters_and_the_outbox_depth(running_bot: RunningBot) -> None:
    await subscribe_conformal(running_bot)  # two replies, sent at once
    running_bot.api.push_message(USER, "/digest")
    # The sender is not running yet: the digest waits in the outbox.
    await running_bot.api.wait_for(lambda: outbox.pending_count(running_bot.store) >= 3)
    before = await scrape(running_bot)
    assert before["arxiv_digest_outbox_depth"] == outbox.pending_count(running_bot.store) == 3
    assert before["arxiv_digest_messages_sent_total"] == len(running_bot.api.sent(USER)) == 2
    assert before['arxiv_digest_feed_requests_total{status="ok"}'] == 1
    assert before['arxiv_digest_last_fetch_status{status="ok"}'] == 1
    assert before['arxiv_digest_last_fetch_status{status="error"}'] == 0
    assert before["arxiv_digest_last_fetch_age_seconds"] >= 0
    # /subscribe and /keyword were handled; /digest may still be finishing.
    assert before["arxiv_digest_update_handling_seconds_count"] >= 2

    running_bot.application.bot_data["services"].sender.start()
    await running_bot.api.wait_for_messages(5, USER)
    await running_bot.api.wait_for(lambda: outbox.pending_count(running_bot.store) == 0)
    after = await scrape(running_bot)
    assert after["arxiv_digest_outbox_depth"] == 0
    assert after["arxiv_digest_messages_sent_total"] == 5
    assert after["arxiv_digest_update_handling_seconds_count"] == 3
    assert after['arxiv_digest_update_handling_seconds_bucket{le="+Inf"}'] == 3
    assert after["arxiv_digest_update_handling_seconds_sum"] > 0
    assert after.get("arxiv_digest_telegram_429_total", 0) == 0


@with_metrics
async def test_a_429_from_telegram_is_counted(running_bot: RunningBot) -> None:
    running_bot.api.script = [(429, "Too Many Requests: retry after 1", {"retry_after": 1})]
    await ask(running_bot, "/help")  # retried after the second Telegram asked for
    samples = await scrape(running_bot)
    assert running_bot.api.rate_limited == 1
    assert samples["arxiv_digest_telegram_429_total"] == 1
    assert samples["arxiv_digest_messages_sent_total"] == 1


@with_metrics
async def test_healthz_while_polling_and_after_polling_stopped(running_bot: RunningBot) -> None:
    # Nobody follows a category yet: no announcement is expected.
    assert await healthz(running_bot) == (
        200,
        {"status": "ok", "mode": "polling", "updates": "ok", "announcement": "ok"},
    )
    updater = running_bot.application.updater
    await updater.stop()
    status, body = await healthz(running_bot)
    assert (status, body["updates"], body["status"]) == (503, "polling stopped", "failing")
    await updater.start_polling(poll_interval=0, timeout=1)
    assert (await healthz(running_bot))[0] == 200


@with_metrics
async def test_healthz_when_the_announcement_is_overdue(running_bot: RunningBot) -> None:
    running_bot.feeds.route("/rss/stat.ML", STAT)
    await ask(running_bot, "/subscribe stat.ML")
    report = await fetch_and_store(running_bot.settings, running_bot.store, ["stat.ML"])
    assert report.announced == FIXTURE_DAY
    app = running_bot.application

    async def health_at(moment: datetime) -> tuple[int, dict[str, str]]:
        await stop_metrics(app)
        await start_metrics(app, clock=lambda: moment)
        return await healthz(running_bot)

    # Two hours after the feed of the 17th was due: it is stored.
    assert (await health_at(feed_ready_at(FIXTURE_DAY) + timedelta(hours=2)))[0] == 200
    # The 18th's feed was due five hours ago and the bot still has the 17th.
    status, body = await health_at(
        feed_ready_at(FIXTURE_DAY + timedelta(days=1)) + timedelta(hours=5)
    )
    assert status == 503 and body["updates"] == "ok"
    assert body["announcement"].startswith("announcement of 2026-03-18 overdue by 5.0 h")
    assert "latest stored: 2026-03-17" in body["announcement"]


async def test_metrics_are_off_by_default(running_bot: RunningBot) -> None:
    assert running_bot.settings.metrics_port is None
    await ask(running_bot, "/help")
    assert "metrics_server" not in running_bot.application.bot_data
    assert metrics.active() is None


# -- the checks themselves ------------------------------------------------------------------

NOW = feed_ready_at(FIXTURE_DAY) + timedelta(hours=6)


def seen(**changes: object) -> Observed:
    values: dict[str, object] = {
        "now": NOW,
        "receiving": True,
        "webhook": False,
        "poll_age": 1.0,
        "announcement": AnnouncementState(FIXTURE_DAY, DayStatus.ANNOUNCED),
        "latest": FIXTURE_DAY,
    }
    values.update(changes)
    return Observed(**values)  # type: ignore[arg-type]


def test_a_poller_silent_for_minutes_is_unhealthy() -> None:
    clock = [100.0]
    watch = UpdatesWatch(clock=lambda: clock[0])
    clock[0] += STALE_POLL - 1
    assert health_report(seen(poll_age=watch.poll_age())).healthy
    clock[0] += 2
    report = health_report(seen(poll_age=watch.poll_age()))
    assert report.updates == f"getUpdates has not answered for {STALE_POLL + 1:.0f} s"
    watch.answered()
    assert health_report(seen(poll_age=watch.poll_age())).healthy


def test_a_webhook_is_healthy_while_its_server_runs() -> None:
    assert health_report(seen(webhook=True, poll_age=1e9)).healthy
    assert health_report(seen(webhook=True, receiving=False)).updates == "webhook server stopped"


@pytest.mark.parametrize(
    ("status", "late", "healthy"),
    [
        (DayStatus.WAITING, timedelta(minutes=30), True),
        (DayStatus.DELAYED, OVERDUE, True),
        (DayStatus.DELAYED, OVERDUE + timedelta(minutes=1), False),
        (DayStatus.QUIET, timedelta(hours=20), True),  # arXiv said it would not announce
    ],
)
def test_an_announcement_is_overdue_only_past_the_grace(
    status: DayStatus, late: timedelta, healthy: bool
) -> None:
    day = FIXTURE_DAY + timedelta(days=1)
    observed = seen(now=feed_ready_at(day) + late, announcement=AnnouncementState(day, status))
    assert health_report(observed).healthy is healthy


def test_nothing_followed_expects_no_announcement() -> None:
    assert health_report(seen(announcement=None, latest=None)).healthy


def test_each_metrics_has_its_own_registry() -> None:
    first, second = metrics.Metrics(), metrics.Metrics()
    metrics.activate(first)
    try:
        metrics.sent()
        metrics.send_failed("blocked")
        metrics.cache_hits(3)
    finally:
        metrics.activate(None)
    metrics.sent()  # nothing active: counted nowhere
    assert b"arxiv_digest_messages_sent_total 1.0" in first.exposition()
    assert b"arxiv_digest_messages_sent_total 0.0" in second.exposition()
    assert b'arxiv_digest_messages_failed_total{failure="blocked"} 1.0' in first.exposition()
    assert b"arxiv_digest_translation_cache_hits_total 3.0" in first.exposition()
