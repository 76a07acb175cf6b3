"""The Markdown export, in the structure of the sample digests.

```
# 摘要
| Ref | Title | Summary |            one row per paper: original title linked, one-liner
# 详细
[^n]: translated title                 then, indented by four spaces: original title, link,
                                       one-liner, a blank indented line, translated abstract,
                                       original abstract
```
Titles and abstracts keep their LaTeX: Markdown readers render math, and a copy-paste into a
paper keeps it exact. Table cells escape `|` and line breaks; link text escapes brackets.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.models import Digest, Paper, PaperText
from bot.render.labels import labels
from bot.text import normalize_space

INDENT = "    "


def table_cell(text: str) -> str:
    """Text that cannot break a table row: one line, `|` escaped."""
    return normalize_space(text).replace("\\|", "|").replace("|", "\\|")


def link_text(text: str) -> str:
    """Text that cannot break a `[text](url)` link (and is a valid table cell)."""
    return table_cell(text).replace("[", "\\[").replace("]", "\\]")


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
        lines.append(
            f"| [^{index}] | [{link_text(paper.title)}]({paper.abs_url}) | "
            f"{table_cell(text.summary)} |"
        )
    if digest.more > 0:
        lines += [
            "",
            words.more.format(count=digest.more).replace("/digest more", "").rstrip(" :："),
        ]
    lines += ["", f"# {words.details_heading}", ""]
    for index, entry in enumerate(digest.entries, 1):
        paper = entry.paper
        text = _text(texts, paper, language)
        title = normalize_space(text.title)
        if text.translation_failed:
            title = f"{title} {words.translation_unavailable}"
        lines += [f"[^{index}]: {title}", ""]
        # The original title under the translated one; an untranslated title is said once.
        if text.translated:
            lines += [INDENT + normalize_space(paper.title), ""]
        lines += [
            f"{INDENT}[{paper.abs_url}]({paper.abs_url})",
            "",
            INDENT + normalize_space(text.summary),
            "",
            INDENT,
            "",
        ]
        if text.translated and normalize_space(text.abstract) != normalize_space(paper.abstract):
            lines += [INDENT + normalize_space(text.abstract), ""]
        lines += [INDENT + normalize_space(paper.abstract), INDENT]
    # The samples end with an empty line after the last block.
    lines += ["", ""]
    return "\n".join(lines)
