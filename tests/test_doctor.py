"""`python -m bot doctor` against the loopback fakes: all green, then each part broken in turn.

Each failure must show as ✗ with a hint saying what to do, make the exit status 1, and never
print the token.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfoNotFoundError

import pytest
from sqlite_utils import Database

from bot.config import ConfigError, Settings
from bot.doctor import (
    CheckResult,
    Mark,
    diagnose,
    exit_status,
    format_report,
    judge_timezones,
    judge_webhook,
)
from bot.single_instance import AlreadyRunning, InstanceLock
from storage.database import _connect, open_store
from storage.migrations import MIGRATIONS
from tests.fakes.bot_api import FakeBotApi
from tests.fakes.bot_process import start_bot
from tests.fakes.feed_server import FeedServer
from tests.fakes.translate_server import FakeTranslateServer
from tests.test_cli import _read_only_location
from tests.test_search import respond
from tests.test_webhook import _free_port, _stop, _wait_for_webhook

ROOT = Path(__file__).parent.parent
CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens there
NAMES = [m.name for m in MIGRATIONS.pending(Database(memory=True))]


@dataclass
class Deployment:
    """A bot's world on loopback: Telegram, arXiv, the translators and the LLM, its database."""

    api: FakeBotApi
    feeds: FeedServer
    translators: FakeTranslateServer
    settings: Settings


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[FakeBotApi, FeedServer, FakeTranslateServer]]:
    with FakeBotApi() as api, FeedServer() as feeds, FakeTranslateServer() as translators:
        yield api, feeds, translators


@pytest.fixture
def deployment(
    servers: tuple[FakeBotApi, FeedServer, FakeTranslateServer], tmp_path: Path
) -> Deployment:
    """The servers as a healthy deployment sees them (whatever the last test broke), and a
    database at the latest schema."""
    api, feeds, translators = servers
    api.get_me_status, api.webhook_url, api.webhook_last_error = None, "", None
    feeds.delay = 0.0
    feeds.route("/rss/cs.CV", b"<rss version='2.0'><channel></channel></rss>")
    feeds.responder = respond
    translators.reset()
    settings = Settings(
        telegram_bot_token=api.token,
        telegram_base_url=api.base_url,
        database_path=tmp_path / "bot.sqlite3",
        arxiv_rss_url=feeds.base_url,
        arxiv_api_url=feeds.url("/api/query"),
        translator="google,llm",
        google_translate_url=translators.google_url,
        llm_base_url=translators.llm_base_url,
        llm_api_key="sk-llm-secret-key",
        llm_model="fake-model",
    )
    open_store(settings.database_path).close()
    return Deployment(api, feeds, translators, settings)


