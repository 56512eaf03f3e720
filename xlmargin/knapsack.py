"""An exact 0/1 knapsack over real profits and whole-number weights (the plan's GPU servers).

Maximise the profit of the items chosen while their weight stays within a capacity. Taken in
order of profit per unit of weight, the items before the first one that does not fit (the break
item) are the greedy solution; the LP relaxation adds the break item's fitting fraction, which
bounds every solution. A better solution differs from the greedy one mostly in items near the
break item, so the search starts there and expands outward, one item on each side at a time
(Pisinger's "expanding core", the idea of his minknap): a list of states, each the greedy
solution with some of the items seen so far toggled, kept only while no other state is at most
as heavy and at least as profitable (dominance), and only while its bound can still beat the
best solution found (pruning). When no state is left, the best found is the optimum.

Weights are integers, so whether a set fits is decided exactly (a set exactly filling its
servers fits); bounds are floats, used only to prune. A search that creates more states than
its budget stops and says how far from the optimum its answer can be (``Result.bound``).

Pure Python, no I/O.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

# A state's toggles as a shared linked list: (item position, the toggles before it).
Toggles = tuple[int, "Toggles"] | None


@dataclass(frozen=True, slots=True)
class Result:
    """The best solution a search found that beats its floor, and what is proven about it."""

    chosen: tuple[int, ...] | None
    """Indices (into the items given) of the best solution found, or None when none beats the
    floor."""
    profit: float
    """Its profit; the floor when ``chosen`` is None."""
    bound: float
    """No solution has more profit than this (with ``exact``, ``max(profit, floor)``)."""
    states: int
    """States created: the work done, counted against the budget."""
    exact: bool
    """Whether the search finished: then nothing beats ``profit`` (or the floor)."""


class Knapsack:
    """Items sorted once by profit per unit of weight, then solved for any capacity.

    ``unit`` scales weights for the float bounds (one server's capacity: ratios stay in dollars
    per server, and huge integer weights never overflow a float)."""

    def __init__(self, profits: Sequence[float], weights: Sequence[int], unit: int) -> None:
        if unit <= 0:
            raise ValueError("unit must be positive")
        if any(p <= 0 for p in profits) or any(w < 0 for w in weights):
            raise ValueError("profits must be positive and weights at least 0")
        self.size = len(profits)
        # Weightless items fit any capacity: always in, outside the search.
        self._free = [i for i, w in enumerate(weights) if w == 0]
        self._free_profit = math.fsum(profits[i] for i in self._free)
        # Identical items (a roster of clients from one template) share a ratio, and the LP
        # bound cannot tell n of them apart: split each group of c into items of 1, 2, 4, ...
        # copies and the rest (any count from 0 to c is a sum of them), so the search sees
        # about log2(c) items instead of c.
        groups: dict[tuple[float, int], list[int]] = {}
        for i, w in enumerate(weights):
            if w:
                groups.setdefault((profits[i], w), []).append(i)
        items: list[tuple[float, int, list[int]]] = []
        for (profit, weight), members in groups.items():
            start, size = 0, 1
            while start < len(members):
                size = min(size, len(members) - start)
                items.append((profit * size, weight * size, members[start:start + size]))
                start, size = start + size, size * 2
        items.sort(key=lambda item: item[0] / (item[1] / unit), reverse=True)
        self._members = [members for _p, _w, members in items]
        self._p = [profit for profit, _w, _m in items]
        self._w = [weight for _p, weight, _m in items]
        self._r = [profit / (weight / unit) for profit, weight, _m in items]
        self._cum_w = list(accumulate(self._w, initial=0))
        self._cum_p = list(accumulate(self._p, initial=0.0))
        self._unit = unit

    @property
    def total_weight(self) -> int:
        return self._cum_w[-1]

    @property
    def total_profit(self) -> float:
        return self._free_profit + self._cum_p[-1]

    def _break(self, capacity: int) -> int:
        """How many items, in ratio order, fit whole: cum_w[b] <= capacity < cum_w[b + 1]."""
        return bisect_right(self._cum_w, capacity) - 1

    def lp_bound(self, capacity: int) -> float:
        """The LP relaxation's optimum: no 0/1 solution within ``capacity`` beats it.
        -inf when nothing fits (a negative capacity)."""
        if capacity < 0:
            return -math.inf
        b = self._break(capacity)
        if b == len(self._w):
            return self.total_profit
        rest = (capacity - self._cum_w[b]) / self._unit
        return self._free_profit + self._cum_p[b] + rest * self._r[b]

    def solve(self, capacity: int, floor: float = -math.inf,
              budget: int = 1_000_000) -> Result:
        """The most profitable set within ``capacity``, if it beats ``floor``."""
        if capacity < 0:
            return Result(None, floor, floor, 0, True)
        n, w, p, r, unit = len(self._w), self._w, self._p, self._r, self._unit
        b = self._break(capacity)
        if b == n:  # everything fits
            profit = self.total_profit
            chosen = self._chosen(b, None) if profit > floor else None
            return Result(chosen, max(profit, floor), max(profit, floor), 0, True)
        best, best_toggles, found = floor, None, False
        greedy = self._free_profit + self._cum_p[b]
        if greedy > best:
            best, found = greedy, True
        ws: list[int] = [self._cum_w[b]]
        ps: list[float] = [greedy]
        ts: list[Toggles] = [None]
        s, t, created = b, b - 1, 0  # next item to try adding, next item to try removing
        while ws and (s < n or t >= 0):
            if s < n:
                shift_w, shift_p, tag = w[s], p[s], s
                s += 1
            else:
                shift_w, shift_p, tag = -w[t], -p[t], t
                t -= 1
            # Why these bound every completion: items still to add have ratio <= r[s], items
            # still to remove have ratio >= r[t] >= r[s]; so the profit still to come is at
            # most r[s] x the room left, or, over capacity, minus r[t] x the weight to shed.
            add_ratio = r[s] if s < n else 0.0
            remove_ratio = r[t] if t >= 0 else math.inf
            ws, ps, ts, bounds, best, found_toggles = _step(
                ws, ps, ts, shift_w, shift_p, tag, capacity, unit, add_ratio, remove_ratio, best)
            if found_toggles is not _NOTHING:
                best_toggles, found = found_toggles, True
            created += len(ws)
            if ws and created > budget:
                chosen = self._chosen(b, best_toggles) if found else None
                return Result(chosen, best, max(best, *bounds), created, False)
            # Alternate sides: an item added, then one removed, while both have items left.
            if s < n and t >= 0 and ws:
                shift_w, shift_p, tag = -w[t], -p[t], t
                t -= 1
                remove_ratio = r[t] if t >= 0 else math.inf
                ws, ps, ts, bounds, best, found_toggles = _step(
                    ws, ps, ts, shift_w, shift_p, tag, capacity, unit, add_ratio, remove_ratio,
                    best)
                if found_toggles is not _NOTHING:
                    best_toggles, found = found_toggles, True
                created += len(ws)
                if ws and created > budget:
                    chosen = self._chosen(b, best_toggles) if found else None
                    return Result(chosen, best, max(best, *bounds), created, False)
        chosen = self._chosen(b, best_toggles) if found else None
        return Result(chosen, best, best, created, True)

    def _chosen(self, b: int, toggles: Toggles) -> tuple[int, ...]:
        """The greedy solution's first ``b`` items with ``toggles`` flipped, as given indices."""
        flipped: set[int] = set()
        while toggles is not None:
            flipped ^= {toggles[0]}
            toggles = toggles[1]
        positions = set(range(b)) ^ flipped
        return tuple(sorted([*self._free, *(i for p in positions for i in self._members[p])]))


