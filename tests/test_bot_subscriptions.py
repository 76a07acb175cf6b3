"""Conversations with the real bot over HTTP: /start, /subscribe, /keyword, /list, buttons."""

from __future__ import annotations

from bot.subscriptions import MAX_SUBSCRIPTIONS, Subscription, SubscriptionKind
from storage import chats
from tests.conftest import RunningBot

USER = 42


def texts(bot: RunningBot, chat_id: int = USER) -> list[str]:
    return [m["text"] for m in bot.api.sent(chat_id)]


async def ask(bot: RunningBot, text: str, chat_id: int = USER, **kwargs: object) -> dict:
    before = len(bot.api.sent(chat_id))
    bot.api.push_message(chat_id, text, **kwargs)  # type: ignore[arg-type]
    return (await bot.api.wait_for_messages(before + 1, chat_id))[-1]


async def test_start_registers_and_guides(running_bot: RunningBot) -> None:
    reply = await ask(running_bot, "/start")
    assert "/subscribe" in reply["text"] and reply["parse_mode"] == "HTML"
    chat = chats.get_chat(running_bot.store, USER)
    assert chat is not None and chat.language == "zh-CN" and chat.timezone == "Asia/Shanghai"
    commands = [p for name, p in running_bot.api.calls if name == "setMyCommands"]
    assert len(commands) == 2
    assert {c["command"] for c in commands[0]["commands"]} >= {"start", "subscribe", "digest"}
    assert any(p.get("language_code") == "zh" for p in commands)


async def test_chinese_users_get_chinese(running_bot: RunningBot) -> None:
    reply = await ask(running_bot, "/help", chat_id=7, language_code="zh-hans")
    assert "命令" in reply["text"]


async def test_subscribe_with_a_typo_suggests_and_stores_nothing(running_bot: RunningBot) -> None:
    reply = await ask(running_bot, "/subscribe cs.CVV")
    assert "cs.CVV" in reply["text"] and "cs.CV" in reply["text"]
    assert "Did you mean" in reply["text"]
    assert chats.subscriptions(running_bot.store, USER) == []


async def test_subscribe_keyword_author_then_list(running_bot: RunningBot) -> None:
    assert "Subscribed" in (await ask(running_bot, "/subscribe cs.CV cs.sy"))["text"]
    assert "already" in (await ask(running_bot, "/subscribe cs.CV"))["text"]
    reply = await ask(running_bot, '/keyword diffusion "anomaly detection" -survey')
    assert "anomaly detection" in reply["text"] and "survey" in reply["text"]
    await ask(running_bot, '/author "Yann LeCun"')
    stored = {(s.kind, s.value) for s in chats.subscriptions(running_bot.store, USER)}
    assert stored == {
        ("category", "cs.CV"),
        ("category", "eess.SY"),
        ("keyword", "diffusion"),
        ("keyword", "anomaly detection"),
        ("exclude", "survey"),
        ("author", "Yann LeCun"),
    }
    listing = await ask(running_bot, "/list")
    assert "You follow</b> (6)" in listing["text"]
    assert "Computer Vision and Pattern Recognition" in listing["text"]
    buttons = [b for row in listing["reply_markup"]["inline_keyboard"] for b in row]
    assert len(buttons) == 6
    # Tap the remove button of "survey": the list is edited in place.
    survey = next(b for b in buttons if "survey" in b["text"])
    running_bot.api.push_callback(
        USER, message_id_of(running_bot, listing), survey["callback_data"]
    )
    await running_bot.api.wait_for(lambda: len(chats.subscriptions(running_bot.store, USER)) == 5)
    await running_bot.api.wait_for(lambda: bool(running_bot.api.sent(method="editMessageText")))
    assert "(5)" in running_bot.api.sent(method="editMessageText")[-1]["text"]


def message_id_of(bot: RunningBot, sent: dict) -> int:
    for (chat_id, message_id), message in bot.api.messages.items():
        if chat_id == int(sent["chat_id"]) and message.get("text") == sent["text"]:
            return message_id
    raise AssertionError("message not found")


