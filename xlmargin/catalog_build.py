"""Writes the catalog's price index from the installed genai-prices.

    python -m xlmargin.catalog_build --write     # after changing the genai-prices pin
    python -m xlmargin.catalog_build --check     # exit 1 when the committed file is stale

Every value in the file is read from genai-prices through the catalog's own genai-prices path
(``catalog.from_snapshot``): the spelling table holds that path's answers, so for those names
the index answers what genai-prices does by construction.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any

from xlmargin.catalog import POPULAR, from_snapshot, name_key
from xlmargin.catalog_index import INDEX_FILE

WRITE_COMMAND = "python -m xlmargin.catalog_build --write"


def build() -> dict[str, Any]:
    """The index as JSON-ready data, from genai-prices' bundled snapshot."""
    import genai_prices

    bundled = from_snapshot()
    providers = bundled.source.providers
    place = {id(p): i for i, p in enumerate(providers)}
    where = {id(m): (place[id(p)], j) for p in providers for j, m in enumerate(p.models)}
    names: dict[str, list[int]] = {}
    keys = dict.fromkeys(spelling.strip().lower() for spelling in _spellings(providers))
    for key in keys:
        if not key.isascii():  # see IndexSource.known
            continue
        hit = bundled.find(key)
        if hit is not None:
            provider, model = hit
            names[key] = [place[id(provider)], *where[id(model)]]
    return {
        "genai_prices": genai_prices.__version__,
        "providers": [_provider(p, bundled.source) for p in providers],
        "names": names,
    }


def _spellings(providers: list[Any]) -> list[str]:
    """What people type for a model: its id and display name, their name_key forms, and the id
    with its provider in front. (Other names are matched by the index's rules.)"""
    found: list[str] = list(POPULAR)
    for provider in providers:
        for model in provider.models:
            found += [model.id, name_key(model.id)]
            if model.name:
                found += [model.name, name_key(model.name)]
            found += [f"{provider.id}/{model.id}", f"{provider.id}/{name_key(model.id)}"]
    return found


def _provider(provider: Any, source: Any) -> dict[str, Any]:
    return {
        "id": provider.id,
        "model_match": _rule(provider.model_match),
        "provider_match": _rule(provider.provider_match),
        "fallback_model_providers": provider.fallback_model_providers,
        "models": [[m.id, m.name, _rule(m.match), _periods(m, source)] for m in provider.models],
    }


_CLAUSE_KINDS = {"ClauseEquals": "equals", "ClauseStartsWith": "starts_with",
                 "ClauseEndsWith": "ends_with", "ClauseContains": "contains",
                 "ClauseRegex": "regex", "ClauseOr": "or", "ClauseAnd": "and"}


def _rule(clause: Any) -> dict[str, Any] | None:
    """A genai-prices match clause in its JSON form: {"equals": "gpt-4o"}, {"or": [...]}."""
    if clause is None:
        return None
    kind = _CLAUSE_KINDS.get(type(clause).__name__)
    if kind is None:  # a clause catalog_index.compile_rule would not know
        raise TypeError(f"no index form for the match clause {clause!r}")
    if kind in ("or", "and"):
        return {kind: [_rule(part) for part in getattr(clause, kind + "_")]}
    return {kind: getattr(clause, kind)}


def _periods(model: Any, source: Any) -> list[list[Any]]:
    """[start (ISO) or None, input, output, cache read] per change of price, oldest first.

    genai-prices picks the last of a model's conditional prices whose constraint is active: a
    start date (active from that day on), a time of day (the catalog reads prices at noon, so
    always or never active) or none. The price can therefore change only on a start date:
    reading it before the first one and on each one gives every period."""
    from genai_prices import types

    starts: set[date] = set()
    for conditional in model.prices if isinstance(model.prices, list) else ():
        constraint = conditional.constraint
        if isinstance(constraint, types.StartDateConstraint):
            starts.add(constraint.start_date)
        elif not (constraint is None or isinstance(constraint, types.TimeOfDateConstraint)):
            raise TypeError(f"{model.id}: no index form for the price constraint {constraint!r}")
    periods: list[list[Any]] = []
    for day in [None, *sorted(starts)]:
        prices = list(source.prices_on(model, day or date.min))
        if not periods or periods[-1][1:] != prices:
            periods.append([day.isoformat() if day else None, *prices])
            _check(model.id, prices)
    return periods


def _check(model_id: str, prices: list[float | None]) -> None:
    """Refuse a price ModelPrice would refuse: ``Catalog.listed`` answers without building one."""
    from xlmargin.models import ModelPrice

    input_price, output_price, cache_read = prices
    if input_price is not None or output_price is not None:
        ModelPrice(provider="-", model=model_id, input_usd_per_mtok=input_price or 0.0,
                   output_usd_per_mtok=output_price or 0.0, cache_read_usd_per_mtok=cache_read)


def render(data: dict[str, Any]) -> str:
    """The file's text: one model and one name per line, so a new snapshot diffs readably."""

    def dumps(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), allow_nan=False)

    providers = []
    for provider in data["providers"]:
        head = dumps({k: v for k, v in provider.items() if k != "models"})[:-1]
        models = ",\n".join(dumps(model) for model in provider["models"])
        providers.append(f'{head},"models":[\n{models}]}}')
    names = ",\n".join(f"{dumps(key)}:{dumps(value)}" for key, value in data["names"].items())
    return (f'{{"genai_prices":{dumps(data["genai_prices"])},\n"providers":[\n'
            + ",\n".join(providers) + f'],\n"names":{{\n{names}}}}}\n')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write or check the catalog's price index "
                                     "from the installed genai-prices.")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help=f"write {INDEX_FILE}")
    mode.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args(argv)
    text = render(build())
    if args.write:
        with open(INDEX_FILE, "w", encoding="ascii", newline="\n") as file:
            file.write(text)
        return 0
    with open(INDEX_FILE, encoding="ascii") as file:
        if file.read() == text:
            return 0
    print(f"{INDEX_FILE} is stale: run {WRITE_COMMAND}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
