"""What Telegram accepts in parse_mode=HTML, as a checker for tests and the fake Bot API.

Only Telegram's tags and attributes, balanced; only the named entities &lt; &gt; &amp; &quot;;
visible text (after entity parsing) at most 4096 UTF-16 code units.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

ALLOWED = {
    "b": set(),
    "strong": set(),
    "i": set(),
    "em": set(),
    "u": set(),
    "ins": set(),
    "s": set(),
    "strike": set(),
    "del": set(),
    "tg-spoiler": set(),
    "span": {"class"},
    "a": {"href"},
    "code": {"class"},
    "pre": set(),
    "blockquote": {"expandable"},
    "tg-emoji": {"emoji-id"},
}
NAMED_ENTITIES = {"lt", "gt", "amp", "quot"}
LIMIT = 4096


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.visible = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED:
            self.errors.append(f"unsupported start tag {tag!r}")
            return
        for name, _ in attrs:
            if name not in ALLOWED[tag]:
                self.errors.append(f"unsupported attribute {name!r} on {tag!r}")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected end tag {tag!r}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data:
            self.errors.append("unescaped < or > in text")
        self.visible += len(data.encode("utf-16-le")) // 2

    def handle_entityref(self, name: str) -> None:
        if name not in NAMED_ENTITIES:
            self.errors.append(f"unsupported entity &{name};")
        self.visible += 1

    def handle_charref(self, name: str) -> None:
        self.visible += 1


def check_telegram_html(text: str) -> str | None:
    """None when Telegram would accept `text` with parse_mode HTML, else the reason."""
    if re.search(r"&(?![a-zA-Z]+;|#\d+;|#x[0-9a-fA-F]+;)", text):
        return "can't parse entities: unescaped &"
    checker = _Checker()
    checker.feed(text)
    checker.close()
    if checker.stack:
        checker.errors.append(f"unclosed tags {checker.stack}")
    if checker.errors:
        return "can't parse entities: " + checker.errors[0]
    if checker.visible == 0:
        return "message text is empty"
    if checker.visible > LIMIT:
        return "message is too long"
    return None
