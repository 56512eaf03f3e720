"""xlwings Lite's parts: written after openpyxl saves, as Excel writes them, read back, and
carried byte for byte across `import-usage --workbook`'s re-save."""

from __future__ import annotations

import json
import os
import shutil
import stat
import struct
import zipfile
from datetime import date
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from libreoffice import convert
from openpyxl import Workbook, load_workbook

from xlmargin.cli import main
from xlmargin.errors import InputError
from xlmargin.sheets import lite_parts
from xlmargin.sheets.actuals import ACTUALS, _dropped_parts
from xlmargin.sheets.files import build_from_files, save_atomic
from xlmargin.sheets.lite_parts import (
    WEBEXTENSION,
    LiteCode,
    LiteParts,
    Relationship,
    add_lite_code,
    add_parts,
    parts_for,
    read_lite_code,
    read_lite_parts,
    setting,
)
from xlmargin.sheets.read import read_report, read_workbook

FIXTURES = Path(__file__).parent / "fixtures" / "usage"
WE = "{http://schemas.microsoft.com/office/webextensions/webextension/2010/11}"
WETP = "{http://schemas.microsoft.com/office/webextensions/taskpanes/2010/11}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
TASKPANES_REL = "http://schemas.microsoft.com/office/2011/relationships/webextensiontaskpanes"
PANES, PANES_RELS = "xl/webextensions/taskpanes.xml", "xl/webextensions/_rels/taskpanes.xml.rels"
DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'

# What unzip shows in the most recent of the six public Lite workbooks of
# amararun/xlwings-lite-apps-codes-docs (yahoo-finance/YLENS_YAHOO_FINANCE_ANALYZER_Z.xlsx,
# saved 2025-12-18). Its taskpanes part and their rels, verbatim (the other five differ only in
# width and row):
OBSERVED_TASKPANES = DECLARATION + (
    b'<wetp:taskpanes xmlns:wetp="http://schemas.microsoft.com/office/webextensions/taskpanes/'
    b'2010/11"><wetp:taskpane dockstate="right" visibility="0" width="438" row="3">'
    b'<wetp:webextensionref xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships" r:id="rId1"/></wetp:taskpane></wetp:taskpanes>')
OBSERVED_PANES_RELS = DECLARATION + (
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.microsoft.com/office/2011/relationships/'
    b'webextension" Target="webextension1.xml"/></Relationships>')
# Its entries in [Content_Types].xml and _rels/.rels, verbatim:
OBSERVED_OVERRIDES = (
    '<Override PartName="/xl/webextensions/taskpanes.xml" '
    'ContentType="application/vnd.ms-office.webextensiontaskpanes+xml"/>',
    '<Override PartName="/xl/webextensions/webextension1.xml" '
    'ContentType="application/vnd.ms-office.webextension+xml"/>')
OBSERVED_ROOT_REL = ('<Relationship Id="rId2" Type="http://schemas.microsoft.com/office/2011/'
                     'relationships/webextensiontaskpanes" '
                     'Target="xl/webextensions/taskpanes.xml"/>')
