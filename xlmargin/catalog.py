"""The price catalog: genai-prices' bundled snapshot behind a small lookup, plus user overrides.

Names are looked up the way people type them: provider ids with or without date suffixes
(``gpt-4o-2024-08-06``), display names (``Claude 3.5 Sonnet``), any case, an optional
``provider/`` or ``provider:`` prefix.

Lookups read the snapshot from ``catalog_index`` (a JSON file written from genai-prices), not
from genai-prices itself, whose import is slow: the Excel functions, the CLI and xlwings Lite
price models without it. Both are *sources* with genai-prices' interface, and ``Bundled`` runs
the one lookup algorithm on either; genai-prices itself is imported only for
``snapshot_model`` (the usage importer's dated and batch prices) and to write the index.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from xlmargin.errors import InputError, UnknownModelError, XlmarginError

if TYPE_CHECKING:
    from xlmargin.catalog_index import Prices
    from xlmargin.models import ModelPrice

# Current, widely used models: the Pricing sheet's starter list, `xlmargin prices` without a query.
POPULAR: tuple[str, ...] = (
    "gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano",
    "gpt-5", "gpt-5-mini", "gpt-5-nano", "o4-mini",
    "claude-3-5-sonnet", "claude-3-5-haiku", "claude-3-haiku",
    "claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-5",
    "gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite",
    "deepseek-chat", "mistral-small-latest", "llama-3.1-8b-instant",
    "text-embedding-3-small",
)

# Providers tried first when a name does not say which provider it belongs to.
_PREFERRED_PROVIDERS = ("openai", "anthropic", "google", "mistral", "deepseek", "groq")


def name_key(name: str) -> str:
    """'Claude 3.5 Sonnet' -> 'claude-3-5-sonnet': the form display names are compared in."""
    return re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-")


class ListedPrice(NamedTuple):
    """A bundled model's price with ModelPrice's fields, without building the (pydantic)
    ModelPrice: what ``Catalog.listed`` answers for callers that only read the prices. Its
    values are checked by ModelPrice when the index is written."""

    provider: str
    model: str
    name: str | None
    input_usd_per_mtok: float
    output_usd_per_mtok: float
    cache_read_usd_per_mtok: float | None


class Catalog:
    """Model prices: user overrides first, then (unless ``bundled=False``) genai-prices."""

    def __init__(self, prices: Iterable[ModelPrice] = (), *, bundled: bool = True,
                 as_of: date | None = None) -> None:
        self.as_of = as_of or datetime.now(UTC).date()
        self._bundled = bundled
        self._overrides: dict[str, ModelPrice] = {}
        for price in prices:
            for key in self._keys_of(price):
                self._overrides[key] = price
        # Answers and failures both: a mistyped model filled down a column is looked up once.
        self._found: dict[tuple[str, str], ModelPrice | ListedPrice | XlmarginError] = {}
        self._priced: dict[ListedPrice, ModelPrice] = {}
        self._choices: dict[str, str] | None = None

    @staticmethod
    def _keys_of(price: ModelPrice) -> set[str]:
        keys = {name_key(price.model), name_key(f"{price.provider}/{price.model}")}
        if price.name:
            keys.add(name_key(price.name))
        return keys

    def with_overrides(self, prices: Iterable[ModelPrice]) -> Catalog:
        """A catalog where ``prices`` replace or add to this one's overrides."""
        merged = {id(p): p for p in self._overrides.values()}
        merged.update({id(p): p for p in prices})
        return Catalog(merged.values(), bundled=self._bundled, as_of=self.as_of)

    def lookup(self, name: str, where: str = "model") -> ModelPrice:
        """The price of ``name``; UnknownModelError with close matches when there is none."""
        found = self.listed(name, where)
        if not isinstance(found, ListedPrice):
            return found
        price = self._priced.get(found)
        if price is None:
            from xlmargin.models import ModelPrice

            price = self._priced[found] = ModelPrice(**found._asdict(), as_of=self.as_of)
        return price

    def listed(self, name: str, where: str = "model") -> ModelPrice | ListedPrice:
        """``lookup``'s answer with the same fields and errors, but a bundled price comes as a
        ``ListedPrice``: no ModelPrice is built, so pydantic is not imported. Without
        genai-prices, that import is most of the first Excel function call (over a second
        under Pyodide: benchmarks/README.md)."""
        if not isinstance(name, str) or not name.strip():
            raise InputError(where, "expected a model name")
        found = self._found.get((name, where))
        if found is None:
            try:
                found = self._resolve(name, where)
            except XlmarginError as error:
                found = error
            self._found[(name, where)] = found
        if isinstance(found, XlmarginError):
            raise found.with_traceback(None)
        return found

    def _resolve(self, name: str, where: str) -> ModelPrice | ListedPrice:
        override = self._overrides.get(name_key(name))
        if override is not None:
            return override
        if self._bundled:
            bundled = _bundled()
            hit = bundled.find(name)
            if hit is not None:
                provider, model = hit
                override = (self._overrides.get(name_key(f"{provider.id}/{model.id}"))
                            or self._overrides.get(name_key(model.id)))
                if override is not None:
                    return override
                price = self._price_of(bundled, provider, model)
                if price is not None:
                    return price
                raise InputError(where, f"model {name!r} has no per-token price in the catalog")
        raise UnknownModelError(name, self._suggest(name), where)

    def _suggest(self, name: str) -> list[str]:
        if self._choices is None:
            choices: dict[str, str] = {}
            for price in self._overrides.values():
                choices[name_key(price.model)] = price.model
            if self._bundled:
                for key, (_provider, model) in _bundled().models_by_key.items():
                    choices.setdefault(key, model.id)
            self._choices = choices
        import difflib  # only for a name nobody knows: kept off the first call's path

        close = difflib.get_close_matches(name_key(name), list(self._choices), n=6, cutoff=0.6)
        return list(dict.fromkeys(self._choices[c] for c in close))[:3]

    def _price_of(self, bundled: Bundled, provider: Any, model: Any) -> ListedPrice | None:
        input_price, output_price, cache_read = bundled.source.prices_on(model, self.as_of)
        if input_price is None and output_price is None:
            return None
        return ListedPrice(provider.id, model.id, model.name, input_price or 0.0,
                      output_price or 0.0, cache_read)

    def all_prices(self) -> list[ModelPrice]:
        """Every model with a per-token price: overrides, then the bundled catalog."""
        seen: dict[tuple[str, str], ModelPrice] = {}
        for price in self._overrides.values():
            seen.setdefault((price.provider, price.model), price)
        if self._bundled:
            from xlmargin.models import ModelPrice

            bundled = _bundled()
            for provider, model in bundled.models:
                if (provider.id, model.id) not in seen:
                    listed = self._price_of(bundled, provider, model)
                    if listed is not None:
                        seen[(provider.id, model.id)] = ModelPrice(**listed._asdict(),
                                                                   as_of=self.as_of)
        return list(seen.values())

    def search(self, query: str) -> list[ModelPrice]:
        """Models whose provider, id or name contains every word of ``query``."""
        words = name_key(query).split("-")
        return [price for price in self.all_prices()
                if all(w in name_key(f"{price.provider} {price.model} {price.name or ''}")
                       for w in words)]

    def popular(self) -> list[ModelPrice]:
        """The curated list of current models (overrides first)."""
        found = {(p.provider, p.model): p for p in self._overrides.values()}
        for name in POPULAR if self._bundled else ():
            price = self.lookup(name)
            found.setdefault((price.provider, price.model), price)
        return list(found.values())


