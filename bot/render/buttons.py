"""The buttons under a paper, built in one place for the push, /digest and /search alike.

Callback data stays within Telegram's 64 bytes: the longest is `fb:-1:` and an old-style id
(`hep-th/9901001`), 20 bytes.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.models import Paper


def paper_buttons(paper: Paper) -> InlineKeyboardMarkup:
    """PDF link, ⭐ save, 👍 and 👎 under one paper."""
    arxiv_id = paper.arxiv_id
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("📄 PDF", url=paper.pdf_url),
                InlineKeyboardButton("⭐", callback_data=f"save:{arxiv_id}"),
                InlineKeyboardButton("👍", callback_data=f"fb:1:{arxiv_id}"),
                InlineKeyboardButton("👎", callback_data=f"fb:-1:{arxiv_id}"),
            ]
        ]
    )
