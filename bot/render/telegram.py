"""Telegram HTML: an overview message, then one message per paper, each within Telegram's limits.

Every dynamic string is escaped; LaTeX becomes Unicode; long abstracts fold into expandable
blockquotes and are shortened at sentence or word boundaries when a message would pass 4096.
Lengths are measured as Telegram counts them: UTF-16 code units of the visible text, after
entity parsing (`telegram_length`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

from bot.models import Digest, DigestEntry, Paper, PaperText, Reason, ReasonKind
from bot.names import without_affiliations
from bot.render.fit import MESSAGE_LIMIT, split_message, utf16_length
from bot.render.labels import Labels, labels
from bot.render.latex import latex_to_text
from bot.text import cut_text, normalize_space

MAX_AUTHORS = 8
# Each line of a paper's header has a bound, so the header of any paper, whatever the feed or
# the translator sent, stays near 2,000 characters and leaves the abstracts room under 4,096.
# arXiv's longest real titles are under 300 characters; names under 60.
TITLE_LIMIT = 400
NAME_LIMIT = 100
LINE_LIMIT = 300
SUMMARY_LIMIT = 400
# The 🧭 line of an entry the model ordered: three terms, one line on a phone.
TERMS_LIMIT = 60


_TAG = re.compile(r"<[^>]*>")


def visible_text(html_text: str) -> str:
    """What a reader sees of a message in HTML parse mode: the text without its tags, an entity
    such as `&lt;` as the character it stands for."""
    return html.unescape(_TAG.sub("", html_text))


def telegram_length(html_text: str) -> int:
    """Length of a message in HTML parse mode as Telegram counts it against 4,096: UTF-16 code
    units of the visible text."""
    return utf16_length(visible_text(html_text))


# Bidirectional overrides and isolates in a title or in echoed input would flip the rest of the
# message's line.
_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def escape(text: str) -> str:
    """HTML-escape dynamic text for Telegram's HTML parse mode, without bidi overrides."""
    return html.escape(text.translate(_BIDI_CONTROLS), quote=False)


