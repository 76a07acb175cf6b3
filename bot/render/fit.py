"""Every message fits: Telegram HTML split into pieces Telegram accepts.

Telegram counts a message's length in UTF-16 code units after parsing entities: tags count
nothing, `&lt;` counts one. A piece longer than 4,096 is refused, an empty one too; so whatever
the feed, a translator or a user hands us, every text goes out through `split_message`.
Measuring (`bot.render.telegram.telegram_length`) and escaping live with the renderer.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from enum import IntEnum

MESSAGE_LIMIT = 4096

# A tag, an entity, or one character: the units a cut may fall between.
_TOKEN = re.compile(r"<[^>]*>|&(?:#\d+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);|.", re.DOTALL)
_TAG_NAME = re.compile(r"</?\s*([a-zA-Z][a-zA-Z0-9-]*)")
_SENTENCE_END = frozenset(".!?")
_CJK_SENTENCE_END = frozenset("。！？")


def utf16_length(text: str) -> int:
    """Length of plain text in UTF-16 code units, the unit of Telegram's limits."""
    return len(text.encode("utf-16-le")) // 2


class _Break(IntEnum):
    """Where a cut may fall, best last: the splitter takes the best kind it finds."""

    HARD = 0
    WORD = 1
    SENTENCE = 2
    LINE = 3
    PARAGRAPH = 4


@dataclass(frozen=True)
class _Token:
    text: str
    weight: int  # UTF-16 code units Telegram counts; 0 for a tag
    tag: str | None = None  # the tag's name, for tags
    closing: bool = False

    @property
    def blank(self) -> bool:
        return self.tag is None and self.text.isspace()


def _tokens(text: str) -> list[_Token]:
    tokens = []
    for match in _TOKEN.finditer(text):
        piece = match.group(0)
        if piece.startswith("<") and len(piece) > 1:
            name = _TAG_NAME.match(piece)
            tokens.append(
                _Token(piece, 0, (name.group(1) if name else "").lower(), piece.startswith("</"))
            )
        elif piece.startswith("&") and len(piece) > 1:
            tokens.append(_Token(piece, utf16_length(html.unescape(piece))))
        else:
            tokens.append(_Token(piece, utf16_length(piece)))
    return tokens


def _break_before(tokens: list[_Token], index: int) -> _Break:
    """How good a cut just before tokens[index] is."""
    after = tokens[index].text
    # The text before, past any closing tags: "end.</b> Next" is a sentence end.
    back = index - 1
    while back > 0 and tokens[back].tag is not None:
        back -= 1
    before = tokens[back].text if back >= 0 else ""
    if after == "\n":
        if before == "\n" or (index + 1 < len(tokens) and tokens[index + 1].text == "\n"):
            return _Break.PARAGRAPH
        return _Break.LINE
    if before in _CJK_SENTENCE_END:
        return _Break.SENTENCE
    if tokens[index].blank:
        return _Break.SENTENCE if before in _SENTENCE_END else _Break.WORD
    return _Break.HARD


def _choose_cut(tokens: list[_Token], start: int, end: int, limit: int) -> int:
    """The index to cut before, in (start, end]: the best kind of break in the window's second
    half (a piece is never less than half full for want of a better break), else the latest
    word boundary anywhere, else `end` (a hard cut)."""
    if end == len(tokens):
        return end  # the rest fits
    best, best_kind = end, _Break.HARD
    fallback = end
    filled = 0
    for index in range(start + 1, end + 1):
        filled += tokens[index - 1].weight
        kind = _break_before(tokens, index)
        if kind is _Break.HARD:
            continue
        if filled * 2 >= limit and kind >= best_kind:
            best, best_kind = index, kind
        fallback = index
    if best_kind is not _Break.HARD:
        return best
    return fallback


def _open_tags_after(stack: list[_Token], token: _Token) -> None:
    if token.tag is None:
        return
    if not token.closing:
        stack.append(token)
    elif stack and stack[-1].tag == token.tag:
        stack.pop()


def _render(stack: list[_Token], tokens: list[_Token]) -> str:
    """A piece as valid HTML: tags open before it re-opened, tags open after it closed."""
    # Blank text at either edge of a piece is where the cut fell; Telegram would trim it anyway.
    first, last = 0, len(tokens)
    while first < last and (tokens[first].blank or tokens[first].tag is not None):
        first += 1
    while last > first and (tokens[last - 1].blank or tokens[last - 1].tag is not None):
        last -= 1
    if first == last:
        return ""
    kept = [t for t in tokens[:first] if t.tag is not None]
    kept += tokens[first:last]
    kept += [t for t in tokens[last:] if t.tag is not None]
    open_now = list(stack)
    for token in kept:
        _open_tags_after(open_now, token)
    prefix = "".join(t.text for t in stack)
    suffix = "".join(f"</{t.tag}>" for t in reversed(open_now))
    return prefix + "".join(t.text for t in kept) + suffix


def split_message(html_text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Valid Telegram HTML as pieces of at most `limit` (as Telegram counts), each valid alone.

    Cuts at a paragraph break, else a line break, else a sentence end, else a word boundary,
    else anywhere between characters; never inside a tag or an entity. A tag open at a cut is
    closed at the end of the piece and opened again at the start of the next. Blank pieces are
    dropped: `split_message("")` is `[]`. A single character wider than `limit` (an astral
    character with `limit` 1) is the only thing that can exceed it.
    """
    tokens = _tokens(html_text)
    pieces: list[str] = []
    stack: list[_Token] = []
    start = 0
    while start < len(tokens):
        filled = 0
        end = start
        while end < len(tokens) and filled + tokens[end].weight <= limit:
            filled += tokens[end].weight
            end += 1
        # At least one token per piece, so even a too-wide character makes progress.
        cut = max(_choose_cut(tokens, start, end, limit), start + 1)
        piece = _render(stack, tokens[start:cut])
        if piece:
            pieces.append(piece)
        for token in tokens[start:cut]:
            _open_tags_after(stack, token)
        start = cut
    return pieces
