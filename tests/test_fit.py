"""Every message fits: any Telegram HTML splits into pieces Telegram accepts, losing nothing."""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.render.fit import split_message
from bot.render.telegram import echo, escape, telegram_length
from tests.conftest import RunningBot
from tests.telegram_html import check_telegram_html
from tests.test_bot_subscriptions import ask


def visible(message: str) -> str:
    """The text Telegram shows, without whitespace (cuts drop the blank they fall on)."""
    return re.sub(r"\s+", "", html.unescape(re.sub(r"<[^>]*>", "", message)))


def assert_fits(pieces: list[str], limit: int) -> None:
    for piece in pieces:
        assert check_telegram_html(piece) is None, piece
        assert 0 < telegram_length(piece) <= limit, piece
        assert piece.strip()


# Text of every kind a cut can meet: sentence ends, CJK, entities, astral characters, newlines.
plain = st.text(alphabet=st.sampled_from(list("ab .,!?\n\n<>&\"'。好😀é")), max_size=120)


def element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    wrappers = ["<b>{}</b>", "<i>{}</i>", '<a href="https://arxiv.org/abs/1?a=1&amp;b=2">{}</a>']
    wrappers += ["<blockquote expandable>{}</blockquote>", "<code>{}</code>"]
    return st.tuples(st.sampled_from(wrappers), st.lists(children, max_size=4)).map(
        lambda pair: pair[0].format("".join(pair[1]))
    )


telegram_html = st.recursive(plain.map(escape), element, max_leaves=12).filter(
    lambda text: check_telegram_html(text) in (None, "message text is empty")
)


@settings(max_examples=300, deadline=None)
@given(st.lists(telegram_html, max_size=6).map("".join), st.integers(min_value=2, max_value=200))
def test_any_html_splits_into_valid_pieces_that_keep_every_character(text: str, limit: int) -> None:
    pieces = split_message(text, limit)
    assert_fits(pieces, limit)
    assert "".join(visible(p) for p in pieces) == visible(text)


def test_empty_and_blank_text_give_no_message() -> None:
    assert split_message("") == []
    assert split_message(" \n\n ") == []
    assert split_message("<b> </b>\n") == []


def test_a_message_that_fits_is_sent_as_it_is() -> None:
    text = "<b>Title</b>\n\nA &lt;short&gt; abstract. 😀"
    assert split_message(text) == [text]


def test_prefers_a_paragraph_then_a_line_then_a_sentence_then_a_word() -> None:
    first, second = "a" * 30 + ". " + "b" * 20, "c" * 30
    assert split_message(f"{first}\n\n{second}", 60) == [first, second]
    assert split_message(f"{first}\n{second}", 60) == [first, second]
    assert split_message("a" * 30 + ". bbb " + "c" * 30, 60) == ["a" * 30 + ".", "bbb " + "c" * 30]
    assert (
        split_message("word " * 20, 22)
        == ["word word word word", "word word word word"] + ["word word word word"] * 3
    )
    # A break early in the window does not make a piece mostly empty: the later one is used.
    assert split_message("ab.\n\n" + "c" * 40 + " " + "d" * 30, 60) == [
        "ab.\n\n" + "c" * 40,
        "d" * 30,
    ]


def test_one_long_word_is_cut_hard_but_never_inside_an_entity_or_a_character() -> None:
    pieces = split_message("&lt;" * 5000)
    assert [len(visible(p)) for p in pieces] == [4096, 904]
    assert all(p == "&lt;" * (len(p) // 4) for p in pieces)
    emoji = split_message("😀" * 3000)  # two UTF-16 units each
    assert [telegram_length(p) for p in emoji] == [4096, 1904]


def test_a_tag_open_at_a_cut_is_closed_and_opened_again() -> None:
    quote = "<blockquote expandable>" + "Sentence one is here. " * 400 + "</blockquote>"
    text = f"<b>Title</b>\n{quote}"
    pieces = split_message(text)
    assert len(pieces) == 3
    assert_fits(pieces, 4096)
    assert pieces[0].startswith("<b>Title</b>\n<blockquote expandable>Sentence one")
    assert pieces[1].startswith("<blockquote expandable>Sentence one")
    assert all(p.endswith("is here.</blockquote>") for p in pieces)
    link = '<a href="https://x.org/?a&amp;b">' + "word " * 2000 + "</a>"
    assert all(p.startswith('<a href="https://x.org/?a&amp;b">') for p in split_message(link))


@given(st.text(max_size=300), st.integers(min_value=2, max_value=100))
def test_echo_is_escaped_one_line_and_short(text: str, limit: int) -> None:
    shown = echo(text, limit)
    assert "<" not in shown and "\n" not in shown
    assert len(html.unescape(shown)) <= limit


def test_echo_summarises_at_a_word() -> None:
    assert echo("cs.CVV") == "cs.CVV"
    assert echo("<b>x</b> & y") == "&lt;b&gt;x&lt;/b&gt; &amp; y"
    assert echo("anomaly detection in the wild " * 10, 30) == "anomaly detection in the wild…"
    assert echo("x" * 100, 10) == "xxxxxxxxx…"


async def test_replies_quote_a_long_argument_summarised(running_bot: RunningBot) -> None:
    junk = "x" * 3000 + " " + "<b>" * 300
    for command in ("/subscribe", "/timezone", "/unsubscribe"):
        reply = (await ask(running_bot, f"{command} {junk}"))["text"]
        assert check_telegram_html(reply) is None
        assert "x" * 63 + "…" in reply and "x" * 101 not in reply, command
