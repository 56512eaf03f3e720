"""xlwings Lite's package parts: where a Lite workbook keeps its Python code.

xlwings Lite is an Office add-in. A workbook carries its code in an Office web extension part,
``xl/webextensions/webextension1.xml``, whose settings hold ``main.py`` and
``requirements.txt``; a task pane part (``taskpanes.xml``, reached from the package's root
relationships) shows the add-in. openpyxl neither writes these parts nor keeps them when it
loads and saves a workbook, so they are added to the zip after openpyxl has saved:
``add_lite_code`` for a new workbook, ``read_lite_parts`` then ``add_parts`` to carry a user's
parts across a re-save.

The XML is Excel's, as observed in six public Lite workbooks (the repository
amararun/xlwings-lite-apps-codes-docs, saved between 2025-04 and 2025-12): the same elements,
attributes, namespace declarations and escaping.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
import struct
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NamedTuple
from xml.etree import ElementTree as ET

from xlmargin.errors import InputError

# Every Lite workbook observed was last saved by add-in 1.0.0.0-18 on Pyodide 0.27.5 (one older
# file: 1.0.0.0-11, 0.27.4). They record what the files were seen with; the add-in runs its
# own versions whatever a workbook says.
PYODIDE_VERSION = "0.27.5"
ADDIN_VERSION = "1.0.0.0-18"


@dataclass(frozen=True)
class LiteCode:
    """The code a Lite workbook carries, as its editor's tabs show it."""

    main_py: str
    requirements_txt: str
    pyodide_version: str = PYODIDE_VERSION
    addin_version: str = ADDIN_VERSION


class Relationship(NamedTuple):
    id: str
    """"" takes the first free rIdN of the package."""
    type: str
    target: str


@dataclass(frozen=True)
class LiteParts:
    """Parts to add to a saved workbook, with the content types and the package-root
    relationships they need: made from a LiteCode (``parts_for``) or read from a user's
    workbook (``read_lite_parts``)."""

    members: tuple[tuple[str, bytes], ...]
    """(zip member name, the part's bytes)."""
    overrides: tuple[tuple[str, str], ...] = ()
    """(PartName, ContentType) for [Content_Types].xml."""
    defaults: tuple[tuple[str, str], ...] = ()
    """(Extension, ContentType), for parts without an override."""
    relationships: tuple[Relationship, ...] = ()

    @property
    def names(self) -> frozenset[str]:
        return frozenset(name for name, _data in self.members)


FOLDER = "xl/webextensions/"
TASKPANES = FOLDER + "taskpanes.xml"
WEBEXTENSION = FOLDER + "webextension1.xml"
CONTENT_TYPES, ROOT_RELS = "[Content_Types].xml", "_rels/.rels"
TASKPANES_REL = "http://schemas.microsoft.com/office/2011/relationships/webextensiontaskpanes"
WEBEXTENSION_REL = "http://schemas.microsoft.com/office/2011/relationships/webextension"
TASKPANES_TYPE = "application/vnd.ms-office.webextensiontaskpanes+xml"
WEBEXTENSION_TYPE = "application/vnd.ms-office.webextension+xml"
WE = "http://schemas.microsoft.com/office/webextensions/webextension/2010/11"
WETP = "http://schemas.microsoft.com/office/webextensions/taskpanes/2010/11"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
# The add-in's Office Store id: lower case in the primary reference, upper case in the
# alternate one, as in the most recent files.
LITE_ID = "WA200008175"
# The primary reference names the Store of the Office locale that installed the add-in (en-IN
# in all six files, one author's); en-US is the default Store. The alternate reference, the
# same in every file, does not depend on the locale.
STORE = "en-US"
# Excel gives each add-in instance a GUID. A fixed one keeps generated workbooks reproducible;
# two workbooks sharing one is what a copied workbook does (two of the six files share one).
WEBEXTENSION_ID = "{8455161E-20DD-43ED-BA14-EF64BDF19628}"
# Taskpane placement of the most recent file: docked right, hidden until the user opens Lite.
PANE = {"dockstate": "right", "visibility": "0", "width": "438", "row": "3"}
# Office extension lists: the add-in declares custom functions (xlwings' @func).
CUSTOM_FUNCTIONS = (("{D87F86FE-615C-45B5-9D79-34F1136793EB}", "we:containsCustomFunctions"),
                    ("{7C84B067-C214-45C3-A712-C9D94CD141B2}", "we:customFunctionIdList"))
DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'


# --- making the parts ------------------------------------------------------------------------

def parts_for(code: LiteCode) -> LiteParts:
    """The three parts of a Lite workbook holding ``code``, as Excel saves them."""
    panes = ET.Element("wetp:taskpanes", {"xmlns:wetp": WETP})
    pane = ET.SubElement(panes, "wetp:taskpane", PANE)
    ET.SubElement(pane, "wetp:webextensionref", {"xmlns:r": R, "r:id": "rId1"})
    links = ET.Element("Relationships", {"xmlns": RELS})
    ET.SubElement(links, "Relationship", {"Id": "rId1", "Type": WEBEXTENSION_REL,
                                          "Target": posixpath.basename(WEBEXTENSION)})
    return LiteParts(
        members=((TASKPANES, _xml(panes)),
                 (_rels_name(TASKPANES), _xml(links)),
                 (WEBEXTENSION, _xml(_webextension(code)))),
        overrides=((f"/{TASKPANES}", TASKPANES_TYPE), (f"/{WEBEXTENSION}", WEBEXTENSION_TYPE)),
        relationships=(Relationship("", TASKPANES_REL, TASKPANES),))


def _webextension(code: LiteCode) -> ET.Element:
    root = ET.Element("we:webextension", {"xmlns:we": WE, "id": WEBEXTENSION_ID})
    reference = {"id": LITE_ID.lower(), "version": "1.0.0.0", "store": STORE,
                 "storeType": "OMEX"}
    ET.SubElement(root, "we:reference", reference)
    alternate = ET.SubElement(root, "we:alternateReferences")
    ET.SubElement(alternate, "we:reference", {**reference, "id": LITE_ID, "store": LITE_ID})
    properties = ET.SubElement(root, "we:properties")
    for name, value in (("main.py", code.main_py), ("pyodideVersion", code.pyodide_version),
                        ("addinVersion", code.addin_version),
                        ("requirements.txt", code.requirements_txt)):
        ET.SubElement(properties, "we:property", {"name": name, "value": setting(value)})
    ET.SubElement(root, "we:bindings")
    ET.SubElement(root, "we:snapshot", {"xmlns:r": R})
    extensions = ET.SubElement(root, "we:extLst")
    for uri, tag in CUSTOM_FUNCTIONS:
        ET.SubElement(ET.SubElement(extensions, "a:ext", {"xmlns:a": A, "uri": uri}), tag)
    return root


# Code points XML 1.0 cannot hold that JSON leaves as they are.
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")


def setting(text: str) -> str:
    """``text`` JSON-encoded as the add-in stores a setting: non-ASCII as it is, "/" as "\\/"
    (this reproduces every value in the observed files), and the code points XML cannot hold
    as \\u escapes, which read back as the same text."""
    encoded = json.dumps(text, ensure_ascii=False).replace("/", "\\/")
    return _NOT_XML.sub(lambda found: f"\\u{ord(found.group()):04x}", encoded)


def _xml(root: ET.Element) -> bytes:
    # The prefixed names and xmlns attributes are written as given, so each namespace is
    # declared on the element where Excel declares it. ElementTree escapes every value
    # (">" too, so " />" never occurs inside one) and ends empty elements " />" where Excel
    # writes "/>".
    return DECLARATION + ET.tostring(root, encoding="unicode").replace(" />", "/>").encode()


# --- reading a workbook's parts --------------------------------------------------------------

