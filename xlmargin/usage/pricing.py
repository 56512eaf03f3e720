"""Token usage priced at the catalog price in force on the day of use: cached input at the
cache-read price, cache writes at the write prices, batch at the batch price. genai-prices is
reached through ``catalog.snapshot_model`` and imported on the first lookup only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from xlmargin.catalog import snapshot_model

MILLION = Decimal(1_000_000)


@dataclass(frozen=True, slots=True)
class TokenPrices:
    """USD per million tokens of each class, as in force on one day."""

    model: str
    input: Decimal
    output: Decimal
    cache_read: Decimal
    cache_write: Decimal
    cache_write_1h: Decimal
    batch_price_assumed: bool = False
    """Batch usage on a day before the catalog dates its batch price: that price was used."""

    def cost(self, input_tokens: int, cached: int, write_5m: int, write_1h: int,
             output_tokens: int) -> Decimal:
        uncached = input_tokens - cached - write_5m - write_1h
        return (uncached * self.input + cached * self.cache_read + write_5m * self.cache_write
                + write_1h * self.cache_write_1h + output_tokens * self.output) / MILLION


def _dec(price: Any) -> Decimal | None:
    if price is None:
        return None
    return Decimal(str(getattr(price, "base", price)))


class Pricer:
    """Looks prices up once per (model, day, batch)."""

    def __init__(self) -> None:
        self._found: dict[tuple[str, date, bool], TokenPrices | None] = {}

    def price(self, model: str, day: date, batch: bool) -> TokenPrices | None:
        key = (model, day, batch)
        if key not in self._found:
            self._found[key] = self._lookup(model, day, batch)
        return self._found[key]

    @staticmethod
    def _lookup(name: str, day: date, batch: bool) -> TokenPrices | None:
        hit = snapshot_model(name)
        if hit is None:
            return None
        _provider, model = hit
        when = datetime.combine(day, time(12), tzinfo=UTC)
        prices = model.get_prices(when)
        assumed = False
        if batch:
            variants = [v for v in model.price_variants or ()
                        if v.when == {"processing": "batch"}]
            active = [v for v in variants if v.constraint is None or v.constraint.active(when)]
            if active:
                prices = model.get_prices(when, {"processing": "batch"})
            elif variants:
                # The snapshot dates its batch prices from when it learnt them, not from when
                # the provider started batch: use the earliest known batch price.
                first = min(variants, key=lambda v: getattr(v.constraint, "start_date", day))
                merged = {k: v for k, v in prices.__dict__.items()}
                merged.update({k: v for k, v in first.prices.__dict__.items() if v is not None})
                prices = type(prices)(**merged)
                assumed = True
        base_in, base_out = _dec(prices.input_mtok), _dec(prices.output_mtok)
        if base_in is None or base_out is None:
            return None
        read = _dec(prices.cache_read_mtok)
        write = _dec(getattr(prices, "cache_write_mtok", None))
        write_1h = _dec(getattr(prices, "cache_write_1h_mtok", None))
        return TokenPrices(
            model=model.id, input=base_in, output=base_out,
            cache_read=base_in if read is None else read,
            cache_write=base_in if write is None else write,
            cache_write_1h=(write if write is not None else base_in) if write_1h is None
            else write_1h,
            batch_price_assumed=assumed)