async def test_unsubscribe_one_several_missing_and_all(running_bot: RunningBot) -> None:
    await ask(running_bot, "/subscribe cs.CV cs.LG stat.ML")
    await ask(running_bot, "/keyword nerf")
    reply = await ask(running_bot, "/unsubscribe cs.LG nerf math.AG")
    assert "cs.LG" in reply["text"] and "nerf" in reply["text"]
    assert "don't follow" in reply["text"] and "math.AG" in reply["text"]
    confirm = await ask(running_bot, "/unsubscribe all")
    assert "Remove all 2" in confirm["text"]
    yes = confirm["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    running_bot.api.push_callback(USER, message_id_of(running_bot, confirm), yes)
    await running_bot.api.wait_for(lambda: chats.subscriptions(running_bot.store, USER) == [])
    assert "no argument" not in (await ask(running_bot, "/unsubscribe"))["text"]


async def test_wrong_and_empty_arguments_get_usage(running_bot: RunningBot) -> None:
    assert "Give words" in (await ask(running_bot, "/keyword"))["text"]
    assert "author's name" in (await ask(running_bot, "/author"))["text"]
    assert "/help" in (await ask(running_bot, "/frobnicate"))["text"]
    long_word = "x" * 101
    assert "at most 100" in (await ask(running_bot, f"/keyword {long_word}"))["text"]


async def test_browser_navigates_and_toggles(running_bot: RunningBot) -> None:
    first = await ask(running_bot, "/subscribe")
    rows = first["reply_markup"]["inline_keyboard"]
    cs = next(b for row in rows for b in row if b["text"].startswith("cs "))
    message_id = message_id_of(running_bot, first)
    running_bot.api.push_callback(USER, message_id, cs["callback_data"])
    await running_bot.api.wait_for(lambda: len(running_bot.api.sent(method="editMessageText")) >= 1)
    page = running_bot.api.sent(method="editMessageText")[-1]
    toggles = [
        b
        for row in page["reply_markup"]["inline_keyboard"]
        for b in row
        if b["callback_data"].startswith("br:t:cs.")
    ]
    running_bot.api.push_callback(USER, message_id, toggles[0]["callback_data"])
    await running_bot.api.wait_for(lambda: len(chats.subscriptions(running_bot.store, USER)) == 1)
    await running_bot.api.wait_for(lambda: len(running_bot.api.sent(method="editMessageText")) >= 2)
    edited = running_bot.api.sent(method="editMessageText")[-1]
    assert any(
        b["text"].startswith("✓ ") for row in edited["reply_markup"]["inline_keyboard"] for b in row
    )
    for _, params in running_bot.api.calls:
        for row in (params.get("reply_markup") or {}).get("inline_keyboard", []):
            assert all(len(b["callback_data"].encode()) <= 64 for b in row if "callback_data" in b)


async def test_forged_callback_data_is_answered_quietly(running_bot: RunningBot) -> None:
    first = await ask(running_bot, "/subscribe")
    message_id = message_id_of(running_bot, first)
    for data in ("br:t:not-a-code:0", "br:c:zzz:9", "unsub:999999", "br:"):
        running_bot.api.push_callback(USER, message_id, data)
    await running_bot.api.wait_for(
        lambda: len(running_bot.api.sent(method="answerCallbackQuery")) >= 4
    )
    assert chats.subscriptions(running_bot.store, USER) == []


async def test_in_groups_only_admins_change_subscriptions(running_bot: RunningBot) -> None:
    group = -1001
    running_bot.api.admins[group] = {7}
    refused = await ask(
        running_bot, "/subscribe cs.CV", chat_id=group, user_id=8, chat_type="supergroup"
    )
    assert "only administrators" in refused["text"]
    assert chats.subscriptions(running_bot.store, group) == []
    await ask(running_bot, "/subscribe cs.CV", chat_id=group, user_id=7, chat_type="supergroup")
    assert [s.value for s in chats.subscriptions(running_bot.store, group)] == ["cs.CV"]
    # Anyone may look.
    assert (
        "cs.CV"
        in (await ask(running_bot, "/list", chat_id=group, user_id=8, chat_type="supergroup"))[
            "text"
        ]
    )


async def test_stop_pauses_and_start_resumes(running_bot: RunningBot) -> None:
    await ask(running_bot, "/start")
    assert "paused" in (await ask(running_bot, "/stop"))["text"]
    chat = chats.get_chat(running_bot.store, USER)
    assert chat is not None and chat.paused
    before = len(running_bot.api.sent(USER))
    running_bot.api.push_message(USER, "/start")
    messages = await running_bot.api.wait_for_messages(before + 2, USER)
    assert "on again" in messages[-2]["text"]
    chat = chats.get_chat(running_bot.store, USER)
    assert chat is not None and not chat.paused


async def test_limits_per_chat_have_clear_answers(running_bot: RunningBot) -> None:
    codes = [f"math.{c}" for c in ("AG", "AT", "AP", "CT", "CA", "CO", "AC", "CV", "DG", "DS")]
    await ask(running_bot, "/subscribe cs " + " ".join(codes))
    words = " ".join(f"word{n}" for n in range(39))
    await ask(running_bot, f"/keyword {words}")
    assert len(chats.subscriptions(running_bot.store, USER)) == 50
    assert "at most 50" in (await ask(running_bot, "/keyword onemore"))["text"]
    assert "at most 50" in (await ask(running_bot, "/subscribe stat.ML"))["text"]
    assert len(chats.subscriptions(running_bot.store, USER)) == 50


async def answer_to(bot: RunningBot, update_id: int) -> dict:
    """The answerCallbackQuery for one button press, once the bot has sent it."""

    def answers() -> list[dict]:
        return [
            a
            for a in bot.api.sent(method="answerCallbackQuery")
            if a["callback_query_id"] == f"cb{update_id}"
        ]

    await bot.api.wait_for(lambda: bool(answers()))
    return answers()[0]


async def test_the_browser_at_the_cap_refuses_with_an_alert(running_bot: RunningBot) -> None:
    first = await ask(running_bot, "/subscribe", chat_id=44)
    message_id = message_id_of(running_bot, first)
    full = [Subscription(SubscriptionKind.AUTHOR, f"Author {n}") for n in range(49)]
    full.append(Subscription(SubscriptionKind.CATEGORY, "cs.AI"))
    chats.add_subscriptions(running_bot.store, 44, full)
    refused = await answer_to(
        running_bot, running_bot.api.push_callback(44, message_id, "br:t:cs.LG:0")
    )
    assert refused.get("show_alert") and "at most 50" in refused["text"]
    followed = {s.value for s in chats.subscriptions(running_bot.store, 44)}
    assert len(followed) == MAX_SUBSCRIPTIONS and "cs.LG" not in followed
    # Unfollowing still works at the cap.
    done = await answer_to(
        running_bot, running_bot.api.push_callback(44, message_id, "br:t:cs.AI:0")
    )
    assert "cs.AI" in done["text"] and not done.get("show_alert")
    assert len(chats.subscriptions(running_bot.store, 44)) == MAX_SUBSCRIPTIONS - 1
