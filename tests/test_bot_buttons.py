"""Buttons that show state, through the real bot: ⭐/☆ and 👍/👎 on the message itself, and the
/saved pages with their remove buttons."""

from __future__ import annotations

import time

from storage import saved
from tests.conftest import RunningBot
from tests.test_bot_digest import subscribe_conformal
from tests.test_bot_subscriptions import USER, answer_to, ask, message_id_of

PAPER = "2603.91001"


def labels(bot: RunningBot, message_id: int, chat_id: int = USER) -> list[str]:
    """The button texts the message shows now (Telegram's copy, edits included)."""
    markup = bot.api.messages[(chat_id, message_id)]["reply_markup"]
    return [b["text"] for row in markup["inline_keyboard"] for b in row]


async def press(bot: RunningBot, message_id: int, data: str, *, redrawn: bool = True) -> dict:
    """Press a button; returns the answer, after the buttons were redrawn when `redrawn`."""
    edits = len(bot.api.sent(method="editMessageReplyMarkup"))
    answer = await answer_to(bot, bot.api.push_callback(USER, message_id, data))
    if redrawn:
        await bot.api.wait_for(lambda: len(bot.api.sent(method="editMessageReplyMarkup")) > edits)
    return answer


async def first_entry(bot: RunningBot) -> int:
    """The message id of the first paper of a /digest."""
    await subscribe_conformal(bot)
    before = len(bot.api.sent(USER))
    bot.api.push_message(USER, "/digest")
    messages = await bot.api.wait_for_messages(before + 3, USER)
    return message_id_of(bot, messages[before + 1])


async def test_the_star_toggles_on_the_message_and_keeps_the_other_buttons(
    running_bot: RunningBot,
) -> None:
    message_id = await first_entry(running_bot)
    assert labels(running_bot, message_id) == ["📄 PDF", "☆", "👍", "👎", "🔎"]
    answer = await press(running_bot, message_id, f"save:{PAPER}")
    assert "Saved" in answer["text"]
    assert labels(running_bot, message_id) == ["📄 PDF", "⭐", "👍", "👎", "🔎"]
    markup = running_bot.api.messages[(USER, message_id)]["reply_markup"]
    assert markup["inline_keyboard"][0][0]["url"] == f"https://arxiv.org/pdf/{PAPER}"
    assert saved.is_saved(running_bot.store, USER, PAPER)
    answer = await press(running_bot, message_id, f"save:{PAPER}")
    assert "Removed" in answer["text"]
    assert labels(running_bot, message_id) == ["📄 PDF", "☆", "👍", "👎", "🔎"]
    assert not saved.is_saved(running_bot.store, USER, PAPER)


async def test_the_vote_is_marked_undone_and_switched(running_bot: RunningBot) -> None:
    message_id = await first_entry(running_bot)
    await press(running_bot, message_id, f"fb:1:{PAPER}")
    assert labels(running_bot, message_id) == ["📄 PDF", "☆", "👍✓", "👎", "🔎"]
    assert saved.feedback_on(running_bot.store, USER, PAPER) == 1
    await press(running_bot, message_id, f"fb:-1:{PAPER}")
    assert labels(running_bot, message_id) == ["📄 PDF", "☆", "👍", "👎✓", "🔎"]
    assert saved.feedback_on(running_bot.store, USER, PAPER) == -1
    rows = running_bot.store.db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0]
    assert rows == 1  # one row per chat and paper
    await press(running_bot, message_id, f"save:{PAPER}")
    assert labels(running_bot, message_id) == ["📄 PDF", "⭐", "👍", "👎✓", "🔎"]
    answer = await press(running_bot, message_id, f"fb:-1:{PAPER}")
    assert "taken back" in answer["text"]
    assert labels(running_bot, message_id) == ["📄 PDF", "⭐", "👍", "👎", "🔎"]
    assert saved.feedback_on(running_bot.store, USER, PAPER) is None


async def test_buttons_on_messages_sent_before_they_showed_state_still_work(
    running_bot: RunningBot,
) -> None:
    await first_entry(running_bot)
    # A paper message as the bot sent them before: ⭐ whether saved or not.
    old = {
        "inline_keyboard": [
            [
                {"text": "📄 PDF", "url": f"https://arxiv.org/pdf/{PAPER}"},
                {"text": "⭐", "callback_data": f"save:{PAPER}"},
                {"text": "👍", "callback_data": f"fb:1:{PAPER}"},
                {"text": "👎", "callback_data": f"fb:-1:{PAPER}"},
            ]
        ]
    }
    message_id = 900
    running_bot.api.messages[(USER, message_id)] = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": {"id": USER, "type": "private", "first_name": "Test"},
        "text": "1. Conformal prediction sets for streams with drifting label noise",
        "reply_markup": old,
    }
    # Saved now, and the old star already shows ⭐: nothing to redraw.
    assert "Saved" in (await press(running_bot, message_id, f"save:{PAPER}", redrawn=False))["text"]
    assert saved.is_saved(running_bot.store, USER, PAPER)
    await press(running_bot, message_id, f"fb:1:{PAPER}")
    assert labels(running_bot, message_id) == ["📄 PDF", "⭐", "👍✓", "👎"]
    await press(running_bot, message_id, f"save:{PAPER}")
    assert labels(running_bot, message_id) == ["📄 PDF", "☆", "👍✓", "👎"]


