"""The saved-paper watch without Telegram: what counts as a change (bot.watch, with hypothesis),
the note's words, and the storage that remembers what each chat was told."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from sqlite_utils import Database

from bot.ingest import tell_savers
from bot.models import AnnounceType, Paper
from bot.watch import (
    PaperChange,
    PaperState,
    doi_keys,
    journal_key,
    note_text,
    now_known,
    what_changed,
)
from storage import chats, papers, saved
from storage.database import Store, _connect, open_store
from storage.migrations import MIGRATIONS
from storage.outbox import Kind

PRL = "Phys. Rev. Lett. 130, 1 (2026)"
# Spellings of one journal reference and one DOI that must not count as new ones.
JOURNALS = [None, "", PRL, "phys. rev. lett.  130, 1 (2026).", "J. Invented Stat. 31 (2), 2026"]
DOIS = [None, "10.1103/PhysRevLett.130.1", "https://doi.org/10.1103/physrevlett.130.1", "10.5555/x"]

states = st.builds(
    PaperState,
    version=st.integers(1, 6),
    journal_ref=st.sampled_from(JOURNALS),
    doi=st.sampled_from(DOIS),
)
knowns = st.one_of(states, st.just(PaperState()))


# -- what changed (pure) -------------------------------------------------------------------------


@given(states)
def test_a_paper_seen_as_the_chat_knows_it_is_no_news(state: PaperState) -> None:
    assert what_changed(state, state) is None


@given(knowns, st.lists(states, min_size=1, max_size=8), st.data())
def test_a_state_seen_again_in_any_order_is_never_news_twice(
    known: PaperState, seen: list[PaperState], data: st.DataObject
) -> None:
    """Replacements listed on several days, refetches, feed and API: whatever comes again."""
    for state in seen:
        known = now_known(known, state)
    again = data.draw(st.permutations(seen))
    for state in again:
        assert what_changed(known, state) is None
        known = now_known(known, state)


@given(knowns, st.lists(states, min_size=1, max_size=8))
def test_notes_are_at_most_one_per_new_fact(known: PaperState, seen: list[PaperState]) -> None:
    start = known
    notes = 0
    for state in seen:
        change = what_changed(known, state)
        if change is not None:
            notes += 1
            if change.version is not None:
                assert change.was_version is not None and change.version > change.was_version
        known = now_known(known, state)
    if start.version is None:
        return  # a chat without a baseline learns the first state silently
    first = start.version
    facts = (
        len({s.version for s in seen if (s.version or 0) > first})
        + len({journal_key(s.journal_ref) for s in seen} - {"", journal_key(start.journal_ref)})
        + len(set().union(*(doi_keys(s.doi) for s in seen)) - doi_keys(start.doi))
    )
    assert notes <= facts


@given(states, states)
def test_the_version_the_chat_knows_never_goes_back(known: PaperState, stored: PaperState) -> None:
    assert (now_known(known, stored).version or 0) >= (known.version or 0)


def test_each_kind_of_change_is_seen() -> None:
    v1 = PaperState(1)
    assert what_changed(v1, PaperState(3)) == PaperChange(version=3, was_version=1)
    assert what_changed(v1, PaperState(1, journal_ref=f" {PRL} ")) == PaperChange(journal_ref=PRL)
    assert what_changed(v1, PaperState(1, doi="10.5555/x")) == PaperChange(doi="10.5555/x")
    both = what_changed(PaperState(2, doi="10.5555/x"), PaperState(3, PRL, "10.5555/x 10.1/y"))
    assert both == PaperChange(3, 2, PRL, "10.5555/x 10.1/y")


def test_what_is_not_news() -> None:
    told = PaperState(2, PRL, "10.5555/X")
    assert what_changed(told, PaperState(1, "Another Journal 1 (2026)", "10.1/new")) is None
    assert what_changed(told, PaperState(2, None, None)) is None  # a source without them
    assert what_changed(told, PaperState(2, PRL.upper() + ".", "doi:10.5555/x")) is None
    assert now_known(told, PaperState(2)) == PaperState(2, PRL, "10.5555/x")
    # No baseline (saved before the paper was stored): learned without a note.
    assert what_changed(PaperState(), PaperState(4, PRL)) is None
    assert now_known(PaperState(), PaperState(4, PRL)) == PaperState(4, PRL)


# -- the note ------------------------------------------------------------------------------------


def test_the_note_says_what_changed_with_the_link_in_the_chats_language() -> None:
    change = PaperChange(3, 2, PRL, "10.1103/PhysRevLett.130.1")
    title = r"Schr\"odinger bridges & $\alpha$-divergences"
    en = note_text(change, arxiv_id="2603.95001", title=title, version=3, lang="en")
    assert en.startswith("⭐ Saved paper updated: <b>Schrödinger bridges &amp; α-divergences</b>")
    assert "v3 (was v2); journal: Phys. Rev. Lett. 130, 1 (2026); DOI " in en
    assert '<a href="https://doi.org/10.1103/PhysRevLett.130.1">' in en
    assert '<a href="https://arxiv.org/abs/2603.95001">arXiv:2603.95001v3</a>' in en
    zh = note_text(change, arxiv_id="2603.95001", title=title, version=3, lang="zh")
    assert zh.startswith("⭐ 收藏的论文有更新：") and "v3（原为 v2）；期刊：" in zh
    only = note_text(
        PaperChange(journal_ref="<b>J</b>"), arxiv_id="x", title="", version=1, lang="en"
    )
    assert "<b>x</b> — journal: &lt;b&gt;J&lt;/b&gt;\n" in only  # escaped; no title: the id


# -- storage: what each chat knows, and the notes ------------------------------------------------


def paper(
    arxiv_id: str, version: int, journal_ref: str | None = None, doi: str | None = None
) -> Paper:
    return Paper(
        arxiv_id,
        version,
        f"Title of {arxiv_id}",
        "Abstract.",
        ("Ada Lovelace",),
        ("stat.ML",),
        AnnounceType.NEW if version == 1 else AnnounceType.REPLACE,
        doi=doi,
        journal_ref=journal_ref,
    )


def store_day(store: Store, day: int, *found: Paper) -> int:
    """An announcement stored as bot.ingest stores one: papers and notes together."""
    with store.lock, store.db.atomic():
        papers.save_announcement(
            store,
            date(2026, 3, day),
            found,
            [("stat.ML", p.arxiv_id, p.announce_type) for p in found],
        )
        return tell_savers(store, [p.arxiv_id for p in found])


@dataclass(frozen=True)
class Queued:
    chat_id: int
    text: str


def watch_notes(store: Store) -> list[Queued]:
    """Every note queued, in order (the outbox's `pending` shows only each chat's next)."""
    rows = store.db.execute(
        "SELECT chat_id, text FROM outbox WHERE kind = ? AND status = 'pending' ORDER BY id",
        [Kind.WATCH.value],
    )
    return [Queued(chat_id, text) for chat_id, text in rows]


def add_chat(store: Store, chat_id: int, ui: str = "en") -> None:
    chats.ensure_chat(store, chat_id, language="en", timezone="UTC", delivery_time="09:00")
    chats.update_chat(store, chat_id, ui_language=ui)


def test_saving_records_what_the_chat_knows_and_a_change_is_told_once(tmp_path: Path) -> None:
    store = open_store(tmp_path / "bot.sqlite3")
    for chat_id in (1, 2, 3, 4, 5):
        add_chat(store, chat_id, ui="zh" if chat_id == 2 else "en")
    assert store_day(store, 17, paper("2603.1", 1), paper("2603.2", 1)) == 0
    for chat_id in (1, 2, 4, 5):
        saved.toggle_saved(store, chat_id, "2603.1", "Title of 2603.1")
    saved.toggle_saved(store, 3, "2603.2", "Title of 2603.2")  # saved another paper
    assert saved.known_state(store, 1, "2603.1") == PaperState(1)
    chats.update_chat(store, 4, paused=True)  # paused digests: still told
    chats.update_chat(store, 5, active=False)  # blocked the bot: not told
    assert store_day(store, 18, paper("2603.1", 2, PRL)) == 3
    notes = {m.chat_id: m.text for m in watch_notes(store)}
    assert sorted(notes) == [1, 2, 4]
    assert "v2 (was v1); journal: Phys. Rev. Lett." in notes[1]
    assert "v2（原为 v1）" in notes[2]
    assert saved.known_state(store, 1, "2603.1") == PaperState(2, PRL)
    assert saved.known_state(store, 5, "2603.1") == PaperState(1)  # told nothing, knows v1
    # Listed again the next day, fetched again, and after a restart: nobody hears twice.
    assert store_day(store, 19, paper("2603.1", 2, PRL)) == 0
    assert store_day(store, 19, paper("2603.1", 2, PRL)) == 0
    store.close()
    store = open_store(tmp_path / "bot.sqlite3")
    assert store_day(store, 20, paper("2603.1", 2, PRL), paper("2603.2", 1)) == 0
    assert len(watch_notes(store)) == 3
    # The chat that was away comes back: the next change tells it everything since v1.
    chats.update_chat(store, 5, active=True)
    assert store_day(store, 23, paper("2603.1", 3, PRL, "10.5555/x")) == 4
    [back] = [m.text for m in watch_notes(store) if m.chat_id == 5]
    assert "v3 (was v1); journal: Phys. Rev. Lett. 130, 1 (2026); DOI" in back


def test_a_paper_saved_before_it_was_stored_learns_its_state_without_a_note(
    tmp_path: Path,
) -> None:
    store = open_store(tmp_path / "bot.sqlite3")
    add_chat(store, 1)
    saved.toggle_saved(store, 1, "2603.9", "Seen in a search")  # not stored yet
    assert saved.known_state(store, 1, "2603.9") == PaperState()
    assert store_day(store, 17, paper("2603.9", 4, PRL)) == 0
    assert saved.known_state(store, 1, "2603.9") == PaperState(4, PRL)
    assert store_day(store, 18, paper("2603.9", 5, PRL)) == 1


def test_a_crash_before_the_commit_loses_neither_the_paper_nor_the_note(tmp_path: Path) -> None:
    """Stored with its notes or not at all: the fetch after the crash tells the chat."""
    store = open_store(tmp_path / "bot.sqlite3")
    add_chat(store, 1)
    store_day(store, 17, paper("2603.1", 1))
    saved.toggle_saved(store, 1, "2603.1", "Title")
    try:
        with store.lock, store.db.atomic():
            papers.save_announcement(
                store,
                date(2026, 3, 18),
                [paper("2603.1", 2)],
                [("stat.ML", "2603.1", AnnounceType.REPLACE)],
            )
            tell_savers(store, ["2603.1"])
            raise KeyboardInterrupt  # the process stops before the commit
    except KeyboardInterrupt:
        pass
    assert papers.paper_by_id(store, "2603.1").version == 1  # type: ignore[union-attr]
    assert watch_notes(store) == []
    assert store_day(store, 18, paper("2603.1", 2)) == 1


def test_papers_saved_before_the_upgrade_are_not_announced_as_changed(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    old = Database(_connect(str(path)))
    MIGRATIONS.apply(old, stop_before="0010_saved_watch")
    now = "2026-11-20T09:00:00+00:00"
    old.execute(
        "INSERT INTO chats (chat_id, language, timezone, delivery_time, created_at, updated_at)"
        " VALUES (42, 'en', 'UTC', '09:00', ?, ?)",
        [now, now],
    )
    old.execute(
        "INSERT INTO papers (arxiv_id, version, title, abstract, authors, categories,"
        " journal_ref, first_seen, updated_at) VALUES ('2611.1', 2, 'T', 'A', '[]',"
        " '[\"stat.ML\"]', ?, ?, ?)",
        [PRL, now, now],
    )
    old.execute(
        "INSERT INTO saved (chat_id, arxiv_id, title, saved_at) VALUES (42, '2611.1', 'T', ?),"
        " (42, '2611.2', 'never stored', ?)",
        [now, now],
    )
    old.conn.commit()
    old.close()
    store = open_store(path)
    assert saved.known_state(store, 42, "2611.1") == PaperState(2, PRL)
    assert saved.known_state(store, 42, "2611.2") == PaperState()
    assert store_day(store, 17, paper("2611.1", 2, PRL), paper("2611.2", 1)) == 0
    assert store_day(store, 18, paper("2611.1", 3, PRL)) == 1


def test_a_real_feed_tells_each_replaced_saved_paper_once(tmp_path: Path) -> None:
    """arXiv's own stat feed of 2024-03-26 (beside the repository): a chat that saved every
    replaced paper at its previous version hears once of each; the refetch, never."""
    from dataclasses import replace

    from bot.sources.rss import parse_feed
    from tests.test_real_feeds import REAL_FIXTURES, real

    feed = parse_feed(real(REAL_FIXTURES / "rss-stat-2024-03-26.xml"))
    replaced = [p for p in feed.papers if p.announce_type.is_replacement]
    store = open_store(tmp_path / "bot.sqlite3")
    add_chat(store, 1)
    earlier = [replace(p, version=p.version - 1, journal_ref=None, doi=None) for p in replaced]
    store_day(store, 20, *earlier)
    for p in replaced:
        saved.toggle_saved(store, 1, p.arxiv_id, p.title)
    assert store_day(store, 26, *feed.papers) == len(replaced) == 61
    told = [m.text for m in watch_notes(store)]
    published = [p for p in replaced if p.journal_ref or p.doi]
    assert sum("journal:" in text or "DOI" in text for text in told) == len(published) == 7
    assert store_day(store, 26, *feed.papers) == 0
