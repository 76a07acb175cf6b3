"""A year of a lab's bot in a few minutes: how big the database gets, and whether it stays so.

1,000 generated chats (bench/matching.py's workload drawn from the real days) follow the real
announcements beside the repository (`../shared/data/arxiv-days/`, 156 days, cycled and
re-dated onto arXiv's Monday-to-Friday calendar, ids renumbered on each pass so a paper is
never announced twice). Each announcement day writes what the bot writes: the day stored as
bot.ingest stores it (listings per subscribed code); every chat's digest matched as the push
matches it (bot.match_index, the ledger asked per chat); the shown papers' title, abstract and
one-line summary in the real translations table (a fake Chinese text a third the length of the
English, which is what Chinese takes); each digest queued in the outbox (an overview, then one
message per paper of the bytes the renderer writes: both titles, authors, links, summary, both
abstracts, buttons); Telegram confirming every message (sent, in the ledger); one chat in twenty
saving a paper and voting on another; and retention with `RETENTION_DAYS=90`. With --quick:
100 chats, 120 days, `RETENTION_DAYS=30`: the same shape, measured at 30, 60 and 120 days. A
simulated clock stands in for `utc_now`, so timestamps are the simulated ones. Rendering and
translating for real would take an hour (a millisecond a paper a chat); bench/push.py and
bench/translation.py measure them, and they change no byte count here.

Figures:
- `db_mb_at_90_days`, `db_mb_at_180_days` (informative) and `db_mb_per_simulated_year`
  (target 300 MB): the file plus its WAL after that many calendar days;
- `db_growth_365_over_180`: size(365) ÷ size(180), flat after the retention window (target
  1.1x);
- `prune_seconds_per_announcement` (informative): the mean time of one prune;
- `vacuum_switch_seconds_per_100mb` (informative): the one-time VACUUM migration 0012 runs to
  switch an existing database to incremental vacuum, timed on the year's database.
"""

from __future__ import annotations

import contextlib
import html
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from unittest import mock

from bench.matching import workload
from bench.push import fill_chats
from bench.ranker import day_files, read_day
from bench.report import figure
from bot.ingest import listings
from bot.match_index import AnnouncementIndex
from bot.models import Digest, Feed, Interests, Paper
from bot.render.buttons import paper_buttons
from storage import chats, deliveries, outbox, papers, retention, saved
from storage.database import Store, open_store
from storage.outbox import OutboxMessage
from storage.translations import SqliteTranslationCache


@dataclass(frozen=True)
class Plan:
    """How long to simulate, with which retention, and when to measure (calendar days)."""

    chats: int
    days: int
    keep: int
    checkpoints: tuple[int, int, int]  # the window, twice it, the end


FULL = Plan(chats=1_000, days=365, keep=90, checkpoints=(90, 180, 365))
# Four months with a 30-day window: the same shape (a rise, then flat) in a tenth of the time.
QUICK = Plan(chats=100, days=120, keep=30, checkpoints=(30, 60, 120))
LANGUAGE = "zh-CN"
FIRST_DAY = date(2027, 1, 4)  # a Monday
DELIVERY = clock_time(9, 0)  # chats are due at 08:00 UTC
# A Chinese translation has about a third of the English's characters (three bytes each).
_CHINESE = "本文提出一种新的方法用于学习模型并在数据集上取得了更好的结果我们的实验表明"


