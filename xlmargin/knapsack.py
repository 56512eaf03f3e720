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
        ratio = {i: profits[i] / (weights[i] / unit) for i, w in enumerate(weights) if w}
        self._order = sorted(ratio, key=ratio.__getitem__, reverse=True)
        self._p = [profits[i] for i in self._order]
        self._w = [weights[i] for i in self._order]
        self._r = [ratio[i] for i in self._order]
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
        while ws:
            if s < n:
                ws, ps, ts = _merge(ws, ps, ts, [x + w[s] for x in ws], [y + p[s] for y in ps],
                                    [(s, z) for z in ts])
                s += 1
            if t >= 0:
                ws, ps, ts = _merge(ws, ps, ts, [x - w[t] for x in ws], [y - p[t] for y in ps],
                                    [(t, z) for z in ts])
                t -= 1
            created += len(ws)
            # Why these bound every completion: items still to add have ratio <= r[s], items
            # still to remove have ratio >= r[t] >= r[s]; so the profit still to come is at
            # most r[s] x the room left, or, over capacity, minus r[t] x the weight to shed.
            add_ratio = r[s] if s < n else 0.0
            remove_ratio = r[t] if t >= 0 else math.inf
            keep_w, keep_p, keep_t, bounds = [], [], [], []
            for x, y, z in zip(ws, ps, ts, strict=True):
                if x <= capacity:
                    if y > best:
                        best, best_toggles, found = y, z, True
                    bound = y + (capacity - x) / unit * add_ratio
                else:
                    bound = y - (x - capacity) / unit * remove_ratio
                if bound > best:
                    keep_w.append(x)
                    keep_p.append(y)
                    keep_t.append(z)
                    bounds.append(bound)
            ws, ps, ts = keep_w, keep_p, keep_t
            if ws and created > budget:
                upper = max(best, *bounds)
                chosen = self._chosen(b, best_toggles) if found else None
                return Result(chosen, best, upper, created, False)
        chosen = self._chosen(b, best_toggles) if found else None
        return Result(chosen, best, best, created, True)

    def _chosen(self, b: int, toggles: Toggles) -> tuple[int, ...]:
        """The greedy solution's first ``b`` items with ``toggles`` flipped, as given indices."""
        flipped: set[int] = set()
        while toggles is not None:
            flipped ^= {toggles[0]}
            toggles = toggles[1]
        positions = set(range(b)) ^ flipped
        return tuple(sorted([*self._free, *(self._order[i] for i in positions)]))


def _merge(ws1: list[int], ps1: list[float], ts1: list[Toggles], ws2: list[int],
           ps2: list[float], ts2: list[Toggles]
           ) -> tuple[list[int], list[float], list[Toggles]]:
    """Two state lists (weight ascending, profit strictly ascending) as one, without the
    dominated states: a state survives only if it is more profitable than every lighter one."""
    out_w: list[int] = []
    out_p: list[float] = []
    out_t: list[Toggles] = []
    i = j = 0
    n1, n2 = len(ws1), len(ws2)
    last = -math.inf
    while i < n1 or j < n2:
        if j >= n2 or (i < n1 and (ws1[i] < ws2[j]
                                   or (ws1[i] == ws2[j] and ps1[i] >= ps2[j]))):
            x, y, z = ws1[i], ps1[i], ts1[i]
            i += 1
        else:
            x, y, z = ws2[j], ps2[j], ts2[j]
            j += 1
        if y > last:
            out_w.append(x)
            out_p.append(y)
            out_t.append(z)
            last = y
    return out_w, out_p, out_t
