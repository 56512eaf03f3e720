"""Capacity and the hidden costs in the engine: GPU servers for a load, the staircase
crossover, the hosted open-weight option, retraining and the setup payback. Expected numbers
are worked out by hand here."""

from __future__ import annotations

import math
import re
from fractions import Fraction
from pathlib import Path

import pytest
import xlwings_windows as excel
from hypothesis import assume, given
from hypothesis import strategies as st
from xlwings_windows import MISSING, ExcelRange, call_like_excel

from xlmargin import calc
from xlmargin.errors import InputError
from xlmargin.excel.functions import GPU_SERVERS
from xlmargin.models import (
    DEFAULT_GPUS,
    AgencySettings,
    Capacity,
    GpuPreset,
    HiddenCosts,
    Infra,
    Multipliers,
)
from xlmargin.portfolio import OpenWeightPrices, PricedClient, compute, payback_months
from xlmargin.roster import ProblemsError, read_settings, starter_settings

MONTH = 30 * 86400  # seconds in the planning month


# --- servers ---------------------------------------------------------------------------------

def test_servers_for_a_load() -> None:
    # 1.2B input / 4,500 tok/s = 266,667 s; 0.3B output / 1,000 tok/s = 300,000 s;
    # one server plans 30 * 86,400 * 0.5 = 1,296,000 s: 0.44 of a server, so 1.
    assert calc.servers_needed(1.2e9, 0.3e9, 4500, 1000) == 1
    # Prefill alone fills exactly one server: 4,500 tok/s * 1,296,000 s = 5.832B tokens.
    assert calc.servers_needed(5.832e9, 0, 4500, 1000) == 1
    assert calc.servers_needed(5.832e9, 1, 4500, 1000) == 2  # one output token more
    # (2B / 4,000 + 0.5B / 1,000) / (2,592,000 * 0.8) = 1,000,000 / 2,073,600 = 0.48 -> 1;
    # three times the load is 1.45 -> 2.
    assert calc.servers_needed(2e9, 0.5e9, 4000, 1000, 0.8) == 1
    assert calc.servers_needed(6e9, 1.5e9, 4000, 1000, 0.8) == 2
    assert calc.servers_needed(0, 0, 4500, 1000) == 0


def test_servers_bad_inputs() -> None:
    with pytest.raises(InputError, match="prefill_tps: must be greater than 0"):
        calc.servers_needed(1, 1, 0, 1000)
    with pytest.raises(InputError, match=r"utilization: 1.5 is 150%; did you mean 0.015"):
        calc.servers_needed(1, 1, 1, 1, 1.5)
    with pytest.raises(InputError, match="input_tokens_per_month: must be at least 0"):
        calc.servers_needed(-1, 1, 1, 1)


loads = st.floats(min_value=0, max_value=1e12, allow_nan=False)
speeds = st.floats(min_value=1, max_value=50_000, allow_nan=False)


@given(loads, loads, loads, loads, speeds, speeds, st.floats(min_value=0.05, max_value=1))
def test_servers_never_fall_as_load_grows(a_in: float, a_out: float, more_in: float,
                                          more_out: float, prefill: float, decode: float,
                                          utilization: float) -> None:
    assert (calc.servers_needed(a_in, a_out, prefill, decode, utilization)
            <= calc.servers_needed(a_in + more_in, a_out + more_out, prefill, decode,
                                   utilization))


def test_gpu_servers_function_has_excel_manners() -> None:
    assert GPU_SERVERS(5.832e9, 1, 4500, 1000) == 2
    assert GPU_SERVERS(5.832e9, 0, 4500, 1000, None) == 1  # blank utilization: 0.5
    assert GPU_SERVERS(1, 1, 0, 1000) == "#prefill_tps: must be greater than 0, got 0"
    assert GPU_SERVERS([[5.832e9], [1.2e10]], 0, 4500, 1000) == [[1], [3]]  # 12B: 2.06


