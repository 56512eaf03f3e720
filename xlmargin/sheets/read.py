"""Read a filled workbook back: the Assumptions and Pricing values the user left in it and the
client rows, then recompute everything in Python (``xlmargin report``).

The workbook may have been edited: rows added, deleted or blanked, columns moved, text typed
where a number belongs. Every cell that cannot be used is reported by address
('Clients!D7: expected a number, got 'lots''); the rows that can be used are still reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter, range_boundaries
from pydantic import ValidationError

from xlmargin import calc
from xlmargin.errors import InputError
from xlmargin.models import (
    DEFAULT_GPUS,
    AgencySettings,
    Capacity,
    GpuPreset,
    HiddenCosts,
    Hosting,
    Infra,
    Multipliers,
    Strict,
    parse_hosting,
)
from xlmargin.portfolio import ExcludedRow, OpenWeightPrices, Portfolio, PricedClient, compute
from xlmargin.sheets import layout
from xlmargin.sheets.opening import open_read_only

Prices = dict[str, tuple[float, float, float]]


@dataclass
class Sheets:
    """The workbook's small sheets as {(sheet, row, column): value}, plus its defined names."""

    values: dict[tuple[str, int, int], Any] = field(default_factory=dict)
    names: dict[str, tuple[str, str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def cells(self, name: str) -> list[tuple[str, Any]]:
        """(address, value) of every cell a defined name covers; [] if the name is gone."""
        if name not in self.names:
            self.warnings.append(f"defined name {name} is missing; using the default")
            return []
        sheet, ref = self.names[name]
        min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
        return [(f"{sheet}!{get_column_letter(col)}{row}", self.values.get((sheet, row, col)))
                for row in range(min_row, max_row + 1) for col in range(min_col, max_col + 1)]


@dataclass
class WorkbookInputs:
    """What a workbook made by ``xlmargin new`` says, as ``report`` reads it."""

    clients: list[PricedClient]
    settings: AgencySettings
    open_weight: OpenWeightPrices | None
    book: Sheets
    """The small sheets' cells and the defined names (``extra_sheets`` included)."""
    sheetnames: list[str]
    excluded: list[ExcludedRow] = field(default_factory=list)
    """Client rows that could not be used, one entry per bad cell (also in the warnings)."""
    stored_plan: list[str | None] = field(default_factory=list)
    """Per client in ``clients``: where the plan stored at generation put it (None: unknown,
    a row typed later)."""


def read_workbook(path: str | Path, extra_sheets: tuple[str, ...] = ()) -> WorkbookInputs:
    """The client rows, Assumptions and Pricing of a workbook made by ``xlmargin new`` (and
    perhaps edited since); ``extra_sheets`` that exist are kept cell by cell in ``book``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "file not found")
    wb = open_read_only(path)  # refuses a zip bomb; a damaged sheet is an InputError
    try:
        missing = [s for s in (layout.CLIENTS, layout.PRICING, layout.ASSUMPTIONS)
                   if s not in wb.sheetnames]
        if missing:
            raise InputError(str(path), f"no {', '.join(missing)} sheet: not a workbook from "
                                        "`xlmargin new`")
        book = Sheets()
        for name, defined in wb.defined_names.items():
            for sheet, ref in defined.destinations:
                book.names[name] = (sheet, ref)
        small = [layout.PRICING, layout.ASSUMPTIONS,
                 *(s for s in extra_sheets if s in wb.sheetnames)]
        for sheet in small:
            for r, row in enumerate(wb[sheet].iter_rows(values_only=True), start=1):
                for c, value in enumerate(row, start=1):
                    if value is not None:
                        book.values[(sheet, r, c)] = value
        settings = _settings(book)
        use_cases = _use_cases(book)
        prices = _prices(book)
        open_weight = _open_weight(book, prices)
        excluded: list[ExcludedRow] = []
        stored: list[str | None] = []
        clients = list(_clients(wb[layout.CLIENTS], use_cases, prices, book.warnings,
                                excluded, stored, open_weight is not None))
        sheetnames = list(wb.sheetnames)
    finally:
        wb.close()
    return WorkbookInputs(clients, settings, open_weight, book, sheetnames, excluded, stored)


def read_report(path: str | Path) -> Portfolio:
    """Recompute a workbook made by ``xlmargin new`` (and perhaps edited since); with GPU
    capacity on, a warning when the Plan sheet's stored plan is no longer the cheapest."""
    found = read_workbook(path)
    report = compute(found.clients, found.settings, found.book.warnings,
                     open_weight=found.open_weight, excluded=found.excluded)
    if found.settings.gpu is not None and layout.PLAN in found.sheetnames:
        from xlmargin.sheets.plan_check import stale_plan

        warning = stale_plan(found, report)
        if warning:
            report.warnings.append(warning)
    return report


def _settings(book: Sheets) -> AgencySettings:
    def read(names: dict[str, str], record: type[Strict], since_issue_5: bool = False) -> Any:
        values: dict[str, Any] = {}
        for field_name, name in names.items():
            if since_issue_5 and name not in book.names:
                continue  # a workbook from before capacity and hidden costs: their defaults
            for address, value in book.cells(name)[:1]:
                try:
                    values[field_name] = calc.number(address, value)
                except InputError as error:
                    book.warnings.append(f"{error}; using the default")
        try:
            return record.model_validate(values)
        except ValidationError as error:
            for problem in error.errors():
                name = names[str(problem["loc"][0])]
                book.warnings.append(f"{book.cells(name)[0][0]} ({name}): "
                                     f"{problem['msg'].lower()}; using the default")
                values.pop(str(problem["loc"][0]), None)
            return record.model_validate(values)

    target = AgencySettings().target_margin
    for address, value in book.cells(layout.TARGET_MARGIN)[:1]:
        try:
            target = calc.number(address, value, minimum=-1e9, maximum=0.999999)
        except InputError as error:
            book.warnings.append(f"{error}; using the default")
    gpus = _gpus(book)
    capacity = read({"utilization": layout.UTILIZATION}, Capacity, since_issue_5=True)
    gpu = _text(book, layout.GPU_NAME)
    if gpu is not None:
        if any(key.casefold() == gpu.casefold() for key in gpus):
            capacity = capacity.model_copy(update={"gpu": gpu})
        else:
            book.warnings.append(f"{book.cells(layout.GPU_NAME)[0][0]}: GPU {gpu!r} is not in "
                                 "the GPU presets; capacity is off")
    return AgencySettings(infra=read(layout.INFRA_NAMES, Infra),
                          multipliers=read(layout.MULTIPLIER_NAMES, Multipliers),
                          target_margin=target, capacity=capacity, gpus=gpus,
                          hidden_costs=read(layout.HIDDEN_NAMES, HiddenCosts,
                                            since_issue_5=True))


def _text(book: Sheets, name: str) -> str | None:
    """A named text cell's stripped value; None when blank (or the name is gone)."""
    if name not in book.names:
        return None
    for _address, value in book.cells(name)[:1]:
        if value is not None and str(value).strip():
            return str(value).strip()
    return None


def _gpus(book: Sheets) -> dict[str, GpuPreset]:
    """The GPU preset table as the user left it; bad rows are warned about and left out."""
    if layout.GPU_NAMES not in book.names:
        return dict(DEFAULT_GPUS)
    columns = [book.cells(n) for n in (layout.GPU_NAMES, layout.GPU_MONTHLY, layout.GPU_PREFILL,
                                       layout.GPU_DECODE)]
    gpus: dict[str, GpuPreset] = {}
    for (_, name), (m_at, monthly), (p_at, prefill), (d_at, decode) in zip(*columns,
                                                                            strict=False):
        if not isinstance(name, str) or not name.strip():
            continue
        try:
            gpus.setdefault(name.strip(), GpuPreset(
                monthly_usd=calc.number(m_at, monthly),
                prefill_tps=calc.number(p_at, prefill, above=True),
                decode_tps=calc.number(d_at, decode, above=True)))
        except InputError as error:
            book.warnings.append(f"{error}; GPU {name.strip()!r} left out")
    return gpus


def _open_weight(book: Sheets, prices: dict[str, Any]) -> OpenWeightPrices | None:
    """The hosted open-weight model's prices from the Pricing sheet; None when not set."""
    model = _text(book, layout.OPEN_WEIGHT_MODEL)
    if model is None:
        return None
    price = prices.get(model.lower())
    where = book.cells(layout.OPEN_WEIGHT_MODEL)[0][0]
    if price is None:
        book.warnings.append(f"{where}: open-weight model {model!r} is not on the Pricing sheet")
        return None
    if isinstance(price, str):
        book.warnings.append(f"{where}: the open-weight model's Pricing row is bad ({price})")
        return None
    return OpenWeightPrices(model, *price)


def _use_cases(book: Sheets) -> dict[str, tuple[float, float] | str]:
    """{key (lower case): (input, output)} or {key: 'address: problem'} for a bad row."""
    keys = book.cells(layout.USE_CASE_KEYS)
    inputs, outputs = book.cells(layout.USE_CASE_INPUT), book.cells(layout.USE_CASE_OUTPUT)
    # The roster CSV's key of each row finds it too, as the Clients formula's second MATCH.
    csv_keys = (book.cells(layout.USE_CASE_CSV_KEYS) if layout.USE_CASE_CSV_KEYS in book.names
                else [])
    table: dict[str, tuple[float, float] | str] = {}
    for names in (keys, csv_keys):
        for (_, key), (in_at, in_value), (out_at, out_value) in zip(names, inputs, outputs,
                                                                     strict=False):
            if not isinstance(key, str) or not key.strip() or key.strip().lower() in table:
                continue
            try:
                table[key.strip().lower()] = (calc.number(in_at, in_value),
                                              calc.number(out_at, out_value))
            except InputError as error:
                if names is keys:  # said once, for the label's row
                    book.warnings.append(str(error))
                table[key.strip().lower()] = str(error)
    return table


def _prices(book: Sheets) -> dict[str, tuple[float, float, float] | str]:
    """{model (lower case): (input, output, cache read)} or {model: problem} from Pricing."""
    columns = [book.cells(n) for n in (layout.PRICE_MODELS, layout.PRICE_INPUT, layout.PRICE_OUTPUT,
                                       layout.PRICE_CACHE)]
    prices: dict[str, tuple[float, float, float] | str] = {}
    for (_, model), *cells in zip(*columns, strict=False):
        if not isinstance(model, str) or not model.strip():
            continue
        try:
            found = tuple(calc.number(address, value) for address, value in cells)
        except InputError as error:
            book.warnings.append(str(error))
            prices.setdefault(model.strip().lower(), str(error))
            continue
        prices.setdefault(model.strip().lower(), found)  # type: ignore[arg-type]
    return prices


def _header(rows: Iterator[tuple[Any, ...]]) -> tuple[int, dict[str, int]]:
    for r, row in enumerate(rows, start=1):
        found = {layout.HEADERS[v.strip().lower()]: c for c, v in enumerate(row)
                 if isinstance(v, str) and v.strip().lower() in layout.HEADERS}
        if "client" in found and len(found) >= 5:
            return r, found
        if r >= 20:
            break
    raise InputError(f"{layout.CLIENTS}!A1:A20", "no header row with Client, Model, ... columns")


INPUTS = ("client", "use_case", "interactions_per_day", "model", "monthly_revenue")


def _clients(ws: Any, use_cases: dict[str, Any], prices: dict[str, Any],
             warnings: list[str], excluded: list[ExcludedRow], stored: list[str | None],
             open_weight: bool) -> Iterator[PricedClient]:
    rows = ws.iter_rows(values_only=True)
    header, columns = _header(rows)
    needed = [k for k in ("client", "interactions_per_day", "model", "monthly_revenue",
                          "input_tokens", "output_tokens") if k not in columns]
    if needed:
        raise InputError(f"{layout.CLIENTS}!{header}:{header}",
                         f"missing column {', '.join(needed)}")
    for r, row in enumerate(rows, start=header + 1):
        def get(key: str, row: tuple[Any, ...] = row) -> Any:
            index = columns.get(key)
            return row[index] if index is not None and index < len(row) else None

        if all(_blank(get(k)) for k in INPUTS):
            continue

        def at(key: str, r: int = r) -> str:
            return f"{layout.CLIENTS}!{get_column_letter(columns[key] + 1)}{r}"

        problems: list[str] = []
        name = get("client")
        if _blank(name):
            problems.append(f"{at('client')}: blank client name")
        numbers: dict[str, float] = {}
        for key, bounds in (("interactions_per_day", {}), ("monthly_revenue", {"above": True})):
            try:
                numbers[key] = calc.number(at(key), get(key), **bounds)
            except InputError as error:
                problems.append(str(error))
        for key, index in (("input_tokens", 0), ("output_tokens", 1)):
            value = get(key)
            if isinstance(value, str) and value.startswith("=") and "USECASE" in value.upper():
                case = get("use_case")
                found = use_cases.get(case.strip().lower()) if isinstance(case, str) else None
                if found is None:
                    where = at("use_case") if "use_case" in columns else at(key)
                    problems.append(f"{where}: unknown use case {case!r}")
                elif isinstance(found, str):
                    problems.append(found)
                else:
                    numbers[key] = found[index]
            elif isinstance(value, str) and value.startswith("="):
                problems.append(f"{at(key)}: a formula xlmargin cannot evaluate ({value}); "
                                "type a number")
            else:
                try:
                    numbers[key] = calc.number(at(key), value)
                except InputError as error:
                    problems.append(str(error))
        model = get("model")
        price = prices.get(model.strip().lower()) if isinstance(model, str) else None
        if price is None:
            problems.append(f"{at('model')}: model {model!r} is not on the Pricing sheet")
        elif isinstance(price, str):
            problems.append(f"{at('model')}: its Pricing row is bad ({price})")
        if problems:
            problems = list(dict.fromkeys(problems))
            warnings.append(f"row {r} skipped: " + "; ".join(problems))
            for problem in problems:
                cell, _, message = problem.partition(": ")
                excluded.append(ExcludedRow(r, cell, message))
            continue
        hosting = _hosting(get("hosting"), at("hosting") if "hosting" in columns else "",
                           open_weight, warnings)
        planned = get("stored_plan")
        stored.append(planned.strip().lower() if isinstance(planned, str) and planned.strip()
                      else None)
        yield PricedClient(
            client=str(name), model=str(model), input_tokens=numbers["input_tokens"],
            output_tokens=numbers["output_tokens"],
            interactions_per_day=numbers["interactions_per_day"],
            monthly_revenue=numbers["monthly_revenue"], input_usd_per_mtok=price[0],
            output_usd_per_mtok=price[1], cache_read_usd_per_mtok=price[2],
            where=at("client"),
            use_case=get("use_case") if isinstance(get("use_case"), str) else None,
            hosting=hosting)


def _hosting(value: Any, where: str, open_weight: bool, warnings: list[str]) -> Hosting | None:
    """A Hosting cell as the Plan sheet's formulas read it: a choice the sheet does not know,
    or open_weight with no open-weight model set, counts as blank, with a warning."""
    try:
        hosting = parse_hosting(value)
    except ValueError as error:
        warnings.append(f"{where}: {error}; the plan treats it as blank")
        return None
    if hosting == "open_weight" and not open_weight:
        warnings.append(f"{where}: open_weight, but no open-weight model is set on Assumptions;"
                        " the plan treats it as blank")
        return None
    return hosting


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
