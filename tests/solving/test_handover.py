"""The hand-over (optimizer/solving/highs.py ``persistent_highs``): Pyomo's persistent HiGHS interface with the
columns sent to HiGHS in one call must give HiGHS exactly the model Pyomo's own route gives, column for column."""

from __future__ import annotations

import numpy as np
from pyomo.contrib.solver.common.factory import SolverFactory

from models import build_model
from optimizer.intake.generate import Size, write_generated_workbook
from optimizer.pipeline import load
from optimizer.solving.highs import column_of, highs_of, persistent_highs


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
    import pyomo.environ as pyo

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
