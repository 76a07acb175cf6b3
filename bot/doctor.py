"""`python -m bot doctor`: every dependency and setting checked at once, as a ✓/✗ table.

Someone hosting the bot for a lab should learn what is wrong from one command, not from logs:
the settings, the database (writable, migrated, which bot holds it), Telegram (the token, the
webhook), arXiv's feed and API, each translator of the chain, the LLM and the time-zone data.
The judgments are pure functions over what each check found; the checks themselves are thin
and run concurrently, each bounded in time, so a dead host costs seconds, not minutes. Secrets
never appear: the report names settings, never their values, and is redacted besides.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from bot.config import Backend, ConfigError, Settings, parse_translators
from bot.models import Paper
from bot.single_instance import running_bot
from bot.sources.fetch import DEFAULT_USER_AGENT, feed_url
from bot.translate import MemoryTranslationCache, TranslationService, is_source_language
from bot.translate.llm import LLMSummaryError, llm_summary
from storage.database import (
    DatabaseOpenError,
    migration_names,
    pending_migrations,
    writable_problem,
)

log = logging.getLogger(__name__)

# Long enough for a slow translator to answer one sentence, short enough that a dead host
# costs seconds (every check runs at once, so the whole run takes about the slowest one).
DEFAULT_TIMEOUT = 15.0
# The zone the bot's defaults and most of its users live in; loading it proves the data is there.
REQUIRED_ZONE = "Asia/Shanghai"
# A webhook delivery error older than this is history, not a current problem.
RECENT_WEBHOOK_ERROR = timedelta(hours=1)
# A paper to translate: short, plain, and long enough for the quality guard to judge it.
SAMPLE = Paper(
    arxiv_id="0000.00000",
    version=1,
    title="Anomaly detection in images with diffusion models",
    abstract=(
        "We detect anomalies in images by reconstructing them with a diffusion model and "
        "comparing the reconstruction with the input."
    ),
    authors=("A. Doctor",),
    categories=("cs.CV",),
)
# The category asked of arXiv's feed: any real one proves the feed answers.
PROBE_CATEGORY = "cs.CV"


class Mark(StrEnum):
    """A check's outcome as the table shows it."""

    OK = "✓"
    FAIL = "✗"
    SKIP = "–"


@dataclass(frozen=True)
class CheckResult:
    """One row of the table: what was checked, how it went, what was found, and for a failure
    what to do about it."""

    name: str
    mark: Mark
    detail: str
    hint: str = ""


def ok(name: str, detail: str) -> CheckResult:
    """A passed check."""
    return CheckResult(name, Mark.OK, detail)


def fail(name: str, detail: str, hint: str) -> CheckResult:
    """A failed check, with the one thing to do about it."""
    return CheckResult(name, Mark.FAIL, detail, hint)


def skip(name: str, detail: str) -> CheckResult:
    """A check that does not apply (nothing configured) or could not run (it needs another)."""
    return CheckResult(name, Mark.SKIP, detail)


# -- judgments (pure) --------------------------------------------------------------------------


def judge_schema(exists: bool, pending: Sequence[str], total: int) -> CheckResult:
    """The database's schema against the code's: latest, or the migrations still to apply."""
    if not exists:
        return ok("database", "not created yet: the first start creates it, writable there")
    if pending:
        return fail(
            "database",
            f"schema {total - len(pending)} of {total}; pending: {', '.join(pending)}",
            "run `python -m bot migrate` (it backs the database up first), or start the bot, "
            "which migrates when it starts",
        )
    return ok("database", f"writable, schema {total} of {total} (the latest)")


def judge_http(name: str, setting: str, url: str, status: int, seconds: float) -> CheckResult:
    """An arXiv endpoint's answer to one GET: any success or redirect means it is there."""
    if status < 400:
        return ok(name, f"{url} answered HTTP {status} in {seconds:.1f} s")
    if status in (403, 429):
        hint = f"arXiv is refusing this machine for now (HTTP {status}): wait, and fetch less often"
    elif status >= 500:
        hint = f"arXiv answered HTTP {status}: it may be down (status.arxiv.org); try again later"
    else:
        hint = f"{setting} looks wrong: HTTP {status} for {url}; compare it with the README"
    return fail(name, f"{url} answered HTTP {status}", hint)