def read_lite_code(path: str | Path) -> LiteCode | None:
    """The Lite code of the workbook at ``path``, found as Excel finds it (root relationship,
    task pane, web extension with Lite's Store id); None without one. A setting the file lacks
    reads as ""."""
    where = str(path)
    with _open(path) as archive:
        for link in _relationships(archive, "", where):
            if link.type != TASKPANES_REL:
                continue
            panes_part = _resolve("", link.target)
            panes = _parse(archive, panes_part, where)
            targets = {r.id: _resolve(panes_part, r.target)
                       for r in _relationships(archive, panes_part, where)}
            for ref in panes.iter(f"{{{WETP}}}webextensionref"):
                part = targets.get(ref.get(f"{{{R}}}id", ""))
                if part is None:
                    continue
                extension = _parse(archive, part, where)
                if any((r.get("id") or "").upper() == LITE_ID
                       for r in extension.iter(f"{{{WE}}}reference")):
                    return _code(extension, f"{where}: {part}")
    return None


def _code(extension: ET.Element, where: str) -> LiteCode:
    found: dict[str, str] = {}
    for prop in extension.iter(f"{{{WE}}}property"):
        name = prop.get("name", "")
        try:
            value = json.loads(prop.get("value", ""))
        except json.JSONDecodeError as error:
            raise InputError(where, f"setting {name!r} is not JSON ({error})") from error
        if not isinstance(value, str):
            raise InputError(where, f"setting {name!r} is not a JSON string")
        found.setdefault(name, value)
    return LiteCode(found.get("main.py", ""), found.get("requirements.txt", ""),
                    found.get("pyodideVersion", ""), found.get("addinVersion", ""))


def read_lite_parts(path: str | Path) -> LiteParts | None:
    """Everything under ``xl/webextensions/`` in the workbook at ``path``, byte for byte, with
    its content types and root relationships, to carry across a re-save; None without any."""
    where = str(path)
    with _open(path) as archive:
        names = [n for n in archive.namelist()
                 if n.lower().startswith(FOLDER) and not n.endswith("/")]
        if not names:
            return None
        members = tuple((name, archive.read(name)) for name in names)
        types = _parse(archive, CONTENT_TYPES, where)
        overrides = tuple(
            (e.get("PartName", ""), e.get("ContentType", ""))
            for e in types.iter(f"{{{TYPES}}}Override")
            if e.get("PartName", "").lstrip("/").lower().startswith(FOLDER))
        overridden = {name.lstrip("/").lower() for name, _type in overrides}
        extensions = {posixpath.splitext(n)[1][1:].lower() for n in names
                      if n.lower() not in overridden}
        defaults = tuple((e.get("Extension", ""), e.get("ContentType", ""))
                         for e in types.iter(f"{{{TYPES}}}Default")
                         if e.get("Extension", "").lower() in extensions)
        links = tuple(r for r in _relationships(archive, "", where)
                      if _resolve("", r.target).lower().startswith(FOLDER))
    return LiteParts(members, overrides, defaults, links)


