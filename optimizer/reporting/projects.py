"""The Projects and Capex sheets: what the plan does with each capacity project (build versus buy).

Projects: one row per project: funded or not, when, its first output period, the capex
paid in cash within the horizon against capex_cost (the horizon's share the objective
charges), the output bought from it, and the plan's expected cost with and without it
(the plan re-solved with the project the other way, ``Analysis.projects``). That re-solve covers
the project's block of minerals only (those its plant sells, with any linked to them); every other
mineral's orders and funding are held as planned, so the saving is what the block alone can
achieve (docs/contract-readings.md), and the finding names the block when it is not every mineral.
Capex: who pays each project's capex in which period (the checker reads it).
"""

from __future__ import annotations

import pandas as pd

from optimizer.analysis.explain import money
from optimizer.contract.data import PlanningData
from optimizer.contract.results import CAPEX_COLUMNS, Plan, ProjectValue
from optimizer.contract.scenario_costs import expected_view

# The sentence first, as on the other sheets of findings: it is what a reader reads; the numbers follow.
PROJECT_COLUMNS = ["project", "finding", "built", "decision_period", "first_output_period", "capex", "capex_paid",
                   "capex_cost", "saving", "objective", "objective_other_way", "output_quantity", "output_cost",
                   "supplier", "minerals", "life_periods"]


def capex_frame(plan: Plan) -> pd.DataFrame:
    """The plan's capex payments (CAPEX_COLUMNS)."""
    return plan.capex if plan.capex is not None else pd.DataFrame(columns=CAPEX_COLUMNS)


def projects_frame(plan: Plan, data: PlanningData) -> pd.DataFrame:
    """One row per project: the decision, its cash and its cost, its output, and what it is worth (with recourse,
    capex paid as expected: the rows each scenario pays weighted by its probability)."""
    capex = capex_frame(expected_view(plan, data))
    values = {value.project: value for value in (plan.analysis.projects if plan.analysis else [])}
    currency = data.settings.currency
    rows = []
    for name, project in data.projects.items():
        decision = plan.builds.get(name)
        output = plan.orders[plan.orders["supplier"] == project.supplier]
        by_mineral = output.groupby("mineral")["quantity"].sum()
        row = {
            "project": name, "supplier": project.supplier,
            "minerals": ", ".join(data.project_minerals(project)),
            "built": "decided" if project.decided else ("yes" if decision is not None else "no"),
            "decision_period": decision,
            "first_output_period": None if decision is None else decision + project.build_periods,
            "capex": project.capex,
            "capex_paid": float(capex.loc[capex["project"] == name, "amount"].sum()),
            "capex_cost": 0.0 if decision is None else project.capex * data.capex_share(project, decision),
            "life_periods": project.life_periods,
            "output_quantity": ", ".join(f"{q:,.6g} {data.minerals[m].unit} {m}" for m, q in by_mineral.items()),
            "output_cost": float(output["cost"].sum()),
            "objective": plan.objective,
        }
        row.update(_value_columns(values.get(name), plan.objective, name, currency, len(data.minerals),
                                  project.decided))
        rows.append(row)
    return pd.DataFrame(rows, columns=PROJECT_COLUMNS)


def _value_columns(value: ProjectValue | None, objective: float | None, name: str, currency: str,
                   minerals: int, decided: bool = False) -> dict:
    """objective_other_way, saving and the finding: what funding the project saves (or would cost); the
    finding names the block re-solved when it is fewer than the workbook's ``minerals``, and says why a
    project that costs more is funded all the same when the input ``decided`` it."""
    if value is None or value.objective is None or objective is None:
        why = value.note if value is not None and value.note else "the plan was not re-solved with it the other way"
        return {"objective_other_way": None, "saving": None, "finding": f"Not measured: {why}."}
    saving = value.objective - objective if value.built else objective - value.objective
    # the expected cost with the project and without it, named (a bare figure in brackets read as anything)
    funded, unfunded = (objective, value.objective) if value.built else (value.objective, objective)
    costs = f"expected cost {money(funded, currency)} with it, {money(unfunded, currency)} without"
    if value.built and saving >= 0:
        finding = f"Funding {name} saves {money(saving, currency)} in expectation ({costs})."
    elif value.built:
        finding = (f"Funding {name} costs {money(-saving, currency)} more in expectation over the horizon than "
                   f"not funding it ({costs}): its capex_cost outweighs what its output saves within the horizon.")
        if decided:  # the plan did not choose it: the input did
            finding += " The plan funds it because the input decides it (Projects.decided: yes)."
    elif saving >= 0:
        finding = (f"Funding {name} (best in period {value.decision_period}) would save {money(saving, currency)} "
                   f"in expectation ({costs}), within the plan's mip_gap.")
    else:
        finding = (f"Funding {name} (best in period {value.decision_period}) would cost {money(-saving, currency)} "
                   f"more in expectation ({costs}): the plan buys instead.")
    if value.note:
        finding += f" ({value.note})"
    if value.minerals and len(value.minerals) < minerals:
        finding += (f" Re-solved on {', '.join(value.minerals)} alone; the other minerals held as planned, so "
                    "this is what that block alone can achieve.")
    return {"objective_other_way": value.objective, "saving": saving, "finding": finding}


def project_sentences(plan: Plan, data: PlanningData) -> list[str]:
    """One sentence per project for the terminal and the Dashboard: the decision, its cash and cost, and
    what funding it saves (the Projects sheet's finding)."""
    currency = data.settings.currency
    sentences = []
    for row in projects_frame(plan, data).itertuples():
        if row.decision_period is None or row.decision_period != row.decision_period:  # None or NaN
            decision = "not funded"
        else:
            decision = (f"{'decided in the input' if row.built == 'decided' else 'funded'} in period "
                        f"{row.decision_period:.0f}, "
                        f"output from period {row.first_output_period:.0f} ({money(row.capex_paid, currency)} of "
                        f"capex paid, {money(row.capex_cost, currency)} of it charged to the horizon)")
        sentences.append(f"{row.project} ({row.supplier}): {decision}. {row.finding}")
    return sentences
