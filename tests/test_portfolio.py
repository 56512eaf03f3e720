"""The roster-level arithmetic: per-client costs, the self-hosted share, totals, crossover.
Expected numbers are worked out here by hand from the article's formulas."""

from __future__ import annotations

import pytest

from xlmargin.models import AgencySettings, Infra
from xlmargin.portfolio import BELOW_TARGET, OK, UNDERWATER, PricedClient, compute, status

ARTICLE = AgencySettings(infra=Infra(buffer=0.0), target_margin=0.6)  # the article's defaults
K = 30 * 2.5 * 1.05 * 1.15  # days * context * (1 + retries) * power users


def client(name: str, input_tokens: float, output_tokens: float, per_day: float,
           revenue: float, price_in: float, price_out: float) -> PricedClient:
    return PricedClient(name, "m", input_tokens, output_tokens, per_day, revenue, price_in,
                        price_out, price_in)


def test_article_claude_support_client() -> None:
    # Section 1: customer support on Claude 3.5 Sonnet ($3 / $15), 100 interactions a day.
    sonnet = client("A", 350, 250, 100, 1500, 3.0, 15.0)
    result = compute([sonnet], ARTICLE).clients[0]
    input_tokens = (350 + 1000) * 100 * K          # 12.23M, the article's "12.25M"
    output_tokens = 250 * 100 * K                  # 2.26M, the article's "2.27M"
    cost = input_tokens * 3.0 / 1e6 + output_tokens * 15.0 / 1e6
    assert result.api_cost == pytest.approx(cost, rel=1e-12)
    assert result.api_cost == pytest.approx(70.77, abs=0.2)  # the article rounds along the way
    assert result.tokens_per_month == pytest.approx(input_tokens + output_tokens)
    # One client carries all of ft_cost(1) = 133.50 + 5.
    assert result.ft_cost == pytest.approx(138.50)
    assert result.api_margin == pytest.approx((1500 - cost) / 1500)
    assert result.ft_margin == pytest.approx((1500 - 138.50) / 1500)


def test_self_hosted_cost_is_shared_by_token_volume() -> None:
    small = client("small", 100, 100, 10, 1000, 1.0, 1.0)   # (100+1000+100)*10*K tokens
    large = client("large", 100, 100, 30, 1000, 1.0, 1.0)   # three times as many
    result = compute([small, large], ARTICLE)
    ft_cogs = 133.50 + 5 * 2
    assert result.ft_cogs == pytest.approx(ft_cogs)
    assert result.clients[0].ft_cost == pytest.approx(ft_cogs / 4)
    assert result.clients[1].ft_cost == pytest.approx(ft_cogs * 3 / 4)
    assert sum(c.ft_cost for c in result.clients) == pytest.approx(result.ft_cogs)


def test_no_usage_shares_the_self_hosted_cost_equally() -> None:
    idle = [client(n, 100, 100, 0, 500, 1.0, 1.0) for n in "abc"]
    result = compute(idle, ARTICLE)
    assert [c.ft_cost for c in result.clients] == pytest.approx([(133.5 + 15) / 3] * 3)
    assert result.api_cogs == 0
    assert result.crossover is None  # zero API cost never beats $5 a client


def test_totals_and_crossover_use_the_average_api_cost() -> None:
    # Two clients whose API costs average the article's low-cost $40: crossover at 4 clients
    # (133.50 / (40 - 5) = 3.8, so the 4th client is the first where self-hosting is cheaper).
    tokens_a, tokens_b = 30e6, 50e6  # $30 and $50 a month at $1/1M
    a = PricedClient("a", "m", tokens_a / K - 1000, 0, 1, 100, 1.0, 1.0, 1.0)
    b = PricedClient("b", "m", tokens_b / K - 1000, 0, 1, 300, 1.0, 1.0, 1.0)
    result = compute([a, b], ARTICLE)
    assert result.api_cogs == pytest.approx(80.0)
    assert result.average_api_cost == pytest.approx(40.0)
    assert result.crossover == 4
    assert result.revenue == 400
    assert result.api_margin == pytest.approx((400 - 80) / 400)
    assert result.ft_margin == pytest.approx((400 - 143.5) / 400)


def test_status_flags() -> None:
    assert status(-0.01, 0.6) == UNDERWATER
    assert status(0.0, 0.6) == BELOW_TARGET
    assert status(0.59, 0.6) == BELOW_TARGET
    assert status(0.6, 0.6) == OK


def test_json_shape_is_the_documented_one() -> None:
    data = compute([client("A", 350, 250, 100, 1500, 2.5, 10.0)], ARTICLE).as_json()
    assert set(data) == {"clients", "totals", "crossover", "complete", "skipped", "warnings"}
    assert set(data["clients"][0]) == {"client", "model", "api_cost", "ft_cost", "revenue",
                                       "api_margin", "ft_margin", "status"}
    assert data["complete"] is True and data["skipped"] == []
    assert set(data["totals"]) == {"revenue", "api_cogs", "ft_cogs", "api_margin", "ft_margin"}


def test_a_client_whose_numbers_overflow_is_skipped_and_the_rest_reported() -> None:
    good = PricedClient("good", "m", 350, 250, 100, 1500, 2.5, 10.0, 2.5, where="Clients!A5")
    # 1e308 interactions a day: its month of tokens overflows a float.
    huge = PricedClient("huge", "m", 350, 250, 1e308, 900, 2.5, 10.0, 2.5, where="Clients!A6")
    # A revenue of 1e-320 against $53 of cost: its margin, -5.3e321, overflows.
    cents = PricedClient("cents", "m", 350, 250, 100, 1e-320, 2.5, 10.0, 2.5,
                         where="roster.csv: row 4")
    result = compute([good, huge, cents], ARTICLE)
    assert [c.client for c in result.clients] == ["good"]
    assert result.warnings == [
        "Clients!A6: client 'huge' skipped: API cost: too large to compute (the inputs "
        "overflow a float)",
        "roster.csv: row 4: client 'cents' skipped: API margin: too large to compute (the "
        "inputs overflow a float)"]
    assert [(s.client.client, s.error.where) for s in result.skipped] == [
        ("huge", "API cost"), ("cents", "API margin")]
    cost = ((350 + 1000) * 100 * K * 2.5 + 250 * 100 * K * 10.0) / 1e6  # 53.205
    assert result.revenue == 1500 and result.api_cogs == pytest.approx(cost)
    assert result.ft_cogs == 133.5 + 5  # one client left
    assert result.crossover == 3  # the good client's average: 133.5 / (53.205 - 5) = 2.77


def test_a_self_hosted_share_that_overflows_its_margin_leaves_and_the_rest_reshare() -> None:
    good = PricedClient("good", "m", 350, 250, 100, 1500, 2.5, 10.0, 2.5)
    # Free tokens (API margin 1) but a share of the self-hosted cost against 1e-320 revenue.
    tiny = PricedClient("tiny", "m", 0, 0, 1, 1e-320, 0.0, 0.0, 0.0, where="Clients!A6")
    result = compute([good, tiny], ARTICLE)
    assert [c.client for c in result.clients] == ["good"]
    assert result.warnings == ["Clients!A6: client 'tiny' skipped: self-hosted margin: too "
                               "large to compute (the inputs overflow a float)"]
    assert result.ft_cogs == 133.5 + 5  # ft_cost(1), all of it the good client's
    assert result.clients[0].ft_cost == 133.5 + 5