def _open(path: str | Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise InputError(str(path), "not an Excel workbook (not a zip file)") from error
    except OSError as error:
        raise InputError(str(path), f"cannot read: {error.strerror or error}") from error


def _member(archive: zipfile.ZipFile, part: str) -> str | None:
    """The zip member of ``part``: package part names ignore case."""
    wanted = part.lower()
    return next((n for n in archive.namelist() if n.lower() == wanted), None)


def _parse(archive: zipfile.ZipFile, part: str, where: str) -> ET.Element:
    name = _member(archive, part)
    if name is None:
        raise InputError(f"{where}: {part}", "missing (the package refers to it)")
    try:
        return ET.fromstring(archive.read(name))
    except ET.ParseError as error:
        raise InputError(f"{where}: {name}", f"not well-formed XML ({error})") from error


def _rels_name(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{base}.rels")


def _relationships(archive: zipfile.ZipFile, part: str, where: str) -> list[Relationship]:
    """The relationships of ``part`` ("" for the package root); none without a rels part."""
    name = ROOT_RELS if part == "" else _rels_name(part)
    if _member(archive, name) is None:
        return []
    return [Relationship(e.get("Id", ""), e.get("Type", ""), e.get("Target", ""))
            for e in _parse(archive, name, where).iter(f"{{{RELS}}}Relationship")
            if e.get("TargetMode", "Internal") == "Internal"]


def _resolve(source: str, target: str) -> str:
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


# --- writing them into a saved workbook ------------------------------------------------------

def add_lite_code(path: str | Path, code: LiteCode) -> None:
    """Make the saved workbook at ``path`` an xlwings Lite workbook holding ``code``."""
    add_parts(path, parts_for(code))


def add_parts(path: str | Path, parts: LiteParts) -> None:
    """Add ``parts`` to the saved workbook at ``path`` (replacing parts of the same names), with
    their content types and root relationships. The other members are copied as they are
    compressed, so the cost is a file copy, not a recompression; the file is replaced by a
    rename, so a failure leaves it as it was."""
    path = Path(path)
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{path.stem}-parts-", suffix=path.suffix,
                                        dir=path.parent)
    except OSError as error:
        raise InputError(str(path), f"cannot write here: {error.strerror or error}") from error
    try:
        with os.fdopen(handle, "wb") as out, _open(path) as archive, \
                open(path, "rb") as source:
            _rewrite(archive, source, out, parts, str(path))
        shutil.copymode(path, temp)
        os.replace(temp, path)
    except BaseException as error:
        Path(temp).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise InputError(str(path), f"cannot write: {error.strerror or error}") from error
        raise


def _with_types(archive: zipfile.ZipFile, parts: LiteParts, where: str) -> bytes:
    root = _parse(archive, CONTENT_TYPES, where)
    ours = {name.lower() for name, _type in parts.overrides}
    for old in [e for e in root if e.tag == f"{{{TYPES}}}Override"
                and e.get("PartName", "").lower() in ours]:
        root.remove(old)
    defaults = [e for e in root if e.tag == f"{{{TYPES}}}Default"]
    known = {e.get("Extension", "").lower() for e in defaults}
    at = len(defaults)  # after the last Default, where Defaults are kept
    for extension, content_type in parts.defaults:
        if extension.lower() not in known:
            known.add(extension.lower())
            root.insert(at, ET.Element(f"{{{TYPES}}}Default",
                                       {"Extension": extension, "ContentType": content_type}))
            at += 1
    for name, content_type in parts.overrides:
        ET.SubElement(root, f"{{{TYPES}}}Override",
                      {"PartName": name, "ContentType": content_type})
    return _default_namespace(root, TYPES)


def _with_relationships(archive: zipfile.ZipFile, parts: LiteParts, where: str) -> bytes:
    root = _parse(archive, ROOT_RELS, where)
    have = [(e.get("Id", ""), e.get("Type", ""), _resolve("", e.get("Target", "")).lower())
            for e in root.iter(f"{{{RELS}}}Relationship")]
    taken = {rid for rid, _type, _target in have}
    for link in parts.relationships:
        if any(kind == link.type and target == _resolve("", link.target).lower()
               for _rid, kind, target in have):
            continue
        rid = link.id if link.id and link.id not in taken else next(
            f"rId{n}" for n in range(1, len(taken) + 2) if f"rId{n}" not in taken)
        taken.add(rid)
        ET.SubElement(root, f"{{{RELS}}}Relationship",
                      {"Id": rid, "Type": link.type, "Target": link.target})
    return _default_namespace(root, RELS)


def _default_namespace(root: ET.Element, namespace: str) -> bytes:
    """A parsed package part written back with ``namespace`` as the default namespace, as
    package parts are written (ElementTree's own option refuses attributes without one)."""
    qualified = f"{{{namespace}}}"
    for element in root.iter():
        if element.tag.startswith(qualified):
            element.tag = element.tag[len(qualified):]
    root.set("xmlns", namespace)
    return DECLARATION + ET.tostring(root, encoding="unicode").encode()


# The zip records (APPNOTE.TXT 4.3.7, 4.3.12, 4.3.16), written here because zipfile cannot copy
# a member without decompressing and compressing it again.
_LOCAL = struct.Struct("<4s5H3I2H")
_CENTRAL = struct.Struct("<4s6H3I5H2I")
_END = struct.Struct("<4s4H2IH")
_LIMIT = 0xFFFFFFFF  # past it a member needs ZIP64 records, which this writer does not make
_ENCRYPTED, _DESCRIPTOR, _UTF8 = 0x1, 0x8, 0x800


@dataclass
class _Entry:
    """A member's central directory record."""

    name: bytes
    info: zipfile.ZipInfo
    flags: int
    method: int
    crc: int
    compressed: int
    size: int
    offset: int


def _rewrite(archive: zipfile.ZipFile, source: IO[bytes], out: IO[bytes], parts: LiteParts,
             where: str) -> None:
    infos = archive.infolist()
    replaced = {name.lower() for name in parts.names}
    new = {name.lower(): data for name, data in parts.members}
    new[CONTENT_TYPES.lower()] = _with_types(archive, parts, where)
    new[ROOT_RELS.lower()] = _with_relationships(archive, parts, where)
    template = archive.getinfo(_member(archive, CONTENT_TYPES) or CONTENT_TYPES)
    entries: list[_Entry] = []
    for info in infos:
        key = info.filename.lower()
        if key in replaced:
            continue  # written below, with the other added parts
        if info.flag_bits & _ENCRYPTED:
            raise InputError(where, f"{info.filename} is encrypted")
        if key in new:
            entries.append(_write_new(out, info.orig_filename, new[key], info))
        else:
            entries.append(_copy(source, out, info, where))
    entries.extend(_write_new(out, name, data, template) for name, data in parts.members)
    start = out.tell()
    if any(max(e.offset, e.compressed, e.size) >= _LIMIT for e in entries) or start >= _LIMIT:
        raise InputError(where, "too large to add parts to (over 4 GB)")
    for e in entries:
        i = e.info
        out.write(_CENTRAL.pack(b"PK\x01\x02", (i.create_system << 8) | i.create_version,
                                i.extract_version, e.flags, e.method, *_dos(i), e.crc,
                                e.compressed, e.size, len(e.name), 0, 0, 0, i.internal_attr,
                                i.external_attr, e.offset) + e.name)
    end = out.tell()
    if end >= _LIMIT or len(entries) > 0xFFFF:
        raise InputError(where, "too large to add parts to (over 4 GB or 65,535 parts)")
    out.write(_END.pack(b"PK\x05\x06", 0, 0, len(entries), len(entries), end - start, start,
                        len(archive.comment)) + archive.comment)


def _dos(info: zipfile.ZipInfo) -> tuple[int, int]:
    year, month, day, hour, minute, second = info.date_time
    return (hour << 11) | (minute << 5) | (second // 2), ((year - 1980) << 9) | (month << 5) | day


def _write_member(out: IO[bytes], name: str, info: zipfile.ZipInfo, flags: int, method: int,
                  crc: int, size: int, data: bytes) -> _Entry:
    """A local header with the sizes in it (so no data descriptor), then the stored data."""
    offset = out.tell()
    encoded = name.encode("utf-8" if flags & _UTF8 else "cp437")
    out.write(_LOCAL.pack(b"PK\x03\x04", info.extract_version, flags, method, *_dos(info),
                          crc, len(data), size, len(encoded), 0) + encoded)
    out.write(data)
    return _Entry(encoded, info, flags, method, crc, len(data), size, offset)


def _write_new(out: IO[bytes], name: str, data: bytes, info: zipfile.ZipInfo) -> _Entry:
    deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    packed = deflate.compress(data) + deflate.flush()
    flags = 0 if name.isascii() else _UTF8
    return _write_member(out, name, info, flags, zipfile.ZIP_DEFLATED, zlib.crc32(data),
                         len(data), packed)


def _copy(source: IO[bytes], out: IO[bytes], info: zipfile.ZipInfo, where: str) -> _Entry:
    """The member's compressed bytes as they are, after a fresh local header."""
    source.seek(info.header_offset)
    header = source.read(_LOCAL.size)
    if len(header) < _LOCAL.size or header[:4] != b"PK\x03\x04":
        raise InputError(where, f"{info.filename}: damaged zip member")
    name_length, extra_length = struct.unpack("<2H", header[26:30])
    source.seek(info.header_offset + _LOCAL.size + name_length + extra_length)
    data = source.read(info.compress_size)
    return _write_member(out, info.orig_filename, info, info.flag_bits & ~_DESCRIPTOR,
                         info.compress_type, info.CRC, info.file_size, data)