def test_gpu_servers_through_xlwings() -> None:
    vba, options = excel.import_functions("xlmargin.udfs", "agency.xlsm")
    declared = dict(re.findall(r"^Function (\w+)\((.*)\)$", vba, flags=re.M))
    assert declared["GPU_SERVERS"] == ("input_tokens_per_month, output_tokens_per_month, "
                                       "prefill_tps, decode_tps, Optional utilization")
    described = {args[0].split("!")[1]: kwargs for args, kwargs in options}["GPU_SERVERS"]
    assert described["Category"] == "xlmargin"
    assert len(described["ArgumentDescriptions"]) == 5
    call = lambda *a: call_like_excel("xlmargin.udfs", "GPU_SERVERS", *a)  # noqa: E731
    assert call(5.832e9, 1.0, 4500.0, 1000.0, MISSING) == 2
    assert call(ExcelRange([[2e9]]), ExcelRange([[0.5e9]]), 4000.0, 1000.0, 0.8) == 1
    assert call(1.0, 1.0, 4500.0, 1000.0, 0.0) == "#utilization: must be greater than 0, got 0"


# --- the self-hosted side with servers and retraining ----------------------------------------

def test_ft_cost_with_servers_and_retraining() -> None:
    # 3 seats * $14.50 + one $569.40 L4 + $10 = $622.90 base; 3 servers, 10 clients at $5,
    # +20%, then $60.25 retraining per client outside the buffer.
    cost = calc.ft_cost(10, 622.90, 5, 0.2, servers=3, server_usd=569.40, retraining_usd=60.25)
    assert cost == pytest.approx((622.90 + 569.40 * 2 + 5 * 10) * 1.2 + 60.25 * 10)
    assert calc.ft_cost(10, 133.5, 5, 0.2) == calc.ft_cost(10, 133.5, 5, 0.2, servers=1,
                                                           server_usd=80)


def test_staircase_crossover_can_flip_back() -> None:
    # One $100 server per 2 clients, nothing else, API $60 a client:
    #   n:            1    2    3    4    5    6    7    8
    #   self-hosted  100  100  200  200  300  300  400  400
    #   API           60  120  180  240  300  360  420  480
    # cheaper at 2, dearer at 3, cheaper at 4, equal (not cheaper) at 5, cheaper from 6 on:
    # odd n = 2j + 1 costs 100(j + 1) against 60(2j + 1), cheaper once 20j > 40.
    found = calc.crossover_at_capacity(60, 100, 0, 0, server_usd=100, servers_per_client=0.5)
    assert (found.first, found.stays_from, found.stays_cheaper) == (2, 6, False)
    # At $50 a client the API only matches the fully loaded $50 of server per client: never.
    never = calc.crossover_at_capacity(50, 100, 0, 0, server_usd=100, servers_per_client=0.5)
    assert (never.first, never.stays_from) == (None, None)


def test_staircase_crossover_without_load_is_the_articles() -> None:
    # No load (share 0): one server forever, the article's straight lines: 133.50 / 35 -> 4.
    found = calc.crossover_at_capacity(40, 133.5, 5, 0, server_usd=80, servers_per_client=0)
    assert (found.first, found.stays_from) == (4, 4) and calc.crossover(40) == 4
    # Retraining is a per-client cost: 133.50 / (180 - 5 - 60.50) = 1.17 -> 2 (without: 1).
    assert calc.crossover(180, retraining_usd=60.5) == 2 and calc.crossover(180) == 1


def exact_cost(n: int, base: Fraction, per: Fraction, k: Fraction, server: Fraction,
               share: Fraction, retrain: Fraction) -> Fraction:
    servers = max(1, math.ceil(n * share))
    return (base + server * (servers - 1) + per * n) * k + retrain * n


@given(api=st.integers(1, 400), fixed=st.integers(0, 300), server=st.integers(0, 600),
       per=st.integers(0, 20), buffer=st.sampled_from([0, 0.2, 0.5]),
       share=st.fractions(0, 2, max_denominator=20), retrain=st.integers(0, 40))
