"""Parsing callback data of the browser and the search results: what the bot sent comes back
as the same press, anything else is None (never an exception)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from handlers import browser, search

data = st.one_of(
    st.text(max_size=64),
    st.tuples(
        st.sampled_from(["br:", "br:t:", "br:a:", "br:c:", "sp:", "sd:", "sk:"]), st.text()
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