PRICES_ENV = "XLMARGIN_PRICES"


@cache
def default_catalog() -> Catalog:
    """The bundled catalog at today's prices, built on first use, with the overrides of the
    price file named by $XLMARGIN_PRICES (how the Excel functions pick up a user's prices)."""
    path = os.environ.get(PRICES_ENV, "").strip()
    return catalog_with(path or None)


def catalog_with(price_file: str | None) -> Catalog:
    """The bundled catalog, overridden by a user's price file when one is named."""
    if not price_file:
        return Catalog()
    from xlmargin.price_file import load_prices

    return Catalog(load_prices(price_file))


def _candidate_refs(name: str) -> list[tuple[str | None, str]]:
    """(provider or None, model ref) pairs to try, most literal first."""
    text = name.strip()
    provider: str | None = None
    match = re.match(r"^([A-Za-z][\w-]*)[/:](.+)$", text)
    if match and not text.lower().startswith("ft:"):
        provider, text = match.group(1).lower(), match.group(2)
    lowered = text.lower()
    refs = [lowered, re.sub(r"\s+", "-", lowered), name_key(text)]
    return [(provider, ref) for ref in dict.fromkeys(refs)]


class Source(Protocol):
    """Where bundled models come from, with genai-prices' snapshot interface: genai-prices
    itself (``SnapshotSource``) or the index written from it (``catalog_index.IndexSource``).
    Providers have ``id``, ``models`` and ``find_model(ref)``; models ``id`` and ``name``."""

    providers: Sequence[Any]

    def known(self, name: str) -> tuple[Any, Any] | None:
        """The answer for ``name`` when the source has it ready, else None."""

    def find_provider_model(self, model_ref: str, provider_id: str | None) -> tuple[Any, Any]:
        """genai-prices' provider and model matching; LookupError when nothing matches."""

    def prices_on(self, model: Any, day: date) -> Prices:
        """(input, output, cache read) USD per 1M tokens in force on ``day``, None if unlisted."""


