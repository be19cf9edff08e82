"""Slack variables for the elastic (infeasibility-analysis) variant of the model."""

from __future__ import annotations

import pyomo.core as pyo


def add_slack(model: pyo.ConcreteModel, constraint_name: str, index) -> pyo.Var | None:
    """A non-negative slack per index of ``constraint_name`` when the model is elastic, else None.

    Each concern subtracts the slack from the capacity side of a hard limit:
    ``lhs <= limit + slack``. The elastic objective minimises their sum.
    """
    if not model.facts.elastic:
        return None
    slack = pyo.Var(index, within=pyo.NonNegativeReals)
    model.add_component(f"Slack_{constraint_name}", slack)
    model.facts.slack_terms[constraint_name] = slack
    return slack


def slack_of(slack: pyo.Var | None, index) -> object:
    """The slack term to add to a limit (0 when the model is not elastic)."""
    return 0.0 if slack is None else slack[index]
