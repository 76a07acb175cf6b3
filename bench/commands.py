"""Commands under load: is one chat answered while others wait on slow work or bulk sends?

`python -m bot` runs as an operator runs it, in its own process (so the fakes' CPU does not
compete with it for the GIL), polling the loopback fake Bot API; arXiv's API is a local server
that answers after 5 s, the translator the fake Google endpoint taking 2 s a request, and the
papers are stored from the stat fixture feed (tests/fixtures) first, fetched as the bot fetches. The
bench's chats are stored paused, so the minute tick pushes nothing into the measurements; they
still use every command.

Figures (a round trip is: the update queued at the fake, then its reply received there):
- `command_latency_p95_ms`: p95 of 20 `/help` round trips in chat C, each sent while chat A's
  `/search` waits on arXiv and chat B's `/digest` (three papers, in Chinese) translates. When
  both are done and `/help`s are still wanted, the load starts again with new chats A and B
  (a new query, new papers: nothing cached), for at most 60 s; the line says how many `/help`s
  that gave. Beside it: the median, the same `/help` with nothing else going on, and the ratio.
  No flood limits here, and each `/help` follows the previous reply by a private chat's
  interval (one second), as Telegram's 1 a second per chat, which the bot keeps to, allows.
- `digest_429s`: a 22-paper `/digest` (max papers 22, following `stat`) with the fake enforcing
  Telegram's limits (30 messages/s overall, one a second per chat): the 429s it answered, and
  whether the 22 paper messages arrived, numbered 1 to 22 in that order.
- `broadcast_429s`: `/broadcast` from an admin to 1,000 stored chats under the same limits; the
  preview's ✅ button is pressed when there is one. The 429s, how many of the chats got the text
  (waited for, bounded), and the p95 of `/help` round trips in other chats (one each, half a
  second apart) sent while it runs.

With QUICK: 10 `/help`s and 12 s of load, an 8-paper digest, 200 chats.
"""

from __future__ import annotations

import asyncio
import math
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bench.report import figure
from bot.config import Settings
from bot.ingest import fetch_and_store
from bot.match import author_matches
from bot.models import AnnounceType
from bot.sender import PRIVATE_INTERVAL
from bot.sources.fetch import load_feed_file
from storage import chats
from storage.database import open_store
from tests.fakes.bot_api import FakeBotApi, TelegramLimits
from tests.fakes.bot_process import ROOT, start_bot
from tests.fakes.feed_server import FeedServer
from tests.fakes.translate_server import FakeTranslateServer

FIXTURES = ROOT / "tests" / "fixtures"
FEED = FIXTURES / "rss-current-stat.xml"
SEARCH_ANSWER = (FIXTURES / "api-legacy-au-van_rossby.xml").read_bytes()
ARXIV_SECONDS = 5.0
TRANSLATOR_SECONDS = 2.0
TARGET_MS = 500.0
PAPERS_PER_LOAD = 3
ADMIN = 999
BROADCAST = "Bench broadcast 4f2c: the bot restarts tonight"
# Chat ids by role, far apart so a role's chats never collide with another's.
IDLE_CHAT, HELP_CHAT, DIGEST_CHAT = 50_000, 50_001, 60_000
SEARCH_CHATS, LOAD_DIGEST_CHATS, BROADCAST_HELP_CHATS = 30_000, 40_000, 20_000
RECIPIENTS = 10_000_000
PAPER_MESSAGE = re.compile(r"^<b>(\d+)\. ")


@dataclass(frozen=True)
class Size:
    """How much each part measures."""

    helps: int
    load_seconds: float
    digest_papers: int
    broadcast_chats: int


FULL = Size(helps=20, load_seconds=60.0, digest_papers=22, broadcast_chats=1000)
QUICK = Size(helps=10, load_seconds=12.0, digest_papers=8, broadcast_chats=200)


def p95(values: list[float]) -> float:
    """Nearest-rank 95th percentile: of 20 values, the 19th smallest."""
    ordered = sorted(values)
    return ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)]


# -- the fakes' side ----------------------------------------------------------------------------


