"""The estimate against the invoice: OpenAI usage priced from the catalog beside the costs
export for the same days and projects; Anthropic's the same by workspace."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from xlmargin.cli import main
from xlmargin.usage.aggregate import import_usage

SEP_1 = int(datetime(2026, 9, 1, tzinfo=UTC).timestamp())
DAY = 86400


def usage_page(buckets: list[tuple[int, str, int]]) -> dict[str, object]:
    """(bucket start, project, input tokens) of gpt-4o-mini, no output."""
    return {"object": "page", "has_more": False, "next_page": None, "data": [
        {"object": "bucket", "start_time": start, "end_time": start + DAY, "results": [
            {"object": "organization.usage.completions.result", "input_tokens": tokens,
             "output_tokens": 0, "input_cached_tokens": 0, "num_model_requests": 1,
             "project_id": project, "model": "gpt-4o-mini", "batch": False}]}
        for start, project, tokens in buckets]}


def costs_page(buckets: list[tuple[int, str | None, float]]) -> dict[str, object]:
    return {"object": "page", "has_more": False, "next_page": None, "data": [
        {"object": "bucket", "start_time": start, "end_time": start + DAY, "results": [
            {"object": "organization.costs.result", "amount": {"value": value,
                                                               "currency": "usd"},
             "line_item": None, "project_id": project, "api_key_id": None}]}
        for start, project, value in buckets]}


def write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data))
    return path


def test_drift_per_month_and_project(tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    # gpt-4o-mini input is $0.15 per 1M tokens: 2M tokens on each of two days = $0.60 for
    # proj_a; proj_b 1M on day one = $0.15
    usage = write(tmp_path / "usage.json", usage_page(
        [(SEP_1, "proj_a", 2_000_000), (SEP_1 + DAY, "proj_a", 2_000_000),
         (SEP_1, "proj_b", 1_000_000), (SEP_1 + DAY, "proj_b", 0)]))
    # billed: proj_a $0.30 + $0.30 (agrees), proj_b $0.16 (the estimate is 6.25% under)
    costs = write(tmp_path / "costs.json", costs_page(
        [(SEP_1, "proj_a", 0.30), (SEP_1 + DAY, "proj_a", 0.30), (SEP_1, "proj_b", 0.16)]))
    data = import_usage([usage, costs], by="project").as_json()
    assert data["drift"] == [
        {"month": "2026-09", "group_by": "project", "group": "proj_a", "computed_usd": 0.6,
         "billed_usd": 0.6, "drift": 0.0, "flagged": False},
        # (0.15 - 0.16) / 0.16 = -0.0625
        {"month": "2026-09", "group_by": "project", "group": "proj_b", "computed_usd": 0.15,
         "billed_usd": 0.16, "drift": -0.0625, "flagged": True}]
    assert any("the drift lines compare the two" in w for w in data["warnings"])
    assert main(["import-usage", str(usage), str(costs), "--by", "project"]) == 0
    out = capsys.readouterr().out
    assert "Drift: 2026-09 project proj_a: priced $0.60, billed $0.60 (+0.0%)\n" in out
    assert "Drift: 2026-09 project proj_b: priced $0.15, billed $0.16 (-6.2%) FLAGGED" in out


def test_not_compared_over_different_periods(tmp_path: Path) -> None:
    usage = write(tmp_path / "usage.json", usage_page(
        [(SEP_1, "proj_a", 2_000_000), (SEP_1 + DAY, "proj_a", 2_000_000)]))
    costs = write(tmp_path / "costs.json", costs_page([(SEP_1, "proj_a", 0.30)]))
    assert import_usage([usage, costs], by="project").as_json()["drift"] == []


def test_grouped_differently_compares_the_month_whole(tmp_path: Path) -> None:
    usage = write(tmp_path / "usage.json", usage_page(
        [(SEP_1, "proj_a", 2_000_000), (SEP_1, "proj_b", 2_000_000)]))
    costs = write(tmp_path / "costs.json", costs_page([(SEP_1, None, 0.60)]))
    (row,) = import_usage([usage, costs], by="project").as_json()["drift"]  # type: ignore[misc]
    # 4M tokens at $0.15 per 1M = $0.60 against $0.60 billed
    assert row == {"month": "2026-09", "group_by": "project", "group": "(all)",
                   "computed_usd": 0.6, "billed_usd": 0.6, "drift": 0.0, "flagged": False}


def anthropic_page(results: list[dict[str, object]], day: str) -> dict[str, object]:
    return {"has_more": False, "next_page": None, "data": [
        {"starting_at": f"{day}T00:00:00Z", "ending_at": f"{day[:8]}{int(day[8:]) + 1:02d}"
                                                        "T00:00:00Z", "results": results}]}


def test_anthropic_usage_against_its_cost_report_by_workspace(tmp_path: Path) -> None:
    # claude-haiku-4-5: $1 per 1M input, $5 per 1M output. wrk_a: 1M uncached input and
    # 100,000 output = 1 + 0.5 = $1.50; the default workspace (no id): 2M input = $2.00
    usage = write(tmp_path / "usage.json", anthropic_page([
        {"model": "claude-haiku-4-5", "workspace_id": "wrk_a", "uncached_input_tokens": 1_000_000,
         "cache_read_input_tokens": 0, "output_tokens": 100_000, "service_tier": "standard"},
        {"model": "claude-haiku-4-5", "workspace_id": None, "uncached_input_tokens": 2_000_000,
         "cache_read_input_tokens": 0, "output_tokens": 0, "service_tier": "standard"}],
        "2026-09-10"))
    # the cost report is in cents: 150 = $1.50 (agrees); 250 = $2.50 ((2 - 2.5) / 2.5 = -20%)
    cost = write(tmp_path / "cost.json", anthropic_page([
        {"amount": "150", "currency": "USD", "model": "claude-haiku-4-5",
         "workspace_id": "wrk_a", "token_type": "uncached_input_tokens"},
        {"amount": "250", "currency": "USD", "model": "claude-haiku-4-5",
         "workspace_id": None, "token_type": "uncached_input_tokens"}], "2026-09-10"))
    data = import_usage([usage, cost], by="workspace").as_json()
    assert data["drift"] == [
        {"month": "2026-09", "group_by": "workspace", "group": "(none)", "computed_usd": 2.0,
         "billed_usd": 2.5, "drift": -0.2, "flagged": True},
        {"month": "2026-09", "group_by": "workspace", "group": "wrk_a", "computed_usd": 1.5,
         "billed_usd": 1.5, "drift": 0.0, "flagged": False}]
