"""The rules of bot.subscriptions: limits and who may change what a chat follows."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.subscriptions import (
    MAX_SUBSCRIPTIONS,
    MAX_VALUE_LENGTH,
    Outcome,
    Subscription,
    SubscriptionKind,
    add,
    may_change,
)
from storage import chats
from storage.database import Store, open_store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = open_store(tmp_path / "bot.sqlite3")
    chats.ensure_chat(opened, 42, language="en", timezone="UTC", delivery_time="09:00")
    return opened


def keyword(text: str) -> Subscription:
    return Subscription(SubscriptionKind.KEYWORD, text)


def test_add_says_what_happened(store: Store) -> None:
    first = add(store, 42, [keyword("nerf"), Subscription(SubscriptionKind.CATEGORY, "cs.CV")])
    assert (first.outcome, first.added) == (Outcome.ADDED, 2)
    assert add(store, 42, [keyword("nerf")]).outcome is Outcome.ALREADY
    assert add(store, 42, [keyword("nerf"), keyword("gaussian")]).added == 1
    # Stored as the same strings as before the enum.
    assert store.db.execute("SELECT DISTINCT kind FROM subscriptions ORDER BY kind").fetchall() == [
        ("category",),
        ("keyword",),
    ]


def test_too_long_adds_nothing_not_even_the_short_ones(store: Store) -> None:
    long = "x" * (MAX_VALUE_LENGTH + 1)
    for kind in (SubscriptionKind.KEYWORD, SubscriptionKind.EXCLUDE, SubscriptionKind.AUTHOR):
        result = add(store, 42, [keyword("fine"), Subscription(kind, long)])
        assert result.outcome is Outcome.TOO_LONG
    assert add(store, 42, [keyword("x" * MAX_VALUE_LENGTH)]).outcome is Outcome.ADDED
    assert [s.value for s in chats.subscriptions(store, 42)] == ["x" * MAX_VALUE_LENGTH]


def test_the_cap_counts_only_new_items_and_adds_all_or_nothing(store: Store) -> None:
    add(store, 42, [keyword(f"w{n}") for n in range(MAX_SUBSCRIPTIONS - 1)])
    assert add(store, 42, [keyword("a"), keyword("b")]).outcome is Outcome.OVER_CAP
    assert len(chats.subscriptions(store, 42)) == MAX_SUBSCRIPTIONS - 1
    assert add(store, 42, [keyword("w0"), keyword("a")]).outcome is Outcome.ADDED
    # At the cap, following something already followed is not an error.
    assert add(store, 42, [keyword("a")]).outcome is Outcome.ALREADY
    assert add(store, 42, [keyword("c")]).outcome is Outcome.OVER_CAP
    assert len(chats.subscriptions(store, 42)) == MAX_SUBSCRIPTIONS


@pytest.mark.parametrize(
    ("chat_type", "status", "allowed"),
    [
        ("private", None, True),
        ("channel", None, True),
        ("group", "administrator", True),
        ("supergroup", "creator", True),
        ("supergroup", "member", False),
        ("supergroup", "restricted", False),
        ("group", "left", False),
        ("supergroup", None, False),
    ],
)
def test_in_groups_only_administrators_change_subscriptions(
    chat_type: str, status: str | None, allowed: bool
) -> None:
    assert may_change(chat_type, status) is allowed