def fake_chinese(text: str) -> str:
    """A stand-in translation of `text`: Chinese characters, a third as many."""
    length = max(1, len(text) // 3)
    return (_CHINESE * (length // len(_CHINESE) + 1))[:length]


def summary_of(paper: Paper) -> str:
    """A stand-in one-line summary: the abstract's first sentence, at most 300 characters."""
    return paper.abstract.split(". ", 1)[0][:300]


def entry_text(paper: Paper) -> str:
    """A paper's message as the renderer lays it out (bot.render.telegram.render_entry), with
    the stand-in translations and without its number: the same bytes give or take a few tags."""
    title, abstract = html.escape(paper.title), html.escape(paper.abstract)
    return (
        f"{fake_chinese(paper.title)}</b>\n<i>{title}</i>\n"
        f"👥 {html.escape(', '.join(paper.authors[:10]))}\n"
        f'🏷 {" ".join(paper.categories)} · <a href="{paper.abs_url}">abs</a> · '
        f'<a href="{paper.pdf_url}">pdf</a>\n'
        f"💡 {fake_chinese(summary_of(paper))}\n"
        f"<blockquote expandable>{fake_chinese(paper.abstract)}</blockquote>\n"
        f"<blockquote expandable>{abstract}</blockquote>"
    )


def digest_messages(
    chat_id: int, digest: Digest, rendered: Mapping[str, tuple[str, dict[str, Any]]]
) -> list[OutboxMessage]:
    """The overview (numbered translated titles) and one message per paper, as the push
    queues them (bot.push.digest_messages); `rendered` is each shown paper's message body
    and buttons, made once for every chat that gets it (as the push makes the buttons)."""
    day = digest.announced
    overview = "\n".join(
        [f"📰 arXiv {day} · {len(digest.entries)}/{digest.total}"]
        + [f"{n}. {fake_chinese(e.paper.title)}" for n, e in enumerate(digest.entries, 1)]
    )
    messages = [OutboxMessage(chat_id, 0, overview, announced=day)]
    for number, entry in enumerate(digest.entries, 1):
        paper = entry.paper
        body, buttons = rendered[paper.arxiv_id]
        messages.append(
            OutboxMessage(
                chat_id,
                number,
                f"<b>{number}. {body}",
                arxiv_id=paper.arxiv_id,
                version=paper.version,
                reply_markup=buttons,
                announced=day,
            )
        )
    return messages


@dataclass
class SimulatedClock:
    """`storage.clock.utc_now` as the storage modules see it, set to the simulated day."""

    now: datetime

    def utc_now(self) -> str:
        """The simulated now, in the stored format."""
        return self.now.isoformat(timespec="seconds")


@contextlib.contextmanager
def simulated(clock: SimulatedClock) -> Iterator[None]:
    """Every storage module's `utc_now` reads `clock` while inside."""
    with contextlib.ExitStack() as stack:
        for name, module in list(sys.modules.items()):
            if name.startswith("storage.") and hasattr(module, "utc_now"):
                stack.enter_context(mock.patch.object(module, "utc_now", clock.utc_now))
        yield


def announcement_days(count: int) -> Iterator[date]:
    """arXiv's announcement dates (Monday to Friday) from FIRST_DAY, `count` calendar days."""
    for offset in range(count):
        day = FIRST_DAY + timedelta(days=offset)
        if day.weekday() < 5:
            yield day


def renumbered(paper: Paper, cycle: int) -> Paper:
    """The paper under an id of a later year on the `cycle`-th pass (2412.15925 → 5412.15925):
    a pass must not announce the same papers again, and ids keep their real length."""
    if cycle == 0:
        return paper
    prefix, _, rest = paper.arxiv_id.partition(".")
    if not rest or not prefix.isdigit():
        return replace(paper, arxiv_id=f"{paper.arxiv_id}-{cycle}")
    return replace(paper, arxiv_id=f"{int(prefix) + 3000 * cycle:04d}.{rest}")


def _push(
    store: Store, day: date, announced: Sequence[Paper], interests: Mapping[int, Interests]
) -> int:
    """Match every chat, translate what is shown, queue the digests; returns messages queued."""
    index = AnnouncementIndex(announced)
    digests = list(
        index.digests(
            interests.items(),
            announced=day,
            ledger=lambda chat_id, ids: deliveries.delivered_versions(store, chat_id, ids),
        )
    )
    shown = {e.paper.arxiv_id: e.paper for _, digest in digests for e in digest.entries}
    cache = SqliteTranslationCache(store)
    texts = [t for p in shown.values() for t in (p.title, p.abstract, summary_of(p))]
    cached = cache.get_many(texts, LANGUAGE)
    cache.put_many(
        LANGUAGE, {t: fake_chinese(t) for t in texts if t not in cached}, backend="bench"
    )
    rendered = {i: (entry_text(p), paper_buttons(p).to_dict()) for i, p in shown.items()}
    queued = 0
    with store.lock, store.db.atomic():
        for chat_id, digest in digests:
            messages = digest_messages(chat_id, digest, rendered) if digest.entries else []
            outbox.enqueue_digest(store, chat_id, day, messages)
            queued += len(messages)
    return queued


def _confirm_all(store: Store, now: str) -> None:
    """Telegram confirms every queued message: sent, and each paper in the chat's ledger (what
    outbox.mark_sent does one message at a time, here for a day's 15,000 in two statements)."""
    with store.lock, store.db.atomic():
        store.db.execute(
            "INSERT INTO deliveries (chat_id, arxiv_id, version, announced, delivered_at,"
            " message_id) SELECT chat_id, arxiv_id, COALESCE(version, 1), announced, ?, id"
            " FROM outbox WHERE status = 'pending' AND arxiv_id IS NOT NULL"
            " ON CONFLICT (chat_id, arxiv_id) DO UPDATE SET version = excluded.version,"
            " announced = excluded.announced, delivered_at = excluded.delivered_at,"
            " message_id = excluded.message_id",
            [now],
        )
        store.db.execute(
            "UPDATE outbox SET status = 'sent', sent_at = ?, message_id = id,"
            " attempts = attempts + 1 WHERE status = 'pending'",
            [now],
        )


def _react(store: Store, chat_ids: Sequence[int], day: Sequence[Paper], index: int) -> None:
    """One chat in twenty saves a paper of the day and votes on another."""
    for chat_id in chat_ids[index % 20 :: 20]:
        first, second = day[chat_id % len(day)], day[(chat_id * 7) % len(day)]
        saved.toggle_saved(store, chat_id, first.arxiv_id, first.title)
        saved.record_feedback(store, chat_id, second.arxiv_id, 1 if chat_id % 3 else -1)


@dataclass
class YearResult:
    """Sizes at the checkpoints, and timings."""

    sizes: dict[int, retention.DatabaseSize]
    prune_seconds: list[float]
    announcements: int
    messages: int
    seconds: float
    vacuum_seconds: float
    vacuum_mb: float


def simulate(files: Sequence[Path], plan: Plan, directory: Path) -> YearResult:
    """Run the year (see the module's docstring) in a database under `directory`."""
    started = time.perf_counter()
    days = [read_day(path) for path in files]
    store = open_store(directory / "bot.sqlite3")
    clock = SimulatedClock(datetime.combine(FIRST_DAY, DELIVERY, UTC))
    sizes: dict[int, retention.DatabaseSize] = {}
    prune_seconds: list[float] = []
    announcements = messages = 0
    with simulated(clock):
        fill_chats(store, workload(plan.chats, days[0]))
        every = chats.deliverable_chats(store)
        followed = chats.subscriptions_of(store, [chat.chat_id for chat in every])
        interests = {c.chat_id: chats.interests_of(c, followed.get(c.chat_id, ())) for c in every}
        requested = chats.subscribed_categories(store)
        calendar = set(announcement_days(plan.days))
        for offset in range(plan.days):
            today = FIRST_DAY + timedelta(days=offset)
            clock.now = datetime.combine(today, DELIVERY, UTC)
            if today in calendar:
                cycle, index = divmod(announcements, len(days))
                day = [renumbered(paper, cycle) for paper in days[index]]
                feed = Feed(today, tuple(day), tuple(requested))
                papers.save_announcement(store, today, day, listings(feed, requested))
                messages += _push(store, today, day, interests)
                clock.now += timedelta(minutes=30)
                _confirm_all(store, clock.utc_now())
                _react(store, list(interests), day, announcements)
                began = time.perf_counter()
                retention.prune(store, plan.keep, now=clock.now, pause=lambda: None)
                prune_seconds.append(time.perf_counter() - began)
                announcements += 1
            if offset + 1 in plan.checkpoints:
                sizes[offset + 1] = retention.database_size(store)
    vacuum_seconds, vacuum_mb = _time_switch(store)
    store.close()
    return YearResult(
        sizes,
        prune_seconds,
        announcements,
        messages,
        time.perf_counter() - started,
        vacuum_seconds,
        vacuum_mb,
    )


def _time_switch(store: Store) -> tuple[float, float]:
    """Seconds of the VACUUM that switches a database of this size to incremental vacuum."""
    size = retention.database_size(store).file_bytes / 1e6
    began = time.perf_counter()
    store.db.execute("PRAGMA auto_vacuum = INCREMENTAL")
    store.db.execute("VACUUM")
    return time.perf_counter() - began, size


def _mb(sizes: Mapping[int, retention.DatabaseSize], day: int) -> float:
    return sizes[day].total_bytes / 1e6


def run(quick: bool = False) -> list[str]:
    """Simulate the year (four months with --quick) and return the figure lines."""
    files = day_files()
    if not files:
        return ["retention: skipped (the real arXiv days, ../shared/data/arxiv-days, are not here)"]
    plan = QUICK if quick else FULL
    with tempfile.TemporaryDirectory() as directory:
        result = simulate(files, plan, Path(directory))
    window, twice, end = plan.checkpoints
    growth = _mb(result.sizes, end) / _mb(result.sizes, twice)
    prune_mean = sum(result.prune_seconds) / len(result.prune_seconds)
    size_line = (
        figure(
            "db_mb_per_simulated_year",
            _mb(result.sizes, end),
            " MB",
            "<= 300 MB",
            _mb(result.sizes, end) <= 300,
        )
        if plan is FULL
        else figure(f"db_mb_at_{end}_days", _mb(result.sizes, end), " MB", "informative", True)
    )
    return [
        f"# retention: {plan.chats:,} chats, {result.announcements} announcements "
        f"({len(files)} real days cycled), {result.messages:,} messages over {plan.days} days, "
        f"RETENTION_DAYS={plan.keep}; {result.seconds:.0f} s",
        figure(f"db_mb_at_{window}_days", _mb(result.sizes, window), " MB", "informative", True),
        figure(f"db_mb_at_{twice}_days", _mb(result.sizes, twice), " MB", "informative", True),
        size_line,
        figure(f"db_growth_{end}_over_{twice}", growth, "x", "<= 1.1x: flat", growth <= 1.1),
        figure(
            "prune_seconds_per_announcement",
            prune_mean,
            " s",
            f"informative: slowest {max(result.prune_seconds):.2f} s",
            True,
        ),
        figure(
            "vacuum_switch_seconds_per_100mb",
            result.vacuum_seconds / max(result.vacuum_mb, 1e-9) * 100,
            " s",
            f"informative: {result.vacuum_seconds:.1f} s for {result.vacuum_mb:.0f} MB",
            True,
        ),
    ]
