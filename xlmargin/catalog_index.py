"""The bundled price index: genai-prices' snapshot reduced to what the catalog looks up, in a JSON
file the standard library reads.

Importing genai-prices compiles its 1.6 MB data module and builds its pydantic types: a tenth of
a second in CPython, seconds in xlwings Lite, where Pyodide compiles every module it imports.
``catalog_index.json`` (written by ``python -m xlmargin.catalog_build --write`` from the pinned
genai-prices) holds each provider's match rules and each model's id, display name, match rule
and prices by start date, plus the catalog's own answers for the spellings people type (ids,
display names, ``provider/id``), computed by the genai-prices lookup when the file is written.

A name outside those spellings (a dated id, a typo) is matched by ``IndexSource``, which repeats
genai-prices' matching step for step on the same rules, so it needs no genai-prices either.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

INDEX_FILE = os.path.join(os.path.dirname(__file__), "catalog_index.json")

Rule = Callable[[str], bool]
Prices = tuple[float | None, float | None, float | None]
"""USD per million input, output and cache-read tokens; None where the snapshot has no price."""


def compile_rule(raw: dict[str, Any]) -> Rule:
    """A genai-prices match clause (``{"equals": ...}``, ``{"or": [...]}``, ...) as a test of
    a text, with genai-prices' semantics: text clauses ignore case, regexes do not."""
    ((kind, value),) = raw.items()
    if kind in ("or", "and"):
        if kind == "or" and all(next(iter(part)) == "equals" for part in value):
            # Most models match a list of exact ids: one set lookup instead of a loop.
            wanted = frozenset(part["equals"].lower() for part in value)
            return lambda text: text.lower() in wanted
        parts = [compile_rule(part) for part in value]
        if kind == "or":
            return lambda text: any(part(text) for part in parts)
        return lambda text: all(part(text) for part in parts)
    if kind == "regex":
        search = re.compile(value).search
        return lambda text: search(text) is not None
    needle = value.lower()
    if kind == "equals":
        return lambda text: text.lower() == needle
    if kind == "starts_with":
        return lambda text: text.lower().startswith(needle)
    if kind == "ends_with":
        return lambda text: text.lower().endswith(needle)
    if kind == "contains":
        return lambda text: needle in text.lower()
    raise ValueError(f"unknown match clause {kind!r}")


class IndexModel:
    """One model: its ids, its match rule (compiled on first use) and its price periods."""

    __slots__ = ("_match", "_rule", "id", "name", "periods")

    def __init__(self, raw: Sequence[Any]) -> None:
        self.id: str = raw[0]
        self.name: str | None = raw[1]
        self._rule: dict[str, Any] = raw[2]
        self._match: Rule | None = None
        # [start date (ISO) or None, input, output, cache read], oldest first.
        self.periods: list[list[Any]] = raw[3]

    def is_match(self, model_ref: str) -> bool:
        if self._match is None:
            self._match = compile_rule(self._rule)
        return self._match(model_ref.lower())

    def prices_on(self, day: date) -> Prices:
        """The prices in force on ``day``: the latest period started by then."""
        iso = day.isoformat()  # zero-padded, so ISO texts sort as the dates do
        for start, input_price, output_price, cache_read in reversed(self.periods):
            if start is None or start <= iso:
                return input_price, output_price, cache_read
        raise AssertionError("the first period has no start date")


