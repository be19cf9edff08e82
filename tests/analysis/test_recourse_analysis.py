"""Why short with recourse: what the other minerals spend comes off each source as the most any scenario spends."""

from __future__ import annotations

import pandas as pd
import pytest
from workbooks import base_sheets, write_workbook

from inputcheck import read_and_validate
from optimizer.analysis.relax import spent_in_every_scenario


@pytest.mark.parametrize("recourse", ["yes", "no"])
def test_the_most_any_scenario_spends_comes_off_each_source(tmp_path, recourse):
    """F1 pays 30 in period 1 in every scenario (shared), 20 more in period 1 in 'ban', 5 in period 2 in base.
    With recourse base spends 35 (30 + 5) and ban 50 (30 + 20): 50 comes off F1's amount, 50 off its period-1
    budget (ban's) and 5 off period 2 (base's). Without recourse every row is paid: 55, 50 and 5."""
    book = base_sheets(3)
    book["Settings"]["recourse"] = recourse
    book["Scenarios"] = [{"scenario": "ban", "probability": 0.1, "country": "Canada", "first_period": 3,
                          "last_period": 3}]
    data, _ = read_and_validate(write_workbook(tmp_path / "book.xlsx", book))
    paid = pd.DataFrame({"source": ["F1", "F1", "F1"], "period": [1, 1, 2], "amount": [30.0, 20.0, 5.0],
                         "scenario": ["", "ban", "base"]})
    spent, spent_in = spent_in_every_scenario(paid, data)
    total = 50 if recourse == "yes" else 55
    assert spent["F1"] == pytest.approx(total)
    assert (spent_in["F1", 1], spent_in["F1", 2]) == (pytest.approx(50), pytest.approx(5))
