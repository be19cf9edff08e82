"""The search's HiGHS options (optimizer/solving/highs.py ``SMALL_SEARCH_OPTIONS``): a MIP too small for the block
start is searched without HiGHS's restart; a larger one, or a solve that never takes the block start, with
HiGHS's defaults."""

from __future__ import annotations

import pyomo.environ as pyo
import pytest

import optimizer.solving.highs as highs
from optimizer.solving.highs import SMALL_SEARCH_OPTIONS, highs_of, solve_model


def two_of_three() -> pyo.ConcreteModel:
    """Pick at least two of three items costing 3, 2 and 4: by hand, the two cheapest, 3 + 2 = 5."""
    model = pyo.ConcreteModel()
    model.pick = pyo.Var(["a", "b", "c"], domain=pyo.Binary)
    model.two = pyo.Constraint(expr=sum(model.pick.values()) >= 2)
    model.objective = pyo.Objective(expr=3 * model.pick["a"] + 2 * model.pick["b"] + 4 * model.pick["c"])
    return model


@pytest.fixture
def handed_over(monkeypatch, search_here) -> list:
    """Every persistent HiGHS interface the solves make, in order (the search in this process: its options are
    set where it runs)."""
    made = []

    def recording(*args):
        made.append(highs.persistent_highs.__wrapped__(*args))
        return made[-1]

    recording.__wrapped__ = highs.persistent_highs
    monkeypatch.setattr(highs, "persistent_highs", recording)
    return made


def restart_allowed(made: list) -> bool:
    status, value = highs_of(made[-1]).getOptionValue("mip_allow_restart")
    return value


def test_a_mip_too_small_for_the_block_start_is_searched_without_restart(handed_over):
    model = two_of_three()
    result = solve_model(model, 0.0, 10.0, blocks=lambda var: var.index())
    assert result.objective == pytest.approx(5.0)
    assert [model.pick[k].value for k in "abc"] == pytest.approx([1, 1, 0])
    assert SMALL_SEARCH_OPTIONS == {"mip_allow_restart": False}
    assert restart_allowed(handed_over) is False


def test_a_solve_that_never_takes_the_block_start_keeps_the_restart(handed_over):
    result = solve_model(two_of_three(), 0.0, 10.0)
    assert result.objective == pytest.approx(5.0)
    assert restart_allowed(handed_over) is True


def test_a_mip_large_enough_for_the_block_start_keeps_the_restart(handed_over, monkeypatch):
    """Three binaries count as large when the threshold is three; the block start finding no plan, the search runs."""
    monkeypatch.setattr(highs, "BLOCK_START_MIN_BINARIES", 3)
    monkeypatch.setattr(highs, "_block_start", lambda *args: None)
    result = solve_model(two_of_three(), 0.0, 10.0, blocks=lambda var: var.index())
    assert result.objective == pytest.approx(5.0)
    assert restart_allowed(handed_over) is True
