"""/search through the real bot: results, paging, details, save, follow, and every error."""

from __future__ import annotations

from bot.subscriptions import MAX_SUBSCRIPTIONS, Subscription, SubscriptionKind
from storage import chats, saved, searches
from tests.conftest import RunningBot
from tests.telegram_html import check_telegram_html
from tests.test_bot_subscriptions import USER, answer_to, ask, message_id_of
from tests.test_search import AUTHOR, respond


def buttons(message: dict) -> list[dict]:
    return [b for row in message["reply_markup"]["inline_keyboard"] for b in row]


async def test_search_pages_details_save_and_follow(running_bot: RunningBot) -> None:
    first = await ask(running_bot, "/search au:van_rossby")
    assert check_telegram_html(first["text"]) is None
    assert "page 1" in first["text"] and first["text"].count("arXiv:") == 5
    data = [b["callback_data"] for b in buttons(first)]
    assert all(len(d.encode()) <= 64 for d in data)
    assert any(d.startswith("sp:") and d.endswith(":1") for d in data)
    assert any(name == "sendChatAction" for name, _ in running_bot.api.calls)
    message_id = message_id_of(running_bot, first)
    next_page = next(d for d in data if d.startswith("sp:"))
    requests_before = running_bot.feeds.count()
    running_bot.api.push_callback(USER, message_id, next_page)
    await running_bot.api.wait_for(lambda: bool(running_bot.api.sent(method="editMessageText")))
    second = running_bot.api.sent(method="editMessageText")[-1]
    assert "page 2" in second["text"]
    assert running_bot.feeds.count() == requests_before + 1
    # Back to page 1 comes from the cache: no request to arXiv.
    back = next(b["callback_data"] for b in buttons(second) if b["text"] == "◀")
    running_bot.api.push_callback(USER, message_id, back)
    await running_bot.api.wait_for(lambda: len(running_bot.api.sent(method="editMessageText")) >= 2)
    assert running_bot.feeds.count() == requests_before + 1
    details = next(d for d in data if d.startswith("sd:") and d.endswith(":0"))
    count = len(running_bot.api.sent(USER))
    running_bot.api.push_callback(USER, message_id, details)
    shown = (await running_bot.api.wait_for_messages(count + 1, USER))[-1]
    assert "<blockquote expandable>" in shown["text"]
    save = next(d for d in data if d.startswith("save:"))
    running_bot.api.push_callback(USER, message_id, save)
    follow = next(d for d in data if d.startswith("sk:"))
    running_bot.api.push_callback(USER, message_id, follow)
    await running_bot.api.wait_for(
        lambda: (
            len(chats.subscriptions(running_bot.store, USER)) == 1
            and len(saved.saved_papers(running_bot.store, USER)) == 1
        )
    )
    [followed] = chats.subscriptions(running_bot.store, USER)
    assert (followed.kind, followed.value) == (SubscriptionKind.AUTHOR, "van rossby")


async def test_search_by_id_and_the_error_replies(running_bot: RunningBot) -> None:
    found = await ask(running_bot, "/search https://arxiv.org/abs/nucl-th/0405987v1")
    assert "Pairing gaps in neutron-rich tin isotopes" in found["text"]
    assert "➕" not in str(found["reply_markup"])  # an id is not a keyword
    assert "No results" in (await ask(running_bot, "/search zzzqqq"))["text"]
    # The query is echoed without the right-to-left override that would flip the line.
    echoed = (await ask(running_bot, "/search \u202ezzzqqq\u202c", chat_id=79))["text"]
    assert "No results" in echoed and "zzzqqq" in echoed and "\u202e" not in echoed
    assert "could not understand" in (await ask(running_bot, "/search 2403.99999"))["text"]
    assert "not answering" in (await ask(running_bot, "/search busy"))["text"]
    assert "Search arXiv" in (await ask(running_bot, "/search"))["text"]
    assert "too long" in (await ask(running_bot, "/search " + "x" * 400))["text"]


