"""A plan with recourse as the sheets that sum it see it (optimizer/contract/scenario_costs.py expected_view)."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

sys.path.append(str(Path(__file__).resolve().parents[1] / "models"))  # the recourse fixtures

from modelcase import build_or_buy, solve  # noqa: E402
from test_model_recourse_deals import us_ban  # noqa: E402

from optimizer.analysis import metrics  # noqa: E402
from optimizer.contract.scenario_costs import expected_view  # noqa: E402
from optimizer.pipeline import load  # noqa: E402
from optimizer.reporting.projects import projects_frame  # noqa: E402
from workbooks import write_workbook  # noqa: E402


def test_capex_paid_by_scenario_counts_once_in_expectation(tmp_path):
    """tests/models/test_model_recourse_deals.py's built plan (C = 2,000, 'ban' at 0.1): F1 pays 1,000 of capex
    in each of periods 1 and 2. Paid by scenario (base and ban each their own 1,000 in period 2), the example's
    Dashboard summed the rows: DoD smelter equity 'spent' $1.89B of its $760M, 248%. In expectation:
    1,000 + 0.9 x 1,000 + 0.1 x 1,000 = 2,000, and the Spending sheet's period 2 the same 1,000."""
    book = us_ban(build_or_buy(2_000), 0.1)
    plan = solve(tmp_path, book)
    data, _ = load(write_workbook(tmp_path / "again.xlsx", book))
    shared = plan.capex[plan.capex["period"] == 1].assign(scenario="")
    second = plan.capex[plan.capex["period"] == 2].iloc[0]
    own = pd.DataFrame([{**second.to_dict(), "scenario": k} for k in ("base", "ban")])
    plan = replace(plan, capex=pd.concat([shared, own], ignore_index=True))
    spent = metrics.funding_use(expected_view(plan, data), data).set_index("source")["spent"]
    capex_and_orders = spent["F1"] - float(expected_view(plan, data).funding["amount"].sum())
    assert capex_and_orders == pytest.approx(2_000)
    [project] = projects_frame(plan, data).itertuples()
    assert project.capex_paid == pytest.approx(2_000)  # the Projects sheet and its sentence: was 3,000
    # the Dashboard's sentence reads the view: weighed twice, the example's read "$551M of capex paid"
    [project] = projects_frame(expected_view(plan, data), data).itertuples()
    assert project.capex_paid == pytest.approx(2_000)
