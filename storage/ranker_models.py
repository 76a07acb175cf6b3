"""Each chat's ranker model (bot/ranker.py `ChatModel.to_bytes`), one row per chat."""

from __future__ import annotations

import json
from collections.abc import Sequence

from storage.clock import utc_now
from storage.database import Store


def save_model(store: Store, chat_id: int, model: bytes, signals: int) -> None:
    """Keep the chat's newest model, replacing the one before it."""
    with store.lock:
        store.db.execute(
            "INSERT INTO ranker_models (chat_id, model, signals, trained_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(chat_id) DO UPDATE SET model = excluded.model, "
            "signals = excluded.signals, trained_at = excluded.trained_at",
            [chat_id, model, signals, utc_now()],
        )


def load_model(store: Store, chat_id: int) -> bytes | None:
    """The chat's stored model, or None when it has none."""
    row = store.db.execute(
        "SELECT model FROM ranker_models WHERE chat_id = ?", [chat_id]
    ).fetchone()
    return None if row is None else bytes(row[0])


def delete_model(store: Store, chat_id: int) -> bool:
    """Forget the chat's model; True when there was one."""
    with store.lock:
        cursor = store.db.execute("DELETE FROM ranker_models WHERE chat_id = ?", [chat_id])
    return cursor.rowcount > 0


def models_of(store: Store, chat_ids: Sequence[int]) -> list[tuple[int, bytes, str]]:
    """(chat, model, trained_at) of the given chats that have a model, in one query (the ids
    travel as one JSON parameter, as storage.saved.saved_among passes them)."""
    found = store.db.execute(
        "SELECT chat_id, model, trained_at FROM ranker_models WHERE chat_id IN "
        "(SELECT value FROM json_each(?))",
        [json.dumps(list(dict.fromkeys(chat_ids)))],
    )
    return [(int(chat_id), bytes(model), str(trained_at)) for chat_id, model, trained_at in found]
