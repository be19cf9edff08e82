"""The hand-over (optimizer/solving/highs.py ``persistent_highs``): Pyomo's persistent HiGHS interface with the
columns sent to HiGHS in one call must give HiGHS exactly the model Pyomo's own route gives, column for column.
And the way back: a plan loaded into the model's variables (``load_plan``), and checked against its objective."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import pytest
from pyomo.contrib.solver.common.factory import SolverFactory
from pyomo.contrib.solver.solvers.highs import Highs as PyomoHighs

import optimizer.solving.highs as solve_module

from models import build_model
from optimizer.intake.generate import Size, write_generated_workbook
from optimizer.pipeline import load
from optimizer.solving.highs import column_of, highs_of, load_plan, persistent_highs, solve_model


def test_the_columns_sent_in_one_call_give_the_same_model_column_for_column(tmp_path):
    data, _ = load(write_generated_workbook(tmp_path / "generated.xlsx", Size(4, 3, 6, 2), 0))
    model = build_model(data)
    pyomo_route, engine_route = SolverFactory("highs"), persistent_highs()
    pyomo_route.set_instance(model)
    engine_route.set_instance(model)
    assert column_of(engine_route) == column_of(pyomo_route)  # every variable in the same column
    expected, given = highs_of(pyomo_route).getLp(), highs_of(engine_route).getLp()
    assert (given.num_col_, given.num_row_) == (expected.num_col_, expected.num_row_)
    for name in ("col_cost_", "col_lower_", "col_upper_", "row_lower_", "row_upper_", "integrality_"):
        assert np.array_equal(np.asarray(getattr(given, name)), np.asarray(getattr(expected, name))), name
    for name in ("start_", "index_", "value_"):
        assert np.array_equal(np.asarray(getattr(given.a_matrix_, name)), np.asarray(getattr(expected.a_matrix_, name)))
    assert given.offset_ == expected.offset_


def test_a_variable_added_after_the_hand_over_gets_its_column_at_once(tmp_path):
    """Outside ``add_constraints`` a new column is not held back: one added alone is in HiGHS straight away."""
    model = pyo.ConcreteModel()
    model.x = pyo.Var(bounds=(0, 4))
    model.y = pyo.Var(domain=pyo.Binary)
    model.link = pyo.Constraint(expr=model.x <= 4 * model.y)
    model.cost = pyo.Objective(expr=model.y - model.x)
    solver = persistent_highs()
    solver.set_instance(model)
    assert highs_of(solver).getNumCol() == 2 and highs_of(solver).getNumRow() == 1
    model.z = pyo.Var(bounds=(0, 1))
    solver.add_variables([model.z])
    assert highs_of(solver).getNumCol() == 3
    result = solver.solve(model)
    assert result.incumbent_objective == -3  # y = 1, x = 4: 1 - 4


def linked() -> pyo.ConcreteModel:
    """x up to 4 when y (fixed at 1) or z allows it; cost y - x + 2z + 7."""
    model = pyo.ConcreteModel()
    model.x = pyo.Var(bounds=(0, 4))
    model.y = pyo.Var(domain=pyo.Binary)
    model.z = pyo.Var(bounds=(0, 1))
    model.link = pyo.Constraint(expr=model.x <= 4 * model.y + model.z)
    model.cost = pyo.Objective(expr=model.y - model.x + 2 * model.z + 7)
    model.y.fix(1)
    return model


def test_pyomos_update_before_a_run_renumbers_no_row_nor_column(monkeypatch):
    """Before each run Pyomo's update removes what left the model, even with every automatic update off: removals of
    nothing, each renumbering every row or column (0.28 s at L before HiGHS's clock started). Nothing is removed, so
    Pyomo's renumbering is never reached; a real removal still is, and leaves HiGHS one row short."""
    removals = []
    for name in ("_remove_constraints", "_remove_variables"):
        real = getattr(PyomoHighs, name)
        monkeypatch.setattr(PyomoHighs, name, lambda self, items, real=real: removals.append(list(items))
                            or real(self, items))
    model = linked()
    result = solve_model(model, 0.0, 10.0)
    assert result.objective == pytest.approx(1 - 4 + 7) and removals == []  # x = 4
    solver = persistent_highs()
    solver.set_instance(model)
    solver.remove_constraints([model.link])
    assert removals == [[model.link]] and highs_of(solver).getNumRow() == 0


def test_a_loaded_plan_sets_every_free_variable_and_the_fixed_keep_theirs():
    """The plan (x, y, z) = (3, 0, 0.5) loaded: x and z take it, y, fixed at 1, keeps 1, and the values the model
    holds say so, column by column."""
    model = linked()
    solver = persistent_highs()
    solver.set_instance(model)
    column = column_of(solver)
    columns = [(var, column[id(var)]) for var in (model.x, model.y, model.z)]
    plan = np.zeros(3)
    plan[[column[id(model.x)], column[id(model.y)], column[id(model.z)]]] = [3.0, 0.0, 0.5]
    held = load_plan(columns, plan)
    assert (model.x.value, model.y.value, model.z.value) == (3.0, 1, 0.5)
    assert [held[column[id(var)]] for var in (model.x, model.y, model.z)] == [3.0, 1.0, 0.5]
    assert plan[column[id(model.y)]] == 0.0  # the plan itself is left as it is


def test_a_plan_is_valued_with_the_objective_highs_was_handed():
    """The held plan (x, y, z) = (4, 1, 0) costs 1 - 4 + 0 + 7 = 4 in the model's own objective, as in HiGHS's
    copy of it (y's cost in its constant): reported as 4 it agrees, as 5 it does not."""
    model = linked()
    solver = persistent_highs()
    solver.set_instance(model)
    column = column_of(solver)
    held = np.zeros(3)
    held[[column[id(model.x)], column[id(model.y)]]] = [4.0, 1.0]
    assert not solve_module._misvalued(highs_of(solver), held, 4.0)
    assert solve_module._misvalued(highs_of(solver), held, 5.0)
