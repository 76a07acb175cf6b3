"""What steers a chat's ranking, through the real bot and the fake Bot API: 🔎 "more like this"
under a paper, Telegram's 👍/👎 reactions on a digest paper, /calibrate and /forget."""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np
import pytest

from bot import ranker
from bot.flood import FloodGuard
from bot.ranking import Ranking
from bot.sources.fetch import load_feed_file
from storage import deliveries, ranker_models, saved
from tests.conftest import RunningBot
from tests.telegram_html import check_telegram_html
from tests.test_bot_buttons import PAPER, first_entry, labels
from tests.test_bot_digest import FIXTURE
from tests.test_bot_subscriptions import USER, answer_to, ask

# The other paper of the conformal digest (the second entry).
OTHER = "2603.91002"
STATS_CHAT = 77
STAT_ML = [p for p in load_feed_file(FIXTURE).papers if "stat.ML" in p.categories]


def ranking_of(bot: RunningBot) -> Ranking:
    found: Ranking = bot.application.bot_data["services"].ranking
    return found


@pytest.fixture
def retrained(running_bot: RunningBot) -> Iterator[list[int]]:
    """The chats whose model the handlers asked to retrain, in order (the real training runs
    too)."""
    ranking = ranking_of(running_bot)
    asked: list[int] = []
    real = ranking.feedback_changed

    def recorded(chat_id: int) -> None:
        asked.append(chat_id)
        real(chat_id)

    ranking.feedback_changed = recorded  # type: ignore[method-assign]
    yield asked
    ranking.feedback_changed = real  # type: ignore[method-assign]


async def delivered_entry(bot: RunningBot) -> int:
    """The first paper of a /digest, once the ledger says which message carries it."""
    message_id = await first_entry(bot)
    await bot.api.wait_for(
        lambda: (
            deliveries.paper_at_message(bot.store, USER, message_id) == PAPER
            and deliveries.paper_at_message(bot.store, USER, message_id + 1) == OTHER
        )
    )
    return message_id


async def test_a_thumbs_reaction_votes_as_the_button_does_and_taking_it_away_undoes_it(
    running_bot: RunningBot, retrained: list[int]
) -> None:
    bot = running_bot
    message_id = await delivered_entry(bot)
    bot.api.push_reaction(USER, message_id, new=["👍"])
    await bot.api.wait_for(lambda: labels(bot, message_id) == ["📄 PDF", "☆", "👍✓", "👎", "🔎"])
    assert saved.feedback_on(bot.store, USER, PAPER) == 1
    assert retrained == [USER]
    # Another emoji beside it is no vote; /help, answered after it, shows it was handled.
    edits = len(bot.api.sent(method="editMessageReplyMarkup"))
    bot.api.push_reaction(USER, message_id, old=["👍"], new=["👍", "🔥"])
    await ask(bot, "/help")
    assert saved.feedback_on(bot.store, USER, PAPER) == 1
    assert len(bot.api.sent(method="editMessageReplyMarkup")) == edits and retrained == [USER]
    # 👎 in its place switches the vote; taking it away leaves none.
    bot.api.push_reaction(USER, message_id, old=["👍", "🔥"], new=["🔥", "👎"])
    await bot.api.wait_for(lambda: labels(bot, message_id) == ["📄 PDF", "☆", "👍", "👎✓", "🔎"])
    assert saved.feedback_on(bot.store, USER, PAPER) == -1
    bot.api.push_reaction(USER, message_id, old=["🔥", "👎"], new=["🔥"])
    await bot.api.wait_for(lambda: labels(bot, message_id) == ["📄 PDF", "☆", "👍", "👎", "🔎"])
    assert saved.feedback_on(bot.store, USER, PAPER) is None
    assert retrained == [USER, USER, USER]
    # A 👍 on the overview (no paper) or on the user's own message is no vote.
    bot.api.push_reaction(USER, message_id - 1, new=["👍"])
    bot.api.push_reaction(USER, 1, new=["👍"])
    await ask(bot, "/help")
    assert saved.feedback_count(bot.store, USER) == 0 and len(retrained) == 3


async def test_the_buttons_tell_the_ranking_their_votes(
    running_bot: RunningBot, retrained: list[int]
) -> None:
    message_id = await first_entry(running_bot)
    for data in (f"fb:1:{PAPER}", f"save:{PAPER}", f"fb:1:{PAPER}"):
        await answer_to(running_bot, running_bot.api.push_callback(USER, message_id, data))
    # The press is answered first, then the ranking told.
    await running_bot.api.wait_for(lambda: retrained == [USER, USER, USER])


