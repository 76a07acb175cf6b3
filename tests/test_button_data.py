"""Parsing callback data of the browser and the search results: what the bot sent comes back
as the same press, anything else is None (never an exception)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.models import Paper
from bot.render.buttons import paper_buttons, saved_page_buttons, with_paper_state
from bot.sources.ids import parse_arxiv_id
from handlers import browser, digest, ranking, search

data = st.one_of(
    st.text(max_size=64),
    st.tuples(
        st.sampled_from(
            [
                "br:",
                "br:t:",
                "br:a:",
                "br:c:",
                "sp:",
                "sd:",
                "sk:",
                "save:",
                "fb:",
                "fb:1:",
                "fb:-1:",
                "sv:",
                "sv:p:",
                "sv:r:",
                "sv:r:0:",
                "sim:",
                "fg:",
            ]
        ),
        st.text(),
    ).map("".join),
)


@given(data)
def test_the_browser_parses_anything_without_failing(text: str) -> None:
    press = browser.parse_press(text)
    assert press is None or (
        press.page >= 0 and press.view in ("noop", "archives", "archive", "toggle")
    )


@given(data)
def test_search_buttons_parse_anything_without_failing(text: str) -> None:
    press = search.parse_press(text)
    if press is not None:
        assert press.key and 0 <= press.page <= search.LAST_PAGE and 0 <= press.index < 5


def test_the_data_the_bot_sends_is_understood() -> None:
    _, keyboard = browser.categories_view("cs", set(), "en", 1)
    pressed = [
        browser.parse_press(b.callback_data) for row in keyboard.inline_keyboard for b in row
    ]  # type: ignore[arg-type]
    assert None not in pressed
    assert browser.parse_press("br:t:cs.CV:a2") == browser.Press("toggle", "cs.CV", 2, True)
    assert browser.parse_press("br:t:cs.CV:-1") is None
    assert search.parse_press("sd:abc:3:4") == search.Press("sd", "abc", 3, 4)
    assert search.parse_press("sd:abc:3:5") is None
    assert search.parse_press("sp:abc:101") is None
    assert search.parse_press("sk:") is None


@given(data)
def test_paper_and_saved_buttons_parse_anything_without_failing(text: str) -> None:
    press = digest.parse_paper_press(text)
    assert press is None or (press.arxiv_id and press.vote in (None, 1, -1))
    page = digest.parse_saved_press(text)
    assert page is None or 0 <= page.page <= digest.SAVED_LAST_PAGE


new_style = st.tuples(st.integers(15, 99), st.integers(1, 12), st.integers(1, 99999)).map(
    lambda t: f"{t[0]:02d}{t[1]:02d}.{t[2]:05d}"
)
old_style = st.tuples(
    st.sampled_from(["hep-th", "math", "cond-mat", "astro-ph"]),
    st.integers(91, 99),
    st.integers(1, 999),
).map(lambda t: f"{t[0]}/{t[1]:02d}01{t[2]:03d}")


@given(
    arxiv_id=st.one_of(new_style, old_style),
    saved=st.booleans(),
    vote=st.sampled_from([None, 1, -1]),
    page=st.integers(0, digest.SAVED_LAST_PAGE),
)
def test_the_state_buttons_the_bot_sends_fit_and_are_understood(
    arxiv_id: str, saved: bool, vote: int | None, page: int
) -> None:
    paper = Paper(arxiv_id, 1, "A title", "An abstract.", ("A. Author",), ("cs.CV",))
    markup = with_paper_state(paper_buttons(paper), arxiv_id, saved=saved, vote=vote)
    assert markup.to_dict() == paper_buttons(paper, saved=saved, vote=vote).to_dict()
    sent = [b.callback_data for row in markup.inline_keyboard for b in row if b.callback_data]
    assert all(len(str(d).encode()) <= 64 for d in sent)
    assert [digest.parse_paper_press(str(d)) for d in sent[:3]] == [
        digest.PaperPress(arxiv_id),
        digest.PaperPress(arxiv_id, 1),
        digest.PaperPress(arxiv_id, -1),
    ]
    assert ranking.parse_similar_press(str(sent[3])) == arxiv_id
    assert digest.parse_paper_press(str(sent[3])) is None
    pages = saved_page_buttons([arxiv_id], 1, page, digest.SAVED_LAST_PAGE + 1, "✖")
    for row in pages.inline_keyboard:
        for button in row:
            assert isinstance(button.callback_data, str)
            assert len(button.callback_data.encode()) <= 64
            press = digest.parse_saved_press(button.callback_data)
            assert press is not None and press.remove in (None, arxiv_id)
    assert digest.parse_saved_press(f"sv:r:{page}:{arxiv_id}") == digest.SavedPress(page, arxiv_id)


@given(data)
def test_similar_and_forget_buttons_parse_anything_without_failing(text: str) -> None:
    arxiv_id = ranking.parse_similar_press(text)
    # Only `sim:` data names a paper, and what it names is a canonical id (no version).
    assert arxiv_id is None or (
        text.startswith("sim:") and parse_arxiv_id(arxiv_id) == (arxiv_id, None)
    )
    assert ranking.parse_forget_press(text) in (
        (True,) if text == "fg:yes" else (False,) if text == "fg:no" else (None,)
    )


def test_a_similar_press_names_its_paper_without_version() -> None:
    assert ranking.parse_similar_press("sim:2403.11083v2") == "2403.11083"
    assert ranking.parse_similar_press("sim:hep-th/9901001") == "hep-th/9901001"
    assert ranking.parse_similar_press("sim:") is None
    assert ranking.parse_similar_press("sim:not-an-id") is None
    assert ranking.parse_similar_press("save:2403.11083") is None