class SlowArxiv:
    """Answers the RSS feed at once and the API after ARXIV_SECONDS, recording each query."""

    def __init__(self) -> None:
        self.feed = FEED.read_bytes()
        self.started: list[str] = []
        self.answered: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, path: str) -> tuple[int, dict[str, str], bytes]:
        if path.startswith("/rss/"):
            return 200, {}, self.feed
        query = parse_qs(urlsplit(path).query).get("search_query", [""])[0]
        with self._lock:
            self.started.append(query)
        time.sleep(ARXIV_SECONDS)
        with self._lock:
            self.answered.append(query)
        return 200, {"Content-Type": "application/atom+xml"}, SEARCH_ANSWER


@dataclass
class Inbox:
    """What the bot sent, per chat, read from the fake's call log as it grows (a cursor, so
    waiting does not rescan thousands of calls every few milliseconds)."""

    api: FakeBotApi
    by_chat: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    edits: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    _cursor: int = 0

    def poll(self) -> None:
        calls = self.api.calls[self._cursor :]  # appended under the fake's lock; a slice is safe
        self._cursor += len(calls)
        for method, params in calls:
            if not params.get("_ok") or "chat_id" not in params:
                continue
            if method == "sendMessage":
                self.by_chat.setdefault(int(params["chat_id"]), []).append(params)
            elif method == "editMessageText":
                self.edits.setdefault(int(params["chat_id"]), []).append(params)

    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        self.poll()
        return self.by_chat.get(chat_id, [])

    def wait(self, done: Callable[[], bool], timeout: float, step: float = 0.002) -> bool:
        """Poll until `done()` or the timeout; whether it came true."""
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                return False
            time.sleep(step)
        return True

    def round_trip(self, chat_id: int, text: str, timeout: float = 120.0, **kw: Any) -> float:
        """Send `text` from `chat_id`; seconds until the fake received the reply (not the
        broadcast). Raises when no reply comes within `timeout`."""
        before = len(self.messages(chat_id))
        sent_at = time.monotonic()
        self.api.push_message(chat_id, text, **kw)

        def reply() -> dict[str, Any] | None:
            fresh = self.messages(chat_id)[before:]
            return next((m for m in fresh if BROADCAST not in str(m.get("text"))), None)

        if not self.wait(lambda: reply() is not None, timeout):
            raise RuntimeError(f"no reply to {text.split()[0]} within {timeout:.0f} s")
        answer = reply()
        assert answer is not None
        return float(answer["_at"]) - sent_at

    def papers(self, chat_id: int) -> list[int]:
        """The numbers of the paper messages a chat received, in arrival order."""
        found = (PAPER_MESSAGE.match(str(m.get("text", ""))) for m in self.messages(chat_id))
        return [int(match.group(1)) for match in found if match]


# -- setting up ---------------------------------------------------------------------------------


# A round's digest language: a translation cached for one language does not answer another,
# so rounds that reuse a group of papers still wait on the translator. The fake's answers carry
# Han characters, which the quality guard wants for each of these.
LOAD_LANGUAGES = ("zh-CN", "zh-TW", "ja")


@dataclass(frozen=True)
class Round:
    """What one round of load's digest chat follows, and its digest language."""

    authors: list[str]
    language: str


def load_rounds(count: int) -> list[Round]:
    """`count` rounds of load: each group of authors once per language, so no round's digest
    is answered from the translation cache."""
    groups = load_authors(count)
    pairs = [Round(group, lang) for lang in LOAD_LANGUAGES for group in groups]
    return pairs[:count]


def load_authors(rounds: int) -> list[list[str]]:
    """For each round of load, PAPERS_PER_LOAD authors who each wrote exactly one paper of the
    feed, that paper a new one or a cross-list (replacements are off by default): a chat
    following them has a digest of exactly those papers, none shared with another round."""
    papers = load_feed_file(FEED).papers
    shown = [p for p in papers if p.announce_type in (AnnounceType.NEW, AnnounceType.CROSS)]
    names: list[str] = []
    for paper in shown:
        for name in paper.authors:
            if sum(any(author_matches(name, a) for a in p.authors) for p in papers) == 1:
                names.append(name)
                break
    groups = [names[i : i + PAPERS_PER_LOAD] for i in range(0, len(names), PAPERS_PER_LOAD)]
    return [g for g in groups if len(g) == PAPERS_PER_LOAD][:rounds]


