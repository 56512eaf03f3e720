"""User price files: negotiated, private or missing prices that override the catalog.

TOML::

    [[model]]
    provider = "openai"
    model = "gpt-4o"
    input_usd_per_mtok = 2.0
    output_usd_per_mtok = 8.0
    cache_read_usd_per_mtok = 1.0   # optional

CSV: a header row with the same column names (``provider`` and ``cache_read_usd_per_mtok``
optional). Every problem is reported with the file and row.
"""

from __future__ import annotations

import csv
import io
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from xlmargin.errors import InputError
from xlmargin.models import ModelPrice
from xlmargin.textfile import Notify, read_text

COLUMNS = ("provider", "model", "input_usd_per_mtok", "output_usd_per_mtok",
           "cache_read_usd_per_mtok")


def load_prices(path: str | Path, notify: Notify | None = None) -> list[ModelPrice]:
    """The prices in a .toml or .csv file, in any encoding ``textfile`` reads (a note to
    ``notify``, stderr by default, when it is not UTF-8)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "price file not found")
    if path.suffix.lower() == ".toml":
        try:
            data = tomllib.loads(read_text(path, notify))
        except tomllib.TOMLDecodeError as error:
            raise InputError(str(path), f"not valid TOML: {error}") from error
        records = data.get("model", [])
        if not isinstance(records, list):
            raise InputError(str(path), "expected [[model]] tables")
        return [_price(record, f"{path}: [[model]] #{i}") for i, record in
                enumerate(records, start=1)]
    if path.suffix.lower() == ".csv":
        text = read_text(path, notify)
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [h.strip().lower() for h in reader.fieldnames or []]
        unknown = [h for h in header if h not in COLUMNS]
        if unknown or "model" not in header:
            raise InputError(f"{path}: row 1", f"columns must be among {', '.join(COLUMNS)}"
                             f" and include model; got {', '.join(header)}")
        prices = []
        for row_number, row in enumerate(reader, start=2):
            record = {k.strip().lower(): v.strip() for k, v in row.items()
                      if k is not None and v is not None and v.strip() != ""}
            prices.append(_price(record, f"{path}: row {row_number}"))
        return prices
    raise InputError(str(path), "price file must end in .toml or .csv")


def _price(record: Any, where: str) -> ModelPrice:
    if not isinstance(record, dict):
        raise InputError(where, "expected a table of model, input_usd_per_mtok, ...")
    values = {"provider": "custom", **record, "source": "price file"}
    try:
        return ModelPrice.model_validate(values)
    except ValidationError as error:
        first = error.errors()[0]
        column = ".".join(str(p) for p in first["loc"]) or "record"
        raise InputError(f"{where}, column {column}", first["msg"].lower()) from error
