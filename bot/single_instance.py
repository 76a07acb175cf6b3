"""One bot per database: an OS file lock beside the database, held for the process's life.

Two bots draining one outbox send the same messages twice. `fcntl.flock` on
`<DATABASE_PATH>.lock` is held by the open file itself, so the kernel frees it when the process
ends in any way (kill -9 included): there is no stale lock to clean up. The lock file is never
deleted: removing it while another process waits on it would let two processes hold "the" lock
on two different files. The CLI's other commands (stats, backup, fetch, digest) take no lock:
SQLite's own locking lets them work beside a running bot.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

_FILE_MODE = 0o600


class AlreadyRunning(Exception):
    """Another process holds the lock; `pid` is its process id when it wrote one."""

    def __init__(self, database: Path, pid: int | None) -> None:
        holder = f" (pid {pid})" if pid else ""
        super().__init__(
            f"another bot is already running on {database}{holder}: stop it first, "
            "or give this one its own DATABASE_PATH"
        )
        self.pid = pid


def lock_path(database: Path) -> Path:
    """Where the lock for `database` lives: beside the file itself (symbolic links and
    relative paths resolved), so two names for one database share one lock."""
    real = database.resolve()
    return real.with_name(real.name + ".lock")


class InstanceLock:
    """`with InstanceLock(database):` runs the block as the only bot on `database`, or raises
    AlreadyRunning at once (it never waits)."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = lock_path(database)
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise AlreadyRunning."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, _FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            os.close(fd)
            raise AlreadyRunning(self.database, pid) from None
        # The holder's pid, for the refusal message of the next one to try.
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Free the lock (the OS does the same when the process ends)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def running_bot(database: Path) -> AlreadyRunning | None:
    """The refusal a bot starting on `database` now would get, or None when none runs on it.

    Only probes the lock (a shared, non-blocking try, released at once) and creates no lock
    file: `doctor` looks without taking over from a running bot.
    """
    try:
        fd = os.open(lock_path(database), os.O_RDONLY)
    except FileNotFoundError:
        return None  # no bot ever ran on it
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return AlreadyRunning(database, _read_pid(fd))
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _read_pid(fd: int) -> int | None:
    text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return int(text) if text.isdigit() else None
