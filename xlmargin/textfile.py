"""Decoding the text files users hand xlmargin: rosters, client maps, price files, settings and
usage exports, whatever program saved them.

Windows Excel saves "CSV" in the system's code page (cp1252 in Western Europe and the US) and
"Unicode text" in UTF-16 with a byte-order mark; PowerShell writes UTF-16 or cp1252 JSON;
everything else writes UTF-8, with or without a BOM. So: a BOM says which; without one the text
is UTF-8 if it decodes as UTF-8, and Windows-1252 if none of its non-ASCII bytes form UTF-8
(cp1252 text almost never happens to). A file with both, or a byte neither encoding has, is a
message naming the file and line, never a UnicodeDecodeError. Whenever the text was not UTF-8
the reader says which encoding it used, so a wrong guess cannot pass unseen.

Only the standard library: the Excel functions' price file comes through here.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from xlmargin.errors import InputError

UTF8, UTF8_BOM, CP1252 = "utf-8", "utf-8-sig", "cp1252"
_BOMS = ((b"\xef\xbb\xbf", UTF8_BOM), (b"\xff\xfe\x00\x00", "utf-32-le"),
         (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe", "utf-16-le"),
         (b"\xfe\xff", "utf-16-be"))
_NAMES = {CP1252: "Windows-1252 (cp1252, what Windows Excel saves as \"CSV\")",
          "utf-16-le": "UTF-16", "utf-16-be": "UTF-16", "utf-32-le": "UTF-32",
          "utf-32-be": "UTF-32"}
# A well-formed UTF-8 sequence of two to four bytes: its presence says the text is UTF-8.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]"
                            rb"|[\xe1-\xec\xee\xef][\x80-\xbf]{2}|\xed[\x80-\x9f][\x80-\xbf]"
                            rb"|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
                            rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_BARE_CR = re.compile(r"(?<=\r)(?!\n|$)")


def note_on_stderr(text: str) -> None:
    """Where a reader's note goes when its caller has nowhere better to show it."""
    print(f"xlmargin: note: {text}", file=sys.stderr)


Notify = Callable[[str], None]


def encoding_note(name: str, encoding: str, bom: bool = True) -> str | None:
    """The sentence that says a file was not read as UTF-8; None when it was."""
    if encoding in (UTF8, UTF8_BOM):
        return None
    label = _NAMES.get(encoding, encoding)
    if encoding.startswith("utf-") and not bom:
        label += " without a byte-order mark"
    return f"{name}: read as {label}, not UTF-8"


