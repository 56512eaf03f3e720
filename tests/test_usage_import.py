"""Every export format read and summed, with the expected tokens and dollars worked out by hand
from the fixture files (tests/fixtures/usage, copied from shared/research/fixtures plus a few
small files of our own). Prices are the providers' list prices, USD per million tokens:
gpt-4o 2.50 in / 10 out / 1.25 cached; gpt-5 1.25 / 10 / 0.125; gpt-5-mini 0.25 / 2 / 0.025;
gpt-4o-mini 0.15 / 0.60 / 0.075; claude-haiku-4-5 1 / 5, cache read 0.10, 5-minute write 1.25,
1-hour write 2; claude-sonnet-4-5 3 / 15 / 0.30 / 3.75 / 6; claude-opus-4-6 5 / 25 / 0.50 /
6.25 / 10."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xlmargin.errors import InputError
from xlmargin.usage import detect
from xlmargin.usage.aggregate import NO_MODEL, import_usage

FIXTURES = Path(__file__).parent / "fixtures" / "usage"
MONTH_DAYS = 365.25 / 12


def run(*names: str, **options: object) -> dict:
    return import_usage([FIXTURES / n for n in names], **options).as_json()  # type: ignore[arg-type]


def client(data: dict, name: str) -> dict:
    found = [c for c in data["clients"] if c["client"] == name]
    assert found, f"{name} not in {[c['client'] for c in data['clients']]}"
    return found[0]


@pytest.mark.parametrize(("name", "expected"), [
    ("usage_completions_page.spec_example.json", "openai-usage"),
    ("usage_embeddings_page.spec_example.json", "openai-usage"),
    ("usage_completions_buckets.cookbook_real_output.json", "openai-usage"),
    ("costs_page.spec_example.json", "openai-costs"),
    ("dashboard_completions_usage_export.guardian_2025-10.tsv", "openai-usage-csv"),
    ("dashboard_cost_export.guardian_2025-10.tsv", "openai-costs-csv"),
    ("usage_report_messages.docs_example.json", "anthropic-usage"),
    ("cost_report.docs_example.json", "anthropic-cost"),
    ("anthropic_console_usage_export.synthetic.csv", "anthropic-usage-csv"),
    ("console_cost_export.axigate_synthetic_real_column_order.csv", "anthropic-cost-csv"),
    ("litellm_spend_logs.synthetic.json", "litellm"),
    ("litellm_spend_logs.csv", "litellm-csv"),
    ("plain_usage.csv", "plain"),
])
def test_format_detected_from_content(name: str, expected: str) -> None:
    assert detect.read(FIXTURES / name)[0] == expected


def test_unknown_format_lists_the_known_ones() -> None:
    for name in ("not_usage.csv", "result_objects.spec_examples.json"):
        with pytest.raises(InputError) as error:
            detect.read(FIXTURES / name)
        assert "openai-usage" in str(error.value) and "litellm-csv" in str(error.value)
        assert "plain" in str(error.value)


def test_forced_format_of_the_wrong_kind_is_refused() -> None:
    with pytest.raises(InputError, match="JSON format"):
        detect.read(FIXTURES / "plain_usage.csv", "openai-usage")


def test_openai_dashboard_usage_tsv_priced_per_day_and_model() -> None:
    data = run("dashboard_completions_usage_export.guardian_2025-10.tsv")
    key = client(data, "key_OYRZfEkH5R9CNgtY")
    assert key["requests"] == 10 + 8 + 1 + 21 + 11 + 2
    assert key["input_tokens"] == 59200 + 46264 + 5783 + 80992 + 124784 + 22688
    assert key["cached_input_tokens"] == 5760 + 8192
    assert key["output_tokens"] == 10646 + 60000 + 16000 + 274770 + 154852 + 33191
    gpt_4o = (59200 - 5760) * 2.5 + 5760 * 1.25 + 10646 * 10
    gpt_5 = (46264 - 8192) * 1.25 + 8192 * 0.125 + 60000 * 10 + 5783 * 1.25 + 16000 * 10
    gpt_5_mini = (80992 + 124784 + 22688) * 0.25 + (274770 + 154852 + 33191) * 2
    cost = (gpt_4o + gpt_5 + gpt_5_mini) / 1e6
    assert key["cost_usd"] == pytest.approx(cost, abs=1e-6)
    # 2025-10-05 00:00 to 2025-10-12 00:00 (the empty 10-08 row counts as covered): 7 days
    assert data["period"] == {"start": "2025-10-05", "end": "2025-10-11"}
    assert data["months"] == pytest.approx(7 / MONTH_DAYS, abs=1e-4)
    assert key["monthly_cost_usd"] == pytest.approx(cost / (7 / MONTH_DAYS), abs=1e-6)
    assert data["unattributed"] is None and data["unpriced"] == []


def test_openai_dashboard_cost_tsv_sums_dollars_as_billed() -> None:
    data = run("dashboard_cost_export.guardian_2025-10.tsv")
    # no key or project columns: all unattributed, blank days are no charge
    assert data["clients"] == []
    total = 0.8958740 + 0.56177125 + 0.569788 + 0.5455665 + 0.3409 + 0.072054
    assert data["unattributed"]["cost_usd"] == pytest.approx(total, abs=1e-6)
    assert data["period"] == {"start": "2025-10-05", "end": "2025-10-12"}
    assert data["months"] == pytest.approx(8 / MONTH_DAYS, abs=1e-4)


def test_openai_usage_real_buckets_partial_first_and_last() -> None:
    raw = json.loads((FIXTURES / "usage_completions_buckets.cookbook_real_output.json")
                     .read_text())
    # an independent walk over the fixture: every result of every bucket, none of the empty
    results = [r for bucket in raw for r in bucket["results"]]
    data = run("usage_completions_buckets.cookbook_real_output.json")
    rest = data["unattributed"]
    assert rest["input_tokens"] == sum(r["input_tokens"] for r in results) == 16951009
    assert rest["output_tokens"] == sum(r["output_tokens"] for r in results)
    assert rest["requests"] == sum(r["num_model_requests"] for r in results)
    # grouped by nothing: no model, so nothing can be priced, and nothing is priced at zero
    assert data["unpriced"] == [{"model": NO_MODEL, "input_tokens": 16951009,
                                 "output_tokens": rest["output_tokens"]}]
    assert any("no catalog price" in w for w in data["warnings"])
    # 1736616660 (2025-01-11 17:31) to 1739208663 (2025-02-10 17:31:03): 30 days and 3 s
    assert data["period"] == {"start": "2025-01-11", "end": "2025-02-10"}
    assert data["months"] == pytest.approx((1739208663 - 1736616660) / 86400 / MONTH_DAYS,
                                           abs=1e-4)


def test_openai_usage_page_cache_writes_and_embeddings() -> None:
    data = run("usage_completions_page.spec_example.json",
               "usage_embeddings_page.spec_example.json")
    rest = data["unattributed"]
    assert rest["input_tokens"] == 1000 + 16
    assert rest["cached_input_tokens"] == 400
    assert rest["requests"] == 5 + 2


def test_non_token_endpoints_are_skipped_with_a_warning() -> None:
    data = run("usage_other_endpoints.spec_examples.json")
    # moderations is the only per-token result (16 input tokens); the other 7 are skipped
    assert data["unattributed"]["input_tokens"] == 16
    skipped = [w for w in data["warnings"] if "not per-token usage" in w]
    assert len(skipped) == 7


def test_openai_costs_json_amount_in_dollars() -> None:
    data = run("costs_page.spec_example.json")
    assert data["unattributed"]["cost_usd"] == pytest.approx(0.06)


def test_anthropic_usage_report_cache_classes_are_additive() -> None:
    data = run("usage_report_messages.docs_example.json")
    key = client(data, "apikey_01Rj2N8SVvo6BePZj99NhmiT")
    assert key["input_tokens"] == 1500 + 200 + 500 + 1000
    assert key["cached_input_tokens"] == 200
    cost = (1500 * 5 + 200 * 0.5 + 500 * 6.25 + 1000 * 10 + 500 * 25) / 1e6
    assert key["cost_usd"] == pytest.approx(cost, abs=1e-9)


def test_anthropic_cost_report_cents_to_dollars_by_workspace() -> None:
    data = run("cost_report.docs_example.json", by="workspace",
               clients_file=FIXTURES / "clients_map.csv")
    assert client(data, "Initech")["cost_usd"] == pytest.approx(123.78912 / 100, abs=1e-9)


def test_anthropic_console_usage_csv() -> None:
    data = run("anthropic_console_usage_export.synthetic.csv")
    acme = client(data, "acme-prod")
    assert acme["input_tokens"] == 120400 + 8000 + 0 + 96000
    assert acme["cost_usd"] == pytest.approx(
        (120400 * 1 + 8000 * 1.25 + 96000 * 0.1 + 15230 * 5) / 1e6, abs=1e-9)
    globex = client(data, "globex-agent")
    assert globex["input_tokens"] == 50210 + 12000 + 210000 + 400000
    assert globex["cost_usd"] == pytest.approx(
        (50210 * 3 + 12000 * 6 + 210000 * 0.3 + 8020 * 15 + 400000 * 3 + 90000 * 15) / 1e6,
        abs=1e-9)


def test_anthropic_console_cost_csv_mapped_by_key_id() -> None:
    data = run("console_cost_export.axigate_synthetic_real_column_order.csv",
               clients_file=FIXTURES / "clients_map.csv")
    assert client(data, "Acme Corp")["cost_usd"] == pytest.approx(0.05 + 0.02 + 0.10)
    # other-key / apikey_01BBB is in no map row: unattributed, not dropped
    assert data["unattributed"]["cost_usd"] == pytest.approx(0.30)


def test_litellm_json_spend_and_tags() -> None:
    data = run("litellm_spend_logs.synthetic.json", by="tag")
    acme = client(data, "acme")  # from the 'client:acme' tag
    assert (acme["requests"], acme["input_tokens"], acme["cached_input_tokens"],
            acme["output_tokens"]) == (1, 4800, 3072, 320)
    assert acme["cost_usd"] == pytest.approx(0.0006816, abs=1e-9)
    assert data["unattributed"]["requests"] == 1  # the failed globex request has no tags


def test_litellm_csv_with_map_bad_row_and_unattributed() -> None:
    data = run("litellm_spend_logs.csv", clients_file=FIXTURES / "clients_map.csv")
    acme = client(data, "Acme Corp")  # alias acme-prod
    assert (acme["requests"], acme["input_tokens"], acme["cached_input_tokens"],
            acme["output_tokens"]) == (2, 1000 + 2000, 400, 200 + 500)
    assert acme["cost_usd"] == pytest.approx(0.0015 + 0.0025)
    globex = client(data, "Globex")  # alias unmapped, key hash mapped
    assert globex["cost_usd"] == pytest.approx(0.0100)
    assert data["unattributed"]["cost_usd"] == pytest.approx(0.0200)
    assert "1 malformed row(s) left out" in data["warnings"]
    assert any(w.startswith("litellm_spend_logs.csv:5: spend") for w in data["warnings"])
    assert data["period"] == {"start": "2026-09-01", "end": "2026-09-04"}


def test_plain_csv_priced_billed_unpriced_and_bad_rows() -> None:
    data = run("plain_usage.csv")
    acme = client(data, "Acme")
    assert acme["input_tokens"] == 1_000_000 + 500_000
    assert acme["cached_input_tokens"] == 400_000
    acme_cost = ((1_000_000 - 400_000) * 0.15 + 400_000 * 0.075 + 200_000 * 0.6
                 + 500_000 * 0.15 + 100_000 * 0.6) / 1e6
    assert acme["cost_usd"] == pytest.approx(acme_cost, abs=1e-9)
    assert client(data, "Globex")["cost_usd"] == pytest.approx(1.25)  # billed, as billed
    initech = client(data, "Initech")
    assert initech["input_tokens"] == 300_000 and initech["cost_usd"] == 0
    assert data["unpriced"] == [{"model": "my-private-finetune", "input_tokens": 300_000,
                                 "output_tokens": 50_000}]
    assert "1 malformed row(s) left out" in data["warnings"]
    assert any(w.startswith("plain_usage.csv:6: input_tokens") for w in data["warnings"])
    # line 7 has no client: unattributed, not dropped
    assert data["unattributed"]["input_tokens"] == 10
    assert data["unattributed"]["cost_usd"] == pytest.approx((10 * 0.15 + 10 * 0.6) / 1e6)
    # the good rows run from 2026-09-01 to 2026-09-30: 30 days
    assert data["months"] == pytest.approx(30 / MONTH_DAYS, abs=1e-4)
    assert acme["monthly_cost_usd"] == pytest.approx(acme_cost / (30 / MONTH_DAYS), abs=1e-6)


def test_mixed_currencies_are_refused() -> None:
    with pytest.raises(InputError, match="mixed currencies"):
        import_usage([FIXTURES / "costs_page.spec_example.json", FIXTURES / "costs_eur.json"])


def test_client_map_with_a_conflict_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "map.csv"
    bad.write_text("key_a,Acme\nkey_a,Globex\n")
    with pytest.raises(InputError, match=r"map\.csv:2"):
        import_usage([FIXTURES / "plain_usage.csv"], clients_file=bad)


def _litellm_row(request: str, model: str, spend: object, prompt: int, completion: int,
                 day: str = "2026-09-01") -> dict[str, object]:
    return {"request_id": request, "api_key": "key-a", "spend": spend,
            "startTime": f"{day}T10:00:00Z", "model": model, "prompt_tokens": prompt,
            "completion_tokens": completion, "metadata": {}}


def test_litellm_zero_spend_is_priced_or_listed_unpriced_never_zero(tmp_path: Path) -> None:
    # LiteLLM logs spend 0 for a model it cannot price: that is no price, not a price of zero.
    path = tmp_path / "ll.json"
    path.write_text(json.dumps([
        _litellm_row("r1", "my-custom-finetune", 0.0, 1000, 2000),
        _litellm_row("r2", "gpt-4o", 0.0, 1000, 2000),
        _litellm_row("r3", "gpt-4o", 0.25, 10, 10),  # a real amount: used as logged
        _litellm_row("r4", "gpt-4o", 0, 0, 0),  # a failed request: no tokens, nothing to price
    ]))
    data = import_usage([path]).as_json()
    key = client(data, "key-a")
    assert key["requests"] == 4
    assert key["input_tokens"] == 1000 + 1000 + 10
    assert key["output_tokens"] == 2000 + 2000 + 10
    # gpt-4o at 2.50 in / 10 out per million, plus the logged 0.25
    assert key["cost_usd"] == pytest.approx((1000 * 2.5 + 2000 * 10) / 1e6 + 0.25, abs=1e-12)
    assert data["unpriced"] == [{"model": "my-custom-finetune", "input_tokens": 1000,
                                 "output_tokens": 2000}]
    zero = [w for w in data["warnings"] if "spend 0" in w]
    assert len(zero) == 1
    assert zero[0].startswith("2 LiteLLM row(s)")  # r4 has no tokens: not counted
    assert "gpt-4o: 1" in zero[0] and "my-custom-finetune: 1" in zero[0]


def test_zero_amounts_elsewhere_stay_billed_zero(tmp_path: Path) -> None:
    # A plain CSV's cost_usd of 0 is the user's own figure: kept, no LiteLLM warning.
    path = tmp_path / "plain.csv"
    path.write_text("date,client,model,input_tokens,output_tokens,cost_usd\n"
                    "2026-09-01,Acme,gpt-4o,1000,2000,0\n")
    data = import_usage([path]).as_json()
    assert client(data, "Acme")["cost_usd"] == 0
    assert data["unpriced"] == [] and not any("spend 0" in w for w in data["warnings"])


def test_plain_csv_blank_client_is_unattributed_blank_model_unpriced(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("date,client,model,input_tokens,output_tokens,cached_input_tokens\n"
                    "2026-09-01,,gpt-4o-mini,1000,500,200\n"
                    "2026-09-02,Acme,,2000,300,\n"
                    "2026-09-03,,,40,4,\n"
                    "2026-09-03,Acme,gpt-4o-mini,100,10,\n")
    actuals = import_usage([path])
    data = actuals.as_json()
    assert actuals.malformed == 0
    rest = data["unattributed"]
    assert (rest["requests"], rest["input_tokens"], rest["cached_input_tokens"],
            rest["output_tokens"]) == (0, 1000 + 40, 200, 500 + 4)
    # gpt-4o-mini: 0.15 in, 0.075 cached, 0.60 out; the blank-model row has no price
    assert rest["cost_usd"] == pytest.approx((800 * 0.15 + 200 * 0.075 + 500 * 0.6) / 1e6,
                                             abs=1e-12)
    acme = client(data, "Acme")
    assert (acme["input_tokens"], acme["output_tokens"]) == (2000 + 100, 300 + 10)
    assert acme["cost_usd"] == pytest.approx((100 * 0.15 + 10 * 0.6) / 1e6, abs=1e-12)
    assert data["unpriced"] == [{"model": NO_MODEL, "input_tokens": 2000 + 40,
                                 "output_tokens": 300 + 4}]
    assert "2 of 4 record(s) unattributed: no mapped identifier" in data["warnings"]


def test_a_huge_count_is_a_malformed_row_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    path.write_text("date,client,model,input_tokens,output_tokens\n"
                    "2026-09-01,Acme,gpt-4o-mini,99999999999999999999999999,1\n"
                    "2026-09-02,Acme,gpt-4o-mini,1e999999999,1\n"  # no 400 MB int either
                    f"2026-09-03,Acme,gpt-4o-mini,{10**15},0\n"  # the bound itself is read
                    f"2026-09-04,Acme,gpt-4o-mini,{10**15 + 1},0\n")
    actuals = import_usage([path])
    data = actuals.as_json()
    assert actuals.malformed == 3
    for line in (2, 3, 5):
        assert any(w.startswith(f"huge.csv:{line}: input_tokens: count") for w in
                   data["warnings"])
    acme = client(data, "Acme")
    assert acme["input_tokens"] == 10**15
    assert acme["cost_usd"] == pytest.approx(10**15 * 0.15 / 1e6)


def test_huge_amounts_are_malformed_and_big_sums_print(tmp_path: Path) -> None:
    path = tmp_path / "billed.csv"
    amount = 999_999_999_999_999  # the largest whole amount under the 10**15 bound
    # each row its own request count: identical rows would be one row counted once
    rows = [f"2026-09-01,Acme,gpt-4o-mini,0,0,{amount},{i}" for i in range(2000)]
    rows += ["2026-09-02,Acme,gpt-4o-mini,0,0,1E+1000000,1",  # overflowed Decimal when summed
             "2026-09-02,Acme,gpt-4o-mini,0,0,1000000000000000,1"]
    path.write_text("date,client,model,input_tokens,output_tokens,cost_usd,requests\n"
                    + "\n".join(rows) + "\n")
    actuals = import_usage([path])
    data = actuals.as_json()  # a sum past 10**18: more digits than Decimal's default 28
    assert actuals.malformed == 2
    assert any(w.startswith("billed.csv:2002: cost_usd") for w in data["warnings"])
    assert any(w.startswith("billed.csv:2003: cost_usd") for w in data["warnings"])
    assert client(data, "Acme")["cost_usd"] == pytest.approx(2000 * amount)
