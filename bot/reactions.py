"""What a change of Telegram reactions on a digest paper says about the chat's vote.

Telegram sends the message's reactions before and after the change (a user may hold several:
Premium allows three). Only 👍 and 👎 are votes, as on the buttons; any other emoji leaves the
vote as it was. Pure: the handler reads the current vote and stores what this returns.
"""

from __future__ import annotations

from collections.abc import Iterable

UP = "👍"
DOWN = "👎"
_VOTES = {UP: 1, DOWN: -1}


def _votes(emoji: Iterable[str]) -> frozenset[int]:
    return frozenset(_VOTES[e] for e in emoji if e in _VOTES)


def vote_after_reaction(old: Iterable[str], new: Iterable[str], current: int | None) -> int | None:
    """The chat's vote after the reactions changed from `old` to `new`, given its vote
    `current` (which a button may have set): unchanged when 👍/👎 were not touched; the thumb
    now shown when there is one; the thumb just added when both are shown; none when the
    thumb was taken away."""
    before, after = _votes(old), _votes(new)
    if before == after:
        return current  # another emoji came or went: not a vote
    if len(after) == 1:
        return next(iter(after))
    if not after:
        return None
    added = after - before
    return next(iter(added)) if len(added) == 1 else current