def by_name(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {result.name: result for result in results}


def report(results: list[CheckResult]) -> str:
    return "\n".join(format_report(results))


async def test_everything_green_is_a_tick_for_each_part(deployment: Deployment) -> None:
    results = await diagnose(deployment.settings, timeout=5)
    rows = by_name(results)
    assert list(rows) == [
        "settings",
        "database",
        "bot process",
        "telegram",
        "webhook",
        "arxiv rss",
        "arxiv api",
        "translator google",
        "translator llm",
        "llm",
        "time zones",
    ]
    assert all(r.mark is Mark.OK for r in results), report(results)
    assert "@digest_bot" in rows["telegram"].detail
    assert "schema" in rows["database"].detail and "latest" in rows["database"].detail
    assert rows["translator google"].detail.startswith("zh-CN: 译:")
    assert exit_status(results) == 0
    assert report(results).endswith("everything checked is working")
    # Each translator was asked through its own endpoint, once.
    assert deployment.translators.count("google") == 1
    assert len(deployment.translators.llm_batches) == 1


def _refuse_token(d: Deployment) -> None:
    d.api.get_me_status = 401


def _no_token(d: Deployment) -> None:
    d.settings = d.settings.with_overrides(telegram_bot_token="")


def _telegram_down(d: Deployment) -> None:
    d.settings = d.settings.with_overrides(telegram_base_url=f"{CLOSED}/bot")


def _feed_down(d: Deployment) -> None:
    d.settings = d.settings.with_overrides(arxiv_rss_url=f"{CLOSED}/rss/")


def _api_500(d: Deployment) -> None:
    d.feeds.responder = lambda path: (500, {}, b"internal error")


def _translator_fails(d: Deployment) -> None:
    d.translators.modes = {"google": "error"}


def _translator_answers_english(d: Deployment) -> None:
    d.translators.modes = {"google": "wrong-language"}


def _llm_fails(d: Deployment) -> None:
    d.translators.llm_status = 500


def _database_read_only(d: Deployment) -> None:
    folder = _read_only_location(d.settings.database_path.parent)
    d.settings = d.settings.with_overrides(database_path=folder / "data" / "bot.sqlite3")


def _pending_migration(d: Deployment) -> None:
    path = d.settings.database_path.with_name("old.sqlite3")
    old = Database(_connect(str(path)))
    MIGRATIONS.apply(old, stop_before=NAMES[-1])
    old.close()
    d.settings = d.settings.with_overrides(database_path=path)


def _webhook_elsewhere(d: Deployment) -> None:
    d.api.webhook_url = "https://other.example.org/hook"


@pytest.mark.parametrize(
    ("breaks", "row", "detail", "hint"),
    [
        (_refuse_token, "telegram", "refused the token", "copy it again from @BotFather"),
        (_no_token, "telegram", "TELEGRAM_BOT_TOKEN is not set", "from @BotFather"),
        (_telegram_down, "telegram", "unreachable", "TELEGRAM_BASE_URL"),
        (_feed_down, "arxiv rss", "unreachable", "ARXIV_RSS_URL"),
        (_api_500, "arxiv api", "HTTP 500", "may be down"),
        (_translator_fails, "translator google", "RequestError", "another backend first"),
        (_translator_answers_english, "translator google", "not with a translation", "TRANSLATOR"),
        (_llm_fails, "llm", "HTTP 500", "LLM_BASE_URL"),
        (_llm_fails, "translator llm", "HTTP 500", "LLM_MODEL"),
        (_database_read_only, "database", "no permission", "DATABASE_PATH"),
        (_pending_migration, "database", NAMES[-1], "python -m bot migrate"),
        (_webhook_elsewhere, "webhook", "other.example.org", "WEBHOOK_URL"),
    ],
    ids=lambda value: getattr(value, "__name__", "")[1:] or None,
)
async def test_each_part_failing_is_a_cross_with_its_hint_and_status_1(
    deployment: Deployment,
    breaks: Callable[[Deployment], None],
    row: str,
    detail: str,
    hint: str,
) -> None:
    breaks(deployment)
    results = await diagnose(deployment.settings, timeout=5)
    rows = by_name(results)
    assert rows[row].mark is Mark.FAIL, report(results)
    assert detail in rows[row].detail and hint in rows[row].hint
    failed = {r.name for r in results if r.mark is Mark.FAIL}
    # One broken part fails its own row (the LLM is both a translator and the summary writer).
    assert failed <= {row, "translator llm", "llm"}, report(results)
    assert exit_status(results) == 1
    text = report(results)
    assert f"✗ {row}: {rows[row].hint}" in text
    assert deployment.api.token not in text
    assert deployment.api.token.split(":")[1] not in text
    assert "sk-llm-secret-key" not in text


async def test_a_refused_token_skips_the_webhook_row(deployment: Deployment) -> None:
    _refuse_token(deployment)
    rows = by_name(await diagnose(deployment.settings, timeout=5))
    assert rows["webhook"].mark is Mark.SKIP


def test_a_running_webhook_bot_holds_the_database_and_keeps_it(
    deployment: Deployment, tmp_path: Path
) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/hook"
    settings = deployment.settings.with_overrides(webhook_url=url)
    # WEBHOOK_URL alone (no --webhook) puts `run` in webhook mode.
    bot = start_bot(
        deployment.api,
        settings.database_path,
        args=["run"],
        WEBHOOK_URL=url,
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port),
    )
    try:
        _wait_for_webhook(deployment.api, bot, port)
        results = asyncio.run(diagnose(settings, timeout=5))
        rows = by_name(results)
        assert rows["webhook"].mark is Mark.OK and url in rows["webhook"].detail
        # A bot running on its database is the healthy case doctor is run beside.
        assert rows["bot process"].mark is Mark.OK
        assert f"pid {bot.pid}" in rows["bot process"].detail
        assert exit_status(results) == 0
        # The doctor only looked: the bot still runs and holds its lock.
        assert bot.poll() is None
        with pytest.raises(AlreadyRunning):
            InstanceLock(settings.database_path).acquire()
    finally:
        _stop(bot)
    rows = by_name(asyncio.run(diagnose(settings.with_overrides(webhook_url=""), timeout=5)))
    assert rows["bot process"].mark is Mark.OK


