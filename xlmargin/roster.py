"""Read a roster CSV and an agency settings file, listing every problem by file, row and column.

Nothing is written until both read cleanly: ``xlmargin new`` stops on the first file with
problems and prints all of that file's problems at once, so one edit fixes them all.

Files are decoded as ``textfile`` decodes them (UTF-8, UTF-16, Windows Excel's cp1252, said when
not UTF-8) and split as ``usage.csvfile`` splits CSV (a quote that never closes, or extra cells
past the header, is a problem of its row, not the silent loss of the rows after it). Numbers
take the roster's convention: 1,500 and $1,500.50 with a decimal point, 40,5 and 1.500 where
the roster's numbers or its semicolons show a decimal comma (``usage.numbers``). A header that
names a column twice, through an alias or not, is refused: which one to read is not ours to
guess.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from xlmargin import calc
from xlmargin.catalog import Catalog
from xlmargin.errors import InputError, XlmarginError
from xlmargin.models import MAX_CELL_CHARS, AgencySettings, Client, ModelPrice, parse_hosting
from xlmargin.portfolio import OpenWeightPrices, PricedClient
from xlmargin.presets import client_type, is_guess, use_case
from xlmargin.textfile import Notify, note_on_stderr, read_text
from xlmargin.usage.csvfile import Row, Table
from xlmargin.usage.numbers import Convention, NumberError
from xlmargin.usage.record import Malformed, Note

REQUIRED = ("client", "model", "interactions_per_day", "monthly_revenue")
OPTIONAL = ("use_case", "input_tokens", "output_tokens", "client_type", "notes", "hosting",
            "monthly_ai_budget", "markup", "fixed_ai_fee")
NUMBERS = ("interactions_per_day", "monthly_revenue", "input_tokens", "output_tokens",
           "monthly_ai_budget", "fixed_ai_fee")
# What the client is billed for AI (``xlmargin chargeback``): a share over cost or a fee.
BILLING = ("markup", "fixed_ai_fee")
# Header spellings people use for the same column.
ALIASES = {"name": "client", "revenue": "monthly_revenue", "interactions": "interactions_per_day",
           "note": "notes", "type": "client_type"}


class ProblemsError(InputError):
    """Several problems in one file; ``problems`` lists them, the message shows them all."""

    def __init__(self, where: str, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        count = f"{len(problems)} problem{'s' * (len(problems) != 1)}"
        super().__init__(where, count + "".join(f"\n  {p}" for p in problems))


def starter_roster() -> Path:
    """The bundled starter roster (a copy of templates/roster.csv)."""
    return Path(str(resources.files("xlmargin") / "templates" / "roster.csv"))


def starter_settings() -> Path:
    return Path(str(resources.files("xlmargin") / "templates" / "agency.toml"))


def _header_key(name: str) -> str:
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    return ALIASES.get(key, key)


_CURRENCY = "$€£"


def _number(text: str, numbers: Convention) -> float | str:
    """The number in a roster cell ('1,200', '$99', '40,5' where the roster has a decimal
    comma), or why it is none. 'inf' and '1e400' give inf, which the caller refuses."""
    cleaned = text.strip().strip(_CURRENCY).strip()
    if cleaned[:1] in ("+", "-") and cleaned[1:2] and cleaned[1] in _CURRENCY:
        cleaned = cleaned[0] + cleaned[2:].strip()
    if not cleaned:
        return f"expected a number, got {text!r}"
    try:
        return float(numbers.decimal(cleaned))
    except NumberError as error:
        if str(error) == "not a number":
            return f"expected a number, got {text!r}"
        return f"{text!r} {error}"


def _share_cell(text: str, numbers: Convention) -> float | str:
    """A share typed in a roster cell: '25%' or 0.25 (a decimal comma as the roster has it), or
    why it is none; a bare number above 1 is left to the model, which refuses it with the fix."""
    value = calc.percent_text(text)
    if isinstance(value, str):
        value = _number(text, numbers)
        if isinstance(value, str):
            return f"expected a share like 0.25 or 25%, got {text!r}"
    elif value > 1:
        return f"{text.strip()} is more than 100%; a markup is at most 100% (a larger charge " \
               "is a fixed_ai_fee)"
    if not math.isfinite(value) or value < 0:
        return f"expected a share from 0 to 1 (0% to 100%), got {text!r}"
    return value


def read_roster(path: str | Path, catalog: Catalog, notify: Notify | None = None
                ) -> list[Client]:
    """The clients in a roster CSV, models resolved to catalog ids, use cases to their keys."""
    return [client for _row, client in read_roster_rows(path, catalog, notify)]


def _columns(header: list[str]) -> tuple[list[str], list[str]]:
    """(each column's key, '' for a column without a name; the header's problems)."""
    columns = [_header_key(h) for h in header]
    problems = [f"row 1: missing column {name}" for name in REQUIRED if name not in columns]
    for key in dict.fromkeys(k for k in columns if k):
        places = [i for i, k in enumerate(columns) if k == key]
        if len(places) > 1:
            names = [header[i].strip() for i in places]
            what = (f"column {key} appears {len(places)} times" if len(set(names)) == 1
                    else f"columns {' and '.join(map(repr, names))} all mean {key}")
            problems.append(f"row 1: {what} (columns {', '.join(str(i + 1) for i in places)})"
                            ": keep one, so it is clear which to read")
    unknown = [h for h, key in zip(header, columns, strict=True)
               if key and key not in REQUIRED + OPTIONAL]
    if unknown:
        problems.append(f"row 1: unknown column {', '.join(map(repr, unknown))}; known: "
                        + ", ".join(REQUIRED + OPTIONAL))
    if "use_case" not in columns and not {"input_tokens", "output_tokens"} <= set(columns):
        problems.append("row 1: missing column use_case (or both input_tokens and "
                        "output_tokens)")
    return columns, problems


def read_roster_rows(path: str | Path, catalog: Catalog, notify: Notify | None = None
                     ) -> list[tuple[int, Client]]:
    """``read_roster`` with each client's row number in the file (the header is row 1). A
    note (the encoding, when not UTF-8; a decimal comma) goes to ``notify``, stderr by
    default."""
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "roster file not found")
    # a short row: its missing cells are blank, and reported where a value is needed
    table = Table.of_text(read_text(path, notify), str(path), required=())
    if not any(table.header):
        raise InputError(str(path), "empty file; expected a header row with " + ", ".join(REQUIRED))
    columns, problems = _columns(table.raw_header)
    if problems:
        raise ProblemsError(str(path), problems)
    table.read_numbers_of([h for h, key in zip(table.header, columns, strict=True)
                           if key in NUMBERS])
    clients: list[tuple[int, Client]] = []
    guessed: dict[tuple[str, str, str], list[int]] = {}
    for item in table:
        if isinstance(item, Note):
            (notify or note_on_stderr)(item.text)
            continue
        if isinstance(item, Malformed):
            problems.append(f"row {item.where.rsplit(':', 1)[1]}: {item.problem}")
            continue
        assert isinstance(item, Row)
        cells = item.cells
        if any(cells[i].strip() for i, key in enumerate(columns) if not key and i < len(cells)):
            problems.append(f"row {item.number}: a value under a column with no name in the "
                            "header: name the column or clear the cell")
            continue
        record = {key: (cells[i].strip() if i < len(cells) else "")
                  for i, key in enumerate(columns) if key}
        row_guesses: list[tuple[str, str, str]] = []
        client, row_problems = _client(record, catalog, table.numbers, row_guesses)
        problems += [f"row {item.number}, column {where}: {problem}"
                     for where, problem in row_problems]
        for guess in row_guesses:
            guessed.setdefault(guess, []).append(item.number)
        if client is not None:
            clients.append((item.number, client))
    if not clients and not problems:
        problems.append("no clients: add one row per client under the header")
    if problems:
        raise ProblemsError(str(path), problems)
    for (column, typed, read), rows in guessed.items():  # each guess said once
        more = f" and {len(rows) - 3} more" if len(rows) > 3 else ""
        where = f"row{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows[:3]))}{more}"
        (notify or note_on_stderr)(f"{path}: column {column}: {typed!r} read as {read} "
                                   f"({where})")
    return clients


def _client(record: dict[str, str], catalog: Catalog, numbers: Convention,
            guesses: list[tuple[str, str, str]]) -> tuple[Client | None, list[tuple[str, str]]]:
    """The row's client or its problems; each value read by a guess (an alias, a start of a
    key, a currency sign) is added to ``guesses`` as (column, as typed, as read)."""
    problems: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    for name in REQUIRED + OPTIONAL:
        text = record.get(name, "")
        if len(text) > MAX_CELL_CHARS:
            problems.append((name, f"longer than Excel's {MAX_CELL_CHARS:,} characters per cell"))
        elif name in NUMBERS:
            if text == "":
                if name in REQUIRED:
                    problems.append((name, "blank; expected a number"))
                continue
            value = _number(text, numbers)
            if isinstance(value, float) and any(c in text for c in _CURRENCY):
                guesses.append((name, text, f"{value:g}"))
            if isinstance(value, str):
                problems.append((name, value))
            elif not math.isfinite(value):
                problems.append((name, f"expected a finite number, got {text!r}"))
            elif value < 0:
                problems.append((name, f"must not be negative, got {text}"))
            elif name == "monthly_revenue" and value == 0:
                problems.append((name, "must be greater than 0 (margins divide by it)"))
            else:
                values[name] = value
        elif name == "markup" and text:
            markup = _share_cell(text, numbers)
            if isinstance(markup, str):
                problems.append((name, markup))
            else:
                values[name] = markup
        elif text:
            values[name] = text
        elif name in REQUIRED:
            problems.append((name, "blank"))

    for name, resolve in (("model", lambda v: catalog.lookup(v).model),
                          ("use_case", lambda v: use_case(v)),
                          ("client_type", lambda v: client_type(v))):
        if name in values:
            try:
                found = resolve(values[name])
            except XlmarginError as error:
                problems.append((name, getattr(error, "problem", str(error))))
                continue
            if isinstance(found, str):
                values[name] = found
                continue
            if is_guess(values[name], found.key, found.label):
                guesses.append((name, values[name], found.key))
            values[name] = found.key
    if all(record.get(name, "") for name in BILLING):
        problems.append(("fixed_ai_fee", "given with a markup: a client is billed one way, "
                                         "keep one of markup and fixed_ai_fee"))
    if "hosting" in values:
        try:
            values["hosting"] = parse_hosting(values["hosting"])
        except ValueError as error:
            problems.append(("hosting", str(error)))
    typed = [name for name in ("input_tokens", "output_tokens") if record.get(name, "")]
    if "use_case" not in values and not record.get("use_case") and len(typed) < 2:
        problems.append(("use_case", "blank; give a use case or both input_tokens and "
                                     "output_tokens"))
    if problems:
        return None, problems
    try:
        return Client.model_validate(values), []
    except ValidationError as error:
        return None, [(".".join(map(str, e["loc"])) or "row", e["msg"].lower())
                      for e in error.errors()]


def read_settings(path: str | Path) -> AgencySettings:
    """An agency settings TOML file (see templates/agency.toml); every problem listed."""
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "settings file not found")
    try:
        data = tomllib.loads(read_text(path))
    except tomllib.TOMLDecodeError as error:
        raise InputError(str(path), f"not valid TOML: {error}") from error
    data.pop("agency", None)  # a display name, informational
    try:
        return AgencySettings.model_validate(data)
    except ValidationError as error:
        raise ProblemsError(str(path), [
            f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg'].lower()}"
            for e in error.errors()]) from error


@dataclass(frozen=True, slots=True)
class UseCaseTokens:
    input_tokens: float
    output_tokens: float


def price_roster(clients: Sequence[Client], prices: dict[str, ModelPrice],
                 use_cases: dict[str, UseCaseTokens], where: str = "",
                 rows: Sequence[int] | None = None) -> list[PricedClient]:
    """Clients with tokens from ``use_cases`` (unless typed) and prices from ``prices``; each
    one's ``where`` is ``where`` with its row number from ``rows`` ('roster.csv: row 7')."""
    priced = []
    for i, c in enumerate(clients):
        price = prices[c.model.lower()]
        case = use_cases.get(c.use_case or "")
        input_tokens = c.input_tokens if c.input_tokens is not None else case.input_tokens
        output_tokens = c.output_tokens if c.output_tokens is not None else case.output_tokens
        priced.append(PricedClient(
            client=c.client, model=c.model, input_tokens=input_tokens,
            output_tokens=output_tokens, interactions_per_day=c.interactions_per_day,
            monthly_revenue=c.monthly_revenue, input_usd_per_mtok=price.input_usd_per_mtok,
            output_usd_per_mtok=price.output_usd_per_mtok,
            cache_read_usd_per_mtok=price.cache_read_or_input_usd_per_mtok,
            where=where if rows is None else f"{where}: row {rows[i]}", use_case=c.use_case,
            hosting=c.hosting))
    return priced