def test_staircase_crossover_is_the_first_cheaper_count(api: int, fixed: int, server: int,
                                                        per: int, buffer: float,
                                                        share: Fraction, retrain: int) -> None:
    found = calc.crossover_at_capacity(api, fixed + server, per, buffer, server_usd=server,
                                       servers_per_client=share, retraining_usd=retrain)
    k = 1 + Fraction(buffer)

    def cheaper(n: int) -> bool:
        return exact_cost(n, Fraction(fixed + server), Fraction(per), k, Fraction(server),
                          share, Fraction(retrain)) < n * api

    if found.first is None:
        assert found.stays_from is None
        assert not any(cheaper(n) for n in range(1, 600))
        return
    assume(found.stays_from <= 3000)
    assert cheaper(found.first)
    assert not any(cheaper(n) for n in range(1, found.first))
    assert found.stays_from >= found.first
    assert all(cheaper(n) for n in range(found.stays_from, found.stays_from + 200))
    if found.stays_from > 1:
        assert not cheaper(found.stays_from - 1)


# --- the roster ------------------------------------------------------------------------------

NEUTRAL = Multipliers(system_prompt_tokens=0, context_multiplier=1, retry_rate=0,
                      power_user_multiplier=1)  # tokens / month = per interaction * 30 * per day


def output_only_client(name: str) -> PricedClient:
    # 300 output tokens * 36,000 a day * 30 days = 324M tokens; at $0.50 / 1M: $162 a month.
    # At 1,000 decode tok/s that is 324,000 s: a quarter of a server's 1,296,000 planned s.
    return PricedClient(name, "m", 0, 300, 36_000, 1000, 0.0, 0.5, 0.0)


def capacity_settings(**hidden: float) -> AgencySettings:
    return AgencySettings(
        infra=Infra(seats=0, seat_usd=0, other_fixed_usd=0, per_client_usd=0, buffer=0),
        multipliers=NEUTRAL, capacity=Capacity(gpu="t4x"),
        gpus={"T4x": GpuPreset(monthly_usd=500, prefill_tps=1000, decode_tps=1000)},
        hidden_costs=HiddenCosts(**hidden))


def test_roster_on_a_staircase_of_servers() -> None:
    result = compute([output_only_client(f"c{i}") for i in range(6)], capacity_settings())
    # Six quarters of a server: ceil(1.5) = 2 servers at $500.
    assert result.servers == 2 and result.gpu == "T4x"
    assert result.ft_cogs == pytest.approx(1000.0)
    assert result.api_cogs == pytest.approx(6 * 162.0)
    assert [c.ft_cost for c in result.clients] == pytest.approx([1000 / 6] * 6)
    # $500 a server per 4 clients against $162 a client, n = 4j + r:
    #   r = 0: 500j < 648j always; r = 1: 500(j+1) < 648j + 162 once 148j > 338 (j >= 3);
    #   r = 2: once 148j > 176 (j >= 2); r = 3: once 148j > 14 (j >= 1).
    # Not cheaper at 1, 2, 3, 5, 6, 9; cheaper at 4, 7, 8 and from 10 on.
    assert result.crossover == 4
    assert result.crossover_stays_from == 10
    data = result.as_json()
    assert data["totals"]["servers"] == 2
    assert data["crossover_stays_cheaper_from"] == 10 and data["gpu"] == "T4x"


def test_retraining_and_setup_payback() -> None:
    # $2/h GPU for 45 min + 3 h at $60/h a quarter = 1.50 + 180 = $181.50; a month: $60.50.
    settings = capacity_settings(labor_usd_per_hour=60, gpu_usd_per_hour=2,
                                 retraining_compute_minutes=45, retraining_labor_hours=3,
                                 setup_labor_hours=10, setup_fee_usd=300)
    assert settings.hidden_costs.retraining_usd_per_client == pytest.approx(60.5)
    result = compute([output_only_client(f"c{i}") for i in range(6)], settings)
    assert result.ft_cogs == pytest.approx(1000 + 6 * 60.5)
    assert result.retraining_usd == pytest.approx(6 * 60.5)
    # Setup: 10 h * $60 = $600 less the $300 fee = $300, from a monthly self-hosted profit of
    # (6 * $1,000 - $1,363) / 6 = $772.83 per client: 0.39 months.
    assert result.setup_payback_months == pytest.approx(300 / ((6000 - 1363) / 6))
    # The crossover with $60.50 more per self-hosted client: m = 162 - 60.50 = 101.50 against
    # a fully loaded $125 of server per client: never.
    assert result.crossover is None and result.crossover_stays_from is None
    assert payback_months(600, 600, 100, 1) == 0.0
    assert payback_months(600, 300, -5, 1) is None


