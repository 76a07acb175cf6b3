"""LaTeX in titles and abstracts to readable Unicode for chat: `$\\alpha$` → α, `x^2` → x².

The name callers have always used; the work is `bot.arxiv_text`, the one normaliser of arXiv
text shared by display, matching, summaries and the export.
"""

from __future__ import annotations

from bot.arxiv_text import display_text

# Cached (functools.lru_cache): `latex_to_text.cache_clear()` empties it.
latex_to_text = display_text

__all__ = ["latex_to_text"]
