"""The batch matcher gives every chat exactly the digest `build_digest` gives it.

`bot/match_index.py` restates match.py's rules as set algebra; these tests hold the two equal on
generated papers and chats (phrases, hyphens, plurals, accents in LaTeX and in Unicode, aliases,
archives, author initials and particles, exclusions, ledgers, caps smaller than the matches,
papers listed twice), and pin the few
shortcuts the index takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.match import build_digest, parse_keywords
from bot.match_index import AnnouncementIndex
from bot.models import AnnounceType, Interests, Paper
from bot.sources.rss import parse_feed

DAY = date(2026, 11, 20)
WORDS = ["graph", "graphs", "neural", "network", "networks", "self", "supervised", "diffusion"]
# Accented words as arXiv writes them (LaTeX) and as readers type them: both matchers fold.
ACCENTED = ["Cram\\'er-Rao", "Cramér-Rao", "Cramer", "RAO", 'Schr\\"odinger', "Schrödinger's"]
TEXT_PIECES = [
    *WORDS,
    *ACCENTED,
    "self-supervised",
    "selfsupervised",
    "the",
    "of",
    "graph-based",
    "Graph,",
    "$\\alpha$-stable",
]
CATEGORIES = ["cs.CV", "cs.LG", "stat.ML", "math.ST", "eess.SY", "cs.SY", "math.OC", "q-bio.NC"]
CODES = ["cs.CV", "cs.LG", "stat", "cs.SY", "eess.SY", "math", "stat.ML", "q-bio"]
AUTHORS = [
    "Ada Lovelace",
    "Grace B. Hopper",
    "Alan Turing",
    "Émile Borel",
    "A. Lovelace",
    "Rodney Van Meter",
    "Meter Rodney",
    "Lin Ai (Columbia University, New York)",
    "Wei Lin",
    "Pablo de la Cruz",
    "Michal Hajdušek",
]
FOLLOWED = [
    "Lovelace",
    "Grace Hopper",
    "G. Hopper",
    "Emile Borel",
    "Alan M. Turing",
    "Nobody",
    "Van Meter",
    "Meter",
    "Lin Ai",
    "Cruz",
    "P. De La Cruz",
    "Hajdusek",
]

text = st.lists(st.sampled_from(TEXT_PIECES), max_size=10).map(" ".join)
papers = st.builds(
    Paper,
    arxiv_id=st.integers(1, 30).map(lambda i: f"2611.{i:05d}"),
    version=st.integers(1, 3),
    title=text,
    abstract=text,
    authors=st.lists(st.sampled_from(AUTHORS), min_size=1, max_size=3).map(tuple),
    categories=st.lists(st.sampled_from(CATEGORIES), max_size=3, unique=True).map(tuple),
    announce_type=st.sampled_from(list(AnnounceType)),
)
# Keywords as a user types them, read by the real parser: words, phrases, exclusions.
terms = st.sampled_from(
    [
        *WORDS,
        '"self supervised"',
        '"graph neural"',
        '"neural networks"',
        "Cramer-Rao",
        "cramér",
        '"Schrödinger graph"',
        "schrodinger",
        "α-stable",
        "Cram\\'er",
    ]
)
typed = st.lists(st.tuples(st.booleans(), terms), max_size=4).map(
    lambda pairs: " ".join(f"-{term}" if excluded else term for excluded, term in pairs)
)


@st.composite
def interests(draw: st.DrawFn) -> Interests:
    includes, excludes = parse_keywords(draw(typed))
    return Interests(
        categories=draw(st.frozensets(st.sampled_from(CODES), max_size=3)),
        keywords=tuple(includes),
        excludes=tuple(excludes),
        authors=tuple(draw(st.lists(st.sampled_from(FOLLOWED), max_size=2, unique=True))),
        include_cross=draw(st.booleans()),
        include_replacements=draw(st.booleans()),
    )


chats = st.lists(
    st.tuples(
        interests(),
        st.integers(0, 6),  # caps below the matches exercise the shortcut for category chats
        st.one_of(
            st.none(),
            st.dictionaries(
                st.integers(1, 30).map(lambda i: f"2611.{i:05d}"), st.integers(1, 3), max_size=4
            ),
        ),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=400, deadline=None)
@given(st.lists(papers, max_size=30), chats)
def test_every_digest_equals_build_digest(
    announced: list[Paper], generated: list[tuple[Interests, int, dict[str, int] | None]]
) -> None:
    caps = {chat_id: chat[1] for chat_id, chat in enumerate(generated)}
    ledgers = {chat_id: chat[2] for chat_id, chat in enumerate(generated) if chat[2] is not None}

    def ledger(chat_id: int, arxiv_ids: Sequence[str]) -> dict[str, int]:
        # What storage answers: the ledger's rows for the papers asked about.
        return {k: v for k, v in ledgers.get(chat_id, {}).items() if k in arxiv_ids}

    found = dict(
        AnnouncementIndex(announced).digests(
            ((chat_id, chat[0]) for chat_id, chat in enumerate(generated)),
            announced=DAY,
            caps=caps,
            ledger=ledger,
        )
    )
    assert list(found) == list(range(len(generated)))
    for chat_id, (wanted, cap, ledger) in enumerate(generated):
        expected = build_digest(announced, wanted, announced=DAY, cap=cap, sent_versions=ledger)
        assert found[chat_id] == expected, wanted


def _paper(number: int, categories: tuple[str, ...], **changes: object) -> Paper:
    fields: dict[str, object] = {
        "arxiv_id": f"2611.{number:05d}",
        "version": 1,
        "title": f"Paper {number}",
        "abstract": "Plain words.",
        "authors": ("Ada Lovelace",),
        "categories": categories,
    }
    fields.update(changes)
    return Paper(**fields)  # type: ignore[arg-type]


def test_a_category_chat_gets_the_first_of_each_kind_up_to_its_cap_and_counts_the_rest() -> None:
    # 30 new papers in the chat's category, 30 cross-lists from elsewhere, 5 by a followed
    # author outside it: the author's come first, then new, and the total counts every match.
    announced = [
        *(_paper(i, ("cs.LG",)) for i in range(1, 31)),
        *(_paper(i, ("math.OC", "cs.LG"), announce_type=AnnounceType.CROSS) for i in range(31, 61)),
        *(_paper(i, ("q-bio.NC",), authors=("Grace Hopper",)) for i in range(61, 66)),
    ]
    wanted = Interests(categories=frozenset({"cs.LG"}), authors=("G. Hopper",))
    index = AnnouncementIndex(announced)
    (chat_id, digest), *rest = index.digests([(7, wanted)], announced=DAY, caps=10)
    assert chat_id == 7 and not rest
    assert digest == build_digest(announced, wanted, announced=DAY, cap=10)
    assert [e.paper.arxiv_id for e in digest.entries] == [
        *(f"2611.{i:05d}" for i in range(61, 66)),
        *(f"2611.{i:05d}" for i in range(1, 6)),
    ]
    assert digest.total == 65


def test_chats_without_a_match_get_an_empty_digest_and_no_ledger_lookup() -> None:
    asked: list[int] = []

    def ledger(chat_id: int, arxiv_ids: Sequence[str]) -> dict[str, int]:
        asked.append(chat_id)
        return {}

    index = AnnouncementIndex([_paper(1, ("cs.LG",))])
    chats = [(1, Interests(categories=frozenset({"astro-ph"}))), (2, Interests(frozenset({"cs"})))]
    found = dict(index.digests(chats, announced=DAY, ledger=ledger))
    assert found[1] == build_digest(index.papers, chats[0][1], announced=DAY)
    assert found[1].total == 0 and found[2].total == 1
    assert asked == [2]


SHARED_FEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "feeds"
QUANT_PH = SHARED_FEEDS / "rss_new_quant-ph_2025-04-28_Klafyvel-RSSFeeds.jl.xml"
OWN_FEED = Path(__file__).parent / "fixtures" / "rss-quant-ph-names-and-accents.xml"
READER = Interests(
    categories=frozenset({"quant-ph"}),
    keywords=tuple(parse_keywords("Cramér-Rao schrodinger")[0]),
    authors=("Van Meter", "Pratik Sathe", "Lin Ai"),
)


def _both_matchers(papers: Sequence[Paper], wanted: Interests) -> set[str]:
    """The papers both matchers give the reader (asserting they agree)."""
    indexed = dict(AnnouncementIndex(papers).digests([(1, wanted)], announced=DAY, caps=200))[1]
    assert indexed == build_digest(papers, wanted, announced=DAY, cap=200)
    return {entry.paper.arxiv_id for entry in indexed.entries}


def test_both_matchers_fold_accents_and_read_particles_on_the_projects_feed() -> None:
    papers = parse_feed(OWN_FEED.read_bytes()).papers
    assert _both_matchers(papers, READER) == {
        "2611.90001",  # Rodney Van Meter
        "2611.90002",  # Cram\'er-Rao in the title
        "2611.90003",  # Schr\"odinger in the abstract
        "2611.90004",  # Lin Ai (with an affiliation) and Pratik Sathe
    }


def test_on_a_real_quant_ph_day_van_meter_and_cramer_rao_are_found() -> None:
    if not QUANT_PH.exists():
        pytest.skip("the real arXiv feeds (../shared/data/feeds) are not next to this checkout")
    papers = parse_feed(QUANT_PH.read_bytes()).papers
    by_van_meter = {
        p.arxiv_id for p in papers if any(name.endswith("Van Meter") for name in p.authors)
    }
    cramer_rao = {p.arxiv_id for p in papers if "Cram\\'er-Rao" in f"{p.title} {p.abstract}"}
    assert len(by_van_meter) == 5 and len(cramer_rao) == 2
    assert _both_matchers(papers, Interests(authors=("Van Meter",))) == by_van_meter
    for typed in ("Cramer-Rao", "cramér-rao", '"Cramér Rao"'):
        wanted = Interests(keywords=tuple(parse_keywords(typed)[0]))
        assert _both_matchers(papers, wanted) >= cramer_rao, typed
