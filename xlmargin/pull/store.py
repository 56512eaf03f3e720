"""The page files a pull writes, and the half-pulled ones a later pull resumes.

One file per endpoint and calendar month, named by its window:
``openai-completions_2026-08-01_2026-09-01.json`` (a window that ends at the moment of the
pull: ``..._2026-09-14T1630Z.json``). It holds the API's pages as the API sent them, one after
another, which ``import-usage`` reads like any saved page. Billed costs go to ``costs/`` beside
the token usage, so that importing the folder does not count the money twice (tokens priced
at the catalog, and the bill for the same tokens).

While an endpoint's month is pulled, each page is saved as it arrives under
``.xlmargin-pull/partial/``, with the cursor of the next one: a pull cut half-way resumes
there. The month's file appears (renamed into place, complete) only when its last page is in,
and replaces the files of that endpoint and month it covers; a month pulled at least
``SETTLED`` after its end is final and not asked for again. ``manifest.json`` remembers when
each file was pulled, and which files are xlmargin's to replace."""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from xlmargin.errors import InputError
from xlmargin.pull.endpoints import Endpoint
from xlmargin.sheets.tempfiles import flush_folder, flush_to_disk, new_temp, sweep

STATE = ".xlmargin-pull"
COSTS = "costs"
SETTLED = timedelta(days=2)
"""Usage reaches the reports late: a month pulled this long after its end is taken as final."""
_NAME = re.compile(r"^(?P<stem>[a-z]+-[a-z_]+)_(?P<start>[0-9T:\-Z]+)_(?P<end>[0-9T:\-Z]+)\.json$")


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    def covers(self, other: Window) -> bool:
        return self.start <= other.start and other.end <= self.end

    def hull(self, other: Window) -> Window:
        return Window(min(self.start, other.start), max(self.end, other.end))

    def text(self) -> str:
        return f"{_stamp(self.start)} to {_stamp(self.end)}"


def months(window: Window) -> list[Window]:
    """``window`` cut at each first of the month (UTC)."""
    found, start = [], window.start
    while start < window.end:
        first = start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        following = first.replace(year=first.year + first.month // 12,
                                  month=first.month % 12 + 1)
        found.append(Window(start, min(following, window.end)))
        start = following
    return found


def _stamp(when: datetime) -> str:
    if when.hour == when.minute == when.second == 0:
        return f"{when:%Y-%m-%d}"
    return f"{when:%Y-%m-%dT%H%MZ}"


