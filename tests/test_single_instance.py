"""One bot per database: a second `python -m bot` on the same DATABASE_PATH is refused at once,
the CLI's other commands keep working beside the running bot, and a bot killed with SIGKILL
leaves no lock behind."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.single_instance import AlreadyRunning, InstanceLock, lock_path
from tests.fakes.bot_api import FakeBotApi
from tests.fakes.bot_process import start_bot
from tests.fakes.feed_server import FeedServer
from tests.test_cli import STAT, run


def _wait_until_running(api: FakeBotApi, process: subprocess.Popen[str], started: int) -> None:
    """Wait until this process has registered its commands (the `started`+1-th bot to do so)."""
    deadline = time.monotonic() + 60
    # Two setMyCommands a start: English and Chinese.
    while len(api.sent(method="setMyCommands")) < 2 * (started + 1):
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline, "the bot did not start"
        time.sleep(0.05)


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.route("/rss/stat", STAT.read_bytes())
        yield server


def test_a_second_bot_is_refused_the_cli_works_beside_and_a_killed_bot_frees_the_lock(
    tmp_path: Path, feeds: FeedServer
) -> None:
    database = tmp_path / "bot.sqlite3"
    with FakeBotApi() as api:
        first = start_bot(api, database)
        try:
            _wait_until_running(api, first, started=0)
            second = start_bot(api, database)
            output, _ = second.communicate(timeout=60)
            assert second.returncode == 1
            assert output.strip().splitlines() == [
                f"error: another bot is already running on {database} (pid {first.pid}): "
                "stop it first, or give this one its own DATABASE_PATH"
            ]

            # The commands an operator runs beside the bot take no lock.
            env = {"DATABASE_PATH": str(database), "ARXIV_RSS_URL": feeds.base_url}
            fetched = run(["fetch", "--category", "stat"], tmp_path, **env)
            assert fetched.returncode == 0, fetched.stderr
            assert "45 papers" in fetched.stdout
            stats = run(["stats"], tmp_path, **env)
            assert stats.returncode == 0 and "papers: 45" in stats.stdout, stats.stderr
            copy = run(["backup", str(tmp_path / "copy.sqlite3")], tmp_path, **env)
            assert copy.returncode == 0, copy.stderr
            digest = ["digest", "--feed", str(STAT), "--category", "stat.ML"]
            printed = run([*digest, "--translator", "none"], tmp_path, **env)
            assert printed.returncode == 0 and "# 摘要" in printed.stdout, printed.stderr
        finally:
            first.send_signal(signal.SIGKILL)
            first.communicate(timeout=60)

        # The OS freed the lock with the process: a new bot starts at once.
        third = start_bot(api, database)
        try:
            _wait_until_running(api, third, started=1)
        finally:
            third.send_signal(signal.SIGTERM)
            output, _ = third.communicate(timeout=60)
        assert third.returncode == 0, output
        assert "already running" not in output


def test_a_bot_on_another_database_is_not_refused_one_under_another_name_is(
    tmp_path: Path,
) -> None:
    with InstanceLock(tmp_path / "one.sqlite3"), InstanceLock(tmp_path / "two.sqlite3"):
        (tmp_path / "one.sqlite3").touch()
        (tmp_path / "alias.sqlite3").symlink_to(tmp_path / "one.sqlite3")
        with pytest.raises(AlreadyRunning):
            InstanceLock(tmp_path / "alias.sqlite3").acquire()


def test_the_lock_is_refused_while_held_and_free_after(tmp_path: Path) -> None:
    database = tmp_path / "data" / "bot.sqlite3"
    with InstanceLock(database):
        assert lock_path(database) == tmp_path / "data" / "bot.sqlite3.lock"
        assert (lock_path(database).stat().st_mode & 0o777) == 0o600
        # flock locks belong to an open file: a second open in this process is refused too.
        with pytest.raises(AlreadyRunning) as refused:
            InstanceLock(database).acquire()
        assert refused.value.pid == os.getpid()
        assert "already running on" in str(refused.value)
    with InstanceLock(database):
        pass
    assert lock_path(database).exists()  # kept: deleting it would race with a waiting start