def seed(database: Path, size: Size, rounds: list[Round], feed_base: str) -> None:
    """The chats the bench uses, paused, and the broadcast's recipients, active; the papers of
    the fixture feed, fetched from `feed_base` as the bot fetches."""
    store = open_store(database)
    report = asyncio.run(fetch_and_store(Settings(arxiv_rss_url=feed_base), store, ["stat"]))
    if report.status != "ok":
        raise RuntimeError(f"could not store the fixture feed: {report.status} {report.error}")
    own = [IDLE_CHAT, HELP_CHAT, DIGEST_CHAT, ADMIN]
    own += [SEARCH_CHATS + n for n in range(len(rounds))]
    own += [LOAD_DIGEST_CHATS + n for n in range(len(rounds))]
    own += [BROADCAST_HELP_CHATS + n for n in range(size.helps)]
    defaults = {"language": "zh-CN", "timezone": "Asia/Shanghai", "delivery_time": "09:00"}
    with store.db.atomic():
        for chat_id in own:
            chats.ensure_chat(store, chat_id, **defaults)
            chats.update_chat(store, chat_id, paused=True)
        chats.update_chat(store, DIGEST_CHAT, max_papers=size.digest_papers)
        for n, load in enumerate(rounds):
            chats.update_chat(store, LOAD_DIGEST_CHATS + n, language=load.language)
        for n in range(1, size.broadcast_chats + 1):
            chats.ensure_chat(store, RECIPIENTS + n, **defaults)
    store.close()


class Output:
    """Reads the bot's output as it comes (a full pipe would block the bot); keeps the tail."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.tail: deque[str] = deque(maxlen=40)
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.tail.append(line.rstrip())


# -- the three measurements ---------------------------------------------------------------------


@dataclass(frozen=True)
class Latency:
    """`/help` round trips under load, and the same with nothing else going on."""

    loaded: list[float]
    idle: list[float]
    rounds: int


def help_under_load(inbox: Inbox, arxiv: SlowArxiv, rounds: list[Round], size: Size) -> Latency:
    """`/help` in chat C while A's `/search` waits on arXiv and B's `/digest` translates."""
    idle = [_paced(inbox, IDLE_CHAT) for _ in range(size.helps)]
    loaded: list[float] = []
    started = time.monotonic()
    load: Load | None = None
    done = 0
    while len(loaded) < size.helps:
        if load is None or not load.running():
            if done == len(rounds) or time.monotonic() - started > size.load_seconds:
                break
            load = Load(inbox, arxiv, done, len(rounds[done].authors))
            load.start()
            done += 1
        loaded.append(_paced(inbox, HELP_CHAT))
    # What is still running would leak into the next measurement.
    if load is not None:
        inbox.wait(load.finished, timeout=60, step=0.05)
    return Latency(loaded, idle, done)


def _paced(inbox: Inbox, chat_id: int) -> float:
    """One `/help` round trip, then a private chat's interval: Telegram takes one message a
    second per chat, and the bot keeps to it, so a `/help` sent the moment the last reply came
    would measure that pause, not how long the bot made the reader wait."""
    took = inbox.round_trip(chat_id, "/help")
    time.sleep(PRIVATE_INTERVAL)
    return took


@dataclass(frozen=True)
class Load:
    """One round of load: chat A searches (a query of its own, so no cache answers it) and
    chat B asks for its digest (papers of its own, so no translation is cached)."""

    inbox: Inbox
    arxiv: SlowArxiv
    round: int
    papers: int

    @property
    def query(self) -> str:
        return f"loadtest{self.round}"

    @property
    def search_chat(self) -> int:
        return SEARCH_CHATS + self.round

    @property
    def digest_chat(self) -> int:
        return LOAD_DIGEST_CHATS + self.round

    def start(self) -> None:
        """Send both commands; return once arXiv has the search request: the load is on."""
        self.inbox.api.push_message(self.search_chat, f"/search {self.query}")
        self.inbox.api.push_message(self.digest_chat, "/digest")
        if not self.inbox.wait(lambda: self._arxiv(self.arxiv.started), 120, step=0.005):
            raise RuntimeError("the bot never sent the search to arXiv")

    def _arxiv(self, queries: list[str]) -> bool:
        return any(self.query in query for query in queries)

    def _searched(self) -> bool:
        # arXiv answered and the chat got the results (a message, or an edit of a
        # "searching…" one).
        if not self._arxiv(self.arxiv.answered):
            return False
        answers = len(self.inbox.messages(self.search_chat))
        return answers + len(self.inbox.edits.get(self.search_chat, [])) > 0

    def running(self) -> bool:
        """A waits on arXiv, or B's papers are still being translated (a digest's papers are
        sent once all of them are translated)."""
        return not self._searched() or not self.inbox.papers(self.digest_chat)

    def finished(self) -> bool:
        """Both answered in full."""
        return self._searched() and len(self.inbox.papers(self.digest_chat)) >= self.papers


@dataclass(frozen=True)
class DigestRun:
    """A digest under Telegram's limits."""

    rate_limited: int
    numbers: list[int]
    wanted: int

    @property
    def in_order(self) -> bool:
        return self.numbers == list(range(1, self.wanted + 1))


