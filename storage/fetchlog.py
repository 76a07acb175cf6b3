"""The fetch log: every feed request, its HTTP validators, and what it brought."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from storage.clock import utc_now
from storage.database import Store


class FetchStatus(StrEnum):
    """What one feed request brought; the values are what the fetch log stores."""

    OK = "ok"  # an announcement, stored
    NOT_MODIFIED = "not-modified"  # HTTP 304, or the feed unchanged since the last poll
    EMPTY = "empty"  # a feed without an announcement (weekend, holiday)
    ERROR = "error"  # no usable answer
    CAPPED = "capped"  # arXiv's item cap was hit: asked again as smaller feeds
    LAGGING = "lagging"  # feeds disagree on the announcement date: nothing stored yet


# Responses whose feed was stored: their validators make the next request conditional.
_STORED = (FetchStatus.OK, FetchStatus.EMPTY)


@dataclass(frozen=True)
class FetchRecord:
    """One attempt to fetch a feed, as `/status` and `fetch` report it."""

    url: str
    categories: str
    started_at: str
    finished_at: str
    status: FetchStatus
    http_status: int | None
    etag: str | None
    last_modified: str | None
    announced: date | None
    items: int
    error: str | None


def record_fetch(
    store: Store,
    *,
    url: str,
    categories: list[str],
    started_at: str,
    status: FetchStatus,
    http_status: int | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    announced: date | None = None,
    items: int = 0,
    error: str | None = None,
) -> int:
    """Append one fetch attempt; returns its id (logs name it as `fetch_id`)."""
    with store.lock:
        cursor = store.db.execute(
            """
            INSERT INTO fetch_log (url, categories, started_at, finished_at, status, http_status,
                etag, last_modified, announced, items, error)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                url,
                "+".join(categories),
                started_at,
                utc_now(),
                str(status),
                http_status,
                etag,
                last_modified,
                announced.isoformat() if announced else None,
                items,
                error,
            ],
        )
        return int(cursor.lastrowid or 0)


def _record(row: dict[str, Any]) -> FetchRecord:
    announced = row["announced"]
    return FetchRecord(
        url=row["url"],
        categories=row["categories"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        status=FetchStatus(row["status"]),
        http_status=row["http_status"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        announced=date.fromisoformat(announced) if announced else None,
        items=row["items"],
        error=row["error"],
    )


def last_fetch(store: Store, url: str | None = None) -> FetchRecord | None:
    """The latest attempt (for one URL, or any)."""
    sql = "SELECT * FROM fetch_log"
    params: list[Any] = []
    if url is not None:
        sql += " WHERE url = ?"
        params.append(url)
    rows = list(store.db.query(sql + " ORDER BY id DESC LIMIT 1", params))
    return _record(rows[0]) if rows else None


def validators(store: Store, url: str) -> tuple[str | None, str | None]:
    """ETag and Last-Modified of the latest successful response for `url`, for a conditional GET.

    Only a response whose feed was stored counts: after a failed store the next fetch must get
    the whole feed again, not a 304.
    """
    row = _stored_response(store, url)
    return (row["etag"], row["last_modified"]) if row else (None, None)


def stored_announcement(store: Store, url: str) -> date | None:
    """The announcement date of the response `validators` describes: what a 304 for `url`
    means the feed still holds."""
    row = _stored_response(store, url)
    return date.fromisoformat(row["announced"]) if row and row["announced"] else None


def _stored_response(store: Store, url: str) -> dict[str, Any] | None:
    """The fetch log's row for the latest response to `url` whose feed was stored."""
    rows = list(
        store.db.query(
            "SELECT etag, last_modified, announced FROM fetch_log"
            " WHERE url = ? AND status IN (?, ?) ORDER BY id DESC LIMIT 1",
            [url, *map(str, _STORED)],
        )
    )
    return rows[0] if rows else None


def mark_categories_fetched(store: Store, categories: list[str], announced: date | None) -> None:
    """Remember per category when it was last fetched and which announcement it has."""
    now = utc_now()
    with store.lock, store.db.atomic():
        store.db.conn.executemany(
            """
            INSERT INTO category_state (category, last_announced, last_fetched_at)
            VALUES (?, ?, ?)
            ON CONFLICT (category) DO UPDATE SET
                last_announced = COALESCE(excluded.last_announced, category_state.last_announced),
                last_fetched_at = excluded.last_fetched_at
            """,
            [(c, announced.isoformat() if announced else None, now) for c in categories],
        )


def fetched_categories(store: Store) -> set[str]:
    """Codes that have been fetched at least once (a new subscription's code is not)."""
    return {
        row[0]
        for row in store.db.execute(
            "SELECT category FROM category_state WHERE last_fetched_at IS NOT NULL"
        )
    }


def consecutive_misses(store: Store, limit: int = 20) -> int:
    """Attempts since the last one that brought an announcement (errors, 304s, empty feeds)."""
    misses = 0
    for (status,) in store.db.execute(
        "SELECT status FROM fetch_log ORDER BY id DESC LIMIT ?", [limit]
    ):
        if status == FetchStatus.OK:
            break
        misses += 1
    return misses


def statuses_since(store: Store, since: datetime, limit: int = 200) -> set[FetchStatus]:
    """Outcomes of the recent fetches that finished at or after `since`: whether arXiv said
    "no announcement" since the feed was due."""
    cutoff = since.astimezone(UTC).isoformat(timespec="seconds")
    return {
        FetchStatus(status)
        for status, finished in store.db.execute(
            "SELECT status, finished_at FROM fetch_log ORDER BY id DESC LIMIT ?", [limit]
        )
        if finished >= cutoff
    }


def consecutive_errors(store: Store, limit: int = 50) -> int:
    """Failed attempts since the last one arXiv answered (the admins' alert counts these)."""
    errors = 0
    for (status,) in store.db.execute(
        "SELECT status FROM fetch_log ORDER BY id DESC LIMIT ?", [limit]
    ):
        if status != FetchStatus.ERROR:
            break
        errors += 1
    return errors
