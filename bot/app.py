"""Builds the Telegram Application once: base URL, defaults, rate limiter, handlers, commands.

python-telegram-bot puts the token in every request URL, and httpx logs request URLs at INFO, so
logging is set up here before anything talks to Telegram.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import AIORateLimiter, Application, Defaults

from bot import metrics
from bot.alerts import Health, assess, update_alerts
from bot.config import Settings
from bot.health import UpdatesWatch
from bot.ingest import fetch_and_store
from bot.metrics_server import start_metrics, stop_metrics
from bot.push import queue_due_digests
from bot.ranking import Ranking
from bot.schedule import should_fetch
from bot.sender import Sender
from bot.services import CONTEXT_TYPES, BotContext, Services, services_of
from bot.sources.search import ArxivSearch
from bot.translate import TranslationService, install_timeouts
from bot.updates import ChatOrderedProcessor
from bot.webhook import Webhook
from storage import fetchlog, papers
from storage.chats import subscribed_categories
from storage.database import Store, open_store
from storage.llm_tokens import SqliteTokenLedger
from storage.translations import SqliteTranslationCache

log = logging.getLogger(__name__)

FETCH_INTERVAL = 5 * 60

# (command, English description, Chinese description): what setMyCommands registers.
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("start", "Start, show the guide, resume digests", "开始、查看指南、恢复推送"),
    ("help", "Every command", "全部命令"),
    ("subscribe", "Subscribe to categories (no argument: browse)", "订阅分类（不带参数可浏览）"),
    ("keyword", 'Keywords, "phrases", -exclusions', '关键词、"短语"、-排除词'),
    ("author", "Follow an author", "关注作者"),
    ("unsubscribe", "Remove a subscription or all", "取消订阅"),
    ("list", "What you follow", "查看订阅"),
    ("digest", "Your digest now", "立即获取摘要"),
    ("search", "Search arXiv", "搜索 arXiv"),
    ("export", "Latest digest as Markdown", "导出 Markdown 摘要"),
    ("saved", "Saved papers", "收藏的论文"),
    ("settings", "Language, time, time zone, papers", "语言、时间、时区、数量"),
    ("lang", "Digest language, e.g. zh-CN", "摘要语言，如 zh-CN"),
    ("time", "Delivery time, e.g. 08:30", "推送时间，如 08:30"),
    ("timezone", "Time zone, e.g. Europe/Berlin", "时区，如 Asia/Shanghai"),
    ("status", "Last fetch and counts", "抓取状态与统计"),
    ("stop", "Pause daily digests", "暂停每日推送"),
    ("calibrate", "Rate the papers your ranking is unsure of", "为排序拿不准的论文打分"),
    ("forget", "Delete your votes and ranking model", "删除你的反馈和排序模型"),
)

# What the bot asks Telegram for: everything Telegram sends by default, plus `message_reaction`
# (👍/👎 reactions on a digest paper vote), which it sends only to bots that ask. Asking for all
# types would also bring chat_member and reaction-count updates nobody handles.
ALLOWED_UPDATES: list[str] = [
    kind
    for kind in Update.ALL_TYPES
    if kind not in (Update.CHAT_MEMBER, Update.MESSAGE_REACTION_COUNT)
]


class CountingRateLimiter(AIORateLimiter):
    """python-telegram-bot's limiter, counting each 429 Telegram answers (bot.metrics): the
    limiter retries them itself, so most never reach the sender."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        async def counted(*call_args: Any, **call_kwargs: Any) -> Any:
            try:
                return await callback(*call_args, **call_kwargs)
            except RetryAfter:
                metrics.rate_limited()
                raise

        return await super().process_request(counted, args, kwargs, endpoint, data, rate_limit_args)


def rate_limiter(scale: float = 1.0) -> AIORateLimiter:
    """python-telegram-bot's limiter under everything the bot sends: 30/s overall, 20/min per
    group, and a 429 retried (up to 3 times) after retry_after. Its default of no retries would
    turn every 429 into an error. `scale` < 1 runs its clock faster (tests, benchmarks)."""
    return CountingRateLimiter(
        overall_time_period=1.0 * scale, group_time_period=60.0 * scale, max_retries=3
    )