# main.py as the files hold it (JSON in an XML attribute), cut to lines quoted from them: the
# first lines of yahoo-finance's, then one line each with what its encoding has to get right
# (from yahoo-finance, technical-analysis, mf-portfolio, llm-api-schema and web-scraper).
OBSERVED_MAIN_PY = "&quot;" + r"\n".join((
    r"import xlwings as xw\nimport pandas as pd\nfrom finta import TA\nimport requests\n"
    r"from xlwings import script\nfrom datetime import datetime\nimport os\n\n"
    r"# FastAPI CORS Configuration for Excel\/xlwings:",
    r"#         \&quot;https:\/\/addin.xlwings.org\&quot;,    # Main xlwings add-in domain - "
    r"THIS IS THE PRIMARY ONE NEEDED",
    r"    api_url = f\&quot;https:\/\/yfin.hosting.tigzig.com\/get-all-prices\/?tickers={ticker}"
    r"&amp;start_date={start_date}&amp;end_date={end_date}\&quot;",
    r"    print(\&quot;▶ STARTING get_prices ◀\&quot;)",
    r"\t\t\t\tto final formatted report.",
    r"    table_html_parts.append('&lt;div style=\&quot;display: flex; justify-content: "
    r"space-between;\&quot;&gt;')",
    r"        if pd.notna(mv_orig) and (mv_orig &gt; 125 or mv_orig &lt; -50):",
    r"        print(\&quot;\\n⭐⭐⭐ ENDING EDA ANALYSIS ⭐⭐⭐\&quot;)",
    r"    print(f\&quot;📋 Running in {run_mode.upper()} mode\&quot;)",
    r"        # --- A. PERFORMANCE &amp; SPEED METRICS ---")) + r"\n&quot;"
OBSERVED_REQUIREMENTS = (r"&quot;xlwings==0.33.11  # required\npython-dotenv==1.0.1  # required"
                         r"\npyodide-http  # required\nblack  # required\npandas\nmatplotlib"
                         r"\nseaborn\nrequests\nfinta&quot;")
OBSERVED_ID, OBSERVED_STORE = "{DC9C9D73-18BC-4703-85D5-9E3765795B96}", "en-IN"
# Its webextension1.xml, verbatim but for main.py:
OBSERVED_WEBEXTENSION = DECLARATION + (
    '<we:webextension xmlns:we="http://schemas.microsoft.com/office/webextensions/webextension/'
    f'2010/11" id="{OBSERVED_ID}"><we:reference id="wa200008175" version="1.0.0.0" '
    f'store="{OBSERVED_STORE}" storeType="OMEX"/><we:alternateReferences><we:reference '
    'id="WA200008175" version="1.0.0.0" store="WA200008175" storeType="OMEX"/>'
    '</we:alternateReferences><we:properties>'
    f'<we:property name="main.py" value="{OBSERVED_MAIN_PY}"/>'
    '<we:property name="pyodideVersion" value="&quot;0.27.5&quot;"/>'
    '<we:property name="addinVersion" value="&quot;1.0.0.0-18&quot;"/>'
    f'<we:property name="requirements.txt" value="{OBSERVED_REQUIREMENTS}"/></we:properties>'
    '<we:bindings/><we:snapshot xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships"/><we:extLst><a:ext xmlns:a="http://schemas.openxmlformats.org/drawingml/'
    '2006/main" uri="{D87F86FE-615C-45B5-9D79-34F1136793EB}"><we:containsCustomFunctions/>'
    '</a:ext><a:ext xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'uri="{7C84B067-C214-45C3-A712-C9D94CD141B2}"><we:customFunctionIdList/></a:ext>'
    '</we:extLst></we:webextension>').encode()

CODE = LiteCode(main_py='from xlwings import func\n\n@func\ndef hello(name):\n    return "hi " + '
                        'name\n', requirements_txt="xlwings==0.37.8  # required\nxlmargin==0.1.0\n")
AWKWARD = [
    LiteCode('print("quotes" + \'single\')\n', 'pkg>=1; python_version<"3.12"'),
    LiteCode("a & b && c; x < y <= z > w\r\n\ttabbed\n\\n not a newline \\", "a\tb\n\n"),
    LiteCode("naïve café ⭐ ß 𝄞 🧮 😀 שלום 中文 \u2028 \u00a0", "Ω\n",
             pyodide_version='0.28 "beta"', addin_version="<1.0 & up>"),
    LiteCode("nul \x00, bell \x07, escape \x1b, del \x7f, \ufffe \uffff, lone \ud800", ""),
    LiteCode("</we:property><we:property name=\"x\" value=\"", "]]><!-- -->&amp;&#10;"),
    LiteCode("".join(f"def f{i}(x):\n    return x * {i}  # \"{i}\" & <{i}>\n"
                     for i in range(60_000)), "x\n" * 1000),  # about 2.5 MB of main.py
]


