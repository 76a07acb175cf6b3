"""A fake of rss.arxiv.org's combined feeds, big enough to hit arXiv's 2,000-item cap.

arXiv serves `/rss/cs.CV+cs.LG+stat`: every paper announced that day that is listed (primary or
cross-list) in any requested code, grouped new, cross, replace, replace-cross, and cut off
silently after 2,000 items. A fetcher that asks for many categories in one request loses papers
without noticing; this fake reproduces that so tests and benchmarks can check the fetcher splits
its requests (or otherwise copes).

    catalogue = ArxivCatalogue(2500, ["cs.CV", "cs.LG", "stat.ML"], date(2026, 11, 19))
    with FeedServer() as server:
        server.responder = catalogue.feed
        ...                                          # fetch server.base_url + "cs.CV+cs.LG"
    catalogue.ids_for(["cs.CV", "cs.LG"])            # what an uncapped feed would hold
    catalogue.lagging = {"stat.ML"}                  # requests with stat.ML get yesterday's date
    catalogue.requests                               # ["/rss/cs.CV+cs.LG", ...]

Items are copies of the fixture feed `tests/fixtures/rss-current-stat.xml` (written in arXiv's
format by the project), edited as text rather than re-serialised, so the output keeps that
format byte for byte (declaration,
namespace order, escaping, the trailing space in `Announce Type: new \\nAbstract:`) except for
the ids, categories, announce types, copy titles and channel fields this fake changes.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import unquote
from zoneinfo import ZoneInfo

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "rss-current-stat.xml"
EASTERN = ZoneInfo("America/New_York")
CAP = 2000
PREFIX = "2611"  # November 2026: ids that cannot collide with the fixture's 2601–2603 ids
REPLACE_EVERY = 7  # items with index % 7 == 6 are replacements (the 7th, 14th, … item)

Response = tuple[int, dict[str, str], bytes]

# Announce types in the order arXiv lists them.
_ORDER = ("new", "cross", "replace", "replace-cross")
_ITEM = re.compile(r"    <item>\n.*?    </item>\n", re.DOTALL)
_CODE = re.compile(r"[a-z]+(?:-[a-z]+)?(?:\.[A-Za-z]+(?:-[A-Za-z]+)?)?")
_MARK = "\x00"  # cannot occur in XML text: stands for the announce type inside item templates


@dataclass(frozen=True, slots=True)
class _Item:
    """One catalogue paper: its categories (primary first) and its XML around the type."""

    arxiv_id: str
    categories: tuple[str, ...]
    replacement: bool
    chunks: tuple[str, str, str]  # chunks[0] + type + chunks[1] + type + chunks[2]

    def render(self, announce_type: str) -> str:
        return announce_type.join(self.chunks)


def _sub_once(pattern: str, replacement: str, text: str, what: str) -> str:
    """re.sub that insists on exactly one match: a changed fixture must fail loudly here."""
    result, count = re.subn(pattern, lambda _: replacement, text, flags=re.DOTALL)
    if count != 1:
        raise ValueError(f"fixture format changed: {count} matches for the {what}")
    return result


def covers(code: str, category: str) -> bool:
    """Whether a requested code lists a category: itself, and for an archive (no dot) `code.*`."""
    return category == code or ("." not in code and category.startswith(code + "."))


def previous_weekday(day: date) -> date:
    """The announcement day before `day` (arXiv does not announce on weekends)."""
    day -= timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _rfc822(day: date) -> str:
    """Midnight US Eastern of `day`, as arXiv dates a channel: `Thu, 19 Nov 2026 00:00:00 -0500`."""
    return format_datetime(datetime.combine(day, time(), tzinfo=EASTERN))


def _http_date(day: date) -> str:
    """The same instant as an HTTP date (RFC 1123, GMT), for Last-Modified."""
    midnight = datetime.combine(day, time(), tzinfo=EASTERN)
    return format_datetime(midnight.astimezone(UTC), usegmt=True)


class ArxivCatalogue:
    """One announcement day of arXiv papers, served as arXiv's combined RSS feeds.

    `size` distinct items (ids `2611.00000`, `2611.00001`, …) are copies of the fixture's items,
    round-robin; copies after the first round have ` (copy N)` appended to the title. Each gets
    a primary and 0–2 distinct cross-list categories drawn from `categories` with
    `random.Random(seed)`, so a catalogue is the same on every run. Every 7th item is a
    replacement (version ≥ 2); the others are version 1. Announce types are computed per request,
    as arXiv does: `new`/`replace` when the primary is covered by a requested code, else
    `cross`/`replace-cross`.

    Attributes that may be changed at any time: `cap` (items per feed), `lagging` (codes whose
    feeds have not been rebuilt yet: a request containing one is dated the previous weekday,
    with the same items). `requests` records every path asked, answered or not.
    """

    def __init__(
        self,
        size: int,
        categories: Sequence[str],
        announced: date,
        *,
        cap: int = CAP,
        seed: int = 0,
    ) -> None:
        pool = list(dict.fromkeys(categories))
        if not pool:
            raise ValueError("categories must not be empty")
        if not 0 <= size <= 100_000:
            raise ValueError("size must be between 0 and 100,000 (five-digit ids)")
        for code in pool:
            if not _CODE.fullmatch(code):
                raise ValueError(f"not an arXiv category: {code!r}")
        self.size = size
        self.categories: tuple[str, ...] = tuple(pool)
        self.announced = announced
        self.cap = cap
        self.seed = seed
        self.lagging: set[str] = set()
        self.requests: list[str] = []

        text = FIXTURE.read_text(encoding="utf-8")
        templates = _ITEM.findall(text)
        if not templates:
            raise ValueError("fixture format changed: no <item> found")
        first = text.index(templates[0])
        last = text.rindex(templates[-1]) + len(templates[-1])
        self._header = text[:first]
        self._footer = text[last:]

        rng = random.Random(seed)
        items: list[_Item] = []
        for index in range(size):
            primary = rng.choice(pool)
            others = [c for c in pool if c != primary]
            crosses = rng.sample(others, rng.randint(0, min(2, len(others))))
            items.append(
                self._copy(
                    templates[index % len(templates)],
                    index,
                    index // len(templates),
                    (primary, *crosses),
                )
            )
        self._items = tuple(items)

    @staticmethod
    def _copy(template: str, index: int, round_: int, categories: tuple[str, ...]) -> _Item:
        """The fixture item `template` under a new id and categories, its type left open."""
        arxiv_id = f"{PREFIX}.{index:05d}"
        replacement = index % REPLACE_EVERY == REPLACE_EVERY - 1
        guid = re.search(r"oai:arXiv\.org:[\d.]+v(\d+)</guid>", template)
        title = re.search(r"<title>(.*?)</title>", template, re.DOTALL)
        if guid is None or title is None:
            raise ValueError("fixture format changed: an item without guid or title")
        # New papers are v1; a replacement is a later version (the original's, at least v2).
        version = max(int(guid[1]), 2) if replacement else 1
        item = template
        if round_:
            new_title = f"<title>{title[1]} (copy {round_})</title>"
            item = _sub_once(r"<title>.*?</title>", new_title, item, "title")
        lines = "".join(f"      <category>{c}</category>\n" for c in categories)
        for pattern, value, what in (
            (
                r"<link>https://arxiv\.org/abs/[\d.]+</link>",
                f"<link>https://arxiv.org/abs/{arxiv_id}</link>",
                "link",
            ),
            (
                r"<description>arXiv:[\d.]+v\d+ Announce Type: [\w-]+ ",
                f"<description>arXiv:{arxiv_id}v{version} Announce Type: {_MARK} ",
                "description prefix",
            ),
            (
                r"oai:arXiv\.org:[\d.]+v\d+</guid>",
                f"oai:arXiv.org:{arxiv_id}v{version}</guid>",
                "guid",
            ),
            (r"(?:      <category>[^<]*</category>\n)+", lines, "categories"),
            (
                r"<arxiv:announce_type>[\w-]+</arxiv:announce_type>",
                f"<arxiv:announce_type>{_MARK}</arxiv:announce_type>",
                "announce type",
            ),
        ):
            item = _sub_once(pattern, value, item, what)
        before, middle, after = item.split(_MARK)
        return _Item(arxiv_id, categories, replacement, (before, middle, after))

    def ids_for(self, codes: Sequence[str]) -> set[str]:
        """The ids (without version) a feed for `codes` lists when nothing is cut off."""
        return {
            item.arxiv_id
            for item in self._items
            if any(covers(code, category) for code in codes for category in item.categories)
        }

    def feed(self, path: str) -> Response | None:
        """The answer to GET `path` (`/rss/<code>+<code>…`), or None for any other path.

        Usable as `FeedServer.responder`. The ETag is a hash of the body, so an unchanged feed
        gets the server's 304 to a conditional request.
        """
        self.requests.append(path)
        path = unquote(path.split("?", 1)[0])
        if not path.startswith("/rss/"):
            return None
        joined = path[len("/rss/") :]
        codes = joined.split("+")
        if not all(_CODE.fullmatch(code) for code in codes):
            return None

        groups: dict[str, list[_Item]] = {kind: [] for kind in _ORDER}
        for item in self._items:
            if not any(covers(code, c) for code in codes for c in item.categories):
                continue
            home = any(covers(code, item.categories[0]) for code in codes)
            kind = ("replace" if home else "replace-cross") if item.replacement else None
            kind = kind or ("new" if home else "cross")
            groups[kind].append(item)
        served = [(kind, item) for kind in _ORDER for item in groups[kind]][: max(self.cap, 0)]

        day = self.announced
        if self.lagging.intersection(codes):
            day = previous_weekday(day)
        body = (
            self._channel(joined, day)
            + "".join(item.render(kind) for kind, item in served)
            + self._footer
        ).encode("utf-8")
        headers = {
            "Content-Type": "application/rss+xml; charset=utf-8",
            "ETag": '"' + hashlib.sha256(body).hexdigest()[:16] + '"',
            "Last-Modified": _http_date(day),
        }
        return 200, headers, body

    def _channel(self, joined: str, day: date) -> str:
        """The fixture's channel header, retitled for the request and dated `day`."""
        url = f"http://rss.arxiv.org/rss/{joined}"
        header = self._header
        for pattern, value, what in (
            (r"(?<=<title>)[^<]*(?=</title>)", f"{joined} updates on arXiv.org", "title"),
            (r"(?<=<link>)[^<]*(?=</link>)", url, "link"),
            (
                r"(?<=<description>)[^<]*(?=</description>)",
                f"{joined} updates on the arXiv.org e-print archive.",
                "description",
            ),
            (r"(?<=<atom:link href=\")[^\"]*(?=\")", url, "atom:link"),
            (r"(?<=<lastBuildDate>)[^<]*(?=</lastBuildDate>)", _rfc822(day), "lastBuildDate"),
            (r"(?<=<pubDate>)[^<]*(?=</pubDate>)", _rfc822(day), "pubDate"),
        ):
            header = _sub_once(pattern, value, header, what)
        return header