async def test_similar_without_a_vocabulary_says_so_and_counts_as_a_thumbs_up(
    running_bot: RunningBot, retrained: list[int]
) -> None:
    bot = running_bot
    message_id = await first_entry(bot)
    before = len(bot.api.sent(USER))
    answer = await answer_to(bot, bot.api.push_callback(USER, message_id, f"sim:{PAPER}"))
    assert "similar papers" in answer["text"]
    said = (await bot.api.wait_for_messages(before + 1, USER))[-1]["text"]
    assert "cannot compare papers yet" in said and "Counted as a 👍" in said
    assert saved.feedback_on(bot.store, USER, PAPER) == 1
    assert labels(bot, message_id) == ["📄 PDF", "☆", "👍✓", "👎", "🔎"]
    assert retrained == [USER]


async def test_similar_lists_five_unsent_papers_of_the_window_most_like_it_in_one_message(
    running_bot: RunningBot, retrained: list[int]
) -> None:
    bot = running_bot
    message_id = await delivered_entry(bot)
    ranking = ranking_of(bot)
    vocabulary = await ranking.refit()
    assert vocabulary is not None
    saved.record_feedback(bot.store, USER, PAPER, -1)  # a vote already given is kept
    before = len(bot.api.sent(USER))
    await answer_to(bot, bot.api.push_callback(USER, message_id, f"sim:{PAPER}"))
    said = (await bot.api.wait_for_messages(before + 1, USER))[-1]["text"]
    assert check_telegram_html(said) is None and "Similar papers" in said
    assert "Conformal prediction sets for streams with drifting label noise" in said
    assert "Counted" not in said and saved.feedback_on(bot.store, USER, PAPER) == -1
    assert retrained == []
    listed = re.findall(r'^(\d)\. <a href="https://arxiv.org/abs/([^"]+)">', said, re.M)
    assert [n for n, _ in listed] == ["1", "2", "3", "4", "5"]
    shown = [arxiv_id for _, arxiv_id in listed]
    sent = deliveries.delivered_ids(bot.store, USER)
    assert PAPER in sent and OTHER in sent and not set(shown) & sent
    window = ranking.window_papers()
    paper = next(p for p in window if p.arxiv_id == PAPER)
    unsent = [p for p in window if p.arxiv_id not in sent]
    assert shown == [p.arxiv_id for p in ranker.similar(vocabulary, paper, unsent, 5)]


async def test_similar_presses_count_against_the_flood_limit(running_bot: RunningBot) -> None:
    bot = running_bot
    message_id = await first_entry(bot)
    bot.application.bot_data["services"].presses = FloodGuard(limit=2)
    first = await answer_to(bot, bot.api.push_callback(USER, message_id, f"sim:{PAPER}"))
    assert "similar" in first["text"]
    await answer_to(bot, bot.api.push_callback(USER, message_id, f"sim:{PAPER}"))
    third = await answer_to(bot, bot.api.push_callback(USER, message_id, f"sim:{PAPER}"))
    assert "similar" not in third["text"] and third.get("show_alert")


async def test_calibrate_without_a_model_says_what_is_missing_and_offers_recent_papers(
    running_bot: RunningBot,
) -> None:
    bot = running_bot
    fresh = (await ask(bot, "/calibrate", chat_id=55))["text"]
    assert "5 👍 and 3 👎 still to go" in fresh and "/digest" in fresh
    message_id = await delivered_entry(bot)
    await answer_to(bot, bot.api.push_callback(USER, message_id, f"fb:1:{PAPER}"))
    before = len(bot.api.sent(USER))
    bot.api.push_message(USER, "/calibrate")
    heading, offered = (await bot.api.wait_for_messages(before + 2, USER))[before:]
    assert "4 👍 and 3 👎 still to go" in heading["text"] and "to rate" in heading["text"]
    # The digest's other paper, the one not rated yet, with 👍/👎 only.
    assert f"https://arxiv.org/abs/{OTHER}" in offered["text"]
    buttons = offered["reply_markup"]["inline_keyboard"]
    assert [b["callback_data"] for row in buttons for b in row] == [
        f"fb:1:{OTHER}",
        f"fb:-1:{OTHER}",
    ]
    offered_id = max(m for c, m in bot.api.messages if c == USER)
    await answer_to(bot, bot.api.push_callback(USER, offered_id, f"fb:-1:{OTHER}"))
    assert saved.feedback_on(bot.store, USER, OTHER) == -1
    await bot.api.wait_for(lambda: labels(bot, offered_id) == ["👍", "👎✓"])


