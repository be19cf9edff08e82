"""The hand-over from Pyomo to HiGHS by each of Pyomo's routes, against the floor (issue 17, point 3).

    python scripts/benchmark_handover.py --sizes L XL

For each generated size (seed 0) it builds the model once and times, in one process, one after another:

- ``persistent``: ``pyomo.contrib.solver`` HiGHS ``set_instance`` as Pyomo ships it;
- ``standard form``: Pyomo's ``LinearStandardFormCompiler`` (a sparse matrix of the model, no
  expression walk per row through the persistent interface) and highspy ``passModel`` of its arrays;
- ``appsi``: Pyomo's older APPSI HiGHS interface, ``set_instance``;
- ``linear terms``: the persistent ``set_instance`` of the same model with every constraint's body a
  ``LinearExpression`` of monomial terms (what ``models/`` would build to spare the writer its tree walk;
  here rewritten from each row's standard representation after the build, which ``linear terms: rewrite``
  times apart), so the figure is the hand-over such a model would have;
- ``bulk``: the engine's route, ``persistent_highs`` (optimizer/solving/highs.py): the persistent interface
  with the columns added in one ``addVars`` call before the rows (Pyomo's adds each row's new columns with
  a call of their own); also with linear terms;
- the floor: the same matrix passed to highspy straight from numpy arrays.

Seconds are wall-clock; on a shared machine read the ratios to the floor measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def timed(call) -> tuple[float, object]:
    """Seconds ``call`` took, and what it returned."""
    started = time.perf_counter()
    value = call()
    return time.perf_counter() - started, value


def standard_form(model, highspy, np):
    """Pyomo's standard-form compiler, then one passModel of its arrays."""
    from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

    repn = LinearStandardFormCompiler().write(model, mixed_form=True, set_sense=None)
    matrix = repn.A.tocsc() if hasattr(repn.A, "tocsc") else repn.A
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = matrix.shape[1], matrix.shape[0]
    lp.col_cost_ = np.asarray(repn.c.todense()).ravel() if hasattr(repn.c, "todense") else np.asarray(repn.c).ravel()[:lp.num_col_]
    lower = np.array([-np.inf if v.lb is None else v.lb for v in repn.columns])
    upper = np.array([np.inf if v.ub is None else v.ub for v in repn.columns])
    lp.col_lower_, lp.col_upper_ = lower, upper
    sense = np.array([s for _, s in repn.rows])
    rhs = np.asarray(repn.rhs, dtype=float)
    lp.row_lower_ = np.where(sense >= 0, rhs, -np.inf)
    lp.row_upper_ = np.where(sense <= 0, rhs, np.inf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = matrix.indptr, matrix.indices, matrix.data
    lp.integrality_ = [highspy.HighsVarType.kInteger if v.is_integer() else highspy.HighsVarType.kContinuous
                       for v in repn.columns]
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.passModel(lp)
    return highs


def as_linear_terms(model) -> None:
    """Each active constraint's body rewritten as one ``LinearExpression`` of ``MonomialTermExpression`` terms
    (its rows, bounds and so its optimum unchanged)."""
    import pyomo.environ as pyo
    from pyomo.core.expr import LinearExpression, MonomialTermExpression
    from pyomo.repn import generate_standard_repn

    fixed = [var for var in model.component_data_objects(pyo.Var) if var.fixed]
    for var in fixed:  # kept as terms, as the persistent route keeps them as columns
        var.unfix()
    for con in model.component_data_objects(pyo.Constraint, active=True):
        repn = generate_standard_repn(con.body, quadratic=False, compute_values=True)
        terms = [MonomialTermExpression((coef, var)) for coef, var in zip(repn.linear_coefs, repn.linear_vars)]
        body = LinearExpression(terms)
        lower = None if con.lower is None else pyo.value(con.lower) - repn.constant
        upper = None if con.upper is None else pyo.value(con.upper) - repn.constant
        if con.equality:
            con.set_value(body == upper)
        else:
            con.set_value(pyo.inequality(lower, body, upper) if lower is not None and upper is not None
                          else (body <= upper if lower is None else lower <= body))
    for var in fixed:
        var.fix()


def same_matrix(lp, other, np) -> bool:
    """Whether two hand-overs gave HiGHS the same model: sizes, costs, bounds and coefficients (as multisets:
    the rewrite may order a row's terms differently)."""
    def summary(model):
        arrays = (model.col_cost_, model.col_lower_, model.col_upper_, model.row_lower_, model.row_upper_,
                  model.a_matrix_.value_)
        return [model.num_col_, model.num_row_] + [np.sort(np.asarray(a, dtype=float)) for a in arrays]

    return all(np.allclose(a, b, rtol=1e-12, atol=1e-12) for a, b in zip(summary(lp), summary(other)))


def measure(size_name: str, seed: int) -> dict:
    """Each route's hand-over of the generated ``size_name`` workbook's model, and its ratio to the floor."""
    import highspy
    import numpy as np
    from pyomo.contrib.solver.common.factory import SolverFactory

    from optimizer.intake.generate import SIZES, write_generated_workbook
    from optimizer.pipeline import load
    from optimizer.solving.highs import highs_of, persistent_highs
    from optimizer.solving.session import build

    folder = Path(tempfile.mkdtemp(prefix=f"handover_{size_name}_"))
    data, _ = load(write_generated_workbook(folder / f"{size_name}.xlsx", SIZES[size_name], seed))
    model = build(data)
    figures = {}
    solver = SolverFactory("highs")
    figures["persistent"], _ = timed(lambda: solver.set_instance(model))
    lp = highs_of(solver).getLp()
    try:  # Pyomo's compiler needs scipy, which the engine does not depend on
        figures["standard form"], highs = timed(lambda: standard_form(model, highspy, np))
        # The compiler leaves out columns in no row and no objective term (a handful), so the counts may differ.
        figures["standard form columns"] = highs.getNumCol()
    except (ImportError, TypeError) as exc:  # TypeError: a second try after scipy's import failed once
        figures["standard form"] = f"not run: {exc}"
    try:
        from pyomo.contrib.appsi.solvers.highs import Highs as AppsiHighs
        figures["appsi"], _ = timed(lambda: AppsiHighs().set_instance(model))
    except Exception as exc:  # noqa: BLE001 - an optional route
        figures["appsi"] = f"not run: {exc}"
    bulk = persistent_highs()
    figures["bulk"], _ = timed(lambda: bulk.set_instance(model))
    figures["bulk: same matrix"] = same_matrix(lp, highs_of(bulk).getLp(), np)
    figures["linear terms: rewrite"], _ = timed(lambda: as_linear_terms(model))
    linear = SolverFactory("highs")
    figures["linear terms"], _ = timed(lambda: linear.set_instance(model))
    figures["linear terms: same matrix"] = same_matrix(lp, highs_of(linear).getLp(), np)
    both = persistent_highs()
    figures["linear terms + bulk"], _ = timed(lambda: both.set_instance(model))
    figures["linear terms + bulk: same matrix"] = same_matrix(lp, highs_of(both).getLp(), np)
    floor = highspy.Highs()
    floor.setOptionValue("output_flag", False)
    figures["floor"], _ = timed(lambda: floor.passModel(lp))
    return {"size": size_name, "columns": lp.num_col_, "rows": lp.num_row_,
            "seconds": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in figures.items()},
            "times the floor": {k: round(v / figures["floor"], 1) for k, v in figures.items()
                                if isinstance(v, float) and k != "floor" and ":" not in k and "columns" not in k}}


def main() -> None:
    """Measure each size given, one after another in this process, one JSON line each."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=["L"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for size in args.sizes:
        print(json.dumps(measure(size, args.seed)), flush=True)


if __name__ == "__main__":
    main()