def digest_under_limits(inbox: Inbox, size: Size) -> DigestRun:
    """`/digest` of `size.digest_papers` papers with Telegram's flood limits enforced."""
    api = inbox.api
    before = api.rate_limited
    api.push_message(DIGEST_CHAT, "/digest")
    wanted = size.digest_papers
    # One message a second is Telegram's pace for a chat; twice that and a minute is plenty.
    inbox.wait(lambda: len(inbox.papers(DIGEST_CHAT)) >= wanted, timeout=60 + 2 * wanted)
    return DigestRun(api.rate_limited - before, inbox.papers(DIGEST_CHAT), wanted)


@dataclass(frozen=True)
class BroadcastRun:
    """A broadcast under Telegram's limits and `/help` in other chats meanwhile."""

    rate_limited: int
    delivered: int
    helps: list[float]
    previewed: bool


def broadcast_under_limits(inbox: Inbox, size: Size) -> BroadcastRun:
    """`/broadcast` to every stored chat (through the ✅ of a preview when the bot shows one)."""
    api = inbox.api
    recipients = range(RECIPIENTS + 1, RECIPIENTS + size.broadcast_chats + 1)
    before = api.rate_limited

    def delivered() -> int:
        inbox.poll()
        return sum(
            any(BROADCAST in str(m.get("text")) for m in inbox.by_chat.get(chat_id, ()))
            for chat_id in recipients
        )

    def started() -> bool:
        return delivered() > 0

    api.push_message(ADMIN, f"/broadcast {BROADCAST}")
    if not inbox.wait(lambda: confirm_button(api) is not None or started(), 60, step=0.01):
        raise RuntimeError("/broadcast neither showed a preview nor started")
    button = confirm_button(api)
    if button is not None and not started():
        message_id, data = button
        api.push_callback(ADMIN, message_id, data, user_id=ADMIN)
    # Twice Telegram's 30 a second, and half a minute more, before giving up on the rest.
    deadline = time.monotonic() + 30 + 2 * size.broadcast_chats / 30
    helps: list[float] = []
    for n in range(size.helps):
        if delivered() >= size.broadcast_chats:
            break
        helps.append(inbox.round_trip(BROADCAST_HELP_CHATS + n, "/help"))
        time.sleep(0.5)  # users ask now and then, not in a burst
    inbox.wait(
        lambda: delivered() >= size.broadcast_chats,
        timeout=max(deadline - time.monotonic(), 0),
        step=0.1,
    )
    return BroadcastRun(api.rate_limited - before, delivered(), helps, button is not None)


def confirm_button(api: FakeBotApi) -> tuple[int, str] | None:
    """The ✅ button under a message to the admin, as (message id, callback data)."""
    for (chat_id, message_id), message in list(api.messages.items()):
        if chat_id != ADMIN:
            continue
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if str(button.get("text", "")).startswith("✅") and button.get("callback_data"):
                    return message_id, str(button["callback_data"])
    return None


# -- the run ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Results:
    latency: Latency
    digest: DigestRun
    broadcast: BroadcastRun