@pytest.fixture(scope="module")
def native(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wb, _count = build_from_files("Acme", mode="native", as_of=date(2026, 11, 1))
    path = tmp_path_factory.mktemp("native") / "agency.xlsx"
    save_atomic(wb, path)
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tiny") / "tiny.xlsx"
    Workbook().save(path)
    return path


def copy(source: Path, folder: Path, name: str = "agency.xlsx") -> Path:
    return Path(shutil.copy(source, folder / name))


def part(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


def xml(path: Path, name: str) -> ET.Element:
    return ET.fromstring(part(path, name))


def stored(path: Path) -> dict[str, bytes]:
    """Each member's bytes as compressed in the zip."""
    found = {}
    with zipfile.ZipFile(path) as archive, open(path, "rb") as raw:
        for info in archive.infolist():
            raw.seek(info.header_offset)
            header = raw.read(30)
            name_length, extra_length = struct.unpack("<2H", header[26:30])
            raw.seek(info.header_offset + 30 + name_length + extra_length)
            found[info.filename] = raw.read(info.compress_size)
    return found


def compression(path: Path) -> dict[str, int]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: info.compress_type for info in archive.infolist()}


def attributes(snippet: str) -> dict[str, str]:
    return dict(ET.fromstring(snippet).attrib)


# --- what is written -------------------------------------------------------------------------

def test_parts_content_types_and_relationship_are_the_observed_ones(native: Path,
                                                                    tmp_path: Path) -> None:
    path = copy(native, tmp_path)
    before = zipfile.ZipFile(native).namelist()
    add_lite_code(path, CODE)
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
    assert len(names) == len(set(names)) == len(before) + 3
    assert set(names) - set(before) == {PANES, PANES_RELS, WEBEXTENSION}
    for name in (PANES, PANES_RELS, WEBEXTENSION):
        assert part(path, name).startswith(DECLARATION)

    [pane] = xml(path, PANES).findall(f"{WETP}taskpane")
    assert pane.attrib == {"dockstate": "right", "visibility": "0", "width": "438", "row": "3"}
    [ref] = list(pane)
    assert ref.tag == f"{WETP}webextensionref" and ref.attrib == {f"{R}id": "rId1"}
    [link] = xml(path, PANES_RELS)
    assert link.attrib == {"Id": "rId1", "Target": "webextension1.xml",
                           "Type": "http://schemas.microsoft.com/office/2011/relationships/"
                                   "webextension"}

    extension = xml(path, WEBEXTENSION)
    assert extension.tag == f"{WE}webextension"
    assert len(extension.get("id", "")) == 38 and extension.get("id", "").startswith("{")
    assert [child.tag for child in extension] == [
        f"{WE}{t}" for t in ("reference", "alternateReferences", "properties", "bindings",
                             "snapshot", "extLst")]
    reference, alternate, properties, bindings, snapshot, extensions = extension
    assert reference.attrib == {"id": "wa200008175", "version": "1.0.0.0", "store": "en-US",
                                "storeType": "OMEX"}
    [other] = alternate
    assert other.attrib == {"id": "WA200008175", "version": "1.0.0.0", "store": "WA200008175",
                            "storeType": "OMEX"}
    assert [(p.get("name"), json.loads(p.get("value", ""))) for p in properties] == [
        ("main.py", CODE.main_py), ("pyodideVersion", "0.27.5"),
        ("addinVersion", "1.0.0.0-18"), ("requirements.txt", CODE.requirements_txt)]
    assert len(bindings) == len(snapshot) == 0 and not bindings.attrib and not snapshot.attrib
    assert [(e.tag, e.get("uri"), [c.tag for c in e], [len(c) for c in e]) for e in extensions] == [
        (f"{A}ext", "{D87F86FE-615C-45B5-9D79-34F1136793EB}", [f"{WE}containsCustomFunctions"],
         [0]),
        (f"{A}ext", "{7C84B067-C214-45C3-A712-C9D94CD141B2}", [f"{WE}customFunctionIdList"],
         [0])]

    types = xml(path, "[Content_Types].xml")
    overrides = [e.attrib for e in types.iter(f"{TYPES}Override")]
    for observed in OBSERVED_OVERRIDES:
        assert overrides.count(attributes(observed)) == 1
    old_types = xml(native, "[Content_Types].xml")
    assert [e.attrib for e in old_types] == [e.attrib for e in types][:len(old_types)]
    links = [e.attrib for e in xml(path, "_rels/.rels")]
    old_links = [e.attrib for e in xml(native, "_rels/.rels")]
    assert links[:len(old_links)] == old_links and len(links) == len(old_links) + 1
    observed_link = attributes(OBSERVED_ROOT_REL)
    assert {k: v for k, v in links[-1].items() if k != "Id"} == {
        k: v for k, v in observed_link.items() if k != "Id"}
    assert len({link["Id"] for link in links}) == len(links)  # a fresh Id, not the observed rId2


def test_the_parts_are_byte_for_byte_what_excel_saved(monkeypatch: pytest.MonkeyPatch) -> None:
    # Read the observed file's settings, then write them with its instance id and Store: the
    # bytes are the file's, so the escaping is the add-in's.
    observed = {p.get("name"): json.loads(p.get("value", ""))
                for p in ET.fromstring(OBSERVED_WEBEXTENSION).iter(f"{WE}property")}
    code = LiteCode(observed["main.py"], observed["requirements.txt"],
                    observed["pyodideVersion"], observed["addinVersion"])
    assert code.pyodide_version == LiteCode("", "").pyodide_version  # the defaults: as seen
    assert code.addin_version == LiteCode("", "").addin_version
    assert "\t\t\t\tto final formatted report." in code.main_py and "📋" in code.main_py
    monkeypatch.setattr(lite_parts, "WEBEXTENSION_ID", OBSERVED_ID)
    monkeypatch.setattr(lite_parts, "STORE", OBSERVED_STORE)
    assert dict(parts_for(code).members) == {PANES: OBSERVED_TASKPANES,
                                             PANES_RELS: OBSERVED_PANES_RELS,
                                             WEBEXTENSION: OBSERVED_WEBEXTENSION}


def test_setting_escapes_by_hand() -> None:
    # JSON first (\" \n \t \\, "/" as "\/", non-ASCII as it is), then XML (& < > ").
    text = 'a/b "q" & <t>\n\tü\\'
    assert setting(text) == '"a\\/b \\"q\\" & <t>\\n\\tü\\\\"'
    element = ET.Element("we:property", {"name": "main.py", "value": setting(text)})
    assert ET.tostring(element, encoding="unicode") == (
        '<we:property name="main.py" value="&quot;a\\/b \\&quot;q\\&quot; &amp; &lt;t&gt;\\n'
        '\\tü\\\\&quot;" />')
    # What XML 1.0 cannot hold travels as JSON escapes.
    assert setting("\x00\x1f\ufffe\ud800") == '"\\u0000\\u001f\\ufffe\\ud800"'


# --- read back -------------------------------------------------------------------------------

@pytest.mark.parametrize("code", AWKWARD, ids=range(len(AWKWARD)))
def test_awkward_code_round_trips(code: LiteCode, tiny: Path, tmp_path: Path) -> None:
    path = copy(tiny, tmp_path, "tiny.xlsx")
    add_lite_code(path, code)
    assert read_lite_code(path) == code
    assert load_workbook(path).sheetnames == ["Sheet"]


@settings(max_examples=60, deadline=None)
@given(main_py=st.text(), requirements=st.text(max_size=50))
def test_any_text_round_trips(main_py: str, requirements: str, tiny: Path,
                              tmp_path_factory: pytest.TempPathFactory) -> None:
    path = copy(tiny, tmp_path_factory.mktemp("any"), "tiny.xlsx")
    add_lite_code(path, LiteCode(main_py, requirements))
    assert read_lite_code(path) == LiteCode(main_py, requirements)


def test_a_workbook_without_lite_parts_reads_none(native: Path) -> None:
    assert read_lite_code(native) is None and read_lite_parts(native) is None


def test_openpyxl_and_report_still_read_it(native: Path, tmp_path: Path) -> None:
    path = copy(native, tmp_path)
    add_lite_code(path, AWKWARD[-1])
    assert load_workbook(path).sheetnames == load_workbook(native).sheetnames
    assert read_report(path).clients == read_report(native).clients
    assert len(read_workbook(path).clients) == 12


def test_libreoffice_opens_it(native: Path, tmp_path: Path) -> None:
    path = copy(native, tmp_path)
    add_lite_code(path, AWKWARD[2])
    pdf = convert(path, tmp_path / "lo", "pdf")  # fails, not skips, when CI is set without it
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000


def test_members_are_copied_as_compressed_and_adding_again_replaces(native: Path,
                                                                    tmp_path: Path) -> None:
    # Members stored and deflated at level 1, as other zip writers leave them: the same zlib
    # settings would make a recompressed copy equal, these show the bytes were copied.
    path = tmp_path / "agency.xlsx"
    with zipfile.ZipFile(native) as source, zipfile.ZipFile(path, "w") as target:
        for n, info in enumerate(source.infolist()):
            method = zipfile.ZIP_STORED if n % 2 else zipfile.ZIP_DEFLATED
            target.writestr(info, source.read(info), method, compresslevel=1)
    changed = {"[Content_Types].xml", "_rels/.rels"}
    before = stored(path)
    methods = {n: m for n, m in compression(path).items() if n not in changed}
    assert set(methods.values()) == {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
    add_lite_code(path, CODE)
    after = stored(path)
    assert {n: m for n, m in compression(path).items() if n in methods} == methods
    assert {n: after[n] for n in before if n not in changed} == {
        n: data for n, data in before.items() if n not in changed}
    assert all(after[n] != before[n] for n in changed)

    add_lite_code(path, AWKWARD[0])
    assert read_lite_code(path) == AWKWARD[0]
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        assert len(archive.namelist()) == len(set(archive.namelist())) == len(before) + 3
    overrides = [e.get("PartName") for e in xml(path, "[Content_Types].xml")]
    assert overrides.count(f"/{PANES}") == overrides.count(f"/{WEBEXTENSION}") == 1
    assert [e.get("Type") for e in xml(path, "_rels/.rels")].count(TASKPANES_REL) == 1


def test_save_atomic_adds_the_parts_before_the_rename(native: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from xlmargin.sheets import files

    path = copy(native, tmp_path)
    old = path.read_bytes()
    seen: list[tuple[Path, bytes]] = []

    def spy(temp: str | Path, parts: LiteParts) -> None:
        seen.append((Path(temp), path.read_bytes()))
        lite_parts.add_parts(temp, parts)

    monkeypatch.setattr(files, "add_parts", spy)
    wb = load_workbook(native)
    save_atomic(wb, path, parts=parts_for(CODE))
    [(temp, then)] = seen
    assert temp != path and temp.parent == path.parent and then == old
    assert read_lite_code(path) == CODE
    assert stat.S_IMODE(path.stat().st_mode) == stat.S_IMODE(os.stat(native).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["agency.xlsx"]

    def full(temp: str | Path, parts: LiteParts) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files, "add_parts", full)
    before = path.read_bytes()
    with pytest.raises(InputError, match="No space left"):
        save_atomic(wb, path, parts=parts_for(CODE))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["agency.xlsx"]


# --- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "problem"), [
    (None, "not well-formed XML"),
    ("not json", "setting 'main.py' is not JSON"),
    ("&quot;unterminated", "setting 'main.py' is not JSON"),
    ("42", "setting 'main.py' is not a JSON string"),
])
def test_bad_xml_or_json_is_an_input_error_naming_file_and_part(
        value: str | None, problem: str, tiny: Path, tmp_path: Path) -> None:
    path = copy(tiny, tmp_path, "tiny.xlsx")
    add_lite_code(path, CODE)
    good = part(path, WEBEXTENSION).decode()
    bad = (good[:-20] if value is None else
           good.replace(f'value="{setting_xml(CODE.main_py)}"', f'value="{value}"'))
    assert bad != good
    add_parts(path, LiteParts(((WEBEXTENSION, bad.encode()),)))
    with pytest.raises(InputError) as caught:
        read_lite_code(path)
    assert caught.value.where == f"{path}: {WEBEXTENSION}"
    assert problem in caught.value.problem


def setting_xml(text: str) -> str:
    """A setting as it stands in the XML attribute."""
    written = ET.tostring(ET.Element("x", {"v": setting(text)}), encoding="unicode")
    return written[len('<x v="'):-len('" />')]


def test_not_a_workbook_and_a_broken_package_leave_the_file_alone(tmp_path: Path) -> None:
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a zip")
    for call in (read_lite_code, read_lite_parts, lambda p: add_lite_code(p, CODE)):
        with pytest.raises(InputError, match="not a zip file"):
            call(junk)
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types")
        archive.writestr("_rels/.rels", "<Relationships/>")
    original = broken.read_bytes()
    with pytest.raises(InputError, match=r"broken.xlsx: \[Content_Types\].xml: not well-formed"):
        add_lite_code(broken, CODE)
    assert broken.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.xlsx", "junk.xlsx"]


# --- carried over a re-save ------------------------------------------------------------------

OTHER_ADDIN = DECLARATION + (  # a second task pane add-in, as Excel stores one
    b'<we:webextension xmlns:we="http://schemas.microsoft.com/office/webextensions/webextension/'
    b'2010/11" id="{11111111-2222-3333-4444-555555555555}"><we:reference id="wa104380862" '
    b'version="1.1.0.0" store="en-GB" storeType="OMEX"/><we:alternateReferences/>'
    b'<we:properties><we:property name="Office.AutoShowTaskpaneWithDocument" value="true"/>'
    b'</we:properties><we:bindings/><we:snapshot xmlns:r="http://schemas.openxmlformats.org/'
    b'officeDocument/2006/relationships"/></we:webextension>')
EDITED = LiteCode(CODE.main_py + '\n@func\ndef mine(x):\n    """Typed in Lite\'s editor: é & <"""\n'
                                 '    return x * 2\n', CODE.requirements_txt + "pandas\n")


def users_workbook(native: Path, folder: Path) -> Path:
    """A native workbook as Lite's editor leaves it: main.py edited, a setting of the user's,
    and a second add-in's task pane beside Lite's."""
    path = copy(native, folder)
    add_lite_code(path, CODE)
    lite = part(path, WEBEXTENSION).decode()
    for old, new in ((setting_xml(CODE.main_py), setting_xml(EDITED.main_py)),
                     (setting_xml(CODE.requirements_txt), setting_xml(EDITED.requirements_txt)),
                     ("</we:properties>", '<we:property name="theme" value="&quot;dark&quot;"/>'
                                          "</we:properties>")):
        assert lite.count(old) == 1
        lite = lite.replace(old, new)
    panes = part(path, PANES).decode().replace("</wetp:taskpanes>", (
        '<wetp:taskpane dockstate="left" visibility="1" width="350" row="1"><wetp:webextensionref '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
        'r:id="rId2"/></wetp:taskpane></wetp:taskpanes>'))
    links = part(path, PANES_RELS).decode().replace("</Relationships>", (
        '<Relationship Id="rId2" Type="http://schemas.microsoft.com/office/2011/relationships/'
        'webextension" Target="webextension2.xml"/></Relationships>'))
    add_parts(path, LiteParts(
        ((PANES, panes.encode()), (PANES_RELS, links.encode()), (WEBEXTENSION, lite.encode()),
         ("xl/webextensions/webextension2.xml", OTHER_ADDIN)),
        overrides=(("/xl/webextensions/webextension2.xml",
                    "application/vnd.ms-office.webextension+xml"),)))
    return path


def webextension_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n) for n in archive.namelist()
                if n.startswith("xl/webextensions/")}


