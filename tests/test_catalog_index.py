"""The bundled price index answers what genai-prices answers, without importing genai-prices.

Every expected value here comes from genai-prices itself, through the catalog's genai-prices
source (``catalog.from_snapshot``: today's lookup on genai-prices' snapshot objects, prices from
``ModelInfo.get_prices``); the index side reads only ``catalog_index.json``.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from unittest import mock

import pytest

from xlmargin import catalog
from xlmargin.catalog import Bundled, Catalog
from xlmargin.catalog_build import WRITE_COMMAND, build, render
from xlmargin.catalog_index import INDEX_FILE, IndexSource
from xlmargin.errors import UnknownModelError, XlmarginError

# Around the prices' usual change dates, and well before and after all of them.
DATES = (date(2000, 1, 1), date(2024, 6, 1), date(2025, 8, 7), date(2026, 3, 1),
         date(2026, 11, 27), date(2040, 1, 1))
UNKNOWN = ("gpt4oo", "claude sonet 3.5", "gemini-9-ultra", "openai/gpt-40", "acme/large",
           "xyzzy", "anthropic:claude-nonexistent-7")


@pytest.fixture(scope="module")
def snapshot() -> Bundled:
    return catalog.from_snapshot()


@pytest.fixture(scope="module")
def index() -> Bundled:
    return catalog.indexed()


@pytest.fixture(scope="module")
def untabled() -> Bundled:
    """The index without its spelling table: every name goes through the ported matching."""
    with open(INDEX_FILE, "rb") as file:
        data = json.loads(file.read())
    return Bundled(IndexSource({**data, "names": {}}))


@pytest.fixture(scope="module")
def spelled(snapshot: Bundled) -> dict[str, tuple[Any, Any] | None]:
    """Each model's id, display name and provider/id, straight from genai-prices' snapshot,
    and what genai-prices finds for it."""
    names: list[str] = []
    for provider in snapshot.source.providers:
        for model in provider.models:
            names += [model.id, model.name, f"{provider.id}/{model.id}"]
    return {name: snapshot.find(name) for name in names if name}


def ids(hit: tuple[Any, Any] | None) -> tuple[str, str, str | None] | None:
    return None if hit is None else (hit[0].id, hit[1].id, hit[1].name)


def answers(bundled: Bundled, names: list[str], as_of: date) -> list[Any]:
    """What ``Catalog(as_of=...).lookup`` answers for each name, reading ``bundled``."""
    with mock.patch.object(catalog, "_bundled", lambda: bundled):
        found = Catalog(as_of=as_of)
        out: list[Any] = []
        for name in names:
            try:
                out.append(found.lookup(name))
            except XlmarginError as error:
                out.append(f"{type(error).__name__}: {error}")
        return out


def test_the_committed_index_is_the_installed_genai_prices() -> None:
    with open(INDEX_FILE, encoding="ascii") as file:
        committed = file.read()
    if committed != render(build()):  # not assert ==: pytest would diff 600 kB of text
        pytest.fail(f"{INDEX_FILE} is stale for the installed genai-prices: run {WRITE_COMMAND}")


def test_every_model_is_found_as_genai_prices_finds_it(
        spelled: dict[str, Any], index: Bundled, untabled: Bundled) -> None:
    names = list(spelled)
    assert len(names) > 5000
    expected = [ids(hit) for hit in spelled.values()]
    # A few ids genai-prices' own match rules miss (AWS's 'regional.' ids): unknown today too.
    assert expected.count(None) < len(names) / 50
    assert [ids(index.find(name)) for name in names] == expected
    assert [ids(untabled.find(name)) for name in names] == expected


def test_every_spelling_prices_as_genai_prices_does(spelled: dict[str, Any],
                                                    snapshot: Bundled, index: Bundled) -> None:
    # Only names genai-prices knows: the few it does not are compared as None above, and
    # "did you mean" (slow to compute thousands of times) below.
    names = [name for name, hit in spelled.items() if hit is not None]
    expected = answers(snapshot, names, date(2026, 3, 1))
    assert answers(index, names, date(2026, 3, 1)) == expected
    # Some models have no per-token price (images, audio): the same error, not a zero price.
    assert any(isinstance(a, str) and "no per-token price" in a for a in expected)


def change_dates(model: Any) -> set[date]:
    """The days genai-prices' conditional prices of ``model`` start, from genai-prices."""
    prices = model.prices if isinstance(model.prices, list) else []
    return {p.constraint.start_date for p in prices if hasattr(p.constraint, "start_date")}


def test_dated_prices_before_on_and_after_every_change(snapshot: Bundled,
                                                       index: Bundled) -> None:
    changed = 0
    assert [ids(hit) for hit in index.models] == [ids(hit) for hit in snapshot.models]
    for (_, theirs), (_, ours) in zip(snapshot.models, index.models, strict=True):
        days = set(DATES)
        for start in change_dates(theirs):
            days |= {start - timedelta(days=1), start, start + timedelta(days=1)}
            changed += 1
        for day in sorted(days):
            assert (index.source.prices_on(ours, day)
                    == snapshot.source.prices_on(theirs, day)), (ours.id, day)
    assert changed > 100  # the snapshot does date its prices


