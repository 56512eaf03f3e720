"""One xlmargin at a time writes a workbook: an exclusive lock held across its whole
read-modify-write, so two imports into the same file are serialised instead of one silently
overwriting the other's result.

The lock is an operating-system lock (``flock`` on POSIX, ``msvcrt.locking`` on Windows) on a
small file beside the workbook, ``.NAME.lock``. The OS drops it when its process ends, however
it ends, so a killed run never blocks the next one; a lock file it leaves behind is unlocked,
taken by the next run and removed when that run finishes.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from xlmargin.errors import InputError

WAIT_SECONDS = 10.0
"""How long a second writer waits for the first before giving up: longer than loading and
saving a large workbook takes, short enough that a stuck run is noticed."""
POLL_SECONDS = 0.05


class WorkbookBusyError(InputError):
    """Another xlmargin held the workbook's lock for the whole wait."""


def lock_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.lock")


@contextlib.contextmanager
def locked(target: Path, where: str | None = None, wait: float | None = None) -> Iterator[None]:
    """Hold the lock of the workbook at ``target`` (a resolved path) for the ``with`` block.
    Waits up to ``wait`` seconds (WAIT_SECONDS by default) for another holder, then raises
    WorkbookBusyError naming ``where`` (the path as the user gave it; ``target`` by default)."""
    where = where or str(target)
    wait = WAIT_SECONDS if wait is None else wait
    lock = lock_path(target)
    deadline = time.monotonic() + wait
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as error:
            # Windows refuses to open a lock file its holder is deleting: busy for a moment.
            if not (sys.platform == "win32" and isinstance(error, PermissionError)):
                raise _cannot_lock(where, error) from error
            fd = -1
        if fd >= 0:
            try:
                got = _try_lock(fd)
            except OSError as error:
                # A filesystem without locks: writing unlocked could lose an import unseen.
                os.close(fd)
                raise InputError(where, f"cannot lock it on this filesystem "
                                        f"({error.strerror or error}); copy it to a local "
                                        "folder and run there") from error
            if got:
                if _is_current(fd, lock):
                    break
                # The previous holder removed this file after we opened it: anyone arriving
                # now creates and locks a new one, so ours no longer excludes them.
                _unlock(fd)
            os.close(fd)
        if time.monotonic() >= deadline:
            raise WorkbookBusyError(where, "another xlmargin is writing it (waited "
                                           f"{wait:g} s); run again when it has finished")
        time.sleep(POLL_SECONDS)
    try:
        yield
    finally:
        _release(fd, lock)


def _cannot_lock(where: str, error: OSError) -> InputError:
    # The folder is what refuses (the lock file is made where the workbook would be).
    return InputError(where, f"cannot write here: {error.strerror or error}")


def _is_current(fd: int, lock: Path) -> bool:
    try:
        now = os.stat(lock)
    except OSError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (now.st_dev, now.st_ino)


if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        with contextlib.suppress(OSError):
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

    def _release(fd: int, lock: Path) -> None:
        # Windows cannot delete a file another process has open: remove it only after closing,
        # and only if no waiter has it open (then the delete fails and the file stays).
        _unlock(fd)
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(lock)
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

    def _release(fd: int, lock: Path) -> None:
        # Removed while still locked: a waiter that then gets the lock on the removed file
        # sees (``_is_current``) that it is gone and tries again with a new one.
        with contextlib.suppress(OSError):
            os.unlink(lock)
        _unlock(fd)
        os.close(fd)
