"""Matching and ranking: the rules of DESIGN.md as a table of cases, plus properties."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.match import (
    author_matches,
    build_digest,
    keyword_in,
    match_paper,
    parse_keywords,
)
from bot.models import AnnounceType, Interests, Keyword, Paper, ReasonKind, SubscriptionKind
from storage import chats
from tests.conftest import RunningBot
from tests.test_bot_subscriptions import USER, ask


def paper(
    arxiv_id: str = "2403.00001",
    title: str = "A paper",
    abstract: str = "Nothing to see.",
    categories: tuple[str, ...] = ("cs.CV",),
    authors: tuple[str, ...] = ("Ada Lovelace",),
    announce_type: AnnounceType = AnnounceType.NEW,
    version: int = 1,
) -> Paper:
    return Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=title,
        abstract=abstract,
        authors=authors,
        categories=categories,
        announce_type=announce_type,
    )


def kw(text: str) -> Keyword:
    return Keyword(text, phrase=" " in text)


@pytest.mark.parametrize(
    ("keyword", "text", "expected"),
    [
        ("anomaly", "Anomaly detection in video", True),
        ("anomaly", "ANOMALY", True),
        ("anomaly", "anomalies are rare", True),  # plural tolerant
        ("anomalies", "one anomaly", True),
        ("network", "graph networks", True),
        ("process", "Gaussian processes", True),
        ("box", "bounding boxes", True),
        ("self-supervised", "a self supervised method", True),  # hyphen tolerant
        ("self supervised", "self-supervised learning", True),
        ("selfsupervised", "self-supervised learning", True),
        ("self-supervised", "selfsupervised learning", True),
        ("anomaly detection", "video anomaly detection", True),
        ("anomaly detection", "detection of an anomaly", False),  # phrase keeps order
        ("cat", "category theory", False),  # whole words only
        ("gan", "organ transplant", False),
        ("gan", "a GAN-based model", True),
        ("3d", "3D reconstruction", True),
        ("llm", "LLMs are large", True),
        ("transformer", "Vision Transformers", True),
        ("bias", "biased estimators", False),
        ("analysis", "analyses", False),  # irregular plural: not folded, documented limitation
        ("α", "an α-stable law", True),
        # Accents, LaTeX accents and case fold away, on either side.
        ("Cramér-Rao", "the Cram\\'er-Rao bound", True),
        ("cramer-rao", "the Cram\\'er-Rao bound", True),
        ("Cramer-Rao", "the Cramér-Rao bound", True),
        ("Cram\\'er-Rao", "the Cramer-Rao bound", True),
        ("Cramér-Rao", "a Cram\\'{e}r--Rao bound", True),
        ("cramérrao", "the Cramér-Rao bound", True),
        ("Schrödinger", 'the nonlinear Schr\\"odinger equation', True),
        ("Schrodinger", "SCHRÖDINGER", True),
        ('Schr\\"odinger', "Schrödinger cats", True),
        ("Poincaré", "Poincar\\'e inequalities", True),
        ("Sørensen", "the Sorensen method", True),
        ("straße", "STRASSE", True),
        ("ﬁnite", "finite elements", True),
        ("α-stable", "an $\\alpha$-stable law", True),
        ("Cramér-Rao", "Cramer bound and Rao", False),  # still a phrase, in order
        ("Schrödinger", "Schrödingers", True),  # plurals after folding
    ],
)
def test_keyword_matching_rules(keyword: str, text: str, expected: bool) -> None:
    assert keyword_in(kw(keyword), text) is expected


@pytest.mark.parametrize(
    ("followed", "author", "expected"),
    [
        ("Yann LeCun", "Yann LeCun", True),
        ("Yann LeCun", "Y. LeCun", True),
        ("LeCun", "Yann LeCun", True),
        ("yann lecun", "Yann LeCun", True),
        ("Jose Garcia", "José García", True),
        ("Yann LeCun", "Yves LeCun", False),
        ("Yann LeCun", "Yann Lecunn", False),
        ("Kaiming He", "Kaiming He (Meta, FAIR)", True),
        ("Smith", "John Smithson", False),
        # Particles belong to the surname; the last word alone still names the family.
        ("Van Meter", "Rodney Van Meter", True),
        ("van meter", "Rodney Van Meter", True),
        ("R. Van Meter", "Rodney Van Meter", True),
        ("Rodney Van Meter", "Rodney van Meter", True),
        ("Meter", "Rodney Van Meter", True),
        ("Van Meter", "Meter Rodney", False),
        ("Van Meter", "Rodney Meter", False),
        ("de la Cruz", "Pablo de la Cruz", True),
        ("P. de la Cruz", "Pablo De La Cruz (ICFO)", True),
        ("von Keyserlingk", "Curt von Keyserlingk", True),
        ("L. Song", "Le Song", True),  # a given name that looks like a particle
        ("Hajdusek", "Michal Hajdu\\v{s}ek", True),
        ("Sørensen", "Ingrid S{\\o}rensen", True),
        ("Rodriguez-Galvez", "Borja Rodríguez-Gálvez", True),
        ("B. Rodríguez Gálvez", "Borja Rodríguez-Gálvez", True),
        ("Lin Ai", "Lin Ai (Columbia University, New York)", True),
        ("Lin Ai", "Wei Lin", False),
        ("Lin Ai", "Ai Lin", False),
        ("O'Brien", "Kate OBrien", True),
    ],
)
def test_author_matching(followed: str, author: str, expected: bool) -> None:
    assert author_matches(followed, author) is expected


def test_parse_keywords_words_phrases_and_exclusions() -> None:
    includes, excludes = parse_keywords('diffusion "anomaly detection" -survey -"position paper"')
    assert includes == [Keyword("diffusion"), Keyword("anomaly detection", phrase=True)]
    assert excludes == [Keyword("survey"), Keyword("position paper", phrase=True)]


def test_parse_keywords_typographic_quotes_commas_and_unclosed_quote() -> None:
    includes, excludes = parse_keywords('“vision language”, nerf, -“toy”  "open ended')
    assert includes == [
        Keyword("vision language", phrase=True),
        Keyword("nerf"),
        Keyword("open ended", phrase=True),
    ]
    assert excludes == [Keyword("toy")]


def test_parse_keywords_ignores_noise_and_duplicates() -> None:
    includes, excludes = parse_keywords('  -  "" nerf nerf - ,,, ')
    assert includes == [Keyword("nerf")]
    assert excludes == []


# The table of cases from the user's point of view.
CV = frozenset({"cs.CV"})
CASES = [
    # (description, interests, paper, matched?)
    ("subscribed primary category", Interests(CV), paper(), True),
    ("other category", Interests(CV), paper(categories=("cs.LG",)), False),
    (
        "cross-listed into a subscribed category",
        Interests(CV),
        paper(categories=("cs.LG", "cs.CV"), announce_type=AnnounceType.CROSS),
        True,
    ),
    (
        "cross-lists switched off",
        Interests(CV, include_cross=False),
        paper(categories=("cs.LG", "cs.CV"), announce_type=AnnounceType.CROSS),
        False,
    ),
    ("whole archive", Interests(frozenset({"cs"})), paper(categories=("cs.RO",)), True),
    (
        "alias eess.SY = cs.SY",
        Interests(frozenset({"cs.SY"})),
        paper(categories=("eess.SY",)),
        True,
    ),
    (
        "replacement off by default",
        Interests(CV),
        paper(announce_type=AnnounceType.REPLACE, version=2),
        False,
    ),
    (
        "replacement when asked",
        Interests(CV, include_replacements=True),
        paper(announce_type=AnnounceType.REPLACE, version=2),
        True,
    ),
    (
        "category plus keyword in title",
        Interests(CV, keywords=(kw("anomaly"),)),
        paper(title="Anomaly detection"),
        True,
    ),
    (
        "category plus keyword missing",
        Interests(CV, keywords=(kw("anomaly"),)),
        paper(title="Segmentation"),
        False,
    ),
    (
        "keyword in another category",
        Interests(CV, keywords=(kw("anomaly"),)),
        paper(title="Anomaly detection", categories=("stat.ML",)),
        False,
    ),
    (
        "keyword-only chat sees every category",
        Interests(keywords=(kw("anomaly"),)),
        paper(title="Anomaly detection", categories=("stat.ML",)),
        True,
    ),
    (
        "exclude wins over category",
        Interests(CV, excludes=(kw("survey"),)),
        paper(title="A survey of segmentation"),
        False,
    ),
    (
        "exclude in abstract wins over title keyword",
        Interests(CV, keywords=(kw("anomaly"),), excludes=(kw("survey"),)),
        paper(title="Anomaly detection", abstract="This survey covers..."),
        False,
    ),
    (
        "followed author outside categories",
        Interests(CV, authors=("Grace Hopper",)),
        paper(categories=("cs.PL",), authors=("Grace Hopper",)),
        True,
    ),
    (
        "followed author needs no keyword",
        Interests(CV, keywords=(kw("anomaly"),), authors=("Grace Hopper",)),
        paper(categories=("cs.PL",), authors=("G. Hopper",)),
        True,
    ),
    (
        "followed author still loses to exclude",
        Interests(authors=("Grace Hopper",), excludes=(kw("cobol"),)),
        paper(title="COBOL forever", authors=("Grace Hopper",)),
        False,
    ),
    ("nothing followed", Interests(), paper(), False),
]


@pytest.mark.parametrize(("description", "interests", "item", "expected"), CASES)
def test_matching_table(
    description: str, interests: Interests, item: Paper, expected: bool
) -> None:
    assert bool(match_paper(item, interests)) is expected, description


def test_reasons_say_why() -> None:
    interests = Interests(CV, keywords=(kw("anomaly"), kw("video")), authors=("Ada Lovelace",))
    reasons = match_paper(paper(title="Anomaly detection", abstract="In video streams."), interests)
    assert [(r.kind, r.value, r.where) for r in reasons] == [
        (ReasonKind.CATEGORY, "cs.CV", ""),
        (ReasonKind.KEYWORD, "anomaly", "title"),
        (ReasonKind.KEYWORD, "video", "abstract"),
        (ReasonKind.AUTHOR, "Ada Lovelace", ""),
    ]


def test_ranking_title_then_abstract_then_category_then_new_before_cross() -> None:
    interests = Interests(frozenset({"cs.CV"}), keywords=(kw("anomaly"), kw("segmentation")))
    only_abstract = paper("2403.00001", title="X", abstract="anomaly here, segmentation too")
    in_title = paper("2403.00002", title="Anomaly detection", abstract="plain")
    cross_title = paper(
        "2403.00003",
        title="Anomaly segmentation",
        categories=("cs.LG", "cs.CV"),
        announce_type=AnnounceType.CROSS,
    )
    new_title_two_hits = paper("2403.00004", title="Anomaly segmentation")
    digest = build_digest(
        [only_abstract, in_title, cross_title, new_title_two_hits],
        interests,
        announced=date(2024, 3, 26),
    )
    assert [e.paper.arxiv_id for e in digest.entries] == [
        "2403.00004",  # title hits, two keywords, new
        "2403.00003",  # title hits, two keywords, cross-list
        "2403.00002",  # title hit
        "2403.00001",  # abstract only
    ]


def test_category_only_ranks_after_keyword_hits_for_keyword_free_chats() -> None:
    interests = Interests(frozenset({"cs.CV", "cs.LG"}))
    cross = paper("2403.00001", categories=("stat.ML", "cs.LG"), announce_type=AnnounceType.CROSS)
    new = paper("2403.00002", categories=("cs.CV",))
    digest = build_digest([cross, new], interests, announced=None)
    assert [e.paper.arxiv_id for e in digest.entries] == ["2403.00002", "2403.00001"]


def test_cap_keeps_the_best_and_counts_the_rest() -> None:
    papers = [paper(f"2403.{i:05d}") for i in range(30)]
    digest = build_digest(papers, Interests(CV), announced=None, cap=20)
    assert len(digest.entries) == 20
    assert digest.total == 30
    assert digest.more == 10


def test_ledger_hides_sent_papers_and_marks_new_versions() -> None:
    v1 = paper("2403.00001")
    v2 = paper("2403.00001", version=2)
    other = paper("2403.00002")
    plain = Interests(CV)
    with_replacements = Interests(CV, include_replacements=True)
    sent = {"2403.00001": 1}
    assert [
        e.paper.arxiv_id
        for e in build_digest([v1, other], plain, announced=None, sent_versions=sent).entries
    ] == ["2403.00002"]
    assert build_digest([v2], plain, announced=None, sent_versions=sent).entries == ()
    entries = build_digest([v2], with_replacements, announced=None, sent_versions=sent).entries
    assert len(entries) == 1
    assert entries[0].paper.announce_type is AnnounceType.REPLACE
    assert build_digest([v1], with_replacements, announced=None, sent_versions=sent).entries == ()


def test_a_paper_listed_twice_appears_once() -> None:
    item = paper(categories=("cs.CV", "cs.LG"))
    digest = build_digest([item, item], Interests(frozenset({"cs.CV", "cs.LG"})), announced=None)
    assert len(digest.entries) == 1


# Properties ------------------------------------------------------------------------------------

WORDS = ["anomaly", "detection", "graph", "networks", "survey", "diffusion", "video", "self"]
word_text = st.lists(st.sampled_from([*WORDS, "-", "the", "of", "a"]), max_size=12).map(" ".join)
categories = st.sampled_from(["cs.CV", "cs.LG", "stat.ML", "math.ST", "eess.SY", "cs.SY"])
papers_strategy = st.builds(
    paper,
    arxiv_id=st.integers(1, 40).map(lambda i: f"2403.{i:05d}"),
    title=word_text,
    abstract=word_text,
    categories=st.lists(categories, min_size=1, max_size=3, unique=True).map(tuple),
    authors=st.lists(
        st.sampled_from(["Ada Lovelace", "Grace Hopper", "Alan Turing"]), min_size=1, max_size=2
    ).map(tuple),
    announce_type=st.sampled_from(list(AnnounceType)),
)
interests_strategy = st.builds(
    Interests,
    categories=st.frozensets(
        st.sampled_from(["cs.CV", "cs.LG", "stat", "cs.SY", "math"]), max_size=3
    ),
    keywords=st.lists(st.sampled_from(WORDS).map(kw), max_size=3).map(tuple),
    excludes=st.lists(st.sampled_from(WORDS).map(kw), max_size=2).map(tuple),
    authors=st.lists(st.sampled_from(["Grace Hopper", "Turing"]), max_size=1).map(tuple),
    include_cross=st.booleans(),
    include_replacements=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(papers_strategy, max_size=25), interests_strategy)
def test_properties_of_every_digest(papers: list[Paper], interests: Interests) -> None:
    digest = build_digest(papers, interests, announced=None, cap=100)
    ids = [entry.paper.arxiv_id for entry in digest.entries]
    # A paper appears at most once.
    assert len(ids) == len(set(ids))
    for entry in digest.entries:
        text = f"{entry.paper.title} {entry.paper.abstract}"
        # An exclude always wins.
        assert not any(
            keyword_in(k, entry.paper.title) or keyword_in(k, entry.paper.abstract)
            for k in interests.excludes
        )
        # Every shown paper satisfies the rules and says why.
        assert entry.reasons
        by_author = any(r.kind is ReasonKind.AUTHOR for r in entry.reasons)
        if interests.keywords and not by_author:
            assert any(keyword_in(k, text) for k in interests.keywords)
        if not interests.include_replacements:
            assert not entry.paper.announce_type.is_replacement
    # Nothing that matches is left out (the cap is above the input size).
    expected = {p.arxiv_id for p in papers if match_paper(p, interests)}
    assert set(ids) == expected


def test_cross_list_is_relative_to_the_chats_own_categories() -> None:
    # The bot fetched cs.LG too, so the feed calls this paper "new"; this chat follows only
    # cs.CV, where it is a cross-list.
    item = paper(categories=("cs.LG", "cs.CV"), announce_type=AnnounceType.NEW)
    entry = build_digest([item], Interests(CV), announced=None).entries[0]
    assert entry.paper.announce_type is AnnounceType.CROSS
    own = build_digest([item], Interests(frozenset({"cs.LG"})), announced=None).entries[0]
    assert own.paper.announce_type is AnnounceType.NEW
    replaced = paper(categories=("cs.CV",), announce_type=AnnounceType.REPLACE_CROSS, version=2)
    entry = build_digest(
        [replaced], Interests(CV, include_replacements=True), announced=None
    ).entries[0]
    assert entry.paper.announce_type is AnnounceType.REPLACE


# A quant-ph day the project wrote in arXiv's RSS format: LaTeX accents in titles, abstracts and
# names, particles, affiliations, and strangers who share a word with a followed name.
ACCENTS_FEED = Path(__file__).parent / "fixtures" / "rss-quant-ph-names-and-accents.xml"


async def test_a_reader_follows_van_meter_and_cramer_rao_through_the_bot(
    running_bot: RunningBot,
) -> None:
    running_bot.feeds.route("/rss/quant-ph", ACCENTS_FEED.read_bytes())
    await ask(running_bot, "/subscribe quant-ph")
    await ask(running_bot, "/keyword Cramer-Rao schrodinger")
    await ask(running_bot, "/author Van Meter")
    reply = await ask(running_bot, "/author Sathe, Pratik; Ai, Lin")
    assert "Pratik Sathe" in reply["text"] and "Lin Ai" in reply["text"]
    authors = [
        s.value
        for s in chats.subscriptions(running_bot.store, USER)
        if s.kind is SubscriptionKind.AUTHOR
    ]
    assert authors == ["Van Meter", "Pratik Sathe", "Lin Ai"]
    before = len(running_bot.api.sent(USER))
    running_bot.api.push_message(USER, "/digest")
    # The overview, then one message per paper: Van Meter's, the Cramér-Rao and Schrödinger
    # papers, and the one by Lin Ai and Pratik Sathe; not Wei Lin's, not "Cramer bound" alone.
    messages = await running_bot.api.wait_for_messages(before + 5, USER)
    shown = {
        button["url"].rsplit("/", 1)[-1]: message["text"]
        for message in messages[before:]
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
        for button in row
        if "/pdf/" in button.get("url", "")
    }
    assert "4 篇" in messages[before]["text"]  # the overview counts every match
    assert set(shown) == {"2611.90001", "2611.90002", "2611.90003", "2611.90004"}
    assert "Cramér-Rao" in shown["2611.90002"]
    authors_line = next(line for line in shown["2611.90004"].splitlines() if "👥" in line)
    assert authors_line == "👥 Lin Ai, Pratik Sathe"
