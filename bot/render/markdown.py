"""The Markdown export, in the structure of the sample digests.

```
# 摘要
| Ref | Title | Summary |            one row per paper: original title linked, one-liner
# 详细
[^n]: translated title                 then, indented by four spaces: original title, link,
                                       one-liner, a blank indented line, translated abstract,
                                       original abstract
```
Feed text (titles, abstracts, summaries, their translations) goes through
`bot.arxiv_text.markdown_text`: accents become letters (`Cram\\'er` → Cramér), math stays as
`$…$` (Markdown readers render it), and everything else is escaped, so a `[x](javascript:…)`,
an `![img](…)` or a `<script>` in a title or abstract shows as text, never as a link, an
image or HTML. Table cells also escape `|` and line breaks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.arxiv_text import markdown_text
from bot.models import Digest, Paper, PaperText
from bot.render.labels import labels
from bot.render.telegram import terms_line
from bot.text import normalize_space

INDENT = "    "


def feed_text(text: str) -> str:
    """Feed text as inert Markdown on one line: accents as letters, math as `$…$`."""
    return normalize_space(markdown_text(text))


def table_cell(text: str) -> str:
    """Feed text that cannot break a table row: one line, every `|` escaped (in math too: a
    table splits its cells before it reads the math)."""
    return re.sub(r"(?<!\\)\|", r"\\|", feed_text(text))


def link_text(text: str) -> str:
    """Feed text that cannot break a `[text](url)` link (brackets are escaped) nor a table."""
    return table_cell(text)


def _text(texts: Mapping[str, PaperText], paper: Paper, language: str) -> PaperText:
    found = texts.get(paper.arxiv_id)
    if found is not None:
        return found
    return PaperText(paper.title, paper.abstract, "", language, translated=False)


def render_markdown(digest: Digest, texts: Mapping[str, PaperText], language: str) -> str:
    """The whole export as one Markdown document."""
    words = labels(language)
    lines = [f"# {words.summary_heading}", ""]
    if not digest.entries:
        lines += [words.no_papers, ""]
        return "\n".join(lines)
    lines += ["| Ref | Title | Summary |", "| --- | --- | --- |"]
    for index, entry in enumerate(digest.entries, 1):
        paper = entry.paper
        text = _text(texts, paper, language)
        mark = "🎲 " if entry.exploring else ""
        lines.append(
            f"| [^{index}] | {mark}[{link_text(paper.title)}]({paper.abs_url}) | "
            f"{table_cell(text.summary)} |"
        )
    if digest.more > 0:
        lines += [
            "",
            words.more.format(count=digest.more).replace("/digest more", "").rstrip(" :："),
        ]
    if digest.below_threshold > 0:
        lines += ["", words.below_threshold.format(count=digest.below_threshold)]
    lines += ["", f"# {words.details_heading}", ""]
    for index, entry in enumerate(digest.entries, 1):
        paper = entry.paper
        text = _text(texts, paper, language)
        title = feed_text(text.title)
        if text.translation_failed:
            title = f"{title} {words.translation_unavailable}"
        lines += [f"[^{index}]: {title}", ""]
        # The original title under the translated one; an untranslated title is said once.
        if text.translated:
            lines += [INDENT + feed_text(paper.title), ""]
        lines += [f"{INDENT}[{paper.abs_url}]({paper.abs_url})", ""]
        # Why the model put it here: its strongest terms (vocabulary words, escaped like feed
        # text), and the exploring paper said to be one.
        if entry.terms:
            lines += [f"{INDENT}🧭 {feed_text(terms_line(entry.terms))}", ""]
        if entry.exploring:
            lines += [f"{INDENT}🎲 {words.exploring}", ""]
        lines += [INDENT + feed_text(text.summary), "", INDENT, ""]
        if text.translated and normalize_space(text.abstract) != normalize_space(paper.abstract):
            lines += [INDENT + feed_text(text.abstract), ""]
        lines += [INDENT + feed_text(paper.abstract), INDENT]
    # The samples end with an empty line after the last block.
    lines += ["", ""]
    return "\n".join(lines)