async def test_a_host_that_never_answers_costs_the_timeout(deployment: Deployment) -> None:
    deployment.feeds.delay = 30.0
    results = await diagnose(deployment.settings, timeout=0.5)
    rows = by_name(results)
    for row in ("arxiv rss", "arxiv api"):
        assert rows[row].mark is Mark.FAIL and "ReadTimeout" in rows[row].detail
    assert rows["telegram"].mark is Mark.OK


async def test_no_llm_and_no_translation_are_skipped_not_failed(deployment: Deployment) -> None:
    settings = deployment.settings.with_overrides(translator="none", llm_base_url="")
    results = await diagnose(settings, timeout=5)
    rows = by_name(results)
    assert rows["llm"].mark is Mark.SKIP and "not configured" in rows["llm"].detail
    assert rows["translators"].mark is Mark.SKIP
    assert exit_status(results) == 0
    assert "–" in report(results)


async def test_invalid_settings_fail_the_first_row_and_skip_the_rest() -> None:
    results = await diagnose(ConfigError("LOG_LEVEL: 'LOUD' is not one of DEBUG, INFO"))
    assert results[0].mark is Mark.FAIL and "LOG_LEVEL" in results[0].detail
    assert all(r.mark is Mark.SKIP for r in results[1:])
    assert exit_status(results) == 1


def test_missing_time_zone_data_is_a_cross_with_what_to_install() -> None:
    def no_data(zone: str) -> object:
        raise ZoneInfoNotFoundError(f"No time zone found with key {zone}")

    result = judge_timezones(["Asia/Shanghai"], no_data)
    assert result.mark is Mark.FAIL and "Asia/Shanghai" in result.detail
    assert "tzdata" in result.hint


NOW = datetime(2026, 12, 1, 22, 0, tzinfo=UTC)
URL = "https://bot.example.org/telegram"


@pytest.mark.parametrize(
    ("registered", "expected", "error_age", "mark", "said"),
    [
        ("", "", None, Mark.OK, "none set (long polling); 3 pending updates"),
        (URL, URL, None, Mark.OK, f"posting to {URL}"),
        (URL, URL, timedelta(hours=5), Mark.OK, f"posting to {URL}"),
        (URL, URL, timedelta(minutes=10), Mark.FAIL, "failed 10 min ago (Connection refused)"),
        (URL, "", None, Mark.FAIL, "WEBHOOK_URL is empty"),
        ("", URL, None, Mark.FAIL, "none set"),
        (URL, URL + "2", None, Mark.FAIL, "not to WEBHOOK_URL"),
    ],
)
def test_the_webhook_is_judged_against_webhook_url(
    registered: str, expected: str, error_age: timedelta | None, mark: Mark, said: str
) -> None:
    error = (NOW - error_age, "Connection refused") if error_age else None
    result = judge_webhook(registered, expected, 3, error, NOW)
    assert result.mark is mark and said in result.detail
    assert bool(result.hint) == (mark is Mark.FAIL)


def _run(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "TRANSLAT", "ARXIV_", "DATABASE_", "LLM_", "WEBHOOK_"))
    }
    environment.update({"PYTHONPATH": str(ROOT), **env})
    return subprocess.run(
        [sys.executable, "-m", "bot", "doctor", "--timeout", "5"],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _environment(d: Deployment) -> dict[str, str]:
    s = d.settings
    return {
        "TELEGRAM_BOT_TOKEN": s.telegram_bot_token,
        "TELEGRAM_BASE_URL": s.telegram_base_url,
        "DATABASE_PATH": str(s.database_path),
        "ARXIV_RSS_URL": s.arxiv_rss_url,
        "ARXIV_API_URL": s.arxiv_api_url,
        "TRANSLATOR": "google",
        "GOOGLE_TRANSLATE_URL": s.google_translate_url,
    }


def test_the_command_prints_the_table_and_exits_0(deployment: Deployment, tmp_path: Path) -> None:
    result = _run(_environment(deployment), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "✓ telegram" in result.stdout and "@digest_bot" in result.stdout
    assert "– llm" in result.stdout
    output = result.stdout + result.stderr
    assert deployment.api.token not in output
    assert deployment.api.token.split(":")[1] not in output


def test_the_command_with_a_bad_setting_still_prints_the_table(tmp_path: Path) -> None:
    result = _run({"LOG_LEVEL": "LOUD", "DATABASE_PATH": str(tmp_path / "b.sqlite3")}, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.startswith("✗ settings") and "LOG_LEVEL" in result.stdout
