"""Kill -9 in the middle of a push to 200 chats, start again: every message arrives, in order,
and only messages in flight when the process died (at most one per chat) are repeated."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

from bot.sender import SendLimits
from storage import chats, outbox
from storage.database import open_store
from storage.outbox import OutboxMessage
from tests.fakes.bot_api import FakeBotApi
from tests.fakes.bot_process import start_bot

ROOT = Path(__file__).parent.parent
CHATS = 200
PER_CHAT = 3


def start_worker(db: Path, api: FakeBotApi) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.drain_worker", str(db), api.base_url, api.token],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_kill_9_mid_push_loses_nothing_and_repeats_at_most_the_one_in_flight(
    tmp_path: Path,
) -> None:
    db = tmp_path / "bot.sqlite3"
    store = open_store(db)
    day = date(2024, 3, 26)
    for chat_id in range(1, CHATS + 1):
        chats.ensure_chat(store, chat_id, language="en", timezone="UTC", delivery_time="09:00")
        outbox.enqueue_digest(
            store,
            chat_id,
            day,
            [
                OutboxMessage(
                    chat_id,
                    seq,
                    f"chat {chat_id} message {seq}",
                    arxiv_id=f"2403.{seq:05d}" if seq else None,
                    version=1,
                    announced=day,
                )
                for seq in range(PER_CHAT)
            ],
        )
    store.close()
    with FakeBotApi() as api:
        api.send_delay = 0.002
        first = start_worker(db, api)
        deadline = time.monotonic() + 60
        while len(api.sent()) < CHATS:  # kill once about a third has gone out
            assert first.poll() is None, first.stderr.read() if first.stderr else b""
            assert time.monotonic() < deadline
            time.sleep(0.005)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        killed_at = len(api.sent())
        assert killed_at < CHATS * PER_CHAT
        second = start_worker(db, api)
        _, errors = second.communicate(timeout=120)
        assert second.returncode == 0, errors.decode()
        received: dict[int, list[str]] = defaultdict(list)
        for message in api.sent():
            received[int(message["chat_id"])].append(message["text"])
    repeats = 0
    in_flight = SendLimits().concurrency
    for chat_id in range(1, CHATS + 1):
        texts = received[chat_id]
        expected = [f"chat {chat_id} message {seq}" for seq in range(PER_CHAT)]
        unique = list(dict.fromkeys(texts))
        assert unique == expected, (chat_id, texts)  # everything, in order
        assert len(texts) - len(unique) <= 1, (chat_id, texts)  # one in flight per chat
        repeats += len(texts) - len(unique)
    # Only messages in flight (sent, never confirmed) can be repeated.
    assert repeats <= in_flight
    reopened = open_store(db)
    assert outbox.pending_count(reopened) == 0
    row = reopened.db.execute("SELECT COUNT(*) FROM deliveries").fetchone()
    assert row[0] == CHATS * (PER_CHAT - 1)
    assert reopened.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_sigterm_mid_push_finishes_the_message_in_flight_then_exits_cleanly(
    tmp_path: Path,
) -> None:
    """A host restarting the bot (SIGTERM) while Telegram is slow: the message being sent is
    confirmed and recorded before the process exits, so the next start does not repeat it."""
    db = tmp_path / "bot.sqlite3"
    store = open_store(db)
    day = date(2024, 3, 26)
    chats.ensure_chat(store, 7, language="en", timezone="UTC", delivery_time="09:00")
    outbox.enqueue_digest(
        store,
        7,
        day,
        [OutboxMessage(7, seq, f"message {seq}", announced=day) for seq in range(3)],
    )
    store.close()

    with FakeBotApi() as api:
        api.send_delay = 1.5  # each message takes Telegram a second and a half
        first = start_bot(api, db)
        deadline = time.monotonic() + 30
        while not api.sends_started:
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        first.send_signal(signal.SIGTERM)
        output, _ = first.communicate(timeout=30)
        assert first.returncode == 0, output
        assert [m["text"] for m in api.sent(7)] == ["message 0"]
        reopened = open_store(db)
        assert outbox.pending_count(reopened) == 2  # the one in flight is recorded as sent
        reopened.close()
        api.send_delay = 0.0
        second = start_bot(api, db)
        try:
            while len(api.sent(7)) < 3:
                assert second.poll() is None and time.monotonic() < deadline + 30
                time.sleep(0.05)
        finally:
            second.send_signal(signal.SIGTERM)
            second.communicate(timeout=30)
        assert [m["text"] for m in api.sent(7)] == ["message 0", "message 1", "message 2"]