def test_carried_parts_survive_openpyxl_byte_for_byte(native: Path, tmp_path: Path) -> None:
    path = users_workbook(native, tmp_path)
    assert read_lite_code(path) == EDITED
    carried = read_lite_parts(path)
    assert carried is not None and len(carried.members) == 4
    assert carried.relationships == (Relationship("rId4", TASKPANES_REL, PANES),)
    resaved = tmp_path / "resaved.xlsx"
    load_workbook(path).save(resaved)
    assert webextension_parts(resaved) == {}  # why they are carried: openpyxl drops them
    add_parts(resaved, carried)
    assert webextension_parts(resaved) == webextension_parts(path)
    assert read_lite_code(resaved) == EDITED
    overrides = {e.get("PartName"): e.get("ContentType")
                 for e in xml(resaved, "[Content_Types].xml").iter(f"{TYPES}Override")}
    assert overrides["/xl/webextensions/webextension2.xml"] == (
        "application/vnd.ms-office.webextension+xml")
    assert [e.get("Target") for e in xml(resaved, "_rels/.rels")
            if e.get("Type") == TASKPANES_REL] == [PANES]


def test_dropped_parts_name_add_ins_only_when_not_carried(native: Path, tmp_path: Path) -> None:
    path = users_workbook(native, tmp_path)
    wb = load_workbook(path)
    carried = read_lite_parts(path)
    assert carried is not None
    assert _dropped_parts(path, wb, carried.names) == []
    assert _dropped_parts(path, wb) == ["Office add-ins and their settings (xlwings Lite's code)"]
    # An add-in placed on a sheet hangs from a drawing, which openpyxl rewrites without it.
    add_parts(path, LiteParts((("xl/drawings/_rels/drawing9.xml.rels", (
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Type="http://schemas.microsoft.com/office/2011/relationships/'
        b'webextension" Target="../webextensions/webextension2.xml"/></Relationships>')),)))
    assert _dropped_parts(path, wb, carried.names) == ["1 Office add-in(s) placed on a sheet"]