def check_hosting(path: str | Path, rows: Sequence[tuple[int, Client]],
                  open_weight: OpenWeightPrices | None) -> None:
    """Refuse, by row, a client pinned to the hosted open-weight model when the settings name
    none: the plan could not keep the pin."""
    if open_weight is not None:
        return
    problems = [f"row {number}, column hosting: open_weight, but the settings name no "
                "open_weight_model" for number, client in rows if client.hosting == "open_weight"]
    if problems:
        raise ProblemsError(str(path), problems)


# Which roster columns to name when a row's numbers do not compute (see ``check_computes``).
_USAGE = ("interactions_per_day", "input_tokens", "output_tokens")


def check_computes(path: str | Path, rows: Sequence[tuple[int, Client]],
                   priced: Sequence[PricedClient], settings: AgencySettings,
                   open_weight: OpenWeightPrices | None = None) -> None:
    """Refuse the rows whose costs or margins do not compute with ``settings`` (a number so
    large the month overflows a float), by row and column: a workbook of them could not
    compute either. ``priced`` is ``rows`` priced, in the same order."""
    from xlmargin.portfolio import compute

    skipped = compute(priced, settings, open_weight=open_weight).skipped
    if not skipped:
        return
    by_client = {id(p): row for p, row in zip(priced, rows, strict=True)}
    problems = []
    for s in skipped:
        number, client = by_client[id(s.client)]
        if "margin" in s.error.where:
            column = "monthly_revenue"
        else:  # the usage: name the largest number typed in the row
            typed = {name: getattr(client, name) for name in _USAGE
                     if getattr(client, name) is not None}
            column = max(typed, key=typed.__getitem__)
        problems.append(f"row {number}, column {column}: {s.error}")
    raise ProblemsError(str(path), problems)