def _bom_of(data: bytes) -> tuple[str, int] | None:
    for mark, encoding in _BOMS:
        if data.startswith(mark):
            return encoding, len(mark)
    return None


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text without its BOM: ASCII characters with a NUL beside each, on one side."""
    sample = head[: min(len(head), 512) // 2 * 2]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) >= len(odd) * 0.9 and not even.count(0):
        return "utf-16-le"
    if even.count(0) >= len(even) * 0.9 and not odd.count(0):
        return "utf-16-be"
    return None


def _line_at(text: str) -> int:
    """The number of the line that ``text`` (a file's beginning) ends on."""
    return len(_LINE_BREAK.findall(text)) + 1


def _bad_byte(data: bytes, offset: int, why: str) -> str:
    return f"byte 0x{data[offset]:02x} {why}"


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str
    bom: bool = False

    def note(self, name: str) -> str | None:
        return encoding_note(name, self.encoding, self.bom)


def _marked(data: bytes) -> tuple[str, int] | None:
    """(encoding, BOM length) when a BOM, or UTF-16's NULs, say which encoding it is."""
    found = _bom_of(data)
    if found is None:
        guess = _utf16_without_bom(data)
        found = None if guess is None else (guess, 0)
    return found


def marked_encoding(head: bytes) -> str | None:
    """The encoding a file's first bytes announce (a BOM, or UTF-16's NULs), if any."""
    found = _marked(head)
    return None if found is None else found[0]


def decode(data: bytes, name: str) -> Decoded:
    """A whole file's text (see the module's rules). Raises InputError naming ``name`` and the
    line of the first byte that is not text."""
    marked = _marked(data)
    if marked is not None:
        encoding, skip = marked
        label = _NAMES.get(encoding, encoding)
        try:
            return Decoded(data[skip:].decode(encoding), encoding, bom=skip > 0)
        except UnicodeDecodeError as error:
            prefix = data[skip:skip + error.start].decode(encoding, errors="replace")
            raise InputError(f"{name}:{_line_at(prefix)}",
                             f"bytes that are not {label} text, in a file that starts as "
                             f"{label}: re-save it as UTF-8") from None
    try:
        return Decoded(data.decode(UTF8), UTF8)
    except UnicodeDecodeError as error:
        utf8_error = error
    if _UTF8_SEQUENCE.search(data):
        at = utf8_error.start
        line = _line_at(data[:at].decode(UTF8, errors="replace"))
        raise InputError(f"{name}:{line}", _bad_byte(data, at, "is not UTF-8, though the "
                                                     "rest of the file is: re-save it as "
                                                     "UTF-8")) from None
    try:
        return Decoded(data.decode(CP1252), CP1252)
    except UnicodeDecodeError as error:
        line = _line_at(data[:error.start].decode(CP1252, errors="replace"))
        raise InputError(f"{name}:{line}", _bad_byte(data, error.start,
                                                     "is neither UTF-8 nor Windows-1252 text: "
                                                     "re-save the file as UTF-8")) from None


def read_text(path: str | Path, notify: Notify | None = None) -> str:
    """A small file's whole text, decoded; the encoding note, if any, goes to ``notify``
    (stderr by default). An unreadable file raises OSError, which names it."""
    path = Path(path)
    decoded = decode(path.read_bytes(), str(path))
    note = decoded.note(path.name)
    if note is not None:
        (notify or note_on_stderr)(note)
    return decoded.text


def split_lines(text: str) -> Iterator[str]:
    """The physical lines of a decoded text, each with its line break: '\\r\\n', '\\n' or
    a bare '\\r' (old Mac Excel). Other characters Python calls line breaks are not, in CSV."""
    start = 0
    for match in _LINE_BREAK.finditer(text):
        yield text[start:match.end()]
        start = match.end()
    if start < len(text):
        yield text[start:]


@dataclass
class Lines:
    """A file's physical lines as (number, text), decoded as they are read: large exports are
    streamed, not loaded. Until the first non-ASCII line any of the encodings reads the same;
    that line settles UTF-8 or cp1252 for the rest. A line that does not decode in the settled
    encoding is still yielded (with U+FFFD where its bad bytes were) and listed in ``bad``, so
    the caller can report that row and read the others."""

    path: Path
    encoding: str = UTF8
    bom: bool = False
    bad: dict[int, str] = field(default_factory=dict)
    ended_with_newline: bool = True
    """Whether the file's last line has a line break (a file cut short has none)."""
    _settled: bool = field(default=False, init=False)

    def note(self) -> str | None:
        return encoding_note(self.path.name, self.encoding, self.bom)

    def __iter__(self) -> Iterator[tuple[int, str]]:
        with open(self.path, "rb") as handle:
            head = handle.read(4096)
            found = _marked(head)
            if found is not None and found[0] != UTF8_BOM:
                # UTF-16/32 files come from Excel's "Unicode text" or PowerShell: not the
                # millions of rows a gateway logs, so they are decoded whole.
                handle.seek(0)
                decoded = decode(handle.read(), str(self.path))
                self.encoding, self.bom, self._settled = decoded.encoding, decoded.bom, True
                yield from self._numbered(split_lines(decoded.text))
                return
            handle.seek(0)
            if found is not None:
                handle.read(3)
                self.encoding, self.bom, self._settled = UTF8_BOM, True, True
            number = 0
            for raw in handle:
                text = self._decoded(raw, number + 1)
                if "\r" in text and _BARE_CR.search(text):
                    for piece in _BARE_CR.split(text):
                        number += 1
                        yield number, piece
                else:
                    number += 1
                    yield number, text
            if number:
                self.ended_with_newline = raw.endswith((b"\n", b"\r"))

    def _numbered(self, lines: Iterator[str]) -> Iterator[tuple[int, str]]:
        number, text = 0, ""
        for number, text in enumerate(lines, start=1):
            yield number, text
        if number:
            self.ended_with_newline = text.endswith(("\n", "\r"))

    def _decoded(self, raw: bytes, number: int) -> str:
        if raw.isascii():
            return raw.decode("ascii")
        if not self._settled:
            self._settled = True
            try:
                return raw.decode(UTF8)
            except UnicodeDecodeError:
                if not _UTF8_SEQUENCE.search(raw):
                    self.encoding = CP1252
        if self.encoding == CP1252:
            if _UTF8_SEQUENCE.search(raw) and _decodes(raw, UTF8):
                self.bad[number] = ("UTF-8 text, in a file read as Windows-1252 (cp1252) "
                                    "from an earlier line: two files joined?")
            try:
                return raw.decode(CP1252)
            except UnicodeDecodeError as error:
                self.bad.setdefault(number, _bad_byte(raw, error.start,
                                                      "is neither UTF-8 nor Windows-1252 text"))
                return raw.decode(CP1252, errors="replace")
        try:
            return raw.decode(UTF8)
        except UnicodeDecodeError as error:
            self.bad[number] = _bad_byte(raw, error.start, "is not UTF-8 (the file is)")
            return raw.decode(UTF8, errors="replace")


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True
