"""The saved-paper watch through the real bot, the fake Bot API and the feed server: a reader
saves a paper with ⭐ under its digest; a later day's feed lists its replacement with a journal
reference and a DOI; the reader hears of it once, whoever fetched (the fetch job or
`python -m bot fetch`), however often the replacement is fetched again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import _fetch_tick
from bot.render.telegram import visible_text
from storage import outbox, papers, saved
from tests.conftest import RunningBot
from tests.fixtures.make_fixtures import FeedPaper, current_feed
from tests.test_bot_buttons import press
from tests.test_bot_subscriptions import USER, ask, message_id_of
from tests.test_cli import run

OTHER = 4242  # follows the same category, saved another paper
WATCHED = "2603.95001"
KEPT = "2603.95002"
PRL = "Phys. Rev. Lett. 130, 1 (2026)"
DOI = "10.1103/PhysRevLett.130.1"
NOTE = "Saved paper updated"


def item(arxiv_id: str, version: int = 1, **extra: str) -> FeedPaper:
    kind = "new" if version == 1 else "replace"
    return FeedPaper(
        arxiv_id,
        version,
        kind,
        ("stat.ML",),
        f"Conformal bridges number {arxiv_id[-1]}",
        "Ada Lovelace, Grace Hopper",
        "We study streams whose labels drift. We show that bridges keep coverage.",
        **extra,
    )


def day(number: int, *items: FeedPaper) -> bytes:
    """The project's fixture feed format, dated 2026-03-`number` (a Tuesday to a Thursday)."""
    weekday = {17: "Tue", 18: "Wed", 19: "Thu"}[number]
    return current_feed(list(items)).replace("Tue, 17 Mar", f"{weekday}, {number} Mar").encode()


REPLACED = item(WATCHED, 2, journal_ref=PRL, doi=DOI)
DAY_1 = day(17, item(WATCHED), item(KEPT))
DAY_2 = day(18, item("2603.96001"), REPLACED)
DAY_3 = day(19, item("2603.97001"), REPLACED)  # arXiv lists the replacement again


def serve(bot: RunningBot, feed: bytes) -> None:
    # Without validators every fetch gets the whole feed and stores it again, as a refetch
    # after a restart would: the watch itself must not tell twice, not the HTTP cache.
    bot.feeds.route("/rss/stat.ML", feed, validators=False)


async def save_from_digest(bot: RunningBot, chat_id: int, arxiv_id: str) -> None:
    """The chat reads its /digest and presses ⭐ under one paper."""
    await ask(bot, "/subscribe stat.ML", chat_id)
    before = len(bot.api.sent(chat_id))
    bot.api.push_message(chat_id, "/digest")
    messages = await bot.api.wait_for_messages(before + 3, chat_id)
    [entry] = [m for m in messages[before:] if f"arXiv:{arxiv_id}v1" in m["text"]]
    if chat_id == USER:
        await press(bot, message_id_of(bot, entry), f"save:{arxiv_id}")
    else:
        # press() answers for USER; another chat presses the same way.
        bot.api.push_callback(chat_id, message_id_of(bot, entry), f"save:{arxiv_id}")
        await bot.api.wait_for(lambda: saved.is_saved(bot.store, chat_id, arxiv_id))
    assert saved.is_saved(bot.store, chat_id, arxiv_id)


async def fetch_job(bot: RunningBot) -> None:
    """The scheduled fetch job, five hours after the last fetch (it polls while today's
    announcement is missing, and the fixtures' days are in the past)."""
    earlier = (datetime.now(UTC) - timedelta(hours=5)).isoformat()
    bot.store.db.execute("UPDATE fetch_log SET finished_at = ?", [earlier])
    requests = bot.feeds.count()
    await _fetch_tick(bot.job_context())
    assert bot.feeds.count() > requests  # it did fetch


def notes(bot: RunningBot, chat_id: int) -> list[str]:
    return [m["text"] for m in bot.api.sent(chat_id) if NOTE in m["text"]]


def queued_notes(bot: RunningBot) -> int:
    row = bot.store.db.execute("SELECT COUNT(*) FROM outbox WHERE kind = 'watch'").fetchone()
    return int(row[0])


async def test_a_saved_paper_replaced_with_a_journal_ref_is_told_once(
    running_bot: RunningBot,
) -> None:
    bot = running_bot
    serve(bot, DAY_1)
    await save_from_digest(bot, USER, WATCHED)
    await save_from_digest(bot, OTHER, KEPT)
    serve(bot, DAY_2)
    await fetch_job(bot)
    await bot.api.wait_for(lambda: bool(notes(bot, USER)))
    [note] = notes(bot, USER)
    assert "Conformal bridges number 1" in note
    assert f"v2 (was v1); journal: {PRL}; DOI {DOI}" in visible_text(note)
    assert f"arXiv:{WATCHED}v2" in note
    [sent] = [m for m in bot.api.sent(USER) if NOTE in m["text"]]
    assert sent["parse_mode"] == "HTML"
    # The same feed fetched again, and the next day listing the replacement again.
    await fetch_job(bot)
    serve(bot, DAY_3)
    await fetch_job(bot)
    assert papers.latest_announcement(bot.store).isoformat() == "2026-03-19"  # type: ignore[union-attr]
    assert queued_notes(bot) == 1
    await bot.api.wait_for(lambda: outbox.pending_count(bot.store) == 0)
    assert len(notes(bot, USER)) == 1
    assert notes(bot, OTHER) == []  # it saved another paper


async def test_a_note_queued_by_the_command_line_fetch_is_sent_by_the_bot(
    running_bot: RunningBot, tmp_path: Path
) -> None:
    bot = running_bot
    serve(bot, DAY_1)
    bot.api.push_message(USER, "/start", language_code="zh-CN")
    await save_from_digest(bot, USER, WATCHED)
    serve(bot, DAY_2)
    assert bot.settings.database_path == tmp_path / "bot.sqlite3"  # the database `run` uses
    fetched = run(["fetch"], tmp_path, ARXIV_RSS_URL=bot.feeds.base_url)
    assert fetched.returncode == 0, fetched.stderr
    assert "1 notes queued about saved papers that changed" in fetched.stdout
    # The bot finds it in its outbox: the delivery tick or the sender's idle poll (at most
    # 30 s) would wake the sender; here it is woken at once.
    bot.application.bot_data["services"].sender.wake()
    await bot.api.wait_for(lambda: any("收藏的论文有更新" in m["text"] for m in bot.api.sent(USER)))
    [note] = [m["text"] for m in bot.api.sent(USER) if "收藏的论文有更新" in m["text"]]
    assert "v2（原为 v1）；期刊：" in note