async def test_saved_pages_turn_and_remove_in_place(running_bot: RunningBot) -> None:
    await ask(running_bot, "/start")
    for n in range(12):
        saved.toggle_saved(running_bot.store, USER, f"2403.{n + 10000}", f"Paper number {n}")
    shown = await ask(running_bot, "/saved")
    assert "Saved papers</b> (12) · page 1/2" in shown["text"]
    assert "Paper number 11" in shown["text"] and "Paper number 1<" not in shown["text"]
    message_id = message_id_of(running_bot, shown)
    assert labels(running_bot, message_id) == [f"✖ {n}" for n in range(1, 11)] + ["▶"]
    data = [b["callback_data"] for row in shown["reply_markup"]["inline_keyboard"] for b in row]
    assert all(len(d.encode()) <= 64 for d in data)

    async def pressed(data: str, *, redrawn: bool = True) -> dict:
        edits = len(running_bot.api.sent(method="editMessageText"))
        answer = await answer_to(running_bot, running_bot.api.push_callback(USER, message_id, data))
        if redrawn:
            await running_bot.api.wait_for(
                lambda: len(running_bot.api.sent(method="editMessageText")) > edits
            )
        return answer

    await pressed(data[-1])  # ▶
    page = running_bot.api.sent(method="editMessageText")[-1]["text"]
    assert "page 2/2" in page and "11. " in page and "Paper number 0" in page
    assert labels(running_bot, message_id) == ["✖ 11", "✖ 12", "◀"]
    answer = await pressed("sv:r:1:2403.10000")
    assert "Removed" in answer["text"]
    assert not saved.is_saved(running_bot.store, USER, "2403.10000")
    page = running_bot.api.sent(method="editMessageText")[-1]["text"]
    assert "(11) · page 2/2" in page and "Paper number 0" not in page
    # The last paper of page 2 removed: the page shown is the one that is left.
    await pressed("sv:r:1:2403.10001")
    page = running_bot.api.sent(method="editMessageText")[-1]["text"]
    assert "(10)" in page and "page" not in page and "10. " in page
    assert labels(running_bot, message_id) == [f"✖ {n}" for n in range(1, 11)]
    # A stale button for a paper already removed says so and shows the list as it is.
    # (The page it shows is unchanged, so Telegram is not asked to redraw it.)
    answer = await pressed("sv:r:0:2403.10000", redrawn=False)
    assert "no longer saved" in answer["text"]
    for n in range(2, 12):
        saved.remove_saved(running_bot.store, USER, f"2403.{n + 10000}")
    await pressed("sv:p:0")
    assert "No saved papers" in running_bot.api.sent(method="editMessageText")[-1]["text"]


async def test_search_results_star_fills_in_place(running_bot: RunningBot) -> None:
    found = await ask(running_bot, "/search au:van_rossby")
    message_id = message_id_of(running_bot, found)
    before = labels(running_bot, message_id)
    assert "☆ 1" in before and "⭐ 1" not in before
    first = next(
        b["callback_data"]
        for row in found["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"] == "☆ 1"
    )
    await press(running_bot, message_id, first)
    after = labels(running_bot, message_id)
    assert after == [("⭐ 1" if text == "☆ 1" else text) for text in before]


async def test_a_digest_asked_for_again_shows_the_papers_already_saved(
    running_bot: RunningBot,
) -> None:
    message_id = await first_entry(running_bot)
    await press(running_bot, message_id, f"save:{PAPER}")
    before = len(running_bot.api.sent(USER))
    running_bot.api.push_message(USER, "/digest")
    messages = await running_bot.api.wait_for_messages(before + 3, USER)
    assert PAPER in messages[before + 1]["text"]
    # The same texts as the first /digest: the new messages are the chat's last three.
    _, again, other = sorted(m for c, m in running_bot.api.messages if c == USER)[-3:]
    assert labels(running_bot, again) == ["📄 PDF", "⭐", "👍", "👎", "🔎"]
    assert labels(running_bot, other) == ["📄 PDF", "☆", "👍", "👎", "🔎"]
    assert again > message_id
