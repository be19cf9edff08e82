"""Capacity projects (build versus buy): fund a plant, then buy its output (issue 13, point 1).

Symbols
    BUILD_SLOTS        (p, d): project p may be decided in period d (PlanningData.decision_periods:
                       first_period .. last_period with every capex part paid within the horizon;
                       a decided project only in its first_period)
    Build[p,d]         1 when project p is decided in period d                          binary
    built[p,t]         sum over d with d + build_periods[p] <= t of Build[p,d]: the plant is built by t
    CAPEX_SLOTS        (f, p, t): source f may pay project p's capex in period t (PlanningData.capex_sources:
                       f may pay an order from the supplier's country of every mineral of the project's offers)
    CapexSpend[f,p,t]  money source f pays for project p's capex in period t              money_unit >= 0
    capex[p], build_periods[p], life_periods[p]: from Projects
    share[p,d]         min(1, (T - d - build_periods[p] + 1) / life_periods[p]): the horizon's share of the
                       plant's output life (1 without a life_periods)

The project's supplier's offers are its output: an order slot (o,t) of that supplier
exists only from the earliest completion on (PlanningData.order_periods), and
con_project_output lets an order be placed only once the plant is built.

Order bounds (models/ordering.py order_upper_bounds) stay valid: capex only draws on
the funding the money bound counts, so that bound still holds; and lowering an order
of a project's output keeps y <= built, so the argument for ``use`` is unchanged.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

import pyomo.core as pyo

from models.elastic import add_slack, slack_of
from optimizer.contract.data import PlanningData, Slot


def build_slots(data: PlanningData) -> list[tuple[str, int]]:
    """(project, decision period) of every decision the plan may take."""
    return [(name, d) for name, project in data.projects.items() for d in data.decision_periods(project)]


def capex_due(data: PlanningData, project: str, period: int) -> list[int]:
    """The decision periods d of ``project`` whose capex is due in ``period`` (d <= period < d + build_periods)."""
    spec = data.projects[project]
    return [d for d in data.decision_periods(spec) if period in spec.payment_periods(d)]


def payment_index(data: PlanningData) -> list[tuple[str, int]]:
    """(project, period) of every period some decision of the project pays capex in."""
    return sorted({(p, t) for p, d in build_slots(data) for t in data.projects[p].payment_periods(d)})


def add_projects(model: pyo.ConcreteModel, data: PlanningData) -> None:
    """Add Build, CapexSpend, their rows and capex_cost; register the capex spending with the funding rows."""
    slots = build_slots(data)
    payments = payment_index(data)
    capex_slots = [(f, p, t) for p, t in payments for f in data.capex_sources(data.projects[p], t)]
    model.PROJECTS = pyo.Set(initialize=sorted({p for p, _ in slots}), ordered=True)
    model.BUILD_SLOTS = pyo.Set(dimen=2, initialize=slots, ordered=True)
    model.PAYMENT_INDEX = pyo.Set(dimen=2, initialize=payments, ordered=True)
    model.CAPEX_SLOTS = pyo.Set(dimen=3, initialize=capex_slots, ordered=True)
    model.Build = pyo.Var(model.BUILD_SLOTS, within=pyo.Binary)
    model.CapexSpend = pyo.Var(model.CAPEX_SLOTS, within=pyo.NonNegativeReals)
    for name, project in data.projects.items():
        if project.decided:
            model.Build[name, project.first_period].fix(1)

    by_payment: dict[tuple[str, int], list] = defaultdict(list)
    for f, p, t in capex_slots:
        by_payment[p, t].append(model.CapexSpend[f, p, t])
        model.facts.other_spending.setdefault((f, t), []).append(model.CapexSpend[f, p, t])
    output_slots = [slot for slot in model.ORDER_SLOTS if _undecided_project(data, slot[0])]
    unfunded = add_slack(model, "con_capex_funded", model.PAYMENT_INDEX)

    def con_build_once(m, project):
        """A project is decided at most once: sum over d of Build[p,d] <= 1."""
        return sum(m.Build[project, d] for d in data.decision_periods(data.projects[project])) <= 1

    def con_project_output(m, supplier, mineral, period):
        """The plant's output is ordered only once it is built: y[o,t] <= built[p,t], so with
        con_max_order x[o,t] <= order upper bound[o,t] x built[p,t]."""
        return m.IsOrdered[supplier, mineral, period] <= built(m, data, supplier, period)

    def con_capex_funded(m, project, period):
        """The capex is paid in equal parts over the build periods from the decision period:
        sum over f of CapexSpend[f,p,t] = capex[p] / build_periods[p] x sum over d <= t < d + build_periods
        of Build[p,d]."""
        part = data.projects[project].capex_part / m.facts.money_unit
        due = part * sum(m.Build[project, d] for d in capex_due(data, project, period))
        return sum(by_payment.get((project, period), ())) + slack_of(unfunded, (project, period)) == due

    model.con_build_once = pyo.Constraint(model.PROJECTS, rule=con_build_once)
    model.PROJECT_OUTPUT_SLOTS = pyo.Set(dimen=3, initialize=output_slots, ordered=True)
    model.con_project_output = pyo.Constraint(model.PROJECT_OUTPUT_SLOTS, rule=con_project_output)
    model.con_capex_funded = pyo.Constraint(model.PAYMENT_INDEX, rule=con_capex_funded)
    if not slots:
        return  # no project: nothing registered, the model is the one without projects
    model.facts.cost_terms["capex_cost"] = sum(
        data.projects[p].capex * data.capex_share(data.projects[p], d) / model.facts.money_unit * model.Build[p, d]
        for p, d in slots)


def force_build(model: pyo.ConcreteModel, data: PlanningData, project: str) -> None:
    """Make the plan fund ``project`` in the period it finds best (the value of a project the plan left):
    sum over d of Build[p,d] = 1 instead of <= 1."""
    decisions = sum(model.Build[project, d] for d in data.decision_periods(data.projects[project]))
    model.con_build_once[project].set_value(decisions == 1)


def forbidden(data: PlanningData, project: str) -> PlanningData:
    """``data`` with ``project`` never decided (the value of a project the plan funds): no decision
    period, so its output has no order slot."""
    spec = data.projects[project]
    after = data.settings.num_periods + 1
    never = replace(spec, decided=False, first_period=after, last_period=after)
    return replace(data, projects={**data.projects, project: never})


def decided_in(data: PlanningData, project: str, period: int) -> PlanningData:
    """``data`` with ``project`` decided in ``period`` only (the plan's decision, held while the rest of its
    block is re-solved): its one decision period is ``period``."""
    return replace(data, projects={**data.projects, project: replace(data.projects[project], first_period=period,
                                                                       last_period=period)})


def built(model: pyo.ConcreteModel, data: PlanningData, supplier: str, period: int):
    """built[p,t] of the project whose output ``supplier`` sells: sum over d + build_periods <= t of Build[p,d]."""
    project = data.project_by_supplier[supplier]
    return sum(model.Build[project.name, d] for d in data.decision_periods(project)
               if d + project.build_periods <= period)


def _undecided_project(data: PlanningData, supplier: str) -> bool:
    project = data.project_by_supplier.get(supplier)
    return project is not None and not project.decided


def start_builds(data: PlanningData, orders: dict[Slot, float]) -> dict[str, int]:
    """The decisions of a starting plan that places ``orders``: decided projects in their first_period, and
    every project with an order of its output at its earliest decision period."""
    builds = {name: project.first_period for name, project in data.projects.items() if project.decided}
    for supplier, _mineral, _period in orders:
        project = data.project_by_supplier.get(supplier)
        if project is not None and project.name not in builds:
            builds[project.name] = data.decision_periods(project).start
    return builds


def capex_payments(data: PlanningData, builds: dict[str, int]) -> dict[tuple[str, int], float]:
    """(project, period) -> capex due (currency) when the projects are decided as ``builds`` says."""
    return {(name, t): data.projects[name].capex_part
            for name, d in builds.items() for t in data.projects[name].payment_periods(d)}
