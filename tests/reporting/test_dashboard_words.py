"""The Dashboard read as an analyst reads it: every quantity in its unit, every figure explained.

Each test is a defect found by rendering the merged example's plan (scripts/render_workbook.sh) and reading it.
"""

from __future__ import annotations

import openpyxl
import pandas as pd
from modelcase import build_or_buy, run_case
from workbooks import upgrade_sheets

from optimizer.reporting.dashboard import cost_sentences


def _rows_after(path, heading: str) -> list[tuple]:
    rows = list(openpyxl.load_workbook(path)["Dashboard"].iter_rows())
    at = next(i for i, row in enumerate(rows) if row[0].value == heading)
    return rows[at + 1:]


def test_the_upgraded_section_gives_input_and_output_in_their_units(tmp_path):
    """tests/models/test_model_conversions.py's hand case with ore in kg: 10 of ore converted into 5 t of fecr.
    The section showed "1,656.99" and "1,491.29" with no unit beside a note naming them."""
    book = upgrade_sheets(25)
    book["Minerals"][0]["unit"] = "kg"
    result = run_case(tmp_path, book)
    header, row = _rows_after(result.output, "Upgraded (conversions)")[:2]
    assert [c.value for c in header[:4]] == ["conversion", "input", "output", "cost"]
    assert row[0].value == "smelt" and row[1].value == 10 and row[2].value == 5
    assert row[1].number_format.endswith('" kg"') and row[2].number_format.endswith('" t"')


def test_a_project_the_input_decided_says_why_it_is_funded_though_it_costs_more(tmp_path):
    """modelcase.build_or_buy at capex 3,400 with P decided: funded (the input says so), 2,100 against 2,000
    without: 100 more. The finding said only that it costs more, which read as a plan funding a loss."""
    result = run_case(tmp_path, build_or_buy(3_400, decided="yes"))
    rows = list(openpyxl.load_workbook(result.output, read_only=True)["Projects"].values)
    row = dict(zip(rows[0], rows[1]))
    assert row["built"] == "decided" and row["saving"] == -100
    assert "costs $100 more in expectation" in row["finding"]
    assert row["finding"].endswith("The plan funds it because the input decides it (Projects.decided: yes).")
    texts = [c.value for r in _rows_after(result.output, "Projects (build versus buy)")[:3] for c in r
             if isinstance(c.value, str)]
    assert texts[0].startswith("- P (Plant): decided in the input in period 1")


def test_an_evpi_not_measured_says_so_in_a_sentence():
    """Under load the example's EVPI ran out of analysis_time_s and the Dashboard read "Knowing which scenario
    happens before ordering would save not measured: Pacific conflict not solved alone: ... in expectation"."""
    import pandas as pd
    from types import SimpleNamespace

    from optimizer.reporting.dashboard import uncertainty_sentences

    frame = pd.DataFrame({"scenario": ["base", "ban"], "probability": [0.7, 0.3], "cost": [100.0, 200.0]})
    values = SimpleNamespace(frame=frame, expected_cost=130.0, evpi=None, vss=None,
                             note="ban not solved alone: no time left of analysis_time_s (30 s)",
                             vss_reason="no time left of analysis_time_s (30 s)")
    cost, evpi, vss = uncertainty_sentences(values, "USD", recourse=True)
    assert cost == "The plan costs from $100 (base) to $200 (ban), $130 in expectation."
    assert evpi == ("What knowing which scenario happens before ordering would save (EVPI) was not measured: ban not "
                    "solved alone: no time left of analysis_time_s (30 s).")
    assert vss == "What planning for the bans instead of for the average saves (VSS) was not measured: no time left " \
                  "of analysis_time_s (30 s)."


def test_a_vss_not_tried_says_why():
    """With a scenario not solved alone EEV is not tried, and the Scenario costs sheet read "what planning for
    the scenarios saves against planning for their average: not measured: " with nothing after."""
    import pandas as pd

    from optimizer.contract.scenario_costs import ScenarioValues

    values = ScenarioValues(pd.DataFrame(), 130.0, 1.0, note="ban not solved alone: no time left")
    assert values.vss_text("USD") == "not measured: EEV not tried, as ban not solved alone: no time left"
    assert ScenarioValues(pd.DataFrame(), 130.0, 1.0, vss_note="no plan").vss_text("USD") == "not measured: no plan"


def test_since_the_previous_plan_shows_the_cost_terms_that_moved_most():
    """The example re-planned with its smelter's capex raised showed "holding_cost: $67.5M to $67.5M (-$985)" and
    left out capex_cost (+$2M) and take_or_pay_cost (+$1.09M): the first six rows in the Summary's order. Now the
    objective, then the terms by how much they moved."""
    moves = {"objective": 3_760, "purchase_cost": 655, "financing_cost": 1_510, "risk_cost": 48, "holding_cost": -1,
             "penalty_cost": -832, "capex_cost": 2_000, "take_or_pay_cost": 1_090}
    frame = pd.DataFrame([{"change": "cost", "cost_change": v, "finding": k} for k, v in moves.items()]
                         + [{"change": "added", "cost_change": 10_000, "finding": "an order"}])
    assert cost_sentences(frame, 5) == ["objective", "capex_cost", "financing_cost", "take_or_pay_cost",
                                        "penalty_cost"]
