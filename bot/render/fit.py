"""Messages that fit Telegram: at most 4,096 characters as Telegram counts them."""

from __future__ import annotations

from bot.render.telegram import telegram_length

LIMIT = 4096


def split_message(html: str, limit: int = LIMIT) -> list[str]:
    """`html` in pieces of at most `limit`, cut at line breaks; [] for empty text."""
    if not html.strip():
        return []
    if telegram_length(html) <= limit:
        return [html]
    pieces: list[str] = []
    current = ""
    for line in html.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if telegram_length(candidate) <= limit:
            current = candidate
            continue
        if current.strip():
            pieces.append(current)
        current = line[: limit - 1] + "…" if telegram_length(line) > limit else line
    if current.strip():
        pieces.append(current)
    return pieces
