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
from bot.render.labels import Labels, labels
from bot.render.latex import latex_to_text
from bot.text import cut_text

MESSAGE_LIMIT = 4096
MAX_AUTHORS = 8


_TAG = re.compile(r"<[^>]*>")


def utf16_length(text: str) -> int:
    """Length of plain text in UTF-16 code units, the unit of Telegram's limits."""
    return len(text.encode("utf-16-le")) // 2


def telegram_length(html_text: str) -> int:
    """Length of a message in HTML parse mode as Telegram counts it against 4,096.

    UTF-16 code units of the visible text: tags count nothing, an entity such as `&lt;`
    counts as the character it stands for.
    """
    return utf16_length(html.unescape(_TAG.sub("", html_text)))


# Bidirectional overrides and isolates in a title or in echoed input would flip the rest of the
# message's line.
_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def escape(text: str) -> str:
    """HTML-escape dynamic text for Telegram's HTML parse mode, without bidi overrides."""
    return html.escape(text.translate(_BIDI_CONTROLS), quote=False)


def _attr(text: str) -> str:
    return html.escape(text, quote=True)


def authors_line(authors: tuple[str, ...], limit: int = MAX_AUTHORS) -> str:
    """`A, B, C, … +12` for long author lists."""
    if len(authors) <= limit:
        return ", ".join(authors)
    return ", ".join(authors[:limit]) + f", … +{len(authors) - limit}"


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
    title = latex_to_text(text.title)
    abstract = latex_to_text(text.abstract)
    summary = latex_to_text(text.summary)
    same = not text.translated or text.abstract == paper.abstract
    return title, abstract, summary, same


def render_entry(entry: DigestEntry, text: PaperText, language: str, index: int) -> str:
    """One paper as one message of at most 4096 characters."""
    words = labels(language)
    paper = entry.paper
    title, abstract, summary, same = _shown(text, paper)
    original_title = latex_to_text(paper.title)
    original_abstract = latex_to_text(paper.abstract)
    head = [f"<b>{index}. {escape(title)}</b>"]
    if original_title != title:
        head.append(f"<i>{escape(original_title)}</i>")
    if not text.translated:
        head.append(f"<i>{escape(words.translation_unavailable)}</i>")
    head.append(f"👥 {escape(authors_line(paper.authors))}")
    categories = " · ".join(escape(c) for c in paper.categories)
    tags = _tags(paper, words)
    head.append(f"🏷 {categories}" + (f" · <i>{escape(', '.join(tags))}</i>" if tags else ""))
    head.append(
        f'🔗 <a href="{_attr(paper.abs_url)}">arXiv:{escape(paper.versioned_id)}</a> · '
        f'<a href="{_attr(paper.pdf_url)}">PDF</a>'
    )
    head.append(f"🎯 {escape(' · '.join(reason_text(r, words) for r in entry.reasons))}")
    if summary:
        head.append(f"💡 {escape(summary)}")
    header = "\n".join(head)

    def build(first: str, second: str | None) -> str:
        parts = [header, f"<blockquote expandable>{escape(first)}</blockquote>"]
        if second is not None:
            parts.append(f"<blockquote expandable>{escape(second)}</blockquote>")
        return "\n".join(parts)

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
            # Even the header alone is too long (a thousand authors?): cut the whole message.
            return _cut_html_safe(header)
        message = build(first, second)
    return message


def _cut_html_safe(header: str) -> str:
    """Last resort for a header over the limit: keep whole lines while they fit."""
    kept: list[str] = []
    for line in header.split("\n"):
        if telegram_length("\n".join([*kept, line])) > MESSAGE_LIMIT:
            break
        kept.append(line)
    return "\n".join(kept)


def _overview_item(index: int, entry: DigestEntry, text: PaperText) -> str:
    title, _, summary, _ = _shown(text, entry.paper)
    line = f'{index}. <a href="{_attr(entry.paper.abs_url)}">{escape(title)}</a>'
    if summary:
        line += f"\n    {escape(cut_text(summary, 400))}"
    return line


def render_overview(digest: Digest, texts: Mapping[str, PaperText], language: str) -> list[str]:
    """The overview: date, counts, numbered titles with their one-line summaries.

    Split into several messages at entry boundaries when it would pass 4096 characters.
    """
    words = labels(language)
    day = digest.announced.isoformat() if digest.announced else "—"
    title = f"<b>{escape(words.digest_title.format(date=day, count=digest.total))}</b>"
    if not digest.entries:
        return [f"{title}\n{escape(words.no_papers)}"]
    items = [
        _overview_item(
            i, entry, texts.get(entry.paper.arxiv_id) or _original(entry.paper, language)
        )
        for i, entry in enumerate(digest.entries, 1)
    ]
    if digest.more > 0:
        items.append(escape(words.more.format(count=digest.more)))
    messages: list[str] = []
    current = title
    for item in items:
        candidate = f"{current}\n\n{item}"
        if telegram_length(candidate) > MESSAGE_LIMIT and current != title:
            messages.append(current)
            current = item
        else:
            current = candidate
    messages.append(current)
    return messages


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
        if not text.translated:
            lines.append(f"   {words.translation_unavailable}")
        lines.append(f"   {words.authors}: {authors_line(paper.authors)}")
        tags = _tags(paper, words)
        lines.append(
            f"   {words.categories}: {', '.join(paper.categories)}"
            + (f" ({', '.join(tags)})" if tags else "")
        )
        lines.append(f"   {paper.abs_url}  {paper.pdf_url}")
        lines.append(f"   {words.why}: {' · '.join(reason_text(r, words) for r in entry.reasons)}")
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
    return "\n".join(lines).rstrip() + "\n"
