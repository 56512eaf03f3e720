"""From files to a saved workbook: read and check the inputs, build, write atomically."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from openpyxl import Workbook

from xlmargin.catalog import Catalog
from xlmargin.errors import InputError
from xlmargin.models import AgencySettings, Client, ModelPrice
from xlmargin.roster import (
    check_computes,
    open_weight_prices,
    preset_use_cases,
    price_roster,
    read_roster_rows,
    read_settings,
    starter_roster,
)
from xlmargin.sheets import LITE, NATIVE, UDF, build_workbook
from xlmargin.sheets.lite_parts import LiteParts, add_parts

SUFFIX = {LITE: ".xlsx", UDF: ".xlsm", NATIVE: ".xlsx"}


def default_output(agency: str, mode: str) -> Path:
    stem = re.sub(r"[^\w.-]+", "-", agency.strip()).strip("-.") or "agency"
    return Path(stem[:100] + SUFFIX[mode])


def pricing_list(roster: Sequence[Client], catalog: Catalog,
                 extra: Sequence[str] = ()) -> list[ModelPrice]:
    """The roster's models first, in roster order, then ``extra`` (the hosted open-weight
    model), then the curated popular ones."""
    found: dict[str, ModelPrice] = {}
    for name in [*(client.model for client in roster), *extra]:
        price = catalog.lookup(name)
        found.setdefault(price.model.lower(), price)
    for price in catalog.popular():
        found.setdefault(price.model.lower(), price)
    return list(found.values())


def build_from_files(agency: str, *, roster: str | Path | None = None,
                     settings: str | Path | None = None, mode: str = LITE,
                     as_of: date | None = None, price_file: str | Path | None = None,
                     extra_rows: int | None = None) -> tuple[Workbook, int]:
    """Read and check the roster and settings, then build (nothing is written here). Without
    ``roster``, the starter roster; without ``settings``, the article's defaults."""
    as_of = as_of or datetime.now(UTC).date()
    catalog = Catalog(as_of=as_of)
    if price_file:
        from xlmargin.price_file import load_prices

        catalog = catalog.with_overrides(load_prices(price_file))
    # Without a settings file, the article's defaults, as report and sensitivity take a roster
    # CSV; the starter settings (templates/agency.toml) apply only when passed.
    agency_settings = read_settings(settings) if settings else AgencySettings()
    open_weight = open_weight_prices(agency_settings, catalog, settings)
    extra: list[str] = []
    if open_weight is not None:
        # The Pricing sheet's id, so the workbook's lookups find it.
        agency_settings = agency_settings.model_copy(
            update={"open_weight_model": open_weight.model})
        extra.append(open_weight.model)
    roster_path = roster or starter_roster()
    rows = read_roster_rows(roster_path, catalog)
    clients = [client for _row, client in rows]
    # A row so large its month overflows a float would make a workbook that cannot compute.
    prices = {c.model.lower(): catalog.lookup(c.model) for c in clients}
    check_computes(roster_path, rows,
                   price_roster(clients, prices, preset_use_cases(), str(roster_path),
                                [row for row, _client in rows]),
                   agency_settings, open_weight)
    if not agency.strip():
        raise InputError("AGENCY", "give the agency's name")
    kwargs = {} if extra_rows is None else {"extra_rows": extra_rows}
    wb = build_workbook(agency.strip(), clients, agency_settings,
                        pricing_list(clients, catalog, extra), mode=mode, as_of=as_of, **kwargs)
    return wb, len(clients)


def write_agency_workbook(agency: str, *, roster: str | Path | None = None,
                          settings: str | Path | None = None, mode: str = LITE,
                          output: str | Path | None = None, force: bool = False,
                          as_of: date | None = None,
                          price_file: str | Path | None = None) -> tuple[Path, int]:
    path = Path(output) if output else default_output(agency, mode)
    if path.suffix.lower() != SUFFIX[mode]:
        raise InputError(str(path), f"--formulas {mode} writes a {SUFFIX[mode]} file")
    if path.exists() and not force:
        raise InputError(str(path), "already exists; pass --force to replace it")
    if not path.parent.is_dir():
        raise InputError(str(path), "folder does not exist")
    wb, count = build_from_files(agency, roster=roster, settings=settings, mode=mode,
                                 as_of=as_of, price_file=price_file)
    save_workbook(wb, path, mode)
    return path, count


def save_workbook(wb: Workbook, path: Path, mode: str) -> None:
    """Save a workbook ``build_from_files`` made, atomically; in the ``lite`` mode with xlwings
    Lite's parts holding its main.py and requirements.txt."""
    parts = None
    if mode == LITE:
        from xlmargin.excel.lite import main_py, requirements_txt
        from xlmargin.sheets.lite_parts import LiteCode, parts_for

        parts = parts_for(LiteCode(main_py=main_py(), requirements_txt=requirements_txt()))
    save_atomic(wb, path, parts=parts)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def save_atomic(wb: Workbook, path: Path, *, parts: LiteParts | None = None) -> None:
    """Write next to ``path`` and rename over it: a reader never sees half a file, and a failed
    write leaves the old file as it was. ``parts`` (xlwings Lite's, which openpyxl cannot write)
    go into the written file before the rename. An OS error (a read-only or special folder,
    ``path`` a folder, a full disk) is an InputError naming ``path``."""
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix,
                                        dir=path.parent)
    except OSError as error:
        raise InputError(str(path), f"cannot write here: {error.strerror or error}") from error
    os.close(handle)
    try:
        wb.save(temp)
        if parts is not None:
            add_parts(temp, parts)
        # mkstemp makes the file private (0600); give it the mode a plain new file would get.
        os.chmod(temp, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask())
        os.replace(temp, path)
    except BaseException as error:
        Path(temp).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise InputError(str(path), f"cannot write: {error.strerror or error}") from error
        raise
