"""The translation cache: a text is translated once per language, ever."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from storage.clock import utc_now
from storage.database import Store

# SQLite's default limit on host parameters is 999 in older builds; stay well under it.
_CHUNK = 400


def text_hash(text: str) -> str:
    """The cache key of a text: SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class SqliteTranslationCache:
    """The TranslationCache protocol of `bot.translate`, backed by the translations table."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get_many(self, texts: Sequence[str], language: str) -> dict[str, str]:
        """Cached translations of the given texts into `language` (missing ones left out)."""
        by_hash = {text_hash(text): text for text in texts}
        found: dict[str, str] = {}
        hashes = list(by_hash)
        with self.store.lock:
            for start in range(0, len(hashes), _CHUNK):
                chunk = hashes[start : start + _CHUNK]
                marks = ", ".join("?" for _ in chunk)
                for key, translated in self.store.db.execute(
                    f"SELECT text_hash, translated FROM translations "
                    f"WHERE language = ? AND text_hash IN ({marks})",
                    [language, *chunk],
                ):
                    found[by_hash[key]] = translated
        return found

    def put_many(self, language: str, pairs: Mapping[str, str], backend: str) -> None:
        """Remember translations; a later one for the same text replaces the earlier."""
        now = utc_now()
        with self.store.lock, self.store.db.atomic():
            self.store.db.conn.executemany(
                """
                INSERT INTO translations (text_hash, language, translated, backend, created_at)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (text_hash, language) DO UPDATE SET
                    translated = excluded.translated, backend = excluded.backend,
                    created_at = excluded.created_at
                """,
                [
                    (text_hash(text), language, translated, backend, now)
                    for text, translated in pairs.items()
                ],
            )