def build_application(settings: Settings, store: Store | None = None) -> Application:
    """The Application with every handler registered; the caller runs it."""
    from handlers import register

    install_timeouts()
    store = store or open_store(settings.database_path)
    watch = UpdatesWatch()
    application = (
        Application.builder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_base_url.replace("/bot", "/file/bot"))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .rate_limiter(rate_limiter())
        .get_updates_request(watch.request())
        .context_types(CONTEXT_TYPES)
        .concurrent_updates(ChatOrderedProcessor())
        .post_init(_post_init)
        .post_stop(_post_stop)
        .build()
    )
    services = Services(
        settings=settings,
        store=store,
        translator=TranslationService(
            settings, SqliteTranslationCache(store), token_ledger=SqliteTokenLedger(store)
        ),
        search=ArxivSearch(settings.arxiv_api_url),
        sender=Sender(application.bot, store),
        ranking=Ranking(store),
    )
    application.bot_data["services"] = services
    application.bot_data["updates_watch"] = watch
    register(application)
    application.add_error_handler(_on_error)
    return application


async def _on_error(update: object, context: BotContext) -> None:
    """Log the failure with what the user did, and tell them instead of going silent."""
    from bot.i18n import t, ui_language

    chat = update.effective_chat if isinstance(update, Update) else None
    text = (
        update.effective_message.text
        if isinstance(update, Update) and update.effective_message
        else None
    )
    log.error(
        "handler failed for chat %s (%r): %s",
        chat.id if chat else "-",
        (text or "")[:100],
        context.error,
        exc_info=context.error,
        extra={"chat_id": chat.id} if chat else None,
    )
    if chat is None or isinstance(context.error, Forbidden):
        return
    user = update.effective_user if isinstance(update, Update) else None
    await context.services.sender.send_now(
        chat.id, t("error", ui_language(user.language_code if user else None))
    )


async def _delivery_tick(context: BotContext) -> None:
    """Every minute: queue the digests (and notes) that are due, wake the sender, and tell the
    admins when fetching, translation or delivery broke or recovered."""
    services = context.services
    store = services.store
    queued = await queue_due_digests(
        store,
        services.translator,
        datetime.now(UTC),
        queued_some=services.sender.wake,
        ranking=services.ranking,
    )
    if queued:
        log.info("delivery: %d chats queued", queued)
        services.sender.wake()
    sample = services.sender.take_sample()
    last = fetchlog.last_fetch(store)
    states = assess(
        Health(
            fetch_errors=fetchlog.consecutive_errors(store),
            fetch_error=last.error if last else None,
            translation_outage=services.translator.outage,
            delivery_attempts=sample.attempts,
            delivery_failures=sample.failed + sample.retried,
            delivery_errors=tuple(sample.errors),
        )
    )
    if "delivery" in states:
        services.sender.reset_sample()
    if update_alerts(store, services.settings.admin_ids, states):
        services.sender.wake()


async def _fetch_tick(context: BotContext) -> None:
    """Every 5 minutes: fetch when bot.schedule.should_fetch says the announcement is due and
    missing, or a newly subscribed category has never been fetched."""
    services = context.services
    store = services.store
    categories = subscribed_categories(store)
    if not categories:
        return
    last = fetchlog.last_fetch(store)
    if should_fetch(
        datetime.now(UTC),
        latest=papers.latest_announcement(store),
        last_attempt=datetime.fromisoformat(last.finished_at) if last else None,
        failures=fetchlog.consecutive_misses(store),
        new_categories=bool(set(categories) - fetchlog.fetched_categories(store)),
    ):
        report = await fetch_and_store(services.settings, store, categories)
        if report.saved_notes:
            services.sender.wake()  # notes about saved papers (bot.watch) go out now
        if report.is_new_announcement:
            # Fit the ranker's vocabulary now, in a thread, rather than when the push needs it.
            await services.ranking.refit()


def schedule_jobs(application: Application) -> None:  # type: ignore[type-arg,unused-ignore]
    """The named jobs: a delivery tick every minute and a fetch check every 5 minutes.

    APScheduler drops a job that starts more than its misfire grace late (1 s by default), so
    each job gets a grace close to its interval, coalescing, and one instance at a time.
    """
    queue = application.job_queue
    assert queue is not None
    queue.run_repeating(
        _delivery_tick,
        interval=60,
        first=5,
        name="delivery-tick",
        job_kwargs={"misfire_grace_time": 55, "coalesce": True, "max_instances": 1},
    )
    queue.run_repeating(
        _fetch_tick,
        interval=FETCH_INTERVAL,
        first=10,
        name="fetch",
        job_kwargs={"misfire_grace_time": 600, "coalesce": True, "max_instances": 1},
    )


