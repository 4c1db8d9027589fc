"""One run at a time: an OS-level file lock beside the database.

``kankei run``, ``kankei schedule`` (per cycle) and ``kankei rebuild`` hold
:func:`run_lock` while they write. The lock is ``fcntl.flock`` on
``<database>.lock``: the kernel releases it when the process exits, however it
exits (SIGKILL included), so a crashed run never leaves a stale lock. The file
itself stays in place (deleting a lock file races with the next locker); it only
holds the pid and start time of the current holder, for the error message.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from db.runs import utcnow
from scraper.errors import KankeiError

from .config import Config


class LockFileError(KankeiError):
    """The lock file cannot be created or written (a read-only folder, a full disk)."""


class LockHeld(KankeiError):
    """Another kankei process holds the run lock."""

    def __init__(self, path: Path, holder: str) -> None:
        self.path = path
        self.holder = holder
        super().__init__(f"another kankei run holds {path} ({holder}); nothing was written")


def describe_holder(text: str) -> str:
    """'pid 1234 since 2026-11-27T22:40:01Z' from the lock file's text (best effort)."""
    parts = text.split()
    if len(parts) >= 2 and parts[0].isdigit():
        return f"pid {parts[0]} since {parts[1]}"
    return "holder unknown"


@contextmanager
def file_lock(path: Path) -> Iterator[Path]:
    """Hold an exclusive, non-blocking ``flock`` on ``path`` (created if needed) or raise LockHeld."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as e:
        raise LockFileError(f"cannot create the lock file {path}: {e.strerror or e}") from e
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = describe_holder(os.pread(fd, 200, 0).decode("ascii", "replace"))
            raise LockHeld(path, holder) from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()} {utcnow()}\n".encode("ascii"), 0)
        except OSError as e:
            raise LockFileError(f"cannot write the lock file {path}: {e.strerror or e}") from e
        try:
            yield path
        finally:
            try:
                os.ftruncate(fd, 0)
            except OSError:
                pass
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def run_lock(config: Config) -> Iterator[Path]:
    """Hold the run lock of ``config``'s database (``Config.lock_path``) or raise :class:`LockHeld`."""
    with file_lock(config.lock_path) as path:
        yield path

