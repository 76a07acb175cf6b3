"""The daily push in the model's order, through the real bot and the fake Bot API: a chat whose
👍 went to diffusion papers and 👎 to graph papers gets the diffusion papers first, each with
its 🧭 words, one paper the model is unsure about marked 🎲, and with the threshold high the
rest counted as "below your threshold"; a chat without a model gets today's order."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from bot.push import queue_due_digests
from bot.sender import SendLimits, drain_outbox
from bot.services import services_of
from storage import chats, outbox
from storage.saved import toggle_feedback
from tests.conftest import RunningBot
from tests.telegram_html import check_telegram_html
from tests.test_ranking import _announce, _paper

pytestmark = pytest.mark.drain_by_hand

YESTERDAY, TODAY = date(2026, 11, 18), date(2026, 11, 19)
MORNING = datetime(2026, 11, 19, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
RANKED, PLAIN = 501, 502
CAP = 5


def _entry_titles(overview: str) -> list[str]:
    return re.findall(r'^\d+\. (?:🎲 )?<a href="[^"]+">([^<]+)</a>', overview, re.MULTILINE)


async def test_a_chat_with_a_model_gets_its_push_in_the_models_order(
    running_bot: RunningBot,
) -> None:
    store = running_bot.store
    services = services_of(running_bot.application)
    services.ranking.debounce = 0.01
    history = [_paper(i) for i in range(80)]
    today = [_paper(i) for i in range(1000, 1040)]
    _announce(store, YESTERDAY, history)
    _announce(store, TODAY, today)
    for chat_id in (RANKED, PLAIN):
        chats.ensure_chat(
            store, chat_id, language="en", timezone="Asia/Shanghai", delivery_time="09:00"
        )
        chats.update_chat(store, chat_id, max_papers=CAP, rank_threshold="high")
        chats.add_subscriptions(store, chat_id, [chats.Subscription("category", "cs.LG")])
    await services.ranking.refit()
    for paper in [p for p in history if "diffusion" in p.title][:6]:
        toggle_feedback(store, RANKED, paper.arxiv_id, 1)
    for paper in [p for p in history if "graph" in p.title][:4]:
        toggle_feedback(store, RANKED, paper.arxiv_id, -1)
    services.ranking.feedback_changed(RANKED)
    await services.ranking.settle()
    model = services.ranking.model_for(RANKED)
    assert model is not None and services.ranking.model_for(PLAIN) is None

    queued = await queue_due_digests(store, services.translator, MORNING, ranking=services.ranking)
    assert queued == 2
    await drain_outbox(running_bot.application.bot, store, limits=SendLimits().scaled(0.05))

    ranked = [m["text"] for m in running_bot.api.sent(RANKED)]
    assert len(ranked) == 1 + CAP and all(check_telegram_html(t) is None for t in ranked)
    titles = _entry_titles(ranked[0])
    assert len(titles) == CAP
    assert all("diffusion" in title for title in titles[:-1])
    # (the exploring paper may have no word in its favour)
    assert all("🧭 " in text for text in ranked[1:-1])
    assert "diffusion" in ranked[1].split("🧭 ", 1)[1].split("\n", 1)[0]
    # The last entry is the one the model is least sure about, marked in both places.
    assert f'{CAP}. 🎲 <a href="' in ranked[0]
    assert "🎲 <i>Not sure you want this one" in ranked[-1]
    assert all("🎲" not in text for text in ranked[1:-1])
    exploring = next(p for p in today if p.title == titles[-1])
    margins = model.decision(model.vocabulary.vectors(today))
    hidden = {p.arxiv_id for p, m in zip(today, margins, strict=True) if m < model.cuts[1]}
    below = len(hidden - {exploring.arxiv_id})
    assert 0 < below < len(today) - CAP
    assert f"{below} below your ranking threshold (/settings)" in ranked[0]
    assert f"… and {len(today) - CAP - below} more" in ranked[0]

    # Without a model: today's order (the feed's, for a chat following only a category).
    plain = [m["text"] for m in running_bot.api.sent(PLAIN)]
    assert _entry_titles(plain[0]) == [p.title for p in today[:CAP]]
    assert all("🧭" not in text and "🎲" not in text for text in plain)
    assert "below your" not in plain[0]

    # /digest shows the same order as the push did (its messages go through the outbox too).
    before = len(running_bot.api.sent(RANKED))
    running_bot.api.push_message(RANKED, "/digest")
    await running_bot.api.wait_for(lambda: outbox.pending_count(store) >= 1 + CAP)
    await drain_outbox(running_bot.application.bot, store, limits=SendLimits().scaled(0.05))
    again = await running_bot.api.wait_for_messages(before + 1 + CAP, RANKED)
    assert _entry_titles(again[before]["text"]) == titles