def test_import_usage_keeps_the_users_lite_parts_and_backs_up_the_original(
        native: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = users_workbook(native, tmp_path)
    original, parts = path.read_bytes(), webextension_parts(path)
    forecast = read_report(path).clients
    for run in (1, 2):  # the second run carries what the first one carried
        capsys.readouterr()
        code = main(["import-usage", str(FIXTURES / "plain_usage.csv"), "--workbook", str(path)])
        err = capsys.readouterr().err
        assert code == 0, err
        assert "not kept by the rewrite" not in err
        assert webextension_parts(path) == parts, run
        assert read_lite_code(path) == EDITED
        links = [e.get("Target") for e in xml(path, "_rels/.rels")
                 if e.get("Type") == TASKPANES_REL]
        assert links == [PANES]
        overrides = [e.get("PartName") for e in xml(path, "[Content_Types].xml")]
        assert sorted(n for n in overrides if n and n.startswith("/xl/webextensions/")) == [
            "/xl/webextensions/taskpanes.xml", "/xl/webextensions/webextension1.xml",
            "/xl/webextensions/webextension2.xml"]
        with zipfile.ZipFile(path) as archive:
            assert archive.testzip() is None
        if run == 1:
            [backup] = tmp_path.glob("agency.bak-*.xlsx")
            assert backup.read_bytes() == original
    wb = load_workbook(path)
    assert ACTUALS in wb.sheetnames
    assert read_report(path).clients == forecast
