"""Papers and announcements: what arXiv announced, in which category, on which date."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from bot.models import AnnounceType, Paper
from storage.clock import utc_now
from storage.database import Store


def _paper_row(paper: Paper, now: str) -> dict[str, Any]:
    return {
        "arxiv_id": paper.arxiv_id,
        "version": paper.version,
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": json.dumps(list(paper.authors), ensure_ascii=False),
        "categories": json.dumps(list(paper.categories)),
        "primary_category": paper.primary_category,
        "doi": paper.doi,
        "journal_ref": paper.journal_ref,
        "comment": paper.comment,
        "first_seen": now,
        "updated_at": now,
    }


def paper_from_row(row: dict[str, Any], announce_type: str | None = None) -> Paper:
    """A `papers` row (with its announce type, when the query joined one) as a Paper."""
    return Paper(
        arxiv_id=row["arxiv_id"],
        version=row["version"],
        title=row["title"],
        abstract=row["abstract"],
        authors=tuple(json.loads(row["authors"])),
        categories=tuple(json.loads(row["categories"])),
        announce_type=AnnounceType(announce_type or "new"),
        doi=row["doi"],
        journal_ref=row["journal_ref"],
        comment=row["comment"],
    )


def save_announcement(
    store: Store,
    announced: date,
    papers: Sequence[Paper],
    listings: Iterable[tuple[str, str, AnnounceType]],
) -> None:
    """Store an announcement's papers and listings (category, arxiv_id, type) in one transaction.

    A paper seen again keeps its `first_seen`; a newer version replaces the text.
    """
    now = utc_now()
    versions = {paper.arxiv_id: paper.version for paper in papers}
    positions = {paper.arxiv_id: index for index, paper in enumerate(papers)}
    with store.lock, store.db.atomic():
        store.db.conn.executemany(
            """
            INSERT INTO papers (arxiv_id, version, title, abstract, authors, categories,
                primary_category, doi, journal_ref, comment, first_seen, updated_at)
            VALUES (:arxiv_id, :version, :title, :abstract, :authors, :categories,
                :primary_category, :doi, :journal_ref, :comment, :first_seen, :updated_at)
            ON CONFLICT (arxiv_id) DO UPDATE SET
                version = excluded.version, title = excluded.title,
                abstract = excluded.abstract, authors = excluded.authors,
                categories = excluded.categories, primary_category = excluded.primary_category,
                doi = excluded.doi, journal_ref = excluded.journal_ref,
                comment = excluded.comment, updated_at = excluded.updated_at
            WHERE excluded.version >= papers.version
            """,
            [_paper_row(paper, now) for paper in papers],
        )
        store.db.conn.executemany(
            """
            INSERT INTO announcements (announced, category, arxiv_id, version, announce_type,
                position)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (announced, category, arxiv_id) DO UPDATE SET
                version = excluded.version, announce_type = excluded.announce_type
            """,
            [
                (
                    announced.isoformat(),
                    category,
                    arxiv_id,
                    versions[arxiv_id],
                    kind.value,
                    positions[arxiv_id],
                )
                for category, arxiv_id, kind in listings
            ],
        )


def remember_papers(store: Store, found: Sequence[Paper]) -> None:
    """Keep papers seen outside an announcement (search results), so ⭐ can name them later."""
    now = utc_now()
    with store.lock, store.db.atomic():
        store.db.conn.executemany(
            """
            INSERT INTO papers (arxiv_id, version, title, abstract, authors, categories,
                primary_category, doi, journal_ref, comment, first_seen, updated_at)
            VALUES (:arxiv_id, :version, :title, :abstract, :authors, :categories,
                :primary_category, :doi, :journal_ref, :comment, :first_seen, :updated_at)
            ON CONFLICT (arxiv_id) DO NOTHING
            """,
            [_paper_row(paper, now) for paper in found],
        )


def paper_by_id(store: Store, arxiv_id: str) -> Paper | None:
    """A stored paper by id (without version)."""
    rows = list(store.db.query("SELECT * FROM papers WHERE arxiv_id = ?", [arxiv_id]))
    return paper_from_row(rows[0]) if rows else None


def latest_announcement(store: Store) -> date | None:
    """The most recent announcement date stored, or None before the first fetch."""
    row = store.db.execute("SELECT MAX(announced) FROM announcements").fetchone()
    return date.fromisoformat(row[0]) if row and row[0] else None


def announced_papers(
    store: Store, announced: date, categories: Iterable[str] | None = None
) -> list[Paper]:
    """Papers of one announcement, in feed order, optionally only those listed in `categories`.

    A paper listed in several categories comes back once; its type is the one of its first
    listing in feed order, where arXiv lists new papers before cross-lists and replacements.
    """
    params: list[Any] = [announced.isoformat()]
    where = "a.announced = ?"
    if categories is not None:
        wanted = sorted(set(categories))
        if not wanted:
            return []
        where += f" AND a.category IN ({', '.join('?' for _ in wanted)})"
        params.extend(wanted)
    rows = store.db.execute(
        f"""
        SELECT p.*, a.announce_type AS announce_type, MIN(a.position) AS position
        FROM announcements a JOIN papers p ON p.arxiv_id = a.arxiv_id
        WHERE {where}
        GROUP BY p.arxiv_id
        ORDER BY position
        """,
        params,
    )
    columns = [c[0] for c in rows.description]
    records = (dict(zip(columns, r, strict=True)) for r in rows)
    return [paper_from_row(row, row["announce_type"]) for row in records]


def announcement_listings(store: Store, announced: date) -> dict[str, set[str]]:
    """Per requested code, the papers it listed in one announcement (how big its feed was)."""
    listed: dict[str, set[str]] = {}
    for category, arxiv_id in store.db.execute(
        "SELECT category, arxiv_id FROM announcements WHERE announced = ?", [announced.isoformat()]
    ):
        listed.setdefault(category, set()).add(arxiv_id)
    return listed


def announcement_counts(store: Store, announced: date) -> dict[str, dict[str, int]]:
    """Per category, how many papers of each announce type: `/status` and `fetch` print this."""
    counts: dict[str, dict[str, int]] = {}
    for category, kind, count in store.db.execute(
        """
        SELECT category, announce_type, COUNT(*) FROM announcements
        WHERE announced = ? GROUP BY category, announce_type ORDER BY category
        """,
        [announced.isoformat()],
    ):
        counts.setdefault(category, {})[kind] = count
    return counts


def recent_papers(store: Store, days: int) -> list[Paper]:
    """The papers of the last `days` announcements, each once, oldest announcement first (the
    ranker's window: its vocabulary and the candidates of "more like this")."""
    rows = store.db.execute(
        """
        SELECT p.* FROM papers p JOIN (
            SELECT arxiv_id, MAX(announced) AS last FROM announcements
            WHERE announced IN (
                SELECT DISTINCT announced FROM announcements ORDER BY announced DESC LIMIT ?
            )
            GROUP BY arxiv_id
        ) w ON w.arxiv_id = p.arxiv_id
        ORDER BY w.last, p.arxiv_id
        """,
        [days],
    )
    columns = [c[0] for c in rows.description]
    return [paper_from_row(dict(zip(columns, r, strict=True))) for r in rows]


def announcements_mark(store: Store) -> int:
    """A number that grows whenever an announcement listing is stored (its last rowid): what
    the ranker compares to know its window changed, in one index lookup."""
    row = store.db.execute("SELECT MAX(rowid) FROM announcements").fetchone()
    return int(row[0] or 0)
