"""Plans with recourse (orders by scenario) and re-planning: not supported yet, and refused or skipped clearly.

A run of a recourse workbook does not compare with its previous plan (a warning says so); --freeze is
refused; a recourse plan given to --previous or optimize diff is refused (exit 2), naming why.
"""

from __future__ import annotations

from clirun import invoke
from workbooks import base_sheets, write_workbook


def recourse_input(tmp_path):
    """C (China) and K (Canada), 10 t of demand in period 3; 'ban' (0.1) loses China's period-3 arrivals."""
    sheets = base_sheets(3)
    sheets["Settings"]["recourse"] = "yes"
    sheets["Minerals"][0]["holding_cost"] = 3
    sheets["Suppliers"] = [{"supplier": "C", "country": "China"}, {"supplier": "K", "country": "Canada"}]
    sheets["Offers"] = [{"supplier": "C", "mineral": "ga", "unit_price": 10},
                        {"supplier": "K", "mineral": "ga", "unit_price": 12}]
    sheets["Demand"] = [{"mineral": "ga", "period": 3, "quantity": 10}]
    sheets["Scenarios"] = [{"scenario": "ban", "probability": 0.1, "country": "China", "first_period": 3,
                            "last_period": 3}]
    return write_workbook(tmp_path / "recourse.xlsx", sheets)


def test_a_recourse_plan_is_not_re_planned_against(tmp_path):
    source = recourse_input(tmp_path)
    db = f"sqlite:///{tmp_path / 'history.sqlite'}"
    first = invoke("run", source, "--output", tmp_path / "first.xlsx", "--db", db)
    assert first.exit_code == 0, first.output
    second = invoke("run", source, "--output", tmp_path / "second.xlsx", "--db", db)
    assert second.exit_code == 0, second.output
    assert "re-planning a plan with recourse is not supported yet" in second.stderr
    frozen = invoke("run", source, "--output", tmp_path / "frozen.xlsx", "--db", db, "--freeze", 1)
    assert frozen.exit_code == 2 and "--freeze 1 with recourse" in frozen.stderr
    previous = invoke("run", source, "--output", tmp_path / "third.xlsx", "--no-history",
                      "--previous", tmp_path / "first.xlsx")
    assert previous.exit_code == 2 and "not supported yet" in previous.stderr
    diff = invoke("diff", tmp_path / "first.xlsx", tmp_path / "second.xlsx")
    assert diff.exit_code == 2 and "orders differ by scenario" in diff.stderr
