"""/export through the real bot: the whole digest, not the first page of it."""

from __future__ import annotations

from pathlib import Path

from bot.match import build_digest
from bot.models import Interests
from bot.sources.fetch import load_feed_file
from storage import chats
from tests.conftest import RunningBot
from tests.test_bot_subscriptions import USER, ask

FIXTURE = Path(__file__).parent / "fixtures" / "rss-current-stat.xml"
CAP = 5


async def test_export_has_every_paper_past_the_digest_cap(running_bot: RunningBot) -> None:
    feed = load_feed_file(FIXTURE)
    whole = build_digest(
        feed.papers, Interests(frozenset({"stat"})), announced=feed.announced, cap=500
    )
    # More than twice the chat's cap of papers a digest.
    assert len(whole.entries) > 2 * CAP
    running_bot.feeds.route("/rss/stat", FIXTURE.read_bytes())
    await ask(running_bot, "/subscribe stat")
    chats.update_chat(running_bot.store, USER, max_papers=CAP)
    running_bot.api.push_message(USER, "/export")
    await running_bot.api.wait_for(lambda: bool(running_bot.api.sent(method="sendDocument")))
    text = running_bot.api.sent(method="sendDocument")[-1]["document"]["content"].decode("utf-8")
    assert text.count("\n| [^") == len(whole.entries)
    for entry in whole.entries:
        assert f"(https://arxiv.org/abs/{entry.paper.arxiv_id})" in text
