"""`optimize run --save-lp FILE`: the built model as an LP file another solver can read."""

from __future__ import annotations

import highspy
import pytest
from click.testing import CliRunner

from models import build_model
from models.results import model_size
from optimizer.cli import main
from optimizer.pipeline import load
from optimizer.solving.highs import write_lp
from workbooks import small_plan_input


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def read_lp(path) -> highspy.Highs:
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    assert highs.readModel(str(path)) == highspy.HighsStatus.kOk
    return highs


def test_the_lp_file_holds_the_model_and_solves_to_its_objective(tmp_path):
    """5 t of ga in each of 3 periods at 10 per t: HiGHS reading the file alone finds 150 (in money units)."""
    data, _ = load(small_plan_input(tmp_path / "input.xlsx"))
    model = build_model(data)
    write_lp(model, tmp_path / "model.lp")
    highs = read_lp(tmp_path / "model.lp")
    size = model_size(model)
    assert (highs.getNumCol(), highs.getNumRow()) == (size["variables"], size["constraints"])
    integers = sum(kind != highspy.HighsVarType.kContinuous for kind in highs.getLp().integrality_)
    assert integers == size["binaries"]
    assert "Order(S1_ga_1)" in (tmp_path / "model.lp").read_text()  # named as in models/, for a reviewer
    highs.run()
    assert highs.getInfo().objective_function_value * model.facts.money_unit == pytest.approx(150)


def test_run_with_save_lp_writes_the_file_and_the_plan(tmp_path):
    source = small_plan_input(tmp_path / "input.xlsx")
    lp_file, plan = tmp_path / "review" / "model.lp", tmp_path / "plan.xlsx"
    result = invoke("run", source, "--output", plan, "--save-lp", lp_file, "--no-history")
    assert result.exit_code == 0, result.output
    assert plan.exists()
    assert read_lp(lp_file).getNumCol() > 0
    assert not [p.name for p in lp_file.parent.iterdir() if p.name != "model.lp"], "no temporary file is left"


def test_save_lp_never_writes_over_an_input_or_an_existing_file(tmp_path):
    source = small_plan_input(tmp_path / "input.xlsx")
    before = source.read_bytes()
    existing = tmp_path / "old.lp"
    existing.write_text("kept")
    for target in (source, existing):
        result = invoke("run", source, "--output", tmp_path / "plan.xlsx", "--save-lp", target, "--no-history")
        assert result.exit_code == 2, result.output
        assert target.name in result.output
    assert source.read_bytes() == before and existing.read_text() == "kept"
    assert not (tmp_path / "plan.xlsx").exists()
