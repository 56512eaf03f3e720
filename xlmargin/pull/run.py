"""A pull: every endpoint's months of the window, each month's pages followed to the last,
saved as they arrive, the months already pulled and settled kept as they are."""

from __future__ import annotations

import os
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from xlmargin.errors import InputError
from xlmargin.pull.endpoints import Endpoint
from xlmargin.pull.http import PullError, Session
from xlmargin.pull.store import Store, Window, file_name, months

PULLED, RESUMED, KEPT = "pulled", "resumed", "kept"


@dataclass(frozen=True)
class Pulled:
    endpoint: str
    window: Window
    path: Path
    pages: int
    """Pages requested by this run (0 for a file kept as it was)."""
    status: str
    """'pulled', 'resumed' (pages saved by an earlier, cut pull were reused) or 'kept'."""
    billed: bool

    def as_json(self, folder: Path) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "start": self.window.start.isoformat(),
                "end": self.window.end.isoformat(),
                "file": self.path.relative_to(folder).as_posix(), "pages": self.pages,
                "status": self.status, "billed": self.billed}


@dataclass
class PullResult:
    provider: str
    window: Window
    folder: Path
    files: list[Pulled] = field(default_factory=list)

    def paths(self, billed: bool) -> list[Path]:
        return [f.path for f in self.files if f.billed == billed]

    def as_json(self) -> dict[str, Any]:
        return {"provider": self.provider, "start": self.window.start.isoformat(),
                "end": self.window.end.isoformat(), "folder": str(self.folder),
                "files": [f.as_json(self.folder) for f in self.files],
                "pages": sum(f.pages for f in self.files)}


def read_key(env: str, key_file: str | None) -> tuple[str, str]:
    """(the admin key, where it came from): from ``key_file`` when given, else ``env``. The key
    itself is never part of a message."""
    if key_file is not None:
        source = f"--key-file {key_file}"
        try:
            with open(key_file, encoding="utf-8") as handle:
                key = handle.read().strip()
        except UnicodeDecodeError:
            raise InputError(source, "not a text file holding a key") from None
    else:
        source = env
        key = os.environ.get(env, "").strip()
        if not key:
            raise InputError(env, f"no admin key: set {env}, or give --key-file PATH (a key "
                                  "is never taken on the command line)")
    if not key:
        raise InputError(source, "the file is empty")
    if any(c not in string.printable or c in string.whitespace for c in key):
        raise InputError(source, "the key holds spaces, line breaks or other characters no "
                                 "key has: one key on one line")
    return key, source


def window_of(since: str, until: str | None, now: datetime) -> Window:
    """[since, until) from YYYY-MM-DD days (UTC); until defaults to now, and never passes it."""
    start = _day(since, "--since")
    moment = now.replace(second=0, microsecond=0)
    end = moment if until is None else min(_day(until, "--until"), moment)
    if start >= end:
        raise InputError("--since", f"{since} is not before "
                                    f"{until or 'now'}: nothing to pull")
    return Window(start, end)


def _day(text: str, where: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise InputError(where, f"{text!r} is not a day as YYYY-MM-DD") from None


def pull(session: Session, endpoints: Sequence[Endpoint], window: Window, store: Store, *,
         now: datetime, refresh: bool = False,
         progress: Callable[[str], None] = lambda _line: None) -> PullResult:
    """Every endpoint's months of ``window`` into ``store``. Raises PullError (the pages in
    so far stay saved, for the next pull to resume) or InputError."""
    result = PullResult(session.api.provider, window, store.folder)
    for endpoint in endpoints:
        for month in months(window):
            result.files.append(_month(session, endpoint, month, store, now, refresh,
                                       progress))
    return result


def _month(session: Session, endpoint: Endpoint, month: Window, store: Store, now: datetime,
           refresh: bool, progress: Callable[[str], None]) -> Pulled:
    stored = store.stored(endpoint, month)
    if not refresh:
        for path, window in stored:
            if window.covers(month) and store.final(path, window):
                return Pulled(endpoint.name, window, path, 0, KEPT, endpoint.billed)
    target = month
    for _path, window in stored:  # the new file replaces these: it must hold all they held
        target = target.hull(window)
    name = file_name(endpoint, target)
    for path in [store.home(endpoint) / name, *(p for p, _ in stored)]:
        store.check_ours(path)
    done, cursor = store.resume(name)
    status = RESUMED if done else PULLED
    requested = 0
    while not done or cursor is not None:
        number = done + 1
        what = f"{endpoint.path} {target.text()} page {number}"
        try:
            body, data = session.get(endpoint.path,
                                     endpoint.params(target.start, target.end, cursor), what)
        except PullError as error:
            if done and error.status in (400, 404, 422) and requested == 0:
                # The saved cursor is no longer accepted: the window again, from its start.
                store.discard(name)
                done, cursor, status = 0, None, PULLED
                continue
            raise
        requested += 1
        following = _next_page(data, what, session.api.provider)
        if following is not None and following == cursor:
            raise PullError(f"{session.api.provider} {what}: the API gave the same next_page "
                            "cursor again; stopped rather than loop")
        store.save_page(name, number, body, following)
        buckets = len(data["data"])
        progress(f"{session.api.provider} {endpoint.name} {target.text()}: page {number} "
                 f"({buckets} day(s)){', more to come' if following else ''}")
        done, cursor = number, following
    path = store.finish(name, endpoint, done, [p for p, _ in stored], now)
    return Pulled(endpoint.name, target, path, requested, status, endpoint.billed)


def _next_page(data: Any, what: str, provider: str) -> str | None:
    """The cursor of the page after ``data``, None after the last."""
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise PullError(f"{provider} {what}: not a page of buckets (no data list): check "
                        "--base-url")
    if not data.get("has_more"):
        return None
    cursor = data.get("next_page")
    if not isinstance(cursor, str) or not cursor:
        raise PullError(f"{provider} {what}: has_more without a next_page cursor")
    return cursor
