"""The batch matcher gives every chat exactly the digest `build_digest` gives it.

`bot/match_index.py` restates match.py's rules as set algebra; these tests hold the two equal on
generated papers and chats (phrases, hyphens, plurals, aliases, archives, author initials,
exclusions, ledgers, caps smaller than the matches, papers listed twice), and pin the few
shortcuts the index takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.match import build_digest, parse_keywords
from bot.match_index import AnnouncementIndex
from bot.models import AnnounceType, Interests, Paper

DAY = date(2026, 11, 20)
WORDS = ["graph", "graphs", "neural", "network", "networks", "self", "supervised", "diffusion"]
TEXT_PIECES = [*WORDS, "self-supervised", "selfsupervised", "the", "of", "graph-based", "Graph,"]
CATEGORIES = ["cs.CV", "cs.LG", "stat.ML", "math.ST", "eess.SY", "cs.SY", "math.OC", "q-bio.NC"]
CODES = ["cs.CV", "cs.LG", "stat", "cs.SY", "eess.SY", "math", "stat.ML", "q-bio"]
AUTHORS = ["Ada Lovelace", "Grace B. Hopper", "Alan Turing", "Émile Borel", "A. Lovelace"]
FOLLOWED = ["Lovelace", "Grace Hopper", "G. Hopper", "Emile Borel", "Alan M. Turing", "Nobody"]

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
terms = st.sampled_from([*WORDS, '"self supervised"', '"graph neural"', '"neural networks"'])
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
