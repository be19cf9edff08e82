"""Plan (optimizer/contract/results.py) is immutable: a stage that adds to it returns a new Plan."""

from __future__ import annotations

import dataclasses

import pytest

from optimizer.contract.results import ERROR, NOT_RUN, Analysis, Plan, SolveResult, StabilityPass


def test_a_plan_cannot_be_changed_in_place_only_replaced():
    plan = Plan.empty(ERROR, SolveResult(ERROR, "error", message="no solver"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.analysis = Analysis([], None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.solve.message = "changed"
    passed = dataclasses.replace(plan, analysis=Analysis([], None, "not measured"),
                                 stability=StabilityPass(NOT_RUN, "Settings stability is no"))
    assert plan.analysis is None and plan.stability is None  # the first plan is untouched
    assert passed.analysis.note == "not measured" and passed.stability.summary() == [
        ("stability_pass", "not run: Settings stability is no")]
