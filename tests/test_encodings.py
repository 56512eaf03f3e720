"""Files as Windows saves them: Excel's "CSV" in cp1252, its "Unicode text" and PowerShell's
output in UTF-16, UTF-8 with a BOM. Each reader (usage CSV and JSON, client map, roster, price
file, settings) reads them and says which encoding it used when it was not UTF-8; a bad byte is
a message naming the file and line, never a UnicodeDecodeError."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from xlmargin.catalog import Catalog
from xlmargin.errors import InputError
from xlmargin.price_file import load_prices
from xlmargin.roster import read_roster, read_settings
from xlmargin.textfile import decode
from xlmargin.usage import litellm_arrow
from xlmargin.usage.aggregate import import_usage
from xlmargin.usage.clients import load_map

CATALOG = Catalog(as_of=date(2026, 11, 1))
PLAIN = ("date,client,model,input_tokens,output_tokens\r\n"
         "2026-09-01,Café Noir,gpt-4o-mini,1000,100\r\n"
         "2026-09-02,Zürich AG,gpt-4o-mini,2000,200\r\n")
ENCODINGS = [  # (how it is written, the note that says so, or None for UTF-8)
    (lambda t: t.encode("utf-8"), None),
    (lambda t: t.encode("utf-8-sig"), None),
    (lambda t: t.encode("cp1252"), "read as Windows-1252 (cp1252"),
    (lambda t: t.encode("utf-16"), "read as UTF-16, not UTF-8"),  # BOM, as Excel writes it
    (lambda t: t.encode("utf-16-be"), "read as UTF-16 without a byte-order mark"),
]


@pytest.mark.parametrize(("encode", "note"), ENCODINGS)
def test_a_plain_csv_in_every_encoding(tmp_path: Path, encode, note: str | None) -> None:
    path = tmp_path / "usage.csv"
    path.write_bytes(encode(PLAIN.replace(",", "\t") if "16" in str(note) else PLAIN))
    actuals = import_usage([path])
    assert actuals.clients["Café Noir"].input_tokens == 1000
    assert actuals.clients["Zürich AG"].output_tokens == 200
    notes = [w for w in actuals.warnings if "read as" in w]
    if note is None:
        assert notes == []
    else:
        assert len(notes) == 1 and notes[0].startswith(f"usage.csv: {note}")


def test_a_bad_byte_in_a_utf8_csv_is_its_row(tmp_path: Path) -> None:
    path = tmp_path / "usage.csv"
    data = PLAIN.encode("utf-8").replace(b"Z\xc3\xbcrich", b"Z\xffrich")
    path.write_bytes(data)
    actuals = import_usage([path])
    assert "usage.csv:3: byte 0xff is not UTF-8 (the file is)" in actuals.warnings
    assert actuals.malformed == 1
    assert list(actuals.clients) == ["Café Noir"]


def test_bytes_neither_encoding_has(tmp_path: Path) -> None:
    path = tmp_path / "usage.csv"
    path.write_bytes(PLAIN.encode("cp1252").replace(b"AG", b"A\x81"))
    actuals = import_usage([path])
    assert "usage.csv:3: byte 0x81 is neither UTF-8 nor Windows-1252 text" in actuals.warnings
    assert actuals.clients["Café Noir"].input_tokens == 1000


def test_two_files_joined_in_two_encodings(tmp_path: Path) -> None:
    path = tmp_path / "usage.csv"
    path.write_bytes(PLAIN.encode("cp1252") + "2026-09-03,Café Noir,gpt-4o-mini,5,5\r\n"
                     .encode())
    actuals = import_usage([path])
    assert any(w.startswith("usage.csv:4: UTF-8 text, in a file read as Windows-1252")
               for w in actuals.warnings)
    assert actuals.clients["Café Noir"].input_tokens == 1000


def test_a_whole_file_decode_names_the_line() -> None:
    with pytest.raises(InputError, match=r"^x\.csv:2: byte 0xff is not UTF-8, though the rest"):
        decode("a,é\n\xff".encode().replace(b"\xc3\xbf", b"\xff"), "x.csv")
    with pytest.raises(InputError, match=r"^x\.csv:3: byte 0x8d is neither"):
        decode(b"a\r\nb\r\n\x8d", "x.csv")
    assert decode(b"\xef\xbb\xbfcaf\xc3\xa9", "x.csv").text == "café"


def test_powershell_utf16_json(tmp_path: Path) -> None:
    page = {"object": "page", "has_more": False, "data": [
        {"object": "bucket", "start_time": 1759622400, "end_time": 1759708800, "results": [
            {"object": "organization.usage.completions.result", "input_tokens": 100,
             "output_tokens": 10, "num_model_requests": 1, "api_key_id": "clé"}]}]}
    path = tmp_path / "usage.json"
    path.write_bytes(json.dumps(page, ensure_ascii=False).encode("utf-16"))  # `>` in PS 5
    actuals = import_usage([path])
    assert actuals.clients["clé"].input_tokens == 100
    assert "usage.json: read as UTF-16, not UTF-8" in actuals.warnings


def test_litellm_in_cp1252_goes_to_the_row_reader(tmp_path: Path) -> None:
    path = tmp_path / "spend.csv"
    text = ('request_id,api_key,spend,prompt_tokens,completion_tokens,startTime,model,metadata\n'
            'r1,clé,0.5,10,5,2026-09-01,gpt-4o,{}\n')
    path.write_bytes(text.encode("cp1252"))
    assert litellm_arrow.summed(path, "api_key") is None  # pyarrow reads UTF-8 only
    assert import_usage([path]).clients["clé"].cost_usd == pytest.approx(0.5)
    path.write_bytes(text.encode("utf-16"))
    assert litellm_arrow.summed(path, "api_key") is None
    assert import_usage([path]).clients["clé"].requests == 1


@pytest.mark.parametrize(("encode", "note"), ENCODINGS)
def test_a_client_map(tmp_path: Path, encode, note: str | None) -> None:
    path = tmp_path / "map.csv"
    path.write_bytes(encode("identifier,client\r\nkey_a,Café Noir\r\n"))
    notes: list[str] = []
    assert load_map(path, notify=notes.append) == {"key_a": "Café Noir"}
    assert (notes == []) == (note is None)


@pytest.mark.parametrize(("encode", "note"), ENCODINGS)
def test_a_roster(tmp_path: Path, encode, note: str | None) -> None:
    path = tmp_path / "roster.csv"
    text = ("client,use_case,interactions_per_day,model,monthly_revenue\r\n"
            "Café Noir,customer_support,10,gpt-4o,1000\r\n")
    path.write_bytes(encode(text.replace(",", "\t") if "16" in str(note) else text))
    notes: list[str] = []
    (client,) = read_roster(path, CATALOG, notify=notes.append)
    assert client.client == "Café Noir"
    assert (notes == []) == (note is None)
    if note:
        assert notes[0].startswith(f"roster.csv: {note}")


def test_a_roster_note_goes_to_stderr_by_default(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes(("client,use_case,interactions_per_day,model,monthly_revenue\r\n"
                      "Café,customer_support,10,gpt-4o,1000\r\n").encode("cp1252"))
    read_roster(path, CATALOG)
    assert capsys.readouterr().err.startswith("xlmargin: note: roster.csv: read as "
                                              "Windows-1252 (cp1252")


def test_a_roster_with_a_bad_byte_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes("client,use_case,interactions_per_day,model,monthly_revenue\n"
                     "Café,customer_support,10,gpt-4o,1000\n"
                     "B\xff,customer_support,10,gpt-4o,1000\n".encode()
                     .replace(b"\xc3\xbf", b"\xff"))
    with pytest.raises(InputError, match=r"roster\.csv:3: byte 0xff is not UTF-8"):
        read_roster(path, CATALOG)


def test_price_files_and_settings(tmp_path: Path) -> None:
    prices = tmp_path / "prices.csv"
    prices.write_bytes("model,input_usd_per_mtok,output_usd_per_mtok\r\nmodèle-privé,1,2\r\n"
                       .encode("cp1252"))
    notes: list[str] = []
    (price,) = load_prices(prices, notify=notes.append)
    assert price.model == "modèle-privé" and notes[0].startswith("prices.csv: read as Windows")
    toml = tmp_path / "prices.toml"
    toml.write_bytes('[[model]]\nmodel = "modèle"\ninput_usd_per_mtok = 1\n'
                     'output_usd_per_mtok = 2\n'.encode("utf-16"))
    assert load_prices(toml, notify=notes.append)[0].model == "modèle"
    settings = tmp_path / "agency.toml"
    settings.write_bytes('agency = "Café"\n[infra]\nbuffer = 0.2\n'.encode("utf-8-sig"))
    assert read_settings(settings).infra.buffer == 0.2
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"model,input_usd_per_mtok,output_usd_per_mtok\nm\x81,1,2\n")
    with pytest.raises(InputError, match=r"bad\.csv:2: byte 0x81 is neither UTF-8 nor "):
        load_prices(bad)