async def trained_stats_chat(bot: RunningBot) -> None:
    """Chat STATS_CHAT follows stat.ML (the fixture's day is stored) and has a model: 5 👍 and
    3 👎 on its papers."""
    await delivered_entry(bot)  # stores the fixture's announcement
    await ask(bot, "/subscribe stat.ML", chat_id=STATS_CHAT)
    liked, disliked = STAT_ML[:5], STAT_ML[5:8]
    for paper in liked:
        saved.record_feedback(bot.store, STATS_CHAT, paper.arxiv_id, 1)
    for paper in disliked:
        saved.record_feedback(bot.store, STATS_CHAT, paper.arxiv_id, -1)
    ranking = ranking_of(bot)
    await ranking.refit()
    ranking.feedback_changed(STATS_CHAT)
    await ranking.settle()
    assert ranking.model_for(STATS_CHAT) is not None


async def test_calibrate_asks_about_the_eight_papers_the_model_is_least_sure_of(
    running_bot: RunningBot,
) -> None:
    bot = running_bot
    await trained_stats_chat(bot)
    before = len(bot.api.sent(STATS_CHAT))
    bot.api.push_message(STATS_CHAT, "/calibrate")
    asked = (await bot.api.wait_for_messages(before + 9, STATS_CHAT))[before:]
    assert "8 recent papers" in asked[0]["text"]
    shown = []
    for number, message in enumerate(asked[1:], 1):
        assert check_telegram_html(message["text"]) is None
        found = re.match(rf'{number}\. <a href="https://arxiv.org/abs/([^"]+)">', message["text"])
        assert found is not None
        arxiv_id = found.group(1)
        buttons = message["reply_markup"]["inline_keyboard"]
        assert [b["callback_data"] for row in buttons for b in row] == [
            f"fb:1:{arxiv_id}",
            f"fb:-1:{arxiv_id}",
        ]
        shown.append(arxiv_id)
    # Unrated papers of the chat's subscription, none the model is surer of than one left out.
    model = ranking_of(bot).model_for(STATS_CHAT)
    assert model is not None
    pool = [
        p
        for p in ranking_of(bot).window_papers()
        if "stat.ML" in p.categories
        and saved.feedback_on(bot.store, STATS_CHAT, p.arxiv_id) is None
    ]
    assert len(set(shown)) == 8 and set(shown) <= {p.arxiv_id for p in pool}
    margins = dict(
        zip(
            [p.arxiv_id for p in pool],
            np.abs(model.decision(model.vocabulary.vectors(pool))),
            strict=True,
        )
    )
    left_out = [margin for arxiv_id, margin in margins.items() if arxiv_id not in shown]
    assert left_out and max(margins[p] for p in shown) <= min(left_out)


async def test_forget_asks_first_then_deletes_votes_and_model_and_keeps_saved_papers(
    running_bot: RunningBot,
) -> None:
    bot = running_bot
    await trained_stats_chat(bot)
    saved.toggle_saved(bot.store, STATS_CHAT, STAT_ML[-1].arxiv_id, STAT_ML[-1].title)
    asked = await ask(bot, "/forget", chat_id=STATS_CHAT)
    assert "8 👍/👎" in asked["text"] and "1 saved papers stay" in asked["text"]
    question = max(m for c, m in bot.api.messages if c == STATS_CHAT)
    buttons = [b["callback_data"] for row in asked["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == ["fg:yes", "fg:no"]

    async def press(data: str) -> str:
        edits = len(bot.api.sent(method="editMessageText"))
        bot.api.push_callback(STATS_CHAT, question, data)
        await bot.api.wait_for(lambda: len(bot.api.sent(method="editMessageText")) > edits)
        return str(bot.api.sent(method="editMessageText")[-1]["text"])

    assert "Nothing was forgotten" in await press("fg:no")
    assert saved.feedback_count(bot.store, STATS_CHAT) == 8
    assert ranker_models.load_model(bot.store, STATS_CHAT) is not None
    done = await press("fg:yes")
    assert "Forgotten: 8" in done and "saved papers stay" in done
    assert saved.feedback_count(bot.store, STATS_CHAT) == 0
    assert ranker_models.load_model(bot.store, STATS_CHAT) is None
    assert ranking_of(bot).model_for(STATS_CHAT) is None
    assert saved.saved_count(bot.store, STATS_CHAT) == 1
    # Nothing left to forget the next time.
    assert "0 👍/👎" in (await ask(bot, "/forget", chat_id=STATS_CHAT))["text"]


async def test_help_and_the_command_menu_list_calibrate_and_forget(
    running_bot: RunningBot,
) -> None:
    for chat_id, lang, words in ((USER, "en", "least sure"), (7, "zh-hans", "拿不准")):
        text = (await ask(running_bot, "/help", chat_id=chat_id, language_code=lang))["text"]
        assert "/calibrate" in text and "/forget" in text and words in text and "🔎" in text
    menus = [p["commands"] for name, p in running_bot.api.calls if name == "setMyCommands"]
    assert all({"calibrate", "forget"} <= {c["command"] for c in menu} for menu in menus)