def open_weight_prices(settings: AgencySettings, catalog: Catalog,
                       settings_path: str | Path | None) -> OpenWeightPrices | None:
    """The settings' hosted open-weight model priced from ``catalog`` (its catalog id as the
    model), or None when it is not set; an unknown name is an error naming the settings file."""
    if not settings.open_weight_model:
        return None
    found = catalog.lookup(settings.open_weight_model,
                           where=f"{settings_path or 'settings'}: open_weight_model")
    return OpenWeightPrices(found.model, found.input_usd_per_mtok, found.output_usd_per_mtok,
                            found.cache_read_or_input_usd_per_mtok)


def preset_use_cases() -> dict[str, UseCaseTokens]:
    from xlmargin.presets import USE_CASES

    return {c.key: UseCaseTokens(c.input_tokens, c.output_tokens) for c in USE_CASES}


def read_roster_inputs(path: str | Path, settings_path: str | Path | None = None,
                       as_of: date | None = None
                       ) -> tuple[list[PricedClient], AgencySettings, OpenWeightPrices | None]:
    """A roster CSV priced from the catalog (as of ``as_of``), with the agency settings (the
    article's defaults without a file) and the hosted open-weight model's prices if set."""
    catalog = Catalog(as_of=as_of)
    rows = read_roster_rows(path, catalog)
    clients = [client for _row, client in rows]
    settings = read_settings(settings_path) if settings_path else AgencySettings()
    prices = {c.model.lower(): catalog.lookup(c.model) for c in clients}
    open_weight = open_weight_prices(settings, catalog, settings_path)
    check_hosting(path, rows, open_weight)
    priced = price_roster(clients, prices, preset_use_cases(), where=str(path),
                          rows=[row for row, _client in rows])
    return priced, settings, open_weight
