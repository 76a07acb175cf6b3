"""Both arXiv feed formats, parsed from the fixture files (the project's own, in arXiv's
formats); broken feeds are errors."""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.match import match_paper
from bot.models import AnnounceType, Interests
from bot.sources.rss import FeedError, parse_feed, split_authors

FIXTURES = Path(__file__).parent / "fixtures"
CURRENT = (FIXTURES / "rss-current-stat.xml").read_bytes()
OLD = (FIXTURES / "rss-old-rdf-cs.rdf").read_bytes()


def test_current_format_counts_and_date() -> None:
    feed = parse_feed(CURRENT)
    assert feed.announced == date(2026, 3, 17)
    assert len(feed.papers) == 45
    assert Counter(p.announce_type for p in feed.papers) == {
        AnnounceType.NEW: 15,
        AnnounceType.CROSS: 12,
        AnnounceType.REPLACE: 11,
        AnnounceType.REPLACE_CROSS: 7,
    }
    assert feed.requested == ("stat",)


def test_current_format_entry_fields() -> None:
    papers = {p.arxiv_id: p for p in parse_feed(CURRENT).papers}
    first = papers["2603.91001"]
    assert first.version == 1
    assert first.title == "Conformal prediction sets for streams with drifting label noise"
    assert first.authors == ("Lotte Verhaegen", "Samir Okafor")
    assert first.categories == ("stat.ML", "cs.LG")
    assert first.primary_category == "stat.ML"
    assert first.abstract.startswith("Conformal prediction wraps any point predictor")
    assert first.abs_url == "https://arxiv.org/abs/2603.91001"
    assert first.pdf_url == "https://arxiv.org/pdf/2603.91001"
    assert papers["2603.91004"].doi == "10.5555/fixture.2026.0104"
    for paper in papers.values():
        assert not paper.abstract.startswith("arXiv:")
        assert "Announce Type" not in paper.abstract
        assert "\n" not in paper.title and "  " not in paper.abstract
        assert paper.authors and paper.categories
    assert max(p.version for p in papers.values()) == 5
    assert any("$" in p.title for p in papers.values())  # LaTeX is kept for the renderer


def test_old_format_counts_titles_and_plain_text() -> None:
    feed = parse_feed(OLD)
    assert feed.announced == date(2018, 9, 13)
    assert len(feed.papers) == 17
    assert feed.requested == ("cs",)
    first = feed.papers[0]
    assert first.arxiv_id == "1809.19001"
    assert first.title == ("StarSieve: Classifying stellar spectra with convolutional networks")
    assert first.categories == ("astro-ph.IM",)
    assert first.announce_type is AnnounceType.CROSS  # primary outside cs
    assert first.authors == ("Nadia Brennan", "Tomasz Wielgosz")
    replacements = [p for p in feed.papers if p.announce_type.is_replacement]
    assert len(replacements) == 6  # the "UPDATED)" titles
    for paper in feed.papers:
        assert not re.search(r"</?(p|a|br)\b", paper.abstract) and "&lt;" not in paper.abstract
        assert all("<" not in a and "href" not in a for a in paper.authors)
        assert "(arXiv:" not in paper.title


def test_requested_categories_decide_cross_lists_in_old_feeds() -> None:
    feed = parse_feed(OLD, requested=["astro-ph"])
    assert feed.papers[0].announce_type is AnnounceType.NEW


def empty_channel(pub_date: str = "Sat, 21 Mar 2026 00:00:00 -0400") -> bytes:
    head = CURRENT.split(b"<item>", 1)[0]
    head = head.replace(b"Tue, 17 Mar 2026 00:00:00 -0400", pub_date.encode())
    return head + b"</channel></rss>"


def test_an_empty_feed_is_no_announcement_not_an_error() -> None:
    feed = parse_feed(empty_channel())
    assert feed.papers == ()
    assert not feed.is_announcement
    assert feed.announced == date(2026, 3, 21)


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><head><title>503</title></head><body>Service down</body></html>",
        CURRENT[: len(CURRENT) // 2],
        b"",
        b"not xml at all",
        b'{"json": true}',
    ],
    ids=["html", "truncated", "empty", "text", "json"],
)
def test_malformed_or_non_feed_responses_are_errors(body: bytes) -> None:
    with pytest.raises(FeedError):
        parse_feed(body)


