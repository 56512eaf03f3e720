"""Temp files beside a workbook, flushing them to disk, and removing those a killed run left.

Every file xlmargin writes (a workbook, its backup) is written to a temp file in the same
folder, flushed to disk, then renamed to its final name, so the final name only ever holds a
complete file. Temp files are named ``.NAME~xlmargin-PID-RANDOM.tmp`` after the workbook they
are for (PID: the process writing them), so a user can tell what they are and where they come
from. Every exit the process controls (an error, Ctrl-C, SIGTERM) removes them; one that was
killed outright cannot, so the next run that writes the same workbook does (``sweep``).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import sys
import time
from pathlib import Path

MARKER = "~xlmargin-"
STALE_SECONDS = 3600.0
"""A temp file this old is a leftover whatever process its name gives: a save takes seconds,
and the process id may have been reused, or belong to another machine sharing the folder."""


def resolved(path: Path) -> Path:
    """The file a write to ``path`` must change: through symbolic links, so a link to a
    workbook keeps pointing at the updated workbook instead of being replaced by a copy."""
    return Path(os.path.realpath(path))


def new_temp(target: Path) -> Path:
    """An empty temp file of our own beside ``target`` (private until it is renamed)."""
    while True:
        temp = target.with_name(f".{target.name}{MARKER}{os.getpid()}-{secrets.token_hex(4)}"
                                ".tmp")
        try:
            os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            continue
        return temp


def flush_to_disk(path: Path) -> None:
    """What the OS still buffers of ``path`` reaches the disk before it is renamed: without it,
    a power cut just after the rename can leave an empty file under the final name."""
    # Read-write: Windows flushes only a handle that may write.
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def flush_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; Windows has no directory handles to sync)."""
    if sys.platform == "win32":
        return
    with contextlib.suppress(OSError):  # some filesystems cannot sync a directory: best effort
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _leftover_pattern(target: Path) -> re.Pattern[str]:
    # One leading dot for ours; two for the temp file the xlwings Lite writer makes from ours.
    return re.compile(rf"\.\.?{re.escape(target.name)}{re.escape(MARKER)}(\d+)-[0-9a-f]+"
                      r"(?:-parts-.*)?\.tmp")


def sweep(target: Path, now: float | None = None) -> list[Path]:
    """Remove the temp files of ``target`` that runs killed mid-write left, and say which.

    Call it holding the workbook's lock: then no other xlmargin is writing ``target``, and a
    temp file of it is a leftover when the process its name gives is no longer running (or is
    this one, which has made none yet: process ids are reused), or it is older than
    STALE_SECONDS."""
    now = time.time() if now is None else now
    pattern = _leftover_pattern(target)
    removed: list[Path] = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed
    for entry in entries:
        found = pattern.fullmatch(entry.name)
        if found is None or not entry.is_file(follow_symlinks=False):
            continue
        try:
            old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_SECONDS
        except OSError:
            continue
        if old or not _running(int(found.group(1))):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return False
    if sys.platform == "win32":
        return True  # os.kill would end the process there: the age rule alone decides
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # gone, or no process id at all
        return False
    except PermissionError:
        return True  # another user's process
    return True