async def test_search_flood_limit_per_chat(running_bot: RunningBot) -> None:
    for n in range(5):
        await ask(running_bot, f"/search zzz{n}", chat_id=77)
    refused = (await ask(running_bot, "/search zzz9", chat_id=77))["text"]
    assert "Try again in" in refused and "own limit" in refused and "not arXiv" in refused
    # Another chat is not affected.
    assert "No results" in (await ask(running_bot, "/search zzz9", chat_id=78))["text"]


async def test_forged_search_buttons(running_bot: RunningBot) -> None:
    first = await ask(running_bot, "/search au:van_rossby", chat_id=79)
    message_id = message_id_of(running_bot, first)
    for data in ("sp:nokey:1", "sd:nokey:0:0", "sk:nokey", "sp:", "sd:x"):
        running_bot.api.push_callback(79, message_id, data)
    await running_bot.api.wait_for(
        lambda: len(running_bot.api.sent(method="answerCallbackQuery")) >= 5
    )


def follow_button(message: dict) -> str:
    """The callback data of ➕ (follow the query as a keyword) under search results."""
    return next(b["callback_data"] for b in buttons(message) if b["callback_data"][:3] == "sk:")


def every_page_of_results(path: str) -> tuple[int, dict[str, str], bytes] | None:
    """The fake arXiv, with as many pages of au:van_rossby results as anyone presses ▶."""
    return (200, {}, AUTHOR) if "van_rossby" in path else respond(path)


async def test_next_pages_count_against_the_search_limit_and_cached_pages_do_not(
    running_bot: RunningBot,
) -> None:
    running_bot.feeds.responder = every_page_of_results
    first = await ask(running_bot, "/search au:van_rossby", chat_id=81)
    message_id = message_id_of(running_bot, first)
    key = next(b["callback_data"] for b in buttons(first) if b["text"] == "▶").split(":")[1]
    # Four ▶ presses, each a new page from arXiv: with the /search, five in the minute.
    for page in range(1, 5):
        edits = len(running_bot.api.sent(81, "editMessageText"))
        running_bot.api.push_callback(81, message_id, f"sp:{key}:{page}")
        await running_bot.api.wait_for(
            lambda n=edits: len(running_bot.api.sent(81, "editMessageText")) > n  # type: ignore[misc]
        )
        assert f"page {page + 1}" in running_bot.api.sent(81, "editMessageText")[-1]["text"]
    requests = running_bot.feeds.count()
    refused = await answer_to(
        running_bot, running_bot.api.push_callback(81, message_id, f"sp:{key}:5")
    )
    assert refused.get("show_alert") and "Try again in" in refused["text"]
    assert "own limit" in refused["text"] and "not arXiv" in refused["text"]
    assert len(refused["text"]) <= 200  # Telegram's limit for an alert
    # A page already seen comes from the cache: it costs arXiv nothing and is not refused.
    edits = len(running_bot.api.sent(81, "editMessageText"))
    running_bot.api.push_callback(81, message_id, f"sp:{key}:2")
    await running_bot.api.wait_for(lambda: len(running_bot.api.sent(81, "editMessageText")) > edits)
    assert "page 3" in running_bot.api.sent(81, "editMessageText")[-1]["text"]
    assert running_bot.feeds.count() == requests
    # Another chat still searches.
    assert "page 1" in (await ask(running_bot, "/search au:van_rossby", chat_id=82))["text"]


async def test_a_group_member_cannot_follow_a_search_but_an_administrator_can(
    running_bot: RunningBot,
) -> None:
    group = -1004
    running_bot.api.admins[group] = {7}
    member = {"user_id": 8, "chat_type": "supergroup"}
    found = await ask(running_bot, "/search au:van_rossby", chat_id=group, **member)
    follow = next(
        b["callback_data"] for b in buttons(found) if b["callback_data"].startswith("sk:")
    )
    message_id = message_id_of(running_bot, found)
    refused = await answer_to(
        running_bot, running_bot.api.push_callback(group, message_id, follow, **member)
    )
    assert refused.get("show_alert") and "only administrators" in refused["text"]
    assert chats.subscriptions(running_bot.store, group) == []
    admin = {"user_id": 7, "chat_type": "supergroup"}
    done = await answer_to(
        running_bot, running_bot.api.push_callback(group, message_id, follow, **admin)
    )
    assert "Following" in done["text"]
    assert [s.value for s in chats.subscriptions(running_bot.store, group)] == ["van rossby"]