_NOTHING: object = object()  # no new best solution in a step


def _step(ws: list[int], ps: list[float], ts: list[Toggles], shift_w: int, shift_p: float,
          tag: int, capacity: int, unit: int, add_ratio: float, remove_ratio: float,
          best: float) -> tuple[list[int], list[float], list[Toggles], list[float], float, Any]:
    """The states (weight ascending, profit strictly ascending) with and without item ``tag``
    toggled (shifting weight and profit), in one pass: a state survives if it is more
    profitable than every lighter one (dominance) and its bound beats the best solution, which
    feasible states update. Returns the states, their bounds, the best and its toggles (or
    ``_NOTHING`` when the best did not change)."""
    out_w: list[int] = []
    out_p: list[float] = []
    out_t: list[Toggles] = []
    bounds: list[float] = []
    found: Any = _NOTHING
    n = len(ws)
    i = j = 0
    last = -math.inf
    while i < n or j < n:
        if j >= n or (i < n and (ws[i] < ws[j] + shift_w or (
                ws[i] == ws[j] + shift_w and ps[i] >= ps[j] + shift_p))):
            x, y, z = ws[i], ps[i], ts[i]
            i += 1
        else:
            x, y, z = ws[j] + shift_w, ps[j] + shift_p, (tag, ts[j])
            j += 1
        if y <= last:  # dominated; a dominated state's bound is no higher either
            continue
        last = y
        if x <= capacity:
            if y > best:
                best, found = y, z
            bound = y + (capacity - x) / unit * add_ratio
        else:
            bound = y - (x - capacity) / unit * remove_ratio
        if bound > best:
            out_w.append(x)
            out_p.append(y)
            out_t.append(z)
            bounds.append(bound)
    return out_w, out_p, out_t, bounds, best, found
