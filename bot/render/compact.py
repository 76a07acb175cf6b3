"""Papers in a line or two each, for answers that list several at once ("more like this",
/calibrate): the title linked to its abstract page, then who wrote it and where it was filed.

The full entry (bot.render.telegram.render_entry) is one message a paper; these answers stay one
short message, so a reader scans them and opens what looks good.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from bot.models import Paper
from bot.render.latex import latex_to_text
from bot.render.telegram import authors_line, escape
from bot.text import cut_text, normalize_space

TITLE_LIMIT = 200
AUTHORS_SHOWN = 3


def who_and_what(paper: Paper) -> str:
    """`A. One, B. Two, … +5 · cs.CV`: the first authors and the paper's categories."""
    parts = [authors_line(paper.authors, AUTHORS_SHOWN), " ".join(paper.categories[:3])]
    return " · ".join(part for part in parts if part)


def compact_item(number: int, paper: Paper, title: str | None = None) -> str:
    """`3. <a href=…>Title</a>` and, indented below, who and what. `title` is the title in
    the reader's language when one is at hand (the original otherwise)."""
    shown = cut_text(latex_to_text(normalize_space(title or paper.title)), TITLE_LIMIT)
    link = html.escape(paper.abs_url, quote=True)
    line = f'{number}. <a href="{link}">{escape(shown or paper.arxiv_id)}</a>'
    details = who_and_what(paper)
    return f"{line}\n    <i>{escape(details)}</i>" if details else line


def compact_list(heading: str, papers: Sequence[Paper], titles: Mapping[str, str]) -> str:
    """`heading` (HTML, already escaped) then the papers numbered from 1; `titles` maps an
    arXiv id to its translated title where there is one."""
    items = [compact_item(n, p, titles.get(p.arxiv_id)) for n, p in enumerate(papers, 1)]
    return "\n".join([heading, *items])
