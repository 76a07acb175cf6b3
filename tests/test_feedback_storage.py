"""The chat's votes as /calibrate, /forget and reactions read and write them (storage/saved.py),
and the ledger lookups of "more like this" and reactions (storage/deliveries.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from storage import chats, deliveries, saved
from storage.database import Store, open_store

CHAT, OTHER_CHAT = 42, 43


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(tmp_path / "bot.sqlite3")
    for chat_id in (CHAT, OTHER_CHAT):
        chats.ensure_chat(
            opened, chat_id, language="en", timezone="Asia/Shanghai", delivery_time="09:00"
        )
    yield opened
    opened.close()


def test_likes_count_thumbs_up_and_stars_once_and_a_thumbs_down_overrides_a_star(
    store: Store,
) -> None:
    saved.record_feedback(store, CHAT, "2403.00001", 1)
    saved.toggle_saved(store, CHAT, "2403.00001", "liked and saved: one like")
    saved.toggle_saved(store, CHAT, "2403.00002", "saved only")
    saved.toggle_saved(store, CHAT, "2403.00003", "saved, then 👎: a dislike")
    saved.record_feedback(store, CHAT, "2403.00003", -1)
    saved.record_feedback(store, OTHER_CHAT, "2403.00004", -1)
    assert saved.signal_counts(store, CHAT) == (2, 1)
    assert saved.rated_ids(store, CHAT) == {"2403.00001", "2403.00002", "2403.00003"}


def test_a_reaction_sets_the_vote_and_forget_deletes_only_this_chats_votes(store: Store) -> None:
    saved.set_feedback(store, CHAT, "2403.00001", 1)
    saved.set_feedback(store, CHAT, "2403.00001", -1)
    assert saved.feedback_on(store, CHAT, "2403.00001") == -1
    saved.set_feedback(store, CHAT, "2403.00001", None)
    assert saved.feedback_on(store, CHAT, "2403.00001") is None
    saved.set_feedback(store, CHAT, "2403.00002", 1)
    saved.set_feedback(store, OTHER_CHAT, "2403.00002", 1)
    saved.toggle_saved(store, CHAT, "2403.00003", "kept")
    assert saved.feedback_count(store, CHAT) == 1
    assert saved.forget_feedback(store, CHAT) == 1
    assert saved.feedback_count(store, CHAT) == 0 and saved.feedback_count(store, OTHER_CHAT) == 1
    assert saved.is_saved(store, CHAT, "2403.00003")


def test_the_ledger_names_the_paper_of_a_message_and_what_a_chat_was_sent(store: Store) -> None:
    day = date(2026, 3, 17)
    deliveries.record_delivery(store, CHAT, "2403.00001", 1, day, 11)
    deliveries.record_delivery(store, CHAT, "2403.00002", 1, day, 12)
    deliveries.record_delivery(store, OTHER_CHAT, "2403.00003", 1, day, 11)
    assert deliveries.paper_at_message(store, CHAT, 11) == "2403.00001"
    assert deliveries.paper_at_message(store, OTHER_CHAT, 11) == "2403.00003"
    assert deliveries.paper_at_message(store, CHAT, 13) is None
    assert deliveries.delivered_ids(store, CHAT) == {"2403.00001", "2403.00002"}