def echo(user_text: str, limit: int = 64) -> str:
    """What a user typed, escaped for HTML and summarised with "…" past `limit` characters.

    For replies that quote the user ("❓ …", "did you mean …", "added: …"): a 4,000-character
    argument quoted whole would push the reply itself past Telegram's limit, and a newline or a
    bidi override in it would break the reply's layout.
    """
    text = normalize_space(user_text)
    if len(text) > limit:
        room = max(limit - 1, 0)
        cut = text.rfind(" ", room // 2, room + 1)
        text = (text[:cut] if cut > 0 else text[:room]).rstrip() + "…"
    return escape(text)


def _attr(text: str) -> str:
    return html.escape(text, quote=True)


def authors_line(authors: tuple[str, ...], limit: int = MAX_AUTHORS) -> str:
    """`A, B, C, … +12`: names only, the first `limit` then how many more; a name past 100
    characters is shortened. Affiliations are dropped here too, for papers stored before the
    feed parser dropped them (one such line ran to 600 characters)."""
    names = [name for name in map(without_affiliations, authors) if name]
    shown = [cut_text(name, NAME_LIMIT) for name in names[:limit]]
    if len(names) <= limit:
        return ", ".join(shown)
    return ", ".join(shown) + f", … +{len(names) - limit}"


def reason_text(reason: Reason, words: Labels) -> str:
    """One reason in the reader's words: `“anomaly” in title`, `category cs.CV`."""
    if reason.kind is ReasonKind.KEYWORD:
        template = words.keyword_in_title if reason.where == "title" else words.keyword_in_abstract
        return template.format(value=reason.value)
    if reason.kind is ReasonKind.AUTHOR:
        return words.author.format(value=reason.value)
    return words.category.format(value=reason.value)


def _tags(paper: Paper, words: Labels) -> list[str]:
    tags = []
    if paper.announce_type.is_cross_list:
        tags.append(words.cross_list)
    if paper.announce_type.is_replacement:
        tags.append(words.new_version.format(version=paper.version))
    return tags


def _shown(text: PaperText, paper: Paper) -> tuple[str, str, str, bool]:
    """(title, abstract, summary, same_as_original) as shown, LaTeX converted."""
    title = cut_text(latex_to_text(text.title), TITLE_LIMIT)
    abstract = normalize_space(latex_to_text(text.abstract))
    summary = cut_text(latex_to_text(text.summary), SUMMARY_LIMIT)
    # Compared as shown: an untouched abstract differs from the feed's only in spacing.
    same = not text.translated or normalize_space(text.abstract) == normalize_space(paper.abstract)
    return title, abstract, summary, same


def render_entry(entry: DigestEntry, text: PaperText, language: str, index: int) -> str:
    """One paper as one message of at most 4096 characters, whatever its texts hold.

    The header's lines are bounded; the abstracts take the rest of the room, cut at a sentence
    or word with "…". A paper with no title or abstract still shows its id and links.
    """
    words = labels(language)
    paper = entry.paper
    title, abstract, summary, same = _shown(text, paper)
    original_title = cut_text(latex_to_text(paper.title), TITLE_LIMIT)
    original_abstract = normalize_space(latex_to_text(paper.abstract))
    head = [f"<b>{index}. {escape(title or paper.versioned_id)}</b>"]
    if original_title and original_title != title:
        head.append(f"<i>{escape(original_title)}</i>")
    if text.translation_failed:
        head.append(f"<i>{escape(words.translation_unavailable)}</i>")
    if paper.authors:
        head.append(f"👥 {escape(cut_text(authors_line(paper.authors), LINE_LIMIT))}")
    categories = escape(cut_text(" · ".join(paper.categories), LINE_LIMIT))
    tags = _tags(paper, words)
    head.append(f"🏷 {categories}" + (f" · <i>{escape(', '.join(tags))}</i>" if tags else ""))
    head.append(
        f'🔗 <a href="{_attr(paper.abs_url)}">arXiv:{escape(paper.versioned_id)}</a> · '
        f'<a href="{_attr(paper.pdf_url)}">PDF</a>'
    )
    if entry.reasons:
        why = " · ".join(reason_text(r, words) for r in entry.reasons)
        head.append(f"🎯 {escape(cut_text(why, LINE_LIMIT))}")
    if entry.terms:
        head.append(f"🧭 {escape(terms_line(entry.terms))}")
    if entry.exploring:
        head.append(f"🎲 <i>{escape(words.exploring)}</i>")
    if summary:
        head.append(f"💡 {escape(summary)}")
    header = "\n".join(head)

    def build(first: str, second: str | None) -> str:
        quotes = [f"<blockquote expandable>{escape(q)}</blockquote>" for q in (first, second) if q]
        return "\n".join([header, *quotes])

    first, second = (original_abstract, None) if same else (abstract, original_abstract)
    message = build(first, second)
    # Too long: shorten the original first (the translation is the reader's language), then the
    # translation, then drop the original; each cut at a sentence or word boundary.
    while telegram_length(message) > MESSAGE_LIMIT:
        excess = telegram_length(message) - MESSAGE_LIMIT
        if second is not None and len(second) > 200:
            second = cut_text(second, max(len(second) - excess - 16, 200))
        elif second is not None:
            second = None
        elif len(first) > 100:
            first = cut_text(first, max(len(first) - excess - 16, 100))
        else:
            # The bounded header cannot get here with our labels; should one ever, the message
            # still goes out, as the first piece that fits.
            return split_message(message)[0]
        message = build(first, second)
    return message


def terms_line(terms: tuple[str, ...]) -> str:
    """The words behind a model's order, `diffusion · score matching · denoising`, short
    enough for one line on a phone (unescaped)."""
    return cut_text(" · ".join(terms), TERMS_LIMIT)


def _overview_item(index: int, entry: DigestEntry, text: PaperText) -> str:
    title, _, summary, _ = _shown(text, entry.paper)
    shown = title or entry.paper.versioned_id
    mark = "🎲 " if entry.exploring else ""
    line = f'{index}. {mark}<a href="{_attr(entry.paper.abs_url)}">{escape(shown)}</a>'
    if summary:
        line += f"\n    {escape(summary)}"
    return line


def render_overview(digest: Digest, texts: Mapping[str, PaperText], language: str) -> list[str]:
    """The overview: date, counts, numbered titles with their one-line summaries.

    Split into several messages at entry boundaries when it would pass 4096 characters.
    """
    words = labels(language)
    day = digest.announced.isoformat() if digest.announced else "—"
    title = f"<b>{escape(words.digest_title.format(date=day, count=digest.total))}</b>"
    if not digest.entries:
        lines = [title, escape(words.no_papers)]
        if digest.below_threshold > 0:
            # Everything matched was under the threshold: say so, or the day looks empty.
            lines.append(escape(words.below_threshold.format(count=digest.below_threshold)))
        return ["\n".join(lines)]
    items = [
        _overview_item(
            i, entry, texts.get(entry.paper.arxiv_id) or _original(entry.paper, language)
        )
        for i, entry in enumerate(digest.entries, 1)
    ]
    if digest.more > 0:
        items.append(escape(words.more.format(count=digest.more)))
    if digest.below_threshold > 0:
        items.append(escape(words.below_threshold.format(count=digest.below_threshold)))
    return _balanced(title, items)


def _balanced(title: str, items: list[str]) -> list[str]:
    """The title and items in as few messages as fit, of about equal length: an overview a
    little over the limit reads as two halves, not a full message and a lonely last line."""

    sizes = [telegram_length(item) for item in items]

    def pack(room: int) -> list[str]:
        messages: list[list[str]] = [[title]]
        size = telegram_length(title)
        for item, item_size in zip(items, sizes, strict=True):
            if size + 2 + item_size > room and messages[-1] != [title]:
                messages.append([item])
                size = item_size
            else:
                messages[-1].append(item)
                size += 2 + item_size  # the blank line between items
        return ["\n\n".join(parts) for parts in messages]

    fewest = len(pack(MESSAGE_LIMIT))
    # The smallest room that still packs into as few messages: found by bisection, as packing
    # is monotone in the room.
    low, high = 1, MESSAGE_LIMIT
    while low < high:
        middle = (low + high) // 2
        if len(pack(middle)) <= fewest:
            high = middle
        else:
            low = middle + 1
    return pack(low)


def _original(paper: Paper, language: str) -> PaperText:
    return PaperText(paper.title, paper.abstract, "", language, translated=False)


def render_digest(digest: Digest, texts: Mapping[str, PaperText], language: str) -> list[str]:
    """Every message of a digest, in sending order: overview first, then one per paper."""
    messages = render_overview(digest, texts, language)
    for index, entry in enumerate(digest.entries, 1):
        text = texts.get(entry.paper.arxiv_id) or _original(entry.paper, language)
        messages.append(render_entry(entry, text, language, index))
    return messages


def render_text(digest: Digest, texts: Mapping[str, PaperText], language: str) -> str:
    """A plain-text digest for a terminal (`python -m bot digest --format text`)."""
    words = labels(language)
    day = digest.announced.isoformat() if digest.announced else "—"
    lines = [words.digest_title.format(date=day, count=digest.total), ""]
    if not digest.entries:
        lines.append(words.no_papers)
    for index, entry in enumerate(digest.entries, 1):
        paper = entry.paper
        text = texts.get(paper.arxiv_id) or _original(paper, language)
        title, abstract, summary, same = _shown(text, paper)
        lines.append(f"{index}. {title}")
        if latex_to_text(paper.title) != title:
            lines.append(f"   {latex_to_text(paper.title)}")
        if text.translation_failed:
            lines.append(f"   {words.translation_unavailable}")
        lines.append(f"   {words.authors}: {authors_line(paper.authors)}")
        tags = _tags(paper, words)
        lines.append(
            f"   {words.categories}: {', '.join(paper.categories)}"
            + (f" ({', '.join(tags)})" if tags else "")
        )
        lines.append(f"   {paper.abs_url}  {paper.pdf_url}")
        lines.append(f"   {words.why}: {' · '.join(reason_text(r, words) for r in entry.reasons)}")
        if entry.terms:
            lines.append(f"   🧭 {terms_line(entry.terms)}")
        if entry.exploring:
            lines.append(f"   🎲 {words.exploring}")
        if summary:
            lines.append(f"   {words.summary}: {summary}")
        lines.append("")
        lines.append(f"   {abstract if not same else latex_to_text(paper.abstract)}")
        if not same:
            lines.append("")
            lines.append(f"   {latex_to_text(paper.abstract)}")
        lines.append("")
    if digest.more > 0:
        lines.append(words.more.format(count=digest.more))
    if digest.below_threshold > 0:
        lines.append(words.below_threshold.format(count=digest.below_threshold))
    return "\n".join(lines).rstrip() + "\n"