def judge_webhook(
    registered: str,
    expected: str,
    pending: int,
    last_error: tuple[datetime, str] | None,
    now: datetime,
) -> CheckResult:
    """Telegram's webhook (getWebhookInfo) against WEBHOOK_URL, and its recent delivery errors."""
    queued = f"{pending} pending update{'s' if pending != 1 else ''}"
    if not expected and not registered:
        return ok("webhook", f"none set (long polling); {queued}")
    if not expected:
        return fail(
            "webhook",
            f"Telegram posts updates to {registered}, but WEBHOOK_URL is empty (long polling)",
            "if this bot runs as a webhook, set WEBHOOK_URL to that URL; otherwise another "
            "deployment uses this token: give each bot its own token (polling removes the webhook)",
        )
    if not registered:
        return fail(
            "webhook",
            f"none set, but WEBHOOK_URL is {expected}",
            "start the bot (`python -m bot run`): it registers WEBHOOK_URL with Telegram",
        )
    if registered != expected:
        return fail(
            "webhook",
            f"Telegram posts updates to {registered}, not to WEBHOOK_URL {expected}",
            "restart the bot to register WEBHOOK_URL; if another deployment set that URL, give "
            "each bot its own token",
        )
    if last_error is not None and now - last_error[0] <= RECENT_WEBHOOK_ERROR:
        minutes = max(0, int((now - last_error[0]).total_seconds() // 60))
        return fail(
            "webhook",
            f"posting to {registered} failed {minutes} min ago ({last_error[1]}); {queued}",
            "Telegram cannot reach WEBHOOK_URL: check the TLS proxy, its certificate, and that "
            "the bot listens on WEBHOOK_LISTEN:WEBHOOK_PORT",
        )
    return ok("webhook", f"posting to {registered}; {queued}")


def judge_timezones(zones: Sequence[str], load: Callable[[str], object]) -> CheckResult:
    """The time-zone data loads for every zone named (the default one and REQUIRED_ZONE)."""
    missing = []
    for zone in dict.fromkeys(zones):
        try:
            load(zone)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            missing.append(zone)
    if missing:
        return fail(
            "time zones",
            f"no time-zone data for {', '.join(missing)}",
            "install the system's tzdata package (e.g. apt-get install tzdata), "
            "or `pip install tzdata` in the bot's environment",
        )
    return ok("time zones", f"{', '.join(dict.fromkeys(zones))} loaded")


def exit_status(results: Sequence[CheckResult]) -> int:
    """1 when a check failed, 0 otherwise (skipped checks are not failures)."""
    return 1 if any(result.mark is Mark.FAIL for result in results) else 0


def format_report(results: Sequence[CheckResult]) -> list[str]:
    """The table, then one hint per failure, then a one-line verdict."""
    width = max(len(result.name) for result in results)
    lines = [f"{result.mark} {result.name:<{width}}  {result.detail}" for result in results]
    failed = [result for result in results if result.mark is Mark.FAIL]
    if failed:
        lines.append("")
        lines += [f"✗ {result.name}: {result.hint}" for result in failed]
        lines.append("")
        lines.append(f"{len(failed)} of {len(results)} checks failed")
    else:
        lines.append("")
        lines.append("everything checked is working")
    return lines


# -- checks (I/O) ------------------------------------------------------------------------------


def check_settings(settings: Settings) -> CheckResult:
    """The settings loaded (an invalid one never gets here); what they point at, no secret."""
    return ok(
        "settings",
        f"DATABASE_PATH {settings.database_path}, TRANSLATOR {settings.translator}, "
        f"TRANSLATE_TO {settings.translate_to}",
    )


def check_database(settings: Settings) -> list[CheckResult]:
    """Writable, at the latest schema, and whether a bot holds it (without taking its lock)."""
    path = settings.database_path
    problem = writable_problem(path)
    if problem is not None:
        result = fail(
            "database",
            f"{path}: {problem}",
            "point DATABASE_PATH at a file in a folder this user can write (it is created)",
        )
    else:
        try:
            result = judge_schema(path.exists(), pending_migrations(path), len(migration_names()))
        except DatabaseOpenError as exc:
            result = fail("database", str(exc), "point DATABASE_PATH at the bot's SQLite database")
    holder = running_bot(path)
    if holder is None:
        instance = ok("bot process", "no bot is running on this database")
    else:
        # Running beside the bot is what doctor is for: a bot holding its own database is
        # healthy. A lock that keeps writers out shows in the database row (its write probe).
        pid = f" (pid {holder.pid})" if holder.pid else ""
        instance = ok(
            "bot process",
            f"a bot is running on this database{pid}; `migrate` and a second bot wait for it",
        )
    return [result, instance]


async def check_telegram(settings: Settings, timeout: float) -> list[CheckResult]:
    """getMe (the token accepted, the bot's @name) and getWebhookInfo, through
    python-telegram-bot at TELEGRAM_BASE_URL."""
    from telegram import Bot
    from telegram.error import InvalidToken, NetworkError, TelegramError
    from telegram.request import HTTPXRequest

    host = urlsplit(settings.telegram_base_url).netloc or settings.telegram_base_url
    if not settings.telegram_bot_token:
        return [
            fail(
                "telegram",
                "TELEGRAM_BOT_TOKEN is not set",
                "put the token from @BotFather in .env or the environment",
            ),
            skip("webhook", "needs Telegram"),
        ]

    def request() -> HTTPXRequest:
        return HTTPXRequest(
            connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout, pool_timeout=1
        )

    bot = Bot(
        settings.telegram_bot_token,
        base_url=settings.telegram_base_url,
        request=request(),
        get_updates_request=request(),
    )
    try:
        async with bot:  # initialize() calls getMe
            me = bot.bot
            info = await bot.get_webhook_info()
    except InvalidToken:
        return [
            fail(
                "telegram",
                f"{host} refused the token (unauthorized)",
                "TELEGRAM_BOT_TOKEN is wrong or was revoked: copy it again from @BotFather "
                "(/mybots → API Token)",
            ),
            skip("webhook", "needs Telegram"),
        ]
    except (NetworkError, TelegramError) as exc:
        return [
            fail(
                "telegram",
                f"{host} unreachable ({type(exc).__name__})",
                "check the network, a proxy or firewall, and TELEGRAM_BASE_URL",
            ),
            skip("webhook", "needs Telegram"),
        ]
    last_error = (
        (info.last_error_date, info.last_error_message or "no message")
        if info.last_error_date is not None
        else None
    )
    return [
        ok("telegram", f"@{me.username} ({me.first_name}) accepted the token at {host}"),
        judge_webhook(
            info.url, settings.webhook_url, info.pending_update_count, last_error, datetime.now(UTC)
        ),
    ]


async def check_http(name: str, setting: str, url: str, timeout: float) -> CheckResult:
    """One GET to an arXiv endpoint; only the status is read, never the body."""
    started = time.monotonic()
    try:
        async with (
            httpx.AsyncClient(
                timeout=timeout,
                follow_redirects=True,
                headers={"User-Agent": DEFAULT_USER_AGENT},
            ) as client,
            client.stream("GET", url) as response,
        ):
            status = response.status_code
    except httpx.HTTPError as exc:
        return fail(
            name,
            f"{url} unreachable ({type(exc).__name__})",
            f"check the network (DNS, a proxy or firewall) and {setting}",
        )
    return judge_http(name, setting, url, status, time.monotonic() - started)


_TRANSLATOR_HINTS = {
    Backend.GOOGLE: "Google's page refused or cannot be reached (GOOGLE_TRANSLATE_URL if set): "
    "try later, or put another backend first in TRANSLATOR",
    Backend.LIBRE: "check LIBRETRANSLATE_URL and LIBRE_API_KEY (the server must be up)",
    Backend.MYMEMORY: "MyMemory refused or cannot be reached (a daily free quota): try later, "
    "or put another backend first in TRANSLATOR",
    Backend.DEEPL: "check DEEPL_API_KEY (and DEEPL_SERVER_URL); the month's quota may be spent",
    Backend.LLM: "check LLM_BASE_URL, LLM_API_KEY and LLM_MODEL; the endpoint must answer JSON",
}


def probe_language(settings: Settings) -> str:
    """The language the translators are asked for: TRANSLATE_TO, or Chinese when that is
    English (nothing to translate, but chats may choose another language)."""
    return "zh-CN" if is_source_language(settings.translate_to) else settings.translate_to


async def check_translator(settings: Settings, backend: Backend, timeout: float) -> CheckResult:
    """The sample paper through `backend` alone, by the bot's own translation service (its
    masking, quality guard and time bounds), tried once."""
    name = f"translator {backend}"
    language = probe_language(settings)
    service = TranslationService(
        settings.with_overrides(translator=backend.value),
        MemoryTranslationCache(),
        max_workers=2,
        timeout=timeout,
        attempts=1,
        backoff=0.0,
        llm_timeout=timeout,
    )
    try:
        texts = await service.paper_texts([SAMPLE], language, summaries=False)
    finally:
        service.close()
    if service.translated_by_backend[backend.value]:
        title = texts[SAMPLE.arxiv_id].title
        shown = title if len(title) <= 40 else title[:39] + "…"
        return ok(name, f"{language}: {shown}")
    status = service.chain_status()
    # The service words it for a chain ("google: RequestError, 1 failures in a row"); here the
    # row already names the backend, and it was asked once.
    outage = (service.outage or "").removeprefix(f"{backend}: ")
    reason = (
        re.sub(r", \d+ failures in a row$", "", outage)
        or (status[0].last_error if status else "")
        or "it answered, but not with a translation (empty, unchanged or another language)"
    )
    return fail(name, f"failed: {reason}", _TRANSLATOR_HINTS[backend])


async def check_llm(settings: Settings, timeout: float) -> CheckResult:
    """The LLM endpoint writes a one-line summary of the sample, by the bot's own client."""
    if not (settings.llm_base_url and settings.llm_model):
        return skip("llm", "not configured (LLM_BASE_URL, LLM_MODEL)")
    try:
        sentence = await llm_summary(
            SAMPLE.abstract,
            SAMPLE.title,
            probe_language(settings),
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key,
            model=settings.llm_model,
            timeout=timeout,
        )
    except LLMSummaryError as exc:
        return fail("llm", f"{settings.llm_model}: {exc}", _TRANSLATOR_HINTS[Backend.LLM])
    shown = sentence if len(sentence) <= 40 else sentence[:39] + "…"
    return ok("llm", f"{settings.llm_model} answered: {shown}")


def check_timezones(settings: Settings) -> CheckResult:
    """zoneinfo loads REQUIRED_ZONE and DEFAULT_TIMEZONE."""
    return judge_timezones([REQUIRED_ZONE, settings.default_timezone], ZoneInfo)


# -- the run -----------------------------------------------------------------------------------


async def _bounded(
    names: Sequence[str], work: Awaitable[list[CheckResult]], timeout: float
) -> list[CheckResult]:
    """`work`'s results, or a failure for each of `names` when it takes longer than `timeout`
    (or breaks: a check's own bug must not hide the other checks)."""
    try:
        return await asyncio.wait_for(work, timeout)
    except TimeoutError:
        detail, hint = (
            f"no answer within {timeout:g} s",
            "a host is not answering: check the network and the setting that names it",
        )
    except Exception as exc:
        log.exception("doctor: the %s check broke", names[0])
        detail, hint = f"the check broke ({type(exc).__name__})", "please report this as a bug"
    return [fail(name, detail, hint) for name in names]


async def _one(result: Awaitable[CheckResult]) -> list[CheckResult]:
    return [await result]


async def diagnose(
    settings: Settings | ConfigError, timeout: float = DEFAULT_TIMEOUT
) -> list[CheckResult]:
    """Every check, run at once, in the table's order. Invalid settings fail the first row and
    skip the rest: every other check reads them."""
    if isinstance(settings, ConfigError):
        rest = ("database", "telegram", "arxiv rss", "arxiv api", "translators", "time zones")
        return [
            fail("settings", str(settings), "fix that variable in .env or the environment"),
            *(skip(name, "needs valid settings") for name in rest),
        ]
    from bot.translate.timeouts import install as install_timeouts

    install_timeouts()
    # Each check's own timeouts come first; the outer bound, a little longer, catches the rest.
    outer = timeout + 5
    chain = [b for b in parse_translators(settings.translator) if b is not Backend.NONE]
    checks: list[tuple[list[str], Awaitable[list[CheckResult]]]] = [
        (["database", "bot process"], asyncio.to_thread(check_database, settings)),
        (["telegram", "webhook"], check_telegram(settings, timeout)),
        (
            ["arxiv rss"],
            _one(
                check_http(
                    "arxiv rss",
                    "ARXIV_RSS_URL",
                    feed_url(settings.arxiv_rss_url, [PROBE_CATEGORY]),
                    timeout,
                )
            ),
        ),
        (
            ["arxiv api"],
            _one(
                check_http(
                    "arxiv api",
                    "ARXIV_API_URL",
                    f"{settings.arxiv_api_url}?search_query=cat:cs.CV&max_results=1",
                    timeout,
                )
            ),
        ),
        *(([f"translator {b}"], _one(check_translator(settings, b, timeout))) for b in chain),
        (["llm"], _one(check_llm(settings, timeout))),
    ]
    groups = await asyncio.gather(*(_bounded(names, work, outer) for names, work in checks))
    results = [check_settings(settings), *(r for group in groups for r in group)]
    if not chain:
        results.insert(-1, skip("translators", "TRANSLATOR=none: nothing is translated"))
    results.append(check_timezones(settings))
    return results
