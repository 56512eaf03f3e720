"""Sensitivity client by client: each client's API cost and status at the low, expected and
high ends, worked out by hand from the article's ranges."""

from __future__ import annotations

import pytest

from xlmargin.models import AgencySettings
from xlmargin.portfolio import BELOW_TARGET, OK, UNDERWATER, PricedClient
from xlmargin.sensitivity import analyse


def gpt4o(name: str, revenue: float, per_day: float = 100) -> PricedClient:
    """Customer support on GPT-4o ($2.50 / $10 per 1M tokens)."""
    return PricedClient(name, "gpt-4o", 350, 250, per_day, revenue, 2.5, 10.0, 2.5)


def cost(prompt: float, context: float, retries: float, power: float, per_day: float = 100
         ) -> float:
    k = per_day * 30 * context * (1 + retries) * power
    return ((350 + prompt) * k * 2.5 + 250 * k * 10.0) / 1e6


def test_who_goes_underwater_when_usage_runs_hot() -> None:
    low = cost(500, 2.5, 0.03, 1.10)        # the low ends: 39.30
    expected = cost(1000, 2.5, 0.05, 1.15)  # the article's realistic client: 53.21
    high = cost(2000, 3.0, 0.08, 1.15)      # the high ends: 93.62
    assert (low, expected, high) == pytest.approx((39.3009375, 53.20546875, 93.61575))
    result = analyse([gpt4o("Thin", 80), gpt4o("Fine", 1500)], [False, False],
                     AgencySettings())  # 60% target margin
    thin, fine = result.per_client
    assert thin.api_cost == pytest.approx((low, expected, high))
    # At $80 a month: 50.9% and 33.5% margins low and expected (below 60%), underwater high.
    assert thin.status == (BELOW_TARGET, BELOW_TARGET, UNDERWATER)
    assert fine.status == (OK, OK, OK)
    data = result.as_json()["per_client"]
    assert data[0] == {"client": "Thin", "model": "gpt-4o",
                       "low": {"api_cost": pytest.approx(low), "status": BELOW_TARGET},
                       "expected": {"api_cost": pytest.approx(expected), "status": BELOW_TARGET},
                       "high": {"api_cost": pytest.approx(high), "status": UNDERWATER}}
    # The clients add up to each case's total.
    for case, i in ((result.low, 0), (result.expected, 1), (result.high, 2)):
        assert sum(c.api_cost[i] for c in result.per_client) == pytest.approx(case.api_cogs)


def test_the_command_names_who_goes_underwater(tmp_path, capsys) -> None:
    from xlmargin.cli import main

    roster = tmp_path / "roster.csv"
    roster.write_text("client,use_case,interactions_per_day,model,monthly_revenue\n"
                      "Thin,customer_support,100,gpt-4o,80\n"
                      "Fine,customer_support,100,gpt-4o,1500\n", encoding="utf-8")
    assert main(["sensitivity", str(roster), "--as-of", "2026-11-01"]) == 0
    out = capsys.readouterr().out
    assert "Underwater at the high end (1 client not underwater as expected): Thin." in out
    assert main(["sensitivity", str(roster), "--as-of", "2026-11-01", "--json"]) == 0
    import json

    per_client = json.loads(capsys.readouterr().out)["per_client"]
    assert [c["high"]["status"] for c in per_client] == [UNDERWATER, OK]
