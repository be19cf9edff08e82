"""Which mineral each variable belongs to (models/blocks.py): ``minerals_of`` labels a whole component at once, as
``mineral_of`` labels each of its variables."""

from __future__ import annotations

import dataclasses

import pyomo.environ as pyo

from models import build_model
from models.blocks import mineral_of, minerals_of
from optimizer.intake.generate import Size, write_generated_workbook
from optimizer.pipeline import load


def test_a_components_minerals_are_read_from_its_index_in_its_order():
    """Order (supplier, mineral, period): the mineral second; MineralTotal (mineral): the index itself;
    Stock (scenario, mineral, period): second; UsesSupplier links minerals: None for each."""
    model = pyo.ConcreteModel()
    model.Order = pyo.Var([("S1", "li", 1), ("S2", "ga", 1), ("S1", "ga", 2)])
    model.MineralTotal = pyo.Var(["ga", "li"])
    model.Stock = pyo.Var([("base", "li", 1), ("dry", "ga", 1)])
    model.UsesSupplier = pyo.Var(["S1", "S2"])
    assert minerals_of(model.Order) == ["li", "ga", "ga"]
    assert minerals_of(model.MineralTotal) == ["ga", "li"]
    assert minerals_of(model.Stock) == ["li", "ga"]
    assert minerals_of(model.UsesSupplier) == [None, None]


def test_every_component_of_a_built_model_gets_mineral_of_of_each_variable(tmp_path):
    """A generated workbook with projects and contracts (whose variables' minerals are the data's): for every
    variable component, the minerals read at once are those of its variables one by one, in the same order."""
    size = dataclasses.replace(Size(4, 3, 6, 2), projects=2)
    data, _ = load(write_generated_workbook(tmp_path / "generated.xlsx", size, 0, contracts=2))
    model = build_model(data)
    names = set()
    for component in model.component_objects(pyo.Var, descend_into=True):
        assert minerals_of(component) == [mineral_of(var) for var in component.values()], component.name
        names.add(component.local_name)
    assert {"Order", "Stock", "UsesSupplier", "Build", "Signed", "ContractSpend"} <= names