class IndexProvider:
    """One provider, with genai-prices' ``Provider.find_model`` on the index's models."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.id: str = raw["id"]
        self.model_match = compile_rule(raw["model_match"]) if raw["model_match"] else None
        self.provider_match = (compile_rule(raw["provider_match"]) if raw["provider_match"]
                               else None)
        self.fallback_model_providers: list[str] | None = raw["fallback_model_providers"]
        self._raw_models: list[Any] = raw["models"]
        self._models: list[IndexModel] | None = None

    @property
    def models(self) -> list[IndexModel]:
        # Built on first use: a lookup the spelling table answers needs one provider's models.
        if self._models is None:
            self._models = [IndexModel(raw) for raw in self._raw_models]
        return self._models

    def find_model(self, model_ref: str, *,
                   all_providers: Sequence[IndexProvider] | None = None) -> IndexModel | None:
        model_ref = model_ref.lower()
        if model := self._match_model(model_ref, all_providers):
            return model
        normalized = normalize_compact_dated_ref(model_ref)
        if normalized != model_ref:
            return self._match_model(normalized, all_providers)
        return None

    def _match_model(self, model_ref: str,
                     all_providers: Sequence[IndexProvider] | None = None) -> IndexModel | None:
        for model in self.models:
            if model.is_match(model_ref):
                return model
        if self.fallback_model_providers and all_providers:
            for provider_id in self.fallback_model_providers:
                provider = next((p for p in all_providers if p.id == provider_id), None)
                # One step only: the fallback provider's own fallbacks are not tried.
                if provider and (model := provider._match_model(model_ref)):
                    return model
        return None


_COMPACT_DATE_RE = re.compile(r"(-)(20\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?=-|:|$)")


def normalize_compact_dated_ref(model_ref: str) -> str:
    """'gpt-5.2-20251211' -> 'gpt-5.2-2025-12-11', as genai-prices retries a ref that missed."""

    def replace(match: re.Match[str]) -> str:
        year, month, day = (int(match.group(index)) for index in range(2, 5))
        try:
            date(year, month, day)
        except ValueError:
            return match.group(0)
        return f"{match.group(1)}{year:04d}-{month:02d}-{day:02d}"

    return _COMPACT_DATE_RE.sub(replace, model_ref)


class IndexSource:
    """The index with genai-prices' snapshot interface (``DataSnapshot.find_provider_model``),
    and the spelling table in front of it."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.genai_prices_version: str = data["genai_prices"]
        self.providers = [IndexProvider(raw) for raw in data["providers"]]
        self._names: dict[str, list[int]] = data["names"]

    def known(self, name: str) -> tuple[IndexProvider, IndexModel] | None:
        """The lookup's answer for a spelling in the table, else None (look it up).

        Keys are stripped and lower-cased: for ASCII text the lookup's answer does not depend
        on case or surrounding blanks. Other text is never taken from the table, since
        lower-casing it can change what the lookup's patterns match (the Kelvin sign is 'k')."""
        if not name.isascii():
            return None
        hit = self._names.get(name.strip().lower())
        if hit is None:
            return None
        provider, owner, model = hit  # owner: a fallback provider whose model it is
        return self.providers[provider], self.providers[owner].models[model]

    def find_provider_model(self, model_ref: str,
                            provider_id: str | None) -> tuple[IndexProvider, IndexModel]:
        """genai-prices' ``find_provider_model(model_ref, None, provider_id, None)``."""
        model_ref = model_ref.lower()
        if provider_id and provider_id.lower() == "litellm" and "/" in model_ref:
            actual_provider_id, actual_model_ref = model_ref.split("/", 1)
            if actual_provider_id and self._provider_by_id(actual_provider_id):
                provider_id, model_ref = actual_provider_id, actual_model_ref
        provider = self._find_provider(model_ref, provider_id)
        if model := provider.find_model(model_ref, all_providers=self.providers):
            return provider, model
        raise LookupError(f"Unable to find model with {model_ref=!r} in {provider.id}")

    def _find_provider(self, model_ref: str, provider_id: str | None) -> IndexProvider:
        if provider_id is not None:
            if provider := self._provider_by_id(provider_id):
                return provider
            if provider_id.lower() != "litellm":
                raise LookupError(f"Unable to find provider {provider_id=!r}")
        if model_ref:
            for provider in self.providers:
                if provider.model_match is not None and provider.model_match(model_ref):
                    return provider
        raise LookupError(f"Unable to find provider with model matching {model_ref!r}")

    def _provider_by_id(self, provider_id: str) -> IndexProvider | None:
        normalized = provider_id.lower().strip()
        for provider in self.providers:
            if provider.id == normalized:
                return provider
        for provider in self.providers:
            if provider.provider_match and provider.provider_match(normalized):
                return provider
        return None

    @staticmethod
    def prices_on(model: IndexModel, day: date) -> Prices:
        return model.prices_on(day)


def load(path: str = INDEX_FILE) -> IndexSource:
    with open(path, "rb") as file:
        return IndexSource(json.loads(file.read()))