async def test_following_a_search_at_the_cap_is_refused_clearly(running_bot: RunningBot) -> None:
    found = await ask(running_bot, "/search au:van_rossby", chat_id=83)
    full = [Subscription(SubscriptionKind.KEYWORD, f"word{n}") for n in range(MAX_SUBSCRIPTIONS)]
    chats.add_subscriptions(running_bot.store, 83, full)
    follow = next(
        b["callback_data"] for b in buttons(found) if b["callback_data"].startswith("sk:")
    )
    refused = await answer_to(
        running_bot,
        running_bot.api.push_callback(83, message_id_of(running_bot, found), follow),
    )
    assert refused.get("show_alert") and "at most 50" in refused["text"]
    assert len(chats.subscriptions(running_bot.store, 83)) == MAX_SUBSCRIPTIONS


async def follow(bot: RunningBot, query: str, chat_id: int) -> dict:
    """Press ➕ under the results of `query` (remembered as the bot remembers a search)."""
    shown = await ask(bot, "/help", chat_id=chat_id)
    key = searches.remember_query(bot.store, query)
    return await answer_to(
        bot, bot.api.push_callback(chat_id, message_id_of(bot, shown), f"sk:{key}")
    )


async def test_follow_turns_fields_into_authors_keywords_and_categories(
    running_bot: RunningBot,
) -> None:
    answer = await follow(running_bot, "au:lecun ti:energy", 84)
    assert "author lecun" in answer["text"] and "“energy”" in answer["text"]
    await follow(running_bot, "au:hinton AND au:bengio", 84)
    await follow(running_bot, 'cat:cs.CV abs:"anomaly detection"', 84)
    stored = {(s.kind, s.value, s.phrase) for s in chats.subscriptions(running_bot.store, 84)}
    assert stored == {
        (SubscriptionKind.AUTHOR, "lecun", False),
        (SubscriptionKind.KEYWORD, "energy", False),
        (SubscriptionKind.AUTHOR, "hinton", False),
        (SubscriptionKind.AUTHOR, "bengio", False),
        (SubscriptionKind.CATEGORY, "cs.CV", False),
        (SubscriptionKind.KEYWORD, "anomaly detection", True),
    }


async def test_follow_says_why_a_query_cannot_be_followed_and_stores_nothing(
    running_bot: RunningBot,
) -> None:
    for query, reason in [
        ("au:lecun ANDNOT ti:energy", "cannot say “without”"),
        ("au:lecun AND NOT ti:energy", "cannot say “without”"),
        ("jr:Nature", "cannot match jr:"),
        ("cat:cs.CVV", "cs.CVV is not an arXiv category"),
    ]:
        answer = await follow(running_bot, query, 85)
        assert answer.get("show_alert") and reason in answer["text"], (query, answer)
        assert len(answer["text"]) <= 200
    assert chats.subscriptions(running_bot.store, 85) == []


async def test_an_unknown_sort_lists_the_valid_ones(running_bot: RunningBot) -> None:
    requests = running_bot.feeds.count()
    reply = (await ask(running_bot, "/search diffusion sort:bogus", chat_id=86))["text"]
    assert "sort:bogus" in reply
    assert all(f"sort:{name}" in reply for name in ("date", "updated", "relevance"))
    assert running_bot.feeds.count() == requests  # not searched for
    chinese = await ask(running_bot, "/search x sort:bogus", chat_id=87, language_code="zh")
    assert "不是有效的排序方式" in chinese["text"]
