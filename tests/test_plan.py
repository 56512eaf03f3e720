"""The plan is the optimum: held against brute force over every assignment, the closed form
written out here, the knapsack against every subset, and examples worked by hand."""

from __future__ import annotations

import itertools
import json
import math
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlmargin import calc
from xlmargin.cli import main
from xlmargin.errors import InputError
from xlmargin.knapsack import Knapsack
from xlmargin.models import (
    AgencySettings,
    Capacity,
    GpuPreset,
    HiddenCosts,
    Infra,
    Multipliers,
    parse_hosting,
)
from xlmargin.plan import CAPACITY, FIXED_COST, MOVES, NO_SAVING, PINNED, compute
from xlmargin.portfolio import OpenWeightPrices, PricedClient
from xlmargin.portfolio import compute as report

K = 30 * 2.5 * 1.05 * 1.15  # the article's days * context * (1 + retries) * power users
OPEN = OpenWeightPrices("open", 0.05, 0.08, 0.05)
ROOT = Path(__file__).parents[1]


def client(name: str, input_tokens: float, output_tokens: float, per_day: float,
           price_in: float, price_out: float, hosting: str | None = None,
           revenue: float = 1500) -> PricedClient:
    return PricedClient(name, "m", input_tokens, output_tokens, per_day, revenue, price_in,
                        price_out, price_in, hosting=hosting)  # type: ignore[arg-type]


# --- brute force, written apart from the plan's code --------------------------------------

def self_hosted(count: int, servers: int, s: AgencySettings) -> float:
    """ft_cost by hand: (base + server * (servers - 1) + per * n) * (1 + buffer) + retraining."""
    if count == 0:
        return 0.0
    server = s.gpu.monthly_usd if s.gpu else s.infra.gpu_server_usd
    base = s.infra.seats * s.infra.seat_usd + server + s.infra.other_fixed_usd
    return ((base + server * (servers - 1) + s.infra.per_client_usd * count)
            * (1 + s.infra.buffer) + s.hidden_costs.retraining_usd_per_client * count)


def integer_loads(clients: list[PricedClient], s: AgencySettings) -> tuple[list[int], int]:
    """GPU seconds per client and per server as Fractions, scaled to integers by their lcm."""
    r = report(clients, s).clients
    assert s.gpu is not None
    loads = [Fraction(c.input_tokens_per_month) / Fraction(s.gpu.prefill_tps)
             + Fraction(c.output_tokens_per_month) / Fraction(s.gpu.decode_tps) for c in r]
    server = calc.SECONDS_PER_MONTH * Fraction(s.capacity.utilization)
    scale = math.lcm(server.denominator, *(x.denominator for x in loads))
    return [int(x * scale) for x in loads], int(server * scale)


def off_self(c: PricedClient, api: float, open_cost: float | None) -> float:
    """What a client costs off self-hosting: its pin, or the cheaper of API and open-weight."""
    if c.hosting == "api":
        return api
    if c.hosting == "open_weight":
        assert open_cost is not None
        return open_cost
    return min(api, math.inf if open_cost is None else open_cost)


