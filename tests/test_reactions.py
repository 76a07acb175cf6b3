"""What a change of reactions says about a chat's vote (bot.reactions), and the compact lists
of "more like this" and /calibrate (bot.render.compact) with their titles from the cache."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.config import Settings
from bot.models import Paper
from bot.reactions import DOWN, UP, vote_after_reaction
from bot.render.compact import compact_item, compact_list
from bot.translate import MemoryTranslationCache, TranslationService
from handlers.ranking import cached_titles
from tests.telegram_html import check_telegram_html

emoji = st.lists(st.sampled_from([UP, DOWN, "🔥", "❤", "🤔"]), max_size=3, unique=True)
votes = st.sampled_from([None, 1, -1])


def test_the_reactions_a_reader_makes_vote_as_the_buttons_do() -> None:
    assert vote_after_reaction([], [UP], None) == 1
    assert vote_after_reaction([UP], [DOWN], 1) == -1
    assert vote_after_reaction([DOWN], [], -1) is None
    # The vote a button gave stands while the reactions leave 👍/👎 alone.
    assert vote_after_reaction([], ["🔥"], 1) == 1
    assert vote_after_reaction(["🔥"], [], -1) == -1
    # Both thumbs shown (Premium allows several reactions): the one just added counts.
    assert vote_after_reaction([UP], [UP, DOWN], 1) == -1
    assert vote_after_reaction([UP, DOWN], [DOWN], -1) == -1
    assert vote_after_reaction([UP, DOWN], [UP], -1) == 1


@given(old=emoji, new=emoji, current=votes)
def test_any_change_gives_a_vote_the_reactions_or_the_buttons_account_for(
    old: list[str], new: list[str], current: int | None
) -> None:
    vote = vote_after_reaction(old, new, current)
    assert vote in (None, 1, -1)
    thumbs_before = {e for e in old if e in (UP, DOWN)}
    thumbs_after = {e for e in new if e in (UP, DOWN)}
    if thumbs_before == thumbs_after:
        assert vote == current  # only other emoji changed
    elif len(thumbs_after) == 1:
        assert vote == (1 if UP in thumbs_after else -1)
    elif not thumbs_after:
        assert vote is None
    # The same reactions again change nothing more.
    assert vote_after_reaction(new, new, vote) == vote


titles = st.text(max_size=300)


@given(title=titles, translated=st.one_of(st.none(), titles), authors=st.lists(titles, max_size=12))
def test_a_compact_item_is_valid_telegram_html_and_links_the_paper(
    title: str, translated: str | None, authors: list[str]
) -> None:
    paper = Paper("2403.11083", 2, title, "An abstract.", tuple(authors), ("cs.CV", "cs.LG"))
    item = compact_item(3, paper, translated)
    assert check_telegram_html(item) is None
    assert item.startswith('3. <a href="https://arxiv.org/abs/2403.11083">')
    assert len(item) < 1000  # five of them and a heading stay one message


def test_a_compact_list_numbers_its_papers_and_shows_translated_titles_where_known() -> None:
    first = Paper("2403.00001", 1, "Diffusion & $\\alpha$-noise", "A.", ("A. One",), ("cs.LG",))
    second = Paper("2403.00002", 1, "Graph networks", "B.", ("B. Two", "C. Three"), ("cs.SI",))
    text = compact_list("<b>Similar</b>", [first, second], {"2403.00002": "图网络"})
    assert text.splitlines() == [
        "<b>Similar</b>",
        '1. <a href="https://arxiv.org/abs/2403.00001">Diffusion &amp; α-noise</a>',
        "    <i>A. One · cs.LG</i>",
        '2. <a href="https://arxiv.org/abs/2403.00002">图网络</a>',
        "    <i>B. Two, C. Three · cs.SI</i>",
    ]


def test_titles_come_from_the_translation_cache_and_nothing_is_translated_for_them() -> None:
    cache = MemoryTranslationCache()
    translator = TranslationService(Settings(translator="google"), cache)
    known = Paper("2403.00001", 1, "Graph  networks for\nweather", "A.", (), ("cs.LG",))
    unknown = Paper("2403.00002", 1, "Never translated", "B.", (), ("cs.LG",))
    # Cached under the title as translation sends it: spacing normalised.
    cache.put_many("zh-CN", {"Graph networks for weather": "用于天气的图网络"}, "google")
    assert cached_titles(translator, "zh-CN", [known, unknown]) == {
        "2403.00001": "用于天气的图网络"
    }
    assert cached_titles(translator, "en", [known, unknown]) == {}
    assert translator.requests_sent == 0
    translator.close()
