"""arXiv identifiers: every form people paste, normalised to (id without version, version).

New style `2403.11083v2` (4 digits after the dot from 2007 to 2014, 5 since 2015), old style
`hep-th/9901001v1` (a subject class such as `math.GT/0309136` is dropped, as arXiv's own abs
URLs do).
"""

from __future__ import annotations

import re

_NEW = r"(?P<new>(?P<yymm>\d{4})\.(?P<num>\d{4,5}))"
_OLD = r"(?P<old>(?P<archive>[a-z]+(?:-[a-z]+)?)(?:\.[A-Z]{2})?/(?P<oldnum>\d{7}))"
_VERSION = r"(?:v(?P<version>\d+))?"
_ID = re.compile(rf"(?:{_NEW}|{_OLD}){_VERSION}")
_PREFIXES = re.compile(
    r"^(?:arxiv:|oai:arxiv\.org:|https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/)",
    re.IGNORECASE,
)


class InvalidArxivId(ValueError):
    """The text is not an arXiv identifier (nor a link to one)."""


def _parts(match: re.Match[str]) -> tuple[str, int | None] | None:
    version = int(match["version"]) if match["version"] else None
    if match["new"]:
        month = int(match["yymm"][2:])
        if not 1 <= month <= 12:
            return None
        # Numbers grew from 4 to 5 digits in January 2015.
        if (len(match["num"]) == 5) != (match["yymm"] >= "1501"):
            return None
        return match["new"], version
    return f"{match['archive']}/{match['oldnum']}", version


def parse_arxiv_id(text: str) -> tuple[str, int | None]:
    """(id without version, version or None) from an id, `arXiv:` id, abs/pdf URL or OAI id."""
    candidate = _PREFIXES.sub("", text.strip())
    candidate = re.sub(r"(?:\.pdf)?/?$", "", candidate)
    match = _ID.fullmatch(candidate)
    parts = _parts(match) if match else None
    if parts is None:
        raise InvalidArxivId(f"not an arXiv identifier: {text.strip()[:80]!r}")
    return parts


def find_arxiv_id(text: str) -> tuple[str, int | None] | None:
    """The first arXiv identifier found anywhere in free text, or None."""
    for match in _ID.finditer(text):
        start = match.start()
        if start > 0 and (text[start - 1].isalnum() or text[start - 1] in "./"):
            continue
        end = match.end()
        if end < len(text) and text[end].isdigit():
            continue
        parts = _parts(match)
        if parts is not None:
            return parts
    return None


def is_arxiv_id(text: str) -> bool:
    """Whether the whole text is one arXiv identifier in any accepted form."""
    try:
        parse_arxiv_id(text)
    except InvalidArxivId:
        return False
    return True