async def _post_init(application: Application) -> None:
    await application.bot.set_my_commands([BotCommand(c, en) for c, en, _ in COMMANDS])
    await application.bot.set_my_commands(
        [BotCommand(c, zh) for c, _, zh in COMMANDS], language_code="zh"
    )
    schedule_jobs(application)
    await start_metrics(application)
    # Sending starts once the application runs (the job queue starts with it): PTB calls
    # post_stop, which finishes what is in flight, only for an application that ran.
    assert application.job_queue is not None
    application.job_queue.run_once(_start_sender, when=0, name="start-sender")
    application.job_queue.run_once(_fit_ranker, when=1, name="fit-ranker")
    me = application.bot.bot
    log.info("bot @%s is running; stop with Ctrl+C", me.username)


async def _start_sender(context: BotContext) -> None:
    services = context.services
    if services.stop_asked.is_set():
        context.application.stop_running()  # running now: this stops it in order
        return
    services.sender.start()


async def _fit_ranker(context: BotContext) -> None:
    """The ranker's vocabulary over what is stored, fitted once the bot runs (in a thread)."""
    await context.services.ranking.refit()


async def _post_stop(application: Application) -> None:  # type: ignore[type-arg,unused-ignore]
    """On SIGTERM or Ctrl+C: the messages in flight finish and are recorded before exit,
    trainings asked for in the last seconds finish (a press is not lost to a restart), and the
    metrics server closes."""
    services = services_of(application)
    await services.ranking.settle()
    await services.sender.stop()
    await stop_metrics(application)


def _stop_on_signals(application: Application) -> None:  # type: ignore[type-arg,unused-ignore]
    """SIGINT, SIGTERM and SIGABRT stop the bot in order: python-telegram-bot's own handlers
    raise SystemExit inside the event loop, which, arriving while it starts up, interrupts a
    request to Telegram mid-way or stops the loop under its shutdown (exit status 1, a false
    "cannot reach Telegram"). `stop_running` stops a running application in order and, before
    that, has start-up end after post_init; a signal between that point and the application
    running is carried out by `_start_sender`, the first job to run."""
    asked = services_of(application).stop_asked
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)  # the loop run_polling / run_webhook will use

    def stop() -> None:
        if asked.is_set():
            return  # already stopping: a second Ctrl+C must not break the orderly stop
        log.info("stopping: finishing the messages in flight")
        asked.set()
        application.stop_running()

    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGABRT):
        loop.add_signal_handler(number, stop)


def run_bot(settings: Settings, webhook: Webhook | None = None, store: Store | None = None) -> int:
    """Run until interrupted (long polling, or `webhook`); returns the exit status."""
    from bot.logs import REDACT

    application = build_application(settings, store)
    _stop_on_signals(application)
    try:
        if webhook:
            application.bot_data["updates_watch"].webhook = True
            # The path and address only: the secret and the token stay out of the log.
            log.info(
                "webhook mode: serving %s on %s:%d",
                webhook.path or "/",
                webhook.listen,
                webhook.port,
            )
            application.run_webhook(
                listen=webhook.listen,
                port=webhook.port,
                url_path=webhook.route,
                webhook_url=webhook.url,
                secret_token=webhook.secret,
                allowed_updates=ALLOWED_UPDATES,
                stop_signals=None,
            )
        else:
            log.info("long polling mode")
            application.run_polling(
                allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False, stop_signals=None
            )
    except InvalidToken:
        # The library's message quotes the token: never print it.
        log.error("Telegram rejected TELEGRAM_BOT_TOKEN: check the token from @BotFather")
        return 2
    except NetworkError as exc:
        # The first sentence ("Bad Gateway (502)"), scrubbed: a proxy's error page quoted after
        # it can echo the request path, token included.
        detail = REDACT(str(exc)).split(". ")[0][:120]
        log.error("cannot reach Telegram at TELEGRAM_BASE_URL: %s", detail)
        return 1
    return 0