def measure(size: Size) -> Results:
    """Start the fakes and the bot, measure the three parts in turn, stop everything."""
    rounds = load_rounds(size.helps)
    arxiv = SlowArxiv()
    with (
        tempfile.TemporaryDirectory() as directory,
        FakeBotApi() as api,
        FeedServer() as feeds,
        FakeTranslateServer() as translator,
    ):
        feeds.responder = arxiv
        database = Path(directory) / "bot.sqlite3"
        seed(database, size, rounds, feeds.base_url)
        settings = {
            "TRANSLATOR": "google",
            "GOOGLE_TRANSLATE_URL": translator.google_url,
            "ARXIV_RSS_URL": feeds.base_url,
            "ARXIV_API_URL": feeds.url("/api/query"),
            "ADMIN_IDS": str(ADMIN),
            "LOG_LEVEL": "WARNING",
        }
        process = start_bot(api, database, **settings)
        output = Output(process)
        inbox = Inbox(api)
        try:
            inbox.round_trip(IDLE_CHAT, "/help", timeout=60)  # the bot is up
            inbox.round_trip(DIGEST_CHAT, "/subscribe stat")
            for n, load in enumerate(rounds):
                inbox.round_trip(LOAD_DIGEST_CHATS + n, "/author " + "; ".join(load.authors))
            translator.latency = TRANSLATOR_SECONDS
            latency = help_under_load(inbox, arxiv, rounds, size)
            translator.latency = 0.0
            api.limits = TelegramLimits()
            digest = digest_under_limits(inbox, size)
            broadcast = broadcast_under_limits(inbox, size)
        except RuntimeError as exc:
            tail = "\n".join(output.tail)
            raise RuntimeError(f"{exc}; the bot's last output:\n{tail}") from exc
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    return Results(latency, digest, broadcast)


def run(quick: bool = False) -> list[str]:
    """Measure and return the figure lines."""
    size = QUICK if quick else FULL
    results = measure(size)
    latency, digest, broadcast = results.latency, results.digest, results.broadcast
    loaded_ms = p95(latency.loaded) * 1000
    idle_ms = p95(latency.idle) * 1000
    median_ms = statistics.median(latency.loaded) * 1000
    helps_ms = p95(broadcast.helps) * 1000 if broadcast.helps else float("nan")
    count = len(latency.loaded)
    return [
        f"# commands: `python -m bot` against loopback fakes; arXiv answers in "
        f"{ARXIV_SECONDS:.0f} s, the translator in {TRANSLATOR_SECONDS:.0f} s a request; "
        f"{latency.rounds} round(s) of load gave {count} of {size.helps} /help",
        figure(
            "command_latency_p95_ms",
            loaded_ms,
            " ms",
            f"< {TARGET_MS:.0f} ms, p95 of {count} /help while /search and /digest wait",
            loaded_ms < TARGET_MS and count == size.helps,
        ),
        figure("command_latency_median_ms", median_ms, " ms", "informative", True),
        figure("command_latency_idle_p95_ms", idle_ms, " ms", "informative: nothing else", True),
        figure(
            "command_latency_ratio",
            loaded_ms / idle_ms,
            "x",
            "informative: p95 under load / p95 idle",
            True,
        ),
        figure(
            "digest_429s",
            digest.rate_limited,
            "",
            f"0, {digest.wanted} papers in order (arrived: {len(digest.numbers)}, "
            f"{'in order' if digest.in_order else 'NOT in order'})",
            digest.rate_limited == 0 and digest.in_order,
        ),
        figure(
            "broadcast_429s",
            broadcast.rate_limited,
            "",
            f"0; {broadcast.delivered} of {size.broadcast_chats} chats got it"
            f"{' (after the ✅ of a preview)' if broadcast.previewed else ''}",
            broadcast.rate_limited == 0 and broadcast.delivered == size.broadcast_chats,
        ),
        figure(
            "broadcast_help_p95_ms",
            helps_ms,
            " ms",
            f"< {TARGET_MS:.0f} ms, p95 of {len(broadcast.helps)} /help in other chats meanwhile",
            helps_ms < TARGET_MS and len(broadcast.helps) == size.helps,
        ),
    ]


if __name__ == "__main__":
    for line in run(quick="--quick" in sys.argv):
        print(line, flush=True)
