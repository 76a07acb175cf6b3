"""`python -m bot` as an operator starts it: one clear line when running, a clean stop on
Ctrl+C or SIGTERM, and the token never in what it prints."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from tests.fakes.bot_api import FakeBotApi
from tests.fakes.bot_process import start_bot, wait_until_polling


def test_the_bot_starts_says_so_once_answers_and_stops_cleanly(tmp_path: Path) -> None:
    with FakeBotApi(token="987654:SECRET-token-value") as api:
        # The bot creates the database's folder itself.
        process = start_bot(api, tmp_path / "data" / "bot.sqlite3", tmp_path, LOG_LEVEL="DEBUG")
        try:
            deadline = time.monotonic() + 30
            wait_until_polling(api, process, deadline)
            api.push_message(5, "/help")
            while not api.sent(5):
                assert time.monotonic() < deadline, "the bot did not answer"
                time.sleep(0.05)
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    running = [line for line in output.splitlines() if "is running" in line]
    assert len(running) == 1 and "@digest_bot" in running[0]
    assert "long polling mode" in output and "webhook" not in output
    assert api.token not in output and "SECRET" not in output
    assert (tmp_path / "data" / "bot.sqlite3").exists()
    # 👍/👎 reactions vote: Telegram sends them only to a bot that names them.
    assert api.allowed_updates is not None and "message_reaction" in api.allowed_updates


def test_a_stop_during_start_up_is_a_clean_stop(tmp_path: Path) -> None:
    """A host that restarts the bot while it is still connecting gets exit status 0 and no
    false "cannot reach Telegram"."""
    with FakeBotApi() as api:
        process = start_bot(api, tmp_path / "bot.sqlite3")
        deadline = time.monotonic() + 30
        while not api.calls:  # it has reached Telegram and is starting
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.001)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "cannot reach Telegram" not in output and "Traceback" not in output
