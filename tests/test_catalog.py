"""Price lookup: the names people type, overrides, and "did you mean"."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from xlmargin.catalog import Catalog, catalog_with
from xlmargin.errors import InputError, UnknownModelError
from xlmargin.models import ModelPrice
from xlmargin.price_file import load_prices

TINY = [
    ModelPrice(provider="acme", model="acme-large", name="Acme Large", input_usd_per_mtok=4,
               output_usd_per_mtok=12, cache_read_usd_per_mtok=1),
    ModelPrice(provider="acme", model="acme-small", input_usd_per_mtok=0.5,
               output_usd_per_mtok=1.5),
]


@pytest.fixture(scope="module")
def bundled() -> Catalog:
    return Catalog(as_of=date(2026, 3, 1))


@pytest.mark.parametrize(("typed", "provider", "model"), [
    ("gpt-4o", "openai", "gpt-4o"),
    ("gpt-4o-2024-08-06", "openai", "gpt-4o"),
    ("GPT-4o", "openai", "gpt-4o"),
    ("GPT-4o-mini", "openai", "gpt-4o-mini"),
    ("claude-3-5-sonnet", "anthropic", "claude-3-5-sonnet"),
    ("claude-3-5-sonnet-20241022", "anthropic", "claude-3-5-sonnet"),
    ("Claude 3.5 Sonnet", "anthropic", "claude-3-5-sonnet"),
    ("claude sonnet 3.5", "anthropic", "claude-3-5-sonnet"),
    ("openai/gpt-4o", "openai", "gpt-4o"),
    ("anthropic:claude-3-haiku", "anthropic", "claude-3-haiku"),
])
def test_names_people_type(bundled: Catalog, typed: str, provider: str, model: str) -> None:
    found = bundled.lookup(typed)
    assert (found.provider, found.model) == (provider, model)


def test_the_articles_prices(bundled: Catalog) -> None:
    # The article's table, March 2026: GPT-4o $2.50/$10.00, GPT-4o-mini $0.15/$0.60,
    # Claude 3.5 Sonnet $3.00/$15.00.
    for name, inp, out in [("GPT-4o", 2.50, 10.00), ("GPT-4o-mini", 0.15, 0.60),
                           ("Claude 3.5 Sonnet", 3.00, 15.00)]:
        price = bundled.lookup(name)
        assert (price.input_usd_per_mtok, price.output_usd_per_mtok) == (inp, out)


def test_the_articles_haiku_price_is_claude_3_haiku(bundled: Catalog) -> None:
    # The article lists "Claude 3.5 Haiku" at $0.25/$1.25: that is Claude 3 Haiku's price.
    three = bundled.lookup("Claude 3 Haiku")
    assert (three.input_usd_per_mtok, three.output_usd_per_mtok) == (0.25, 1.25)
    three_five = bundled.lookup("Claude 3.5 Haiku")
    assert (three_five.input_usd_per_mtok, three_five.output_usd_per_mtok) == (0.80, 4.00)


def test_unknown_model_suggests_close_names(bundled: Catalog) -> None:
    with pytest.raises(UnknownModelError) as raised:
        bundled.lookup("gpt4o")
    assert "gpt-4o" in raised.value.suggestions
    assert "did you mean" in str(raised.value)


def test_blank_name_is_an_input_error(bundled: Catalog) -> None:
    with pytest.raises(InputError, match="expected a model name"):
        bundled.lookup("  ")


def test_a_tiny_frozen_catalog_knows_only_its_own() -> None:
    catalog = Catalog(TINY, bundled=False)
    assert catalog.lookup("Acme Large").input_usd_per_mtok == 4
    assert catalog.lookup("acme/acme-small").output_usd_per_mtok == 1.5
    with pytest.raises(UnknownModelError) as raised:
        catalog.lookup("acme-larg")
    assert raised.value.suggestions[0] == "acme-large"  # closest first
    with pytest.raises(UnknownModelError):
        catalog.lookup("gpt-4o")


def test_overrides_win_over_the_bundled_price(bundled: Catalog) -> None:
    negotiated = ModelPrice(provider="openai", model="gpt-4o", input_usd_per_mtok=2.0,
                            output_usd_per_mtok=8.0, source="price file")
    catalog = bundled.with_overrides([negotiated])
    assert catalog.lookup("gpt-4o-2024-08-06").input_usd_per_mtok == 2.0  # dated id too
    assert catalog.lookup("GPT-4o").output_usd_per_mtok == 8.0


def test_search_and_popular(bundled: Catalog) -> None:
    found = bundled.search("claude sonnet")
    assert found and all("sonnet" in p.model.lower() or "sonnet" in (p.name or "").lower()
                         for p in found)
    popular = [p.model for p in bundled.popular()]
    assert "gpt-4o" in popular and "claude-3-5-sonnet" in popular


def test_price_file_toml(tmp_path: Path) -> None:
    path = tmp_path / "prices.toml"
    path.write_text('[[model]]\nprovider = "openai"\nmodel = "gpt-4o"\n'
                    'input_usd_per_mtok = 2.0\noutput_usd_per_mtok = 8.0\n'
                    '[[model]]\nmodel = "our-llama-ft"\n'
                    'input_usd_per_mtok = 0.2\noutput_usd_per_mtok = 0.2\n')
    catalog = catalog_with(str(path))
    assert catalog.lookup("gpt-4o").input_usd_per_mtok == 2.0
    assert catalog.lookup("our-llama-ft").provider == "custom"


def test_price_file_csv_errors_name_file_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("model,input_usd_per_mtok,output_usd_per_mtok\n"
                    "ok-model,1,2\n"
                    "bad-model,-1,2\n")
    with pytest.raises(InputError) as raised:
        load_prices(path)
    assert raised.value.where == f"{path}: row 3, column input_usd_per_mtok"


def test_price_file_with_unknown_columns(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("name,price\nx,1\n")
    with pytest.raises(InputError, match="row 1"):
        load_prices(path)


def test_cached_input_costs_the_input_price_when_no_cache_price_is_listed() -> None:
    listed = ModelPrice(provider="x", model="m", input_usd_per_mtok=3.0, output_usd_per_mtok=15,
                        cache_read_usd_per_mtok=0.3)
    unlisted = ModelPrice(provider="x", model="m", input_usd_per_mtok=3.0,
                          output_usd_per_mtok=15)
    assert listed.cache_read_or_input_usd_per_mtok == 0.3
    assert unlisted.cache_read_or_input_usd_per_mtok == 3.0  # no discount


def test_listed_answers_overrides_as_they_are_and_fails_as_lookup_does() -> None:
    catalog = Catalog(TINY, bundled=False)
    assert catalog.listed("Acme Large") is TINY[0]
    with pytest.raises(UnknownModelError) as raised:
        catalog.listed("acme-larg")
    assert raised.value.suggestions[0] == "acme-large"
    with pytest.raises(InputError, match="expected a model name"):
        catalog.listed(" ")


def test_a_bundled_listed_price_has_the_lookups_fields(bundled: Catalog) -> None:
    listed, price = bundled.listed("Claude 3 Haiku"), bundled.lookup("Claude 3 Haiku")
    assert (listed.provider, listed.model, listed.input_usd_per_mtok,
            listed.output_usd_per_mtok) == ("anthropic", "claude-3-haiku", 0.25, 1.25)
    assert (price.provider, price.model, price.input_usd_per_mtok,
            price.output_usd_per_mtok) == ("anthropic", "claude-3-haiku", 0.25, 1.25)
    assert price.as_of == date(2026, 3, 1)