@pytest.mark.parametrize("as_of", DATES)
def test_all_prices_on_a_day(snapshot: Bundled, index: Bundled, as_of: date) -> None:
    with mock.patch.object(catalog, "_bundled", lambda: snapshot):
        expected = Catalog(as_of=as_of).all_prices()
    assert Catalog(as_of=as_of).all_prices() == expected
    assert len(expected) > 1500


def test_unknown_names_get_the_same_suggestions(snapshot: Bundled, index: Bundled) -> None:
    expected = answers(snapshot, list(UNKNOWN), date(2026, 3, 1))
    assert all(a.startswith("UnknownModelError: model: unknown model") for a in expected)
    assert answers(index, list(UNKNOWN), date(2026, 3, 1)) == expected


def variants(names: list[str], rng: random.Random) -> Iterator[str]:
    """What else people (and usage exports) type: other cases and blanks, date suffixes,
    routers' prefixes, typos, and letters that lower-case to ASCII (the Kelvin sign)."""
    for name in names:
        yield from (name.upper(), f"  {name.title()}\t", name.replace("-", " "))
        yield from (f"{name}-2024-08-06", f"{name}-20250101", f"{name}-latest")
        yield from (f"litellm/{name}", f"azure/{name}", f"google:{name}", f"bedrock/{name}")
        cut = rng.randrange(len(name))
        yield name[:cut] + name[cut + 1:]
        yield name[:cut] + rng.choice("ab-. 1") + name[cut:]
        yield name.replace("k", "\u212a")
    yield from ("", "ft:gpt-4o", "ft:gpt-4o-mini:acme::abc123", "litellm/openai/gpt-4o",
                "openrouter/anthropic/claude-3.5-sonnet", "claude-sonnet-3.5", "gpt-5.2-20251211")


def test_other_names_are_found_as_genai_prices_finds_them(snapshot: Bundled, index: Bundled,
                                                          untabled: Bundled) -> None:
    rng = random.Random(7)
    with open(INDEX_FILE, "rb") as file:
        keys = sorted(json.loads(file.read())["names"])
    names = list(dict.fromkeys(variants(rng.sample(keys, 150), rng)))
    expected = [ids(snapshot.find(name)) for name in names]
    assert [ids(index.find(name)) for name in names] == expected
    assert [ids(untabled.find(name)) for name in names] == expected
    # The sample holds both: names genai-prices matches and names nothing matches.
    assert 0.2 < expected.count(None) / len(expected) < 0.8


def test_an_override_still_wins_over_an_indexed_price() -> None:
    from xlmargin.models import ModelPrice

    ours = ModelPrice(provider="openai", model="gpt-4o", input_usd_per_mtok=1,
                      output_usd_per_mtok=2)
    found = Catalog([ours], as_of=date(2026, 3, 1))
    assert found.lookup("GPT-4o") is ours  # a display name the index answers
    assert found.lookup("gpt-4o-2024-08-06") is ours  # a dated id it matches
    assert found.listed("openai/gpt-4o") is ours


def run(code: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    return done.stdout.splitlines()


def test_excel_functions_price_without_importing_genai_prices() -> None:
    out = run("import sys\n"
              "import xlmargin.excel.functions as f\n"
              "print(f.API_COST('gpt-4o', 350, 250, 100))\n"
              "print(f.MODEL_PRICE('gpt4oo'))\n"
              "print(f.MODEL_PRICE('gpt-4o-2024-08-06', 'output'))\n"
              "print('genai_prices' in sys.modules)\n")
    # (350 + 1000) * k * 2.50 / 1e6 + 250 * k * 10.00 / 1e6 with k = 100 * 30 * 2.5 * 1.05 * 1.15
    k = 100 * 30 * 2.5 * 1.05 * 1.15
    assert float(out[0]) == pytest.approx((350 + 1000) * k * 2.50 / 1e6 + 250 * k * 10 / 1e6)
    assert out[1].startswith("#model: unknown model 'gpt4oo'; did you mean gpt-4o")
    assert float(out[2]) == 10.0
    assert out[3] == "False"


def test_listed_prices_without_importing_pydantic() -> None:
    out = run("import sys\n"
              "from xlmargin.catalog import default_catalog\n"
              "price = default_catalog().listed('Claude 3.5 Sonnet')\n"
              "print(price.model, price.input_usd_per_mtok, price.output_usd_per_mtok)\n"
              "print(sorted({'pydantic', 'genai_prices'} & set(sys.modules)))\n")
    assert out == ["claude-3-5-sonnet 3.0 15.0", "[]"]


def test_listed_has_the_fields_and_errors_genai_prices_gives(snapshot: Bundled) -> None:
    names = ["gpt-4o", "Claude 3.5 Sonnet", "text-embedding-3-small", "gpt4oo"]
    expected = answers(snapshot, names, date(2026, 3, 1))
    found = Catalog(as_of=date(2026, 3, 1))
    for name, price in zip(names[:3], expected, strict=False):
        assert found.listed(name)._asdict() == price.model_dump(exclude={"as_of", "source"})
    with pytest.raises(UnknownModelError) as raised:
        found.listed(names[3])
    assert f"UnknownModelError: {raised.value}" == expected[3]