def test_arxiv_error_feed_is_an_error_with_its_message() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel>'
        b"<title>Feed error for query: cs.XX</title><link>http://rss.arxiv.org</link>"
        b"<description>Invalid category: cs.XX</description></channel></rss>"
    )
    with pytest.raises(FeedError, match=r"cs\.XX"):
        parse_feed(body)


def test_duplicate_items_are_kept_once() -> None:
    head, rest = CURRENT.split(b"<item>", 1)
    item = b"<item>" + rest.split(b"</item>", 1)[0] + b"</item>"
    doubled = head + item + item + b"<item>" + rest
    feed = parse_feed(doubled)
    assert len(feed.papers) == 45


def test_entries_lacking_fields_are_skipped_not_fatal() -> None:
    head, rest = CURRENT.split(b"<item>", 1)
    broken = b"<item><title>No id here</title><description>nothing</description></item>"
    untitled = (
        b"<item><description>arXiv:2403.99999v1 Announce Type: new \nAbstract: x</description>"
        b"</item>"
    )
    feed = parse_feed(head + broken + untitled + b"<item>" + rest)
    assert len(feed.papers) == 45


def test_authors_with_affiliations_containing_commas_are_names_only() -> None:
    assert split_authors(
        "Wei Zhang (Tsinghua University, Beijing), Ada Lovelace (MIT (CSAIL)), and Alan Turing"
    ) == (
        "Wei Zhang",
        "Ada Lovelace",
        "Alan Turing",
    )
    assert split_authors("A. One and B. Two") == ("A. One", "B. Two")
    assert split_authors("Borja Rodr\\'iguez-G\\'alvez, Fran\\c{c}ois M\\\"uller") == (
        "Borja Rodríguez-Gálvez",
        "François Müller",
    )
    assert split_authors("") == ()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_give_a_feed_or_a_feed_error(body: bytes) -> None:
    with contextlib.suppress(FeedError):
        parse_feed(body)


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=1, max_value=len(CURRENT) - 200))
def test_any_truncation_of_a_real_feed_is_an_error(cut: int) -> None:
    with pytest.raises(FeedError):
        parse_feed(CURRENT[:cut])


def test_latex_accents_in_author_names_become_letters_so_following_them_works() -> None:
    paper = {p.arxiv_id: p for p in parse_feed(CURRENT).papers}["2603.91005"]
    assert paper.authors[0] == "Joaquín Rodríguez-Arnáiz"
    assert not any("\\" in name for p in parse_feed(CURRENT).papers for name in p.authors)
    wanted = Interests(authors=("Joaquin Rodriguez-Arnaiz",))
    assert match_paper(paper, wanted)


def test_comparisons_and_markup_in_an_abstract_are_text_not_tags() -> None:
    """`$1<p\\leq q$ … $p > q$` is two comparisons: read as an HTML tag, the words between them
    were dropped ("…for $1<p> q$ fails.")."""
    paper = next(p for p in parse_feed(CURRENT).papers if p.arxiv_id == "2602.61003")
    assert r"$1<p\leq q\leq 3$ and improve upon known bounds when $p > q$ fails" in paper.abstract
    assert "A <b>bold</b> claim in raw HTML stays text" in paper.abstract
    assert "n < 50 and p > 200" in paper.abstract


def test_a_paper_citing_an_arxiv_id_in_its_title_does_not_make_a_feed_old_format() -> None:
    """2026-01-01: one title cited "(arXiv:2512.18400v2)", the feed was taken for the old RDF
    format, and every paper of the day was skipped."""
    cited = CURRENT.replace(
        b"<title>Conformal prediction sets",
        b"<title>A comment on (arXiv:2512.18400v2) and conformal prediction sets",
        1,
    )
    assert cited != CURRENT
    feed = parse_feed(cited)
    assert len(feed.papers) == len(parse_feed(CURRENT).papers)
    assert any("(arXiv:2512.18400v2)" in p.title for p in feed.papers)
