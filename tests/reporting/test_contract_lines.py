"""Dashboard and terminal lines for contracts and binding market-share caps (optimizer/analysis/explain.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1] / "models"))  # the contract fixtures

from modelcase import solve  # noqa: E402
from test_model_contracts import offtake_book  # noqa: E402

from optimizer.analysis import explain, metrics  # noqa: E402
from optimizer.reporting.terminal import summary_lines  # noqa: E402
from optimizer.reporting.workbook import result_tables  # noqa: E402


def test_a_signed_under_taken_contract_is_one_sentence(tmp_path):
    """The 160 plan of tests/models/test_model_contracts.py: K1 signed by the plan, 12 t taken for 60,
    3 t paid as take-or-pay (15), signing 5, no room left (6 t a period in both periods)."""
    plan = solve(tmp_path, offtake_book())
    data = _data(tmp_path, offtake_book())
    sentence, = explain.contract_sentences(plan, data)
    assert sentence.startswith("K1 (ga from S1): signed by the plan; takes 12 t for $60")
    assert "pays $15 take-or-pay for 3 t not taken" in sentence and "signing $5" in sentence
    lines = summary_lines(plan, data)
    assert "Contracts" in lines and any(line.strip() == sentence for line in lines)
    tables = {t.title: t for t in result_tables(plan, data, [], {})}
    contracts = tables["Contracts"].frame
    assert list(contracts["taken_by_period"]) == ["1: 6; 2: 6"]
    orders = tables["Orders"].frame
    assert list(orders.loc[orders["contract"] == "K1", "quantity"]) == [6, 6]


def test_a_binding_market_cap_is_named_with_its_periods(tmp_path):
    """World supply 10, share 0.5: 5 t in each of periods 1-3, all used (the 630 plan): one sentence."""
    book = offtake_book()
    book["Minerals"][0].update(world_supply=10, max_market_share=0.5)
    plan = solve(tmp_path, book)
    data = _data(tmp_path, book)
    sentence, = explain.market_sentences(metrics.market_frame(plan, data), data)
    assert sentence == ("The market cap of ga binds in periods 1, 2, 3: orders and contract deliveries reach 5 t "
                        "a period, 50% of world supply 10 t.")


def _data(tmp_path, book):
    from inputcheck import read_and_validate
    from workbooks import write_workbook
    return read_and_validate(write_workbook(Path(tmp_path) / "again.xlsx", book))[0]


def test_round_off_below_the_minimum_is_no_take_or_pay(tmp_path):
    """The example's offtake took its 240 t minimum to within 1e-12 t, and its line read "pays $1.6e-08
    take-or-pay for 0 t not taken": the solver's round-off, said as money in scientific notation."""
    plan = solve(tmp_path, offtake_book())
    data = _data(tmp_path, offtake_book())
    plan.contracts["take_or_pay_quantity"] = 2e-12
    plan.contracts["take_or_pay_paid"] = 1.6e-8
    sentence, = explain.contract_sentences(plan, data)
    assert "take-or-pay" not in sentence and "e-0" not in sentence