def brute_force(clients: list[PricedClient], s: AgencySettings,
                open_weight: OpenWeightPrices | None) -> float:
    """The least COGS over every set of self-hosted clients that keeps the pins, each other
    client at its pin or min(API, open-weight); sums built up one bit at a time."""
    r = report(clients, s, open_weight=open_weight).clients
    n = len(clients)
    alt = [off_self(c, x.api_cost, x.open_weight_cost) for c, x in zip(clients, r, strict=True)]
    loads, server = integer_loads(clients, s) if s.gpu else ([0] * n, 1)
    must = sum(1 << i for i, c in enumerate(clients) if c.hosting == "self")
    free = [i for i, c in enumerate(clients) if c.hosting is None]
    total_alt = math.fsum(alt)
    alt_sums, load_sums = [0.0] * (1 << len(free)), [0] * (1 << len(free))
    for mask in range(1, 1 << len(free)):
        low = mask & -mask
        i = free[low.bit_length() - 1]
        alt_sums[mask] = alt_sums[mask ^ low] + alt[i]
        load_sums[mask] = load_sums[mask ^ low] + loads[i]
    must_alt = math.fsum(alt[i] for i in range(n) if must >> i & 1)
    must_load = sum(loads[i] for i in range(n) if must >> i & 1)
    must_count = bin(must).count("1")
    best = math.inf
    for mask in range(1 << len(free)):
        count = must_count + bin(mask).count("1")
        servers = max(1, -(-(must_load + load_sums[mask]) // server)) if s.gpu else 1
        cost = (total_alt - must_alt - alt_sums[mask]) + self_hosted(count, servers, s)
        best = min(best, cost)
    return best


def every_assignment(clients: list[PricedClient], s: AgencySettings,
                     open_weight: OpenWeightPrices | None) -> float:
    """The least COGS over all 3^n assignments (api, self, open_weight) that keep the pins."""
    r = report(clients, s, open_weight=open_weight).clients
    loads, server = integer_loads(clients, s) if s.gpu else ([0] * len(clients), 1)
    options = ["api", "self", *(["open_weight"] if open_weight else [])]
    best = math.inf
    for choice in itertools.product(options, repeat=len(clients)):
        if any(c.hosting not in (None, h) for c, h in zip(clients, choice, strict=True)):
            continue
        on_self = [i for i, h in enumerate(choice) if h == "self"]
        servers = (max(1, -(-sum(loads[i] for i in on_self) // server)) if s.gpu else 1)
        cost = self_hosted(len(on_self), servers, s) + math.fsum(
            r[i].api_cost if h == "api" else r[i].open_weight_cost or 0.0
            for i, h in enumerate(choice) if h != "self")
        best = min(best, cost)
    return best


# --- random rosters -------------------------------------------------------------------------

@st.composite
def rosters(draw: st.DrawFn, max_clients: int = 16
            ) -> tuple[list[PricedClient], AgencySettings, OpenWeightPrices | None]:
    open_weight = draw(st.sampled_from([None, OPEN]))
    pins = [None, None, None, "api", "self", *(["open_weight"] if open_weight else [])]
    clients = [client(f"c{i}", draw(st.sampled_from([0, 100, 350, 800, 1500])),
                      draw(st.sampled_from([0, 100, 250, 800])),
                      draw(st.sampled_from([0, 5, 20, 100, 300, 1000])),
                      draw(st.sampled_from([0.0, 0.15, 0.8, 2.5, 3.0])),
                      draw(st.sampled_from([0.0, 0.6, 4.0, 10.0, 15.0])),
                      hosting=draw(st.sampled_from(pins)))
               for i in range(draw(st.integers(0, max_clients)))]
    capacity = Capacity()
    gpus: dict[str, GpuPreset] = {}
    if draw(st.booleans()):  # small servers, so that a few clients fill one
        gpus = {"test": GpuPreset(monthly_usd=draw(st.sampled_from([0.0, 40.0, 300.0, 2000.0])),
                                  prefill_tps=draw(st.sampled_from([1.0, 7.5, 60.0, 4500.0])),
                                  decode_tps=draw(st.sampled_from([0.5, 3.0, 1000.0])))}
        capacity = Capacity(gpu="test", utilization=draw(st.sampled_from([0.5, 0.1, 1.0])))
    s = AgencySettings(
        infra=Infra(buffer=draw(st.sampled_from([0.0, 0.2])),
                    per_client_usd=draw(st.sampled_from([0.0, 5.0, 40.0]))),
        capacity=capacity, gpus=gpus,
        hidden_costs=HiddenCosts(labor_usd_per_hour=draw(st.sampled_from([0.0, 60.0])),
                                 retraining_labor_hours=3.0))
    return clients, s, open_weight


SLOW = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SLOW
@given(rosters())
def test_the_plan_costs_the_least_of_every_assignment(roster) -> None:
    clients, s, open_weight = roster
    plan = compute(clients, s, open_weight=open_weight)
    assert plan.exact and plan.gap_usd == 0
    best = brute_force(clients, s, open_weight)
    assert plan.plan_cogs == pytest.approx(best, rel=1e-9, abs=1e-9)
    # The costs it reports add up, and pinned clients are where the roster put them.
    assert math.fsum(c.plan_cost for c in plan.clients) == pytest.approx(plan.plan_cogs,
                                                                         rel=1e-9, abs=1e-9)
    for c, planned in zip(clients, plan.clients, strict=True):
        assert planned.pinned == (c.hosting is not None)
        if c.hosting is not None:
            assert planned.hosting == c.hosting and planned.reason == PINNED
        elif planned.saving_if_moved <= 0:
            assert planned.hosting != "self" and planned.reason == NO_SAVING


@settings(max_examples=25, deadline=None)
@given(rosters(max_clients=9))
def test_other_clients_at_min_of_api_and_open_weight_loses_nothing(roster) -> None:
    # The reduction the brute force above relies on, proven on all 3^n assignments.
    clients, s, open_weight = roster
    assert every_assignment(clients, s, open_weight) == pytest.approx(
        brute_force(clients, s, open_weight), rel=1e-9, abs=1e-9)
    assert compute(clients, s, open_weight=open_weight).plan_cogs == pytest.approx(
        every_assignment(clients, s, open_weight), rel=1e-9, abs=1e-9)


@SLOW
@given(rosters())
def test_capacity_off_is_the_closed_form(roster) -> None:
    clients, s, open_weight = roster
    s = s.model_copy(update={"capacity": Capacity()})
    r = report(clients, s, open_weight=open_weight).clients
    marginal = (s.infra.per_client_usd * (1 + s.infra.buffer)
                + s.hidden_costs.retraining_usd_per_client)
    fixed = (s.infra.seats * s.infra.seat_usd + s.infra.gpu_server_usd
             + s.infra.other_fixed_usd) * (1 + s.infra.buffer)
    saving = [off_self(c, x.api_cost, x.open_weight_cost) - marginal
              for c, x in zip(clients, r, strict=True)]
    positive = [i for i, c in enumerate(clients) if c.hosting is None and saving[i] > 0]
    pinned = [i for i, c in enumerate(clients) if c.hosting == "self"]
    pays = bool(pinned) or math.fsum(saving[i] for i in positive) > fixed
    expected = set(pinned) | (set(positive) if pays else set())
    plan = compute(clients, s, open_weight=open_weight)
    assert {i for i, c in enumerate(plan.clients) if c.hosting == "self"} == expected
    assert plan.servers == (1 if expected else 0)


def test_the_order_is_largest_saving_first_and_everyone_self_hosted_is_reports() -> None:
    clients = [client(f"c{i}", 350, 250, per_day, 2.5, 10.0) for i, per_day in
               enumerate([100, 300, 20, 200])]
    plan = compute(clients, AgencySettings())
    assert [c.client for c in plan.order] == ["c1", "c3", "c0", "c2"]
    assert plan.all_self_cogs == report(clients, AgencySettings()).ft_cogs == 133.5 + 4 * 5


# --- worked by hand -------------------------------------------------------------------------

def test_article_numbers_by_hand() -> None:
    # The article's realistic client: GPT-4o customer support, 100 a day, $53.21 a month.
    gpt4o = ((350 + 1000) * 100 * K * 2.5 + 250 * 100 * K * 10.0) / 1e6
    sonnet = ((350 + 1000) * 100 * K * 3.0 + 250 * 100 * K * 15.0) / 1e6  # $70.64
    mini = ((200 + 1000) * 20 * K * 0.15 + 150 * 20 * K * 0.6) / 1e6  # lead qualification
    assert gpt4o == pytest.approx(53.20546875) and sonnet == pytest.approx(70.63875)
    assert mini == pytest.approx(0.4890375)
    roster = [client("A", 350, 250, 100, 2.5, 10.0), client("B", 350, 250, 100, 2.5, 10.0),
              client("C", 350, 250, 100, 2.5, 10.0),
              client("D", 350, 250, 100, 3.0, 15.0, hosting="api"),  # needs frontier reasoning
              client("E", 200, 150, 20, 0.15, 0.6)]
    plan = compute(roster, AgencySettings())  # the article's $133.50 base, $5 a client
    # Each GPT-4o client saves 53.205 - 5 = 48.205; three of them, 144.62, pay the $133.50
    # base: they move. D is pinned to the API, E's $0.49 is less than the $5 it would cost.
    assert [c.hosting for c in plan.clients] == ["self", "self", "self", "api", "api"]
    assert [c.reason for c in plan.clients] == [MOVES, MOVES, MOVES, PINNED, NO_SAVING]
    assert plan.clients[0].saving_if_moved == pytest.approx(53.20546875 - 5)
    assert plan.clients[3].saving_if_moved == pytest.approx(sonnet - 5)
    assert plan.plan_cogs == pytest.approx(133.5 + 3 * 5 + sonnet + mini)
    assert plan.all_api_cogs == pytest.approx(3 * gpt4o + sonnet + mini)
    assert plan.all_self_cogs == pytest.approx(133.5 + 5 * 5)
    # Equal tokens: each pays $5 plus a third of the base, 49.50; at the 60% target margin
    # its retainer should be 49.50 / 0.4 = 123.75.
    assert plan.clients[0].plan_cost == pytest.approx(5 + 133.5 / 3)
    assert plan.clients[0].price_for_target == pytest.approx(123.75)
    assert plan.clients[0].plan_margin == pytest.approx((1500 - 49.5) / 1500)
    assert plan.clients[3].plan_cost == pytest.approx(sonnet)
    assert plan.servers == 1 and plan.exact

    # Two GPT-4o clients save 96.41 < 133.50: "do not add $133/month of infrastructure to
    # save $30" — nobody moves.
    two = compute(roster[:2], AgencySettings())
    assert [c.hosting for c in two.clients] == ["api", "api"]
    assert [c.reason for c in two.clients] == [FIXED_COST, FIXED_COST]
    assert two.plan_cogs == pytest.approx(2 * gpt4o) and two.servers == 0 and two.order == []


def test_capacity_by_hand_a_full_server_fits_and_a_cheap_client_stays() -> None:
    # No multipliers: 1,080 input tokens x 100 a day x 30 days = 3,240,000 tokens a month, at
    # 5 tokens/s 648,000 GPU seconds: half of a server's 30 x 86,400 x 0.5 = 1,296,000.
    s = AgencySettings(
        multipliers=Multipliers(system_prompt_tokens=0, context_multiplier=1, retry_rate=0,
                                power_user_multiplier=1),
        gpus={"half": GpuPreset(monthly_usd=100, prefill_tps=5, decode_tps=1)},
        capacity=Capacity(gpu="half", utilization=0.5))
    price = 50.0  # $/1M input: 3.24M tokens cost $162
    roster = [client(n, 1080, 0, 100, price, 0.0) for n in "ABC"]
    roster.append(client("D", 1080, 0, 100, 60 / 3.24, 0.0))  # $60, saves $55
    roster.append(client("E", 1080, 0, 100, 50 / 3.24, 0.0))  # $50, saves $45
    plan = compute(roster, s)
    # A-D fill 2 servers exactly: 43.50 + 100 + 10 = 153.50 base, one more server, 4 x $5.
    # E on a third server would cost $100 + $5 to save $50: it stays, for capacity.
    assert [c.hosting for c in plan.clients] == ["self"] * 4 + ["api"]
    assert plan.clients[4].reason == CAPACITY
    assert plan.servers == 2
    assert plan.plan_cogs == pytest.approx(153.5 + 100 + 4 * 5 + 50)
    assert plan.all_api_cogs == pytest.approx(3 * 162 + 60 + 50)
    assert plan.all_self_cogs == pytest.approx(153.5 + 2 * 100 + 5 * 5)  # 2.5 -> 3 servers
    assert plan.clients[0].plan_cost == pytest.approx(5 + (153.5 + 100) / 4)


def test_pins_nobody_can_honour_are_refused() -> None:
    with pytest.raises(InputError, match="pinned to open_weight, but no open-weight model"):
        compute([client("A", 350, 250, 100, 2.5, 10.0, hosting="open_weight")],
                AgencySettings())


def test_pinned_to_self_pays_the_base_even_when_it_does_not_pay() -> None:
    plan = compute([client("A", 350, 250, 100, 2.5, 10.0, hosting="self"),
                    client("B", 350, 250, 10, 2.5, 10.0)], AgencySettings())
    # The base is paid for A anyway, so B's 5.32 - 5 = 0.32 saving moves it too.
    assert [c.hosting for c in plan.clients] == ["self", "self"]
    assert plan.plan_cogs == pytest.approx(133.5 + 2 * 5)


@settings(max_examples=30, deadline=None)
@given(rosters(max_clients=12))
def test_a_search_cut_short_says_how_far_from_the_optimum_it_can_be(roster) -> None:
    clients, s, open_weight = roster
    plan = compute(clients, s, open_weight=open_weight, budget=1)
    best = brute_force(clients, s, open_weight)
    assert plan.plan_cogs >= best - 1e-6
    assert plan.plan_cogs - plan.gap_usd <= best + 1e-6
    assert plan.exact == (plan.gap_usd == 0)


# --- the knapsack ---------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.floats(0.01, 100), st.integers(0, 60)), max_size=12),
       st.integers(-3, 400), st.integers(1, 50))
def test_knapsack_is_every_subsets_best(items, capacity: int, unit: int) -> None:
    profits, weights = [p for p, _ in items], [w for _, w in items]
    sack = Knapsack(profits, weights, unit)
    result = sack.solve(capacity)
    if capacity < 0:
        assert result.chosen is None
        return
    best = max(math.fsum(p for p, _ in subset) for r in range(len(items) + 1)
               for subset in itertools.combinations(items, r)
               if sum(w for _, w in subset) <= capacity)
    assert result.exact and result.chosen is not None
    assert sum(weights[i] for i in result.chosen) <= capacity
    assert math.fsum(profits[i] for i in result.chosen) == pytest.approx(best)
    assert sack.lp_bound(capacity) >= best - 1e-9
    cut = sack.solve(capacity, budget=1)
    assert cut.profit <= best + 1e-9 <= cut.bound + 2e-9


# --- hosting values and the command ---------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("api", "api"), (" SELF ", "self"), ("Open weight", "open_weight"),
    ("open-weight", "open_weight"), ("Self-hosted", "self"), ("", None), (None, None)])
def test_hosting_values_are_forgiving(text: str | None, expected: str | None) -> None:
    assert parse_hosting(text) == expected


def test_a_bad_hosting_value_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="expected api, self, open_weight or blank, got 'gpu'"):
        parse_hosting("gpu")


def test_plan_json_keys(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["plan", str(ROOT / "templates" / "roster.csv"), "--settings",
                 str(ROOT / "templates" / "agency.toml"), "--as-of", "2026-11-01", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {"clients", "order", "totals"} <= set(data)
    assert set(data["clients"][0]) == {"client", "hosting", "pinned", "api_cost", "plan_cost",
                                       "saving_if_moved", "revenue", "plan_margin",
                                       "price_for_target"}
    assert {"plan_cogs", "all_api_cogs", "all_self_cogs", "plan_margin", "servers"} <= set(
        data["totals"])
    assert data["exact"] is True


def test_plan_text_says_the_order_and_why_the_others_stay(capsys: pytest.CaptureFixture[str],
                                                           tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "client,use_case,interactions_per_day,model,monthly_revenue,hosting\n"
        "Small,customer_support,100,gpt-4o,1500,\n"
        "Large,customer_support,300,gpt-4o,1500,\n"
        "Law firm,customer_support,100,claude-3-5-sonnet,3000,api\n"
        "Bakery,lead_qualification,20,gpt-4o-mini,500,\n", encoding="utf-8")
    assert main(["plan", str(roster), "--as-of", "2026-11-01"]) == 0
    out = capsys.readouterr().out
    # 300 a day costs three times 53.21: 159.62, saving 154.62; Small saves 48.21; together
    # 202.82 > 133.50, so both move, the larger first.
    assert "Plan: 2 clients to self-host, 2 elsewhere;" in out
    assert "  1. Large: saves $154.62 a month\n  2. Small: saves $48.21 a month" in out
    assert "  Law firm: API, pinned by the roster" in out
    assert "  Bakery: API, self-hosting would not save (saving -$4.51)" in out


def test_ten_thousand_identical_clients_are_solved_exactly() -> None:
    # 10,000 copies of (48.20, weight 7) and two small items (30, 5), (20, 4). Capacity
    # 9,990 x 7 + 3: greedy takes 9,990 copies ($481,518.00) with 3 to spare; one copy fewer
    # leaves 10, room for both small items: 9,989 x 48.20 + 50 = $481,519.80, the optimum.
    sack = Knapsack([48.2] * 10_000 + [30.0, 20.0], [7] * 10_000 + [5, 4], unit=7)
    result = sack.solve(7 * 9_990 + 3)
    assert result.exact and result.chosen is not None
    assert math.fsum(48.2 if i < 10_000 else (30.0, 20.0)[i - 10_000]
                     for i in result.chosen) == pytest.approx(9_989 * 48.2 + 50)
    assert {10_000, 10_001} <= set(result.chosen)
    assert result.states < 1_000  # copies in 1, 2, 4, ...: a handful of items to search
