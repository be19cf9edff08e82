"""The block start's set-up (optimizer/solving/highs.py): every column's facts from one walk of the model's variables
(``_column_facts``), the commitments-only plan put in its columns (``_fallback_of``), the binaries counted only as
far as the block start asks (``_binaries``), the collector held off meanwhile (``_uncollected``)."""

from __future__ import annotations

import gc

import numpy as np
import pyomo.environ as pyo
import pytest

import optimizer.solving.highs as solve_module
from models import build_model
from models.blocks import mineral_of
from models.start import commitments_only_plan
from optimizer.intake.generate import Size, write_generated_workbook
from optimizer.pipeline import load
from optimizer.solving.highs import column_of, persistent_highs


def two_minerals():
    """Orders of li and ga, each with its yes/no variable, one supplier's use linking them, one release binary w of
    li, an order fixed at 3 t, and a variable in no row (no column)."""
    model = pyo.ConcreteModel()
    slots = [("S1", "li", 1), ("S1", "ga", 1), ("S2", "li", 2)]
    model.Order = pyo.Var(slots, bounds=(0, 10))
    model.IsOrdered = pyo.Var(slots, within=pyo.Binary)
    model.UsesSupplier = pyo.Var(["S1", "S2"], within=pyo.Binary)
    model.Release = pyo.Var([("base", "li", 1)], within=pyo.Binary)
    model.Unused = pyo.Var()
    model.con_order = pyo.Constraint(slots, rule=lambda m, *slot: m.Order[slot] <= 10 * m.IsOrdered[slot])
    model.con_supplier = pyo.Constraint(slots, rule=lambda m, *slot: m.IsOrdered[slot] <= m.UsesSupplier[slot[0]])
    model.con_release = pyo.Constraint(expr=model.Order["S1", "li", 1] >= 2 - 2 * model.Release["base", "li", 1])
    model.objective = pyo.Objective(expr=sum(model.Order[slot] - 5 * model.IsOrdered[slot] for slot in slots)
                                    + model.Release["base", "li", 1])
    model.Order["S2", "li", 2].fix(3)
    return model


def handed_over(model):
    solver = persistent_highs()
    solver.set_instance(model)
    return solver, solve_module._columns(solver, model)


@pytest.mark.parametrize("blocks", [mineral_of, lambda var: mineral_of(var)], ids=["mineral_of", "any other"])
def test_each_columns_block_release_and_fixed_value_come_from_one_walk(blocks):
    """li appears first (block 0), then ga (1); UsesSupplier links them (-1); only Release's column is a release
    binary; only the fixed order has a value of its own (3); Unused has no column. The same with ``mineral_of``
    read per component and with a ``blocks`` asked variable by variable."""
    model = two_minerals()
    solver, columns = handed_over(model)
    column = column_of(solver)
    assert id(model.Unused) not in column and len(columns) == 9
    facts = solve_module._column_facts(solver, columns, blocks)
    expected_block = [(model.Order["S1", "li", 1], 0), (model.Order["S1", "ga", 1], 1),
                      (model.Order["S2", "li", 2], 0), (model.IsOrdered["S1", "li", 1], 0),
                      (model.IsOrdered["S1", "ga", 1], 1), (model.IsOrdered["S2", "li", 2], 0),
                      (model.UsesSupplier["S1"], -1), (model.UsesSupplier["S2"], -1),
                      (model.Release["base", "li", 1], 0)]
    assert facts.blocks == 2
    assert [int(facts.block_of_column[column[id(var)]]) for var, _ in expected_block] == [
        block for _, block in expected_block]
    assert np.flatnonzero(facts.release).tolist() == [column[id(model.Release["base", "li", 1])]]
    fixed = {j: value for j, value in enumerate(facts.fixed) if not np.isnan(value)}
    assert fixed == {column[id(model.Order["S2", "li", 2])]: 3.0}


def test_the_binaries_are_counted_only_up_to_what_is_asked():
    """Five integer columns (three IsOrdered, two UsesSupplier) and the release binary: counted to 2, they are 2;
    in full (below the block start's 1,000), all six."""
    _, columns = handed_over(two_minerals())
    assert solve_module._binaries(columns, enough=2) == 2
    assert solve_module._binaries(columns) == 6


def test_the_fallback_is_the_commitments_only_plan_column_by_column(tmp_path, monkeypatch):
    """A generated workbook, one order fixed at 1 t after the plan was made (the plan's value wins where it gives
    one, as it did when each column's variable was looked up in the plan): each column holds the plan's value of
    its variable, else a fixed variable's own, else NaN."""
    monkeypatch.setattr(solve_module, "BLOCKWISE_COLUMNS", 0)
    data, _ = load(write_generated_workbook(tmp_path / "generated.xlsx", Size(4, 3, 6, 2), 0))
    model = build_model(data)
    plan = commitments_only_plan(model, data)
    assert plan
    model.UsesSupplier[next(iter(model.SUPPLIERS_USED))].fix(1)
    solver, columns = handed_over(model)
    facts = solve_module._column_facts(solver, columns, mineral_of)
    fallback = solve_module._fallback_of(solver, columns, facts.fixed)
    expected = np.full(len(fallback), np.nan)
    for var, j in columns:
        if var in plan:
            expected[j] = plan[var]
        elif var.fixed and var.value is not None:
            expected[j] = var.value
    assert np.array_equal(fallback, expected, equal_nan=True)


@pytest.mark.parametrize("collecting", [True, False])
def test_the_collector_is_held_off_in_the_set_up_then_as_it_was(collecting):
    was = gc.isenabled()
    (gc.enable if collecting else gc.disable)()
    try:
        with pytest.raises(RuntimeError):
            with solve_module._uncollected():
                assert not gc.isenabled()
                raise RuntimeError("a failed walk")
        assert gc.isenabled() == collecting
    finally:
        (gc.enable if was else gc.disable)()


def test_the_walk_labels_as_the_columns_are_listed_in_a_model_with_recourse(tmp_path):
    """A generated workbook with recourse (scenario copies in sub-blocks, orders as references to node orders): the
    walk's blocks are those of each column's variable in ``columns`` (``mineral_of``), numbered in that order."""
    from optimizer.intake.generate import generate_sheets, write_sheets
    from models.recourse import build_recourse_model

    sheets = generate_sheets(Size(4, 3, 6, 3), seed=0)
    header, *rows = sheets["Scenarios"]
    sheets["Scenarios"] = [[*header, "known_from"]] + [[*row, 4] for row in rows]
    data, _ = load(write_sheets(tmp_path / "tree.xlsx", sheets))
    model = build_recourse_model(data)
    solver, columns = handed_over(model)
    labels: dict = {}
    expected = np.full(len(column_of(solver)), -1)
    for var, j in columns:
        if mineral_of(var) is not None:
            expected[j] = labels.setdefault(mineral_of(var), len(labels))
    facts = solve_module._column_facts(solver, columns, mineral_of)
    assert facts.blocks == 4 and np.array_equal(facts.block_of_column, expected)