def test_third_option_hosted_open_weight() -> None:
    # Customer support, 100 a day, article multipliers: k = 100 * 30 * 2.5 * 1.05 * 1.15.
    k = 100 * 30 * 2.5 * 1.05 * 1.15
    sonnet = PricedClient("A", "claude-3-5-sonnet", 350, 250, 100, 1500, 3.0, 15.0, 3.0)
    llama = OpenWeightPrices("llama-3.1-8b-instant", 0.05, 0.08, 0.05)
    result = compute([sonnet], AgencySettings(), open_weight=llama)
    expected = ((350 + 1000) * 0.05 + 250 * 0.08) * k / 1e6  # $0.79 against $70.77
    assert result.clients[0].open_weight_cost == pytest.approx(expected)
    assert result.open_weight_cogs == pytest.approx(expected)
    assert result.open_weight_margin == pytest.approx((1500 - expected) / 1500)
    data = result.as_json()
    assert data["open_weight_model"] == "llama-3.1-8b-instant"
    assert data["clients"][0]["open_weight_cost"] == pytest.approx(expected)


def test_without_the_new_settings_nothing_changes() -> None:
    sonnet = PricedClient("A", "m", 350, 250, 100, 1500, 3.0, 15.0, 3.0)
    result = compute([sonnet], AgencySettings())
    # $70.64 a client (section 1's Sonnet client): 133.50 / (70.64 - 5) = 2.03 -> 3 clients.
    assert result.ft_cogs == 138.5 and result.servers is None and result.crossover == 3
    data = result.as_json()
    assert set(data) == {"clients", "totals", "crossover", "complete", "skipped", "warnings"}
    assert "servers" not in data["totals"]


# --- settings --------------------------------------------------------------------------------

def test_starter_settings_leave_the_articles_numbers() -> None:
    settings = read_settings(starter_settings())
    assert settings.capacity.gpu is None and settings.gpu is None
    assert settings.hidden_costs == HiddenCosts()
    assert settings.open_weight_model == "llama-3.1-8b-instant"
    assert settings.gpus == DEFAULT_GPUS
    # Every preset names its source and is batched capacity, not one stream's speed (the L4
    # streams 8B at ~15-35 tok/s; its preset plans 1,000).
    assert all(g.source and g.decode_tps >= 500 for g in settings.gpus.values())
    assert settings.gpus["L4"].monthly_usd == pytest.approx(0.78 * 730)


def test_settings_file_edits_and_adds_gpus(tmp_path: Path) -> None:
    path = tmp_path / "agency.toml"
    path.write_text('[capacity]\ngpu = "h100"\nutilization = 0.6\n'
                    '[gpus.H100]\nmonthly_usd = 1200\nprefill_tps = 20000\ndecode_tps = 5000\n'
                    '[gpus.Mine]\nmonthly_usd = 99\nprefill_tps = 100\ndecode_tps = 10\n',
                    encoding="utf-8")
    settings = read_settings(path)
    assert settings.gpu == GpuPreset(monthly_usd=1200, prefill_tps=20000, decode_tps=5000)
    assert set(settings.gpus) == {*DEFAULT_GPUS, "Mine"}
    assert settings.capacity.utilization == 0.6
    path.write_text('[capacity]\ngpu = "TPU"\n', encoding="utf-8")
    with pytest.raises(ProblemsError, match="unknown gpu 'tpu'"):
        read_settings(path)
