"""The buttons under a paper, built in one place for the push, /digest and /search alike, and
the buttons of the /saved pages.

The buttons show state: ☆ not saved, ⭐ saved; 👍 or 👎 marked ✓ when it is the chat's vote.
The callback data carries no state (`save:ID` toggles, `fb:1:ID`/`fb:-1:ID` vote or take the
vote back, `sim:ID` asks for similar papers), so buttons on messages sent before they showed
state keep working. Callback data stays within Telegram's 64 bytes: the longest is `sv:r:PAGE:`
and an old-style id (`hep-th/9901001`), under 30 bytes.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.models import Paper

SAVED = "⭐"
NOT_SAVED = "☆"
VOTED = "✓"
UP = "👍"
DOWN = "👎"
# "More like this": an emoji alone, like the ☆ and 👍 beside it, so five buttons still fit one
# row on a phone, and one label serves every digest language (the push builds a paper's
# buttons once for all chats); the press's answer and /help say what it does.
SIMILAR = "🔎"


def save_label(saved: bool, suffix: str = "") -> str:
    """⭐ or ☆, then `suffix` (search results number their stars: "⭐ 3")."""
    return (SAVED if saved else NOT_SAVED) + suffix


def vote_label(value: int, vote: int | None) -> str:
    """👍 or 👎, marked when it is the chat's vote."""
    return (UP if value == 1 else DOWN) + (VOTED if vote == value else "")


def paper_buttons(
    paper: Paper, *, saved: bool = False, vote: int | None = None
) -> InlineKeyboardMarkup:
    """PDF link, ⭐ save, 👍, 👎 and 🔎 (more like this) under one paper, showing whether it is
    saved and the vote."""
    arxiv_id = paper.arxiv_id
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("📄 PDF", url=paper.pdf_url),
                InlineKeyboardButton(save_label(saved), callback_data=f"save:{arxiv_id}"),
                *vote_buttons(arxiv_id, vote),
                InlineKeyboardButton(SIMILAR, callback_data=f"sim:{arxiv_id}"),
            ]
        ]
    )


def vote_buttons(arxiv_id: str, vote: int | None = None) -> list[InlineKeyboardButton]:
    """👍 and 👎 for one paper, the chat's vote marked (also /calibrate's only buttons)."""
    return [
        InlineKeyboardButton(vote_label(1, vote), callback_data=f"fb:1:{arxiv_id}"),
        InlineKeyboardButton(vote_label(-1, vote), callback_data=f"fb:-1:{arxiv_id}"),
    ]


def _restyled(
    button: InlineKeyboardButton, arxiv_id: str, saved: bool, vote: int | None
) -> InlineKeyboardButton:
    data = button.callback_data
    if data == f"save:{arxiv_id}":
        # Keep what follows the star (a result's number), whichever star it had.
        suffix = button.text.removeprefix(SAVED).removeprefix(NOT_SAVED)
        text = save_label(saved, suffix)
    elif data in (f"fb:1:{arxiv_id}", f"fb:-1:{arxiv_id}"):
        text = vote_label(1 if data.startswith("fb:1:") else -1, vote)
    else:
        return button
    return InlineKeyboardButton(text, callback_data=data)


def with_paper_state(
    markup: InlineKeyboardMarkup, arxiv_id: str, *, saved: bool, vote: int | None
) -> InlineKeyboardMarkup:
    """The same keyboard with the paper's ⭐ and 👍/👎 showing its state now; every other
    button (links, other papers', paging) unchanged."""
    return InlineKeyboardMarkup(
        [[_restyled(b, arxiv_id, saved, vote) for b in row] for row in markup.inline_keyboard]
    )


def saved_page_buttons(
    arxiv_ids: list[str], first_number: int, page: int, pages: int, remove_label: str
) -> InlineKeyboardMarkup:
    """One remove button per listed paper (numbered as in the list, five a row), then ◀ ▶.

    `sv:r:PAGE:ID` removes that paper and shows PAGE again; `sv:p:PAGE` turns. The id, not a
    position, so a press on a page shown before another removal still removes what it said."""
    removes = [
        InlineKeyboardButton(f"{remove_label} {number}", callback_data=f"sv:r:{page}:{arxiv_id}")
        for number, arxiv_id in enumerate(arxiv_ids, first_number)
    ]
    rows = [removes[i : i + 5] for i in range(0, len(removes), 5)]
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton("◀", callback_data=f"sv:p:{page - 1}"))
    if page + 1 < pages:
        nav.append(InlineKeyboardButton("▶", callback_data=f"sv:p:{page + 1}"))
    if nav:
        rows.append(nav)
    return InlineKeyboardMarkup(rows)