class Bundled:
    """The lookup the catalog has always done, on either source."""

    def __init__(self, source: Source) -> None:
        self.source = source

    def find(self, name: str) -> tuple[Any, Any] | None:
        """(provider, model) for ``name``: genai-prices' own matching, then every provider's
        models in order of preference, then display names such as 'Claude Sonnet 3.5'."""
        known = self.source.known(name)
        if known is not None:
            return known
        for provider_id, ref in _candidate_refs(name):
            try:
                return self.source.find_provider_model(ref, provider_id)
            except LookupError:
                pass
        # The provider's own id patterns missed it (e.g. embeddings): try every provider's
        # models, then display names.
        for provider_id, ref in _candidate_refs(name):
            for provider in self.providers_in_order:
                if provider_id and provider.id != provider_id:
                    continue
                model = provider.find_model(ref)
                if model is not None:
                    return provider, model
        return self.models_by_key.get(name_key(name))

    @cached_property
    def providers_in_order(self) -> tuple[Any, ...]:
        rank = {pid: i for i, pid in enumerate(_PREFERRED_PROVIDERS)}
        return tuple(sorted(self.source.providers, key=lambda p: rank.get(p.id, len(rank))))

    @cached_property
    def models(self) -> tuple[tuple[Any, Any], ...]:
        return tuple((p, m) for p in self.providers_in_order for m in p.models)

    @cached_property
    def models_by_key(self) -> dict[str, tuple[Any, Any]]:
        """Every model under the key of its id and of its display name; the first provider
        wins."""
        index: dict[str, tuple[Any, Any]] = {}
        for provider, model in self.models:
            index.setdefault(name_key(model.id), (provider, model))
            if model.name:
                index.setdefault(name_key(model.name), (provider, model))
        return index


def _as_float(price: Any) -> float | None:
    """A genai-prices price (Decimal, tiered, or None) as a float; tiers give their base price."""
    if price is None:
        return None
    return float(getattr(price, "base", price))


class SnapshotSource:
    """genai-prices' bundled snapshot as a source (imports genai-prices)."""

    def __init__(self) -> None:
        from genai_prices import data_snapshot

        self._snapshot = data_snapshot.get_snapshot()
        self.providers = self._snapshot.providers

    def known(self, name: str) -> None:
        return None

    def find_provider_model(self, model_ref: str, provider_id: str | None) -> tuple[Any, Any]:
        return self._snapshot.find_provider_model(model_ref, None, provider_id, None)

    def prices_on(self, model: Any, day: date) -> Prices:
        # Noon UTC: the day's price whatever the time zone; genai-prices' time-of-day prices
        # (off-peak discounts) are read at noon too.
        prices = model.get_prices(datetime.combine(day, time(12), tzinfo=UTC))
        return (_as_float(prices.input_mtok), _as_float(prices.output_mtok),
                _as_float(prices.cache_read_mtok))


@cache
def indexed() -> Bundled:
    """The bundled catalog from the index file: what lookups use."""
    from xlmargin.catalog_index import load

    return Bundled(load())


@cache
def from_snapshot() -> Bundled:
    """The bundled catalog from genai-prices itself: the index is written from it."""
    return Bundled(SnapshotSource())


# Which source Catalog reads. Tests and the benchmark point it at from_snapshot to compare the
# index with genai-prices.
_bundled = indexed


def snapshot_model(name: str) -> tuple[Any, Any] | None:
    """(provider, model) of genai-prices' bundled snapshot for ``name``, with its dated prices
    and price variants (batch); None when the snapshot does not know the name."""
    return from_snapshot().find(name)
