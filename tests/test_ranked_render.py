"""What a reader sees of the model's order: the 🧭 words under each entry, the exploring entry
marked 🎲, "N below your threshold" in the overview and the export, in English and Chinese; and
the /settings row that sets the threshold, through the real bot."""

from __future__ import annotations

from datetime import date

from bot.models import Digest, DigestEntry, Paper, PaperText, Reason, ReasonKind
from bot.render.markdown import render_markdown
from bot.render.telegram import render_digest, render_entry, render_text, visible_text
from storage import chats
from tests.conftest import RunningBot
from tests.telegram_html import check_telegram_html
from tests.test_bot_subscriptions import USER, ask, message_id_of

DAY = date(2026, 11, 19)


def _paper(i: int) -> Paper:
    return Paper(
        arxiv_id=f"2611.{i:05d}",
        version=1,
        title=f"Score matching <for> denoising & more {i}",
        abstract="We denoise. " * 20,
        authors=("A. Author",),
        categories=("cs.LG",),
    )


def _digest() -> Digest:
    category = (Reason(ReasonKind.CATEGORY, "cs.LG"),)
    return Digest(
        announced=DAY,
        entries=(
            DigestEntry(_paper(1), category, terms=("diffusion", "score matching", "<denoising>")),
            DigestEntry(_paper(2), category, terms=("diffusion",)),
            DigestEntry(_paper(3), category, terms=("graph",), exploring=True),
        ),
        total=12,
        below_threshold=4,
    )


def test_an_entry_the_model_ordered_shows_its_words_on_one_short_line() -> None:
    messages = render_digest(_digest(), {}, "en")
    assert all(check_telegram_html(m) is None for m in messages)
    overview, first, _, exploring = messages
    assert "🧭 diffusion · score matching · &lt;denoising&gt;" in first
    line = next(x for x in visible_text(first).splitlines() if x.startswith("🧭"))
    assert len(line) <= 62
    assert "🎲" not in first
    assert "🎲 <i>Not sure you want this one — 👍/👎 teaches me</i>" in exploring
    # The overview in the model's order, the exploring paper marked, the hidden ones counted.
    shown = visible_text(overview)
    items = [line for line in shown.splitlines() if line[:1].isdigit()]
    assert items == [
        "1. Score matching <for> denoising & more 1",
        "2. Score matching <for> denoising & more 2",
        "3. 🎲 Score matching <for> denoising & more 3",
        "4 below your ranking threshold (/settings)",
    ]
    assert "… and 5 more: /digest more" in shown
    assert "4 below your ranking threshold (/settings)" in shown


def test_in_chinese_and_in_the_exports() -> None:
    messages = render_digest(_digest(), {}, "zh-CN")
    assert "另有 4 篇低于你的排序阈值" in messages[0]
    assert "不确定你想不想看这篇" in messages[-1]
    document = render_markdown(_digest(), {}, "en")
    assert "| [^3] | 🎲 [Score matching" in document
    assert "    🧭 diffusion · score matching · \\<denoising\\>" in document
    assert "    🎲 Not sure you want this one" in document
    assert "4 below your ranking threshold" in document
    text = render_text(_digest(), {}, "en")
    assert "🧭 diffusion · score matching · <denoising>" in text and "🎲 Not sure" in text


def test_an_entry_without_terms_looks_as_before() -> None:
    entry = DigestEntry(_paper(1), (Reason(ReasonKind.CATEGORY, "cs.LG"),))
    text = PaperText(_paper(1).title, _paper(1).abstract, "", "en", passthrough=True)
    message = render_entry(entry, text, "en", 1)
    assert "🧭" not in message and "🎲" not in message
    assert "below your" not in render_digest(Digest(DAY, (entry,), 1), {}, "en")[0]


async def test_the_settings_row_cycles_the_threshold_and_says_what_it_does(
    running_bot: RunningBot,
) -> None:
    shown = await ask(running_bot, "/settings")
    labels = [b["text"] for row in shown["reply_markup"]["inline_keyboard"] for b in row]
    assert "🧭 Ranking threshold: off" in labels
    message_id = message_id_of(running_bot, shown)
    said = []
    for expected in ("low", "high", "off"):
        edits = len(running_bot.api.sent(method="editMessageText"))
        running_bot.api.push_callback(USER, message_id, "set:rt")
        # The press is answered, then the keyboard redrawn.
        await running_bot.api.wait_for(
            lambda n=edits: len(running_bot.api.sent(method="editMessageText")) > n
        )
        chat = chats.get_chat(running_bot.store, USER)
        assert chat is not None and chat.rank_threshold == expected
        said.append(running_bot.api.sent(method="answerCallbackQuery")[-1]["text"])
        edited = running_bot.api.sent(method="editMessageText")[-1]
        rows = edited["reply_markup"]["inline_keyboard"]
        assert f"🧭 Ranking threshold: {expected}" in [b["text"] for row in rows for b in row]
    assert "below 95% of the ones you would 👍" in said[0]
    assert "best three quarters of what you would 👍" in said[1]
    assert "nothing is hidden" in said[2]
    # In Chinese.
    shown = await ask(running_bot, "/settings", chat_id=77, language_code="zh-CN")
    labels = [b["text"] for row in shown["reply_markup"]["inline_keyboard"] for b in row]
    assert "🧭 排序阈值: 关" in labels
