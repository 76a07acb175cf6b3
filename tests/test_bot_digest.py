"""/digest, /export, /saved, /status, /settings, /lang, /time, /timezone through the real bot."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.sources.fetch import load_feed_file
from storage import chats, deliveries
from tests.conftest import RunningBot
from tests.telegram_html import check_telegram_html
from tests.test_bot_subscriptions import USER, ask, message_id_of

FIXTURE = Path(__file__).parent / "fixtures" / "rss-current-stat.xml"
STAT = FIXTURE.read_bytes()


async def subscribe_conformal(bot: RunningBot) -> None:
    bot.feeds.route("/rss/stat.ML", STAT)
    await ask(bot, "/subscribe stat.ML")
    await ask(bot, '/keyword "conformal prediction"')


async def test_digest_fetches_then_sends_overview_and_one_message_per_paper(
    running_bot: RunningBot,
) -> None:
    await subscribe_conformal(running_bot)
    before = len(running_bot.api.sent(USER))
    running_bot.api.push_message(USER, "/digest")
    messages = await running_bot.api.wait_for_messages(before + 3, USER)
    overview, first, _second = messages[before : before + 3]
    assert "2026-03-17" in overview["text"] and "2 篇" in overview["text"]
    assert "Conformal prediction sets for streams with drifting label noise" in first["text"]
    keyboard = first["reply_markup"]["inline_keyboard"][0]
    assert keyboard[0]["url"] == "https://arxiv.org/pdf/2603.91001"
    assert [b.get("callback_data") for b in keyboard[1:]] == [
        "save:2603.91001",
        "fb:1:2603.91001",
        "fb:-1:2603.91001",
        "sim:2603.91001",
    ]
    for message in messages[before:]:
        assert check_telegram_html(message["text"]) is None
    assert running_bot.feeds.count("/rss/stat.ML") == 1
    assert any(name == "sendChatAction" for name, _ in running_bot.api.calls)
    await running_bot.api.wait_for(
        lambda: (
            len(
                deliveries.delivered_versions(running_bot.store, USER, ["2603.91001", "2603.91002"])
            )
            == 2
        )
    )
    # Asking again uses what is stored: no second fetch.
    running_bot.api.push_message(USER, "/digest")
    await running_bot.api.wait_for_messages(before + 6, USER)
    assert running_bot.feeds.count("/rss/stat.ML") == 1


async def test_digest_without_subscriptions_and_with_no_matches(running_bot: RunningBot) -> None:
    assert "don't follow anything" in (await ask(running_bot, "/digest"))["text"]
    running_bot.feeds.route("/rss/stat.ML", STAT)
    await ask(running_bot, "/subscribe stat.ML")
    await ask(running_bot, "/keyword zebrafish")
    assert (
        "Nothing in the announcement of 2026-03-17" in (await ask(running_bot, "/digest"))["text"]
    )


async def test_digest_when_arxiv_is_down_says_so(running_bot: RunningBot) -> None:
    running_bot.feeds.route("/rss/cs.CV", b"down", status=404)
    await ask(running_bot, "/subscribe cs.CV")
    assert "could not reach arXiv" in (await ask(running_bot, "/digest"))["text"]


async def test_export_sends_the_markdown_file(running_bot: RunningBot) -> None:
    await subscribe_conformal(running_bot)
    running_bot.api.push_message(USER, "/export")
    await running_bot.api.wait_for(lambda: bool(running_bot.api.sent(method="sendDocument")))
    document = running_bot.api.sent(method="sendDocument")[-1]["document"]
    assert document["filename"] == "arxiv-digest-2026-03-17.md"
    text = document["content"].decode("utf-8")
    assert text.startswith("# 摘要\n\n| Ref | Title | Summary |")
    assert (
        "[Conformal prediction sets for streams with drifting label noise](https://arxiv.org/abs/2603.91001)"
        in text
    )


async def test_save_button_and_saved_list(running_bot: RunningBot) -> None:
    await subscribe_conformal(running_bot)
    before = len(running_bot.api.sent(USER))
    running_bot.api.push_message(USER, "/digest")
    messages = await running_bot.api.wait_for_messages(before + 3, USER)
    entry = messages[before + 1]
    running_bot.api.push_callback(USER, message_id_of(running_bot, entry), "save:2603.91001")
    running_bot.api.push_callback(USER, message_id_of(running_bot, entry), "fb:1:2603.91001")
    running_bot.api.push_callback(USER, message_id_of(running_bot, entry), "save:not-an-id")
    await running_bot.api.wait_for(
        lambda: len(running_bot.api.sent(method="answerCallbackQuery")) >= 3
    )
    saved = (await ask(running_bot, "/saved"))["text"]
    assert (
        "Saved papers</b> (1)" in saved
        and "Conformal prediction sets for streams with drifting label noise" in saved
    )


async def test_status_counts_announced_matched_sent(running_bot: RunningBot) -> None:
    assert "No fetch yet" in (await ask(running_bot, "/status"))["text"]
    await subscribe_conformal(running_bot)
    before = len(running_bot.api.sent(USER))
    running_bot.api.push_message(USER, "/digest")
    await running_bot.api.wait_for_messages(before + 3, USER)
    # A paper counts as sent once Telegram confirmed it and the ledger has it.
    await running_bot.api.wait_for(
        lambda: (
            len(
                deliveries.delivered_versions(running_bot.store, USER, ["2603.91001", "2603.91002"])
            )
            == 2
        )
    )
    status = (await ask(running_bot, "/status"))["text"]
    assert "Latest announcement: 2026-03-17" in status
    listed = sum(1 for p in load_feed_file(FIXTURE).papers if "stat.ML" in p.categories)
    assert f"stat.ML: {listed} announced → 2 matched → 2 sent" in status
    assert running_bot.settings.telegram_bot_token not in status


async def test_direct_settings_with_wrong_values(running_bot: RunningBot) -> None:
    assert "zh-CN" in (await ask(running_bot, "/lang"))["text"]
    assert "✅" in (await ask(running_bot, "/lang ja"))["text"]
    wrong = (await ask(running_bot, "/lang germn"))["text"]
    assert "Did you mean" in wrong and "<code>de</code>" in wrong
    assert "08:30" in (await ask(running_bot, "/time 8:30"))["text"]
    wrong_time = (await ask(running_bot, "/time 25:99"))["text"]
    assert "25:99" in wrong_time and "<code>/time 08:30</code>" in wrong_time
    eight = (await ask(running_bot, "/timezone +8"))["text"]
    assert "<code>UTC+8</code>" in eight and "Etc/GMT" not in eight
    berln = (await ask(running_bot, "/timezone Europe/Berln"))["text"]
    assert "Europe/Berlin" in berln
    chat = chats.get_chat(running_bot.store, USER)
    assert chat is not None
    # Stored as the IANA zone for UTC+8, whose name reads inverted; never shown that way.
    assert (chat.language, chat.delivery_time, chat.timezone) == ("ja", "08:30", "Etc/GMT-8")
    shown = await ask(running_bot, "/settings")
    labels = [b["text"] for row in shown["reply_markup"]["inline_keyboard"] for b in row]
    assert any(label.endswith(": UTC+8") for label in labels), labels
    status = (await ask(running_bot, "/status"))["text"]
    assert "UTC+8" in status and "Etc/GMT" not in status


@pytest.mark.parametrize(
    ("command", "language_code", "expected"),
    [
        ("/time 25:00", "en", ["25:00", "<code>HH:MM</code>", "<code>/time 08:30</code>"]),
        ("/time 25:00", "zh-CN", ["25:00", "<code>HH:MM</code>", "不是有效的时间"]),
        ("/time 8:60", "en", ["8:60", "<code>HH:MM</code>"]),
        ("/timezone Mars", "en", ["IANA zone, a city or a UTC offset", "/timezone UTC+8"]),
        ("/timezone Mars", "zh-CN", ["IANA 时区、城市名或 UTC 偏移", "/timezone 北京"]),
        ("/lang klingonish", "en", ["a language code", "<code>/lang zh-CN</code>"]),
        ("/lang klingonish", "zh-CN", ["语言代码", "<code>/lang zh-CN</code>"]),
    ],
)
async def test_every_wrong_setting_says_what_is_expected(
    running_bot: RunningBot, command: str, language_code: str, expected: list[str]
) -> None:
    before = chats.get_chat(running_bot.store, USER)
    answer = (await ask(running_bot, command, language_code=language_code))["text"]
    assert answer.startswith("❓")
    for part in expected:
        assert part in answer, answer
    after = chats.get_chat(running_bot.store, USER)
    assert after is not None and before in (None, after)


@pytest.mark.parametrize(
    ("typed", "language_code", "stored", "said"),
    [
        ("beijing", "en", "Asia/Shanghai", ["<code>Asia/Shanghai</code>"]),
        ("北京", "zh-CN", "Asia/Shanghai", ["时区：<code>Asia/Shanghai</code>"]),
        ("New York", "en", "America/New_York", ["daylight saving time: UTC-5 in winter"]),
        (
            "est",
            "en",
            "America/New_York",
            ["<code>EST</code> is read as America/New_York", "UTC-5 in winter, UTC-4 in summer"],
        ),
        ("cst", "zh-CN", "Asia/Shanghai", ["Asia/Shanghai", "/timezone America/Chicago"]),
        ("cst", "en", "America/Chicago", ["America/Chicago", "/timezone Asia/Shanghai"]),
        ("GMT-5", "en", "Etc/GMT+5", ["<code>UTC-5</code>", "without daylight saving"]),
        ("+05:30", "en", "Asia/Kolkata", ["UTC+5:30"]),
    ],
)
async def test_timezone_by_city_abbreviation_or_offset(
    running_bot: RunningBot, typed: str, language_code: str, stored: str, said: list[str]
) -> None:
    answer = (await ask(running_bot, f"/timezone {typed}", language_code=language_code))["text"]
    assert answer.startswith("✅")
    for part in said:
        assert part in answer, answer
    chat = chats.get_chat(running_bot.store, USER)
    assert chat is not None and chat.timezone == stored


async def test_settings_keyboard_toggles_and_menus(running_bot: RunningBot) -> None:
    shown = await ask(running_bot, "/settings")
    message_id = message_id_of(running_bot, shown)
    data = [b["callback_data"] for row in shown["reply_markup"]["inline_keyboard"] for b in row]
    assert data == [
        "set:l",
        "set:t",
        "set:z",
        "set:max",
        "set:cross",
        "set:repl",
        "set:sum",
        "set:nm",
        "set:na",
        "set:ui",
        "set:rt",
    ]
    for press in (
        "set:cross",
        "set:repl",
        "set:max",
        "set:z",
        "set:z:Europe/Berlin",
        "set:l",
        "set:l:de",
        "set:nm",
        "set:na",
        "set:ui",
    ):
        count = len(running_bot.api.sent(method="editMessageText"))
        running_bot.api.push_callback(USER, message_id, press)
        await running_bot.api.wait_for(
            lambda c=count: len(running_bot.api.sent(method="editMessageText")) > c
        )
    chat = chats.get_chat(running_bot.store, USER)
    assert chat is not None
    assert not chat.include_cross and chat.include_replacements and chat.max_papers == 30
    assert chat.timezone == "Europe/Berlin" and chat.language == "de" and chat.ui_language == "zh"
    assert chat.notify_no_matches and chat.notify_no_announcement
    assert "设置" in running_bot.api.sent(method="editMessageText")[-1]["text"]


async def test_group_members_cannot_change_settings(running_bot: RunningBot) -> None:
    group = -1002
    running_bot.api.admins[group] = {7}
    refused = await ask(
        running_bot, "/time 07:00", chat_id=group, user_id=8, chat_type="supergroup"
    )
    assert "only administrators" in refused["text"]
    chat = chats.get_chat(running_bot.store, group)
    assert chat is not None and chat.delivery_time == "09:00"


async def test_group_members_cannot_change_settings_with_the_buttons_either(
    running_bot: RunningBot,
) -> None:
    group = -1003
    running_bot.api.admins[group] = {7}
    menu = await ask(running_bot, "/settings", chat_id=group, user_id=8, chat_type="supergroup")
    before = len(running_bot.api.sent(method="answerCallbackQuery"))
    running_bot.api.push_callback(
        group, message_id_of(running_bot, menu), "set:cross", user_id=8, chat_type="supergroup"
    )
    await running_bot.api.wait_for(
        lambda: len(running_bot.api.sent(method="answerCallbackQuery")) > before
    )
    answer = running_bot.api.sent(method="answerCallbackQuery")[-1]
    assert "only administrators" in answer["text"] and answer.get("show_alert")
    chat = chats.get_chat(running_bot.store, group)
    assert chat is not None and chat.include_cross  # unchanged
    # An administrator's press goes through.
    running_bot.api.push_callback(
        group, message_id_of(running_bot, menu), "set:cross", user_id=7, chat_type="supergroup"
    )
    await running_bot.api.wait_for(
        lambda: not (chats.get_chat(running_bot.store, group) or chat).include_cross
    )


async def test_with_translator_none_each_paper_shows_its_text_once_without_a_note(
    running_bot: RunningBot,
) -> None:
    # The running bot's translator is `none` and the chat's digest language Chinese: no
    # translation was wanted, so none failed.
    await subscribe_conformal(running_bot)
    before = len(running_bot.api.sent(USER))
    running_bot.api.push_message(USER, "/digest")
    messages = await running_bot.api.wait_for_messages(before + 3, USER)
    entries = [m["text"] for m in messages[before + 1 : before + 3]]
    for text in entries:
        assert "翻译暂不可用" not in text
        assert text.count("<blockquote expandable>") == 1
    assert entries[0].count("Conformal prediction wraps any point predictor") == 1
    assert entries[0].count("Conformal prediction sets for streams with drifting label noise") == 1


async def test_digest_more_sends_the_papers_past_the_cap_numbered_on_without_an_overview(
    running_bot: RunningBot,
) -> None:
    import re

    from storage import outbox

    running_bot.feeds.route("/rss/stat", STAT)
    await ask(running_bot, "/subscribe stat")
    chats.update_chat(running_bot.store, USER, max_papers=5, language="en")
    numbered = re.compile(r"<b>(\d+)\. ")

    def entries(since: int) -> list[int]:
        return [
            int(found.group(1))
            for m in running_bot.api.sent(USER)[since:]
            if (found := numbered.match(m["text"]))
        ]

    before = len(running_bot.api.sent(USER))
    running_bot.api.push_message(USER, "/digest")
    await running_bot.api.wait_for(lambda: len(entries(before)) == 5)
    await running_bot.api.wait_for(lambda: outbox.pending_count(running_bot.store) == 0)
    first = running_bot.api.sent(USER)[before]["text"]
    after_first = len(running_bot.api.sent(USER))
    running_bot.api.push_message(USER, "/digest more")
    await running_bot.api.wait_for(lambda: len(entries(after_first)) > 0)
    await running_bot.api.wait_for(lambda: outbox.pending_count(running_bot.store) == 0)
    rest = entries(after_first)
    total = int(re.search(r"(\d+) papers", first).group(1))  # type: ignore[union-attr]
    # The overview said how many; `more` sends the rest, numbered on, without an overview.
    assert rest == list(range(6, total + 1))
    assert all(numbered.match(m["text"]) for m in running_bot.api.sent(USER)[after_first:])
    sent = deliveries.delivered_versions(
        running_bot.store, USER, [p.arxiv_id for p in load_feed_file(FIXTURE).papers]
    )
    assert len(sent) == total