def _unstamp(text: str) -> datetime | None:
    for pattern in ("%Y-%m-%d", "%Y-%m-%dT%H%MZ"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def file_name(endpoint: Endpoint, window: Window) -> str:
    return f"{endpoint.stem}_{_stamp(window.start)}_{_stamp(window.end)}.json"


def parse_name(name: str) -> tuple[str, Window] | None:
    """(stem, window) of a page file's name, or None for any other name."""
    match = _NAME.match(name)
    if match is None:
        return None
    start, end = _unstamp(match["start"]), _unstamp(match["end"])
    if start is None or end is None or end <= start:
        return None
    return match["stem"], Window(start, end)


def write_atomic(path: Path, data: bytes) -> None:
    """``data`` under ``path``, complete or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep(path)  # what a pull killed mid-write left (a pull holds the folder's lock)
    temp = new_temp(path)
    try:
        temp.write_bytes(data)
        flush_to_disk(temp)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    flush_folder(path.parent)


class Store:
    """The pull folder: its page files, the manifest, the partial pulls."""

    def __init__(self, folder: Path, force: bool = False) -> None:
        if folder.exists() and not folder.is_dir():
            raise InputError(str(folder), "not a folder (-o names the folder for the pages)")
        self.folder, self.force = folder, force
        self.state = folder / STATE
        self.manifest_path = self.state / "manifest.json"
        self.manifest: dict[str, Any] = self._load()

    def _load(self) -> dict[str, Any]:
        if not self.manifest_path.is_file():
            return {"files": {}}
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise InputError(str(self.manifest_path), "damaged pull manifest: remove it and "
                             "pull again with --force") from None
        if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
            raise InputError(str(self.manifest_path), "not a pull manifest")
        return data

    def home(self, endpoint: Endpoint) -> Path:
        return self.folder / COSTS if endpoint.billed else self.folder

    def relative(self, path: Path) -> str:
        return path.relative_to(self.folder).as_posix()

    def stored(self, endpoint: Endpoint, month: Window) -> list[tuple[Path, Window]]:
        """The endpoint's page files of ``month``'s calendar month."""
        home = self.home(endpoint)
        if not home.is_dir():
            return []
        found = []
        for path in sorted(home.iterdir()):
            parsed = parse_name(path.name)
            if parsed is None or parsed[0] != endpoint.stem or not path.is_file():
                continue
            window = parsed[1]
            if (window.start.year, window.start.month) == (month.start.year, month.start.month):
                found.append((path, window))
        return found

    def final(self, path: Path, window: Window) -> bool:
        """Whether ``path`` was pulled long enough after its window's end to stay as it is."""
        entry = self.manifest["files"].get(self.relative(path))
        if not isinstance(entry, dict) or "pulled_at" not in entry:
            return False
        pulled = datetime.fromisoformat(entry["pulled_at"])
        return pulled >= window.end + SETTLED

    def check_ours(self, path: Path) -> None:
        """Refuse to replace a file this folder's pulls did not write (unless --force)."""
        if path.exists() and not self.force and \
                self.relative(path) not in self.manifest["files"]:
            raise InputError(str(path), "exists and was not written by xlmargin pull: move it "
                             "away, or give --force to replace it")

    # The partial pull of one endpoint's window: its pages so far and the next cursor.

    def partial(self, name: str) -> Path:
        return self.state / "partial" / name.removesuffix(".json")

    def resume(self, name: str) -> tuple[int, str | None]:
        """(pages already saved, the cursor of the next page, None after the last page) of
        a partial pull of ``name``; (0, None) when there is none."""
        state = self.partial(name) / "state.json"
        if not state.is_file():
            return 0, None
        try:
            data = json.loads(state.read_text(encoding="utf-8"))
            pages, cursor = int(data["pages"]), data["next_page"]
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            return 0, None  # damaged: pull the window again
        if pages < 1 or not (cursor is None or isinstance(cursor, str)):
            return 0, None
        return pages, cursor

    def save_page(self, name: str, number: int, body: bytes, next_page: str | None) -> None:
        """Page ``number`` (from 1) of ``name``, then the state naming the next one: a page
        saved without its state is saved again, over itself, by the resumed pull."""
        folder = self.partial(name)
        write_atomic(folder / f"page-{number:04d}.json", body)
        write_atomic(folder / "state.json",
                     json.dumps({"pages": number, "next_page": next_page}).encode())

    def discard(self, name: str) -> None:
        shutil.rmtree(self.partial(name), ignore_errors=True)

    def finish(self, name: str, endpoint: Endpoint, pages: int, replaces: list[Path],
               now: datetime) -> Path:
        """The partial pull of ``name`` as its page file; the files it covers removed."""
        folder = self.partial(name)
        target = self.home(endpoint) / name
        body = b"\n".join((folder / f"page-{n:04d}.json").read_bytes().rstrip()
                          for n in range(1, pages + 1)) + b"\n"
        files = self.manifest["files"]
        # Named in the manifest first: a run stopped right after the rename still owns it.
        files[self.relative(target)] = {"pulled_at": now.isoformat(), "pages": pages}
        self.save_manifest()
        write_atomic(target, body)
        for old in replaces:
            if old != target:
                old.unlink(missing_ok=True)
                files.pop(self.relative(old), None)
        self.save_manifest()
        self.discard(name)
        return target

    def save_manifest(self) -> None:
        write_atomic(self.manifest_path,
                     (json.dumps(self.manifest, indent=1, sort_keys=True) + "\n").encode())
