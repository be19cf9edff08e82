"""The one reader of result workbooks (optimizer/intake/plans.py): what re-plans and stress tests read a plan with.

A plan written by ``optimize run`` is read back as its Summary keys and its Orders rows, by Excel row; a file that
is no workbook, or a workbook without the plan's sheets, says so in words, for ``--previous``, ``optimize diff``
and ``optimize stress`` alike.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from workbooks import write_workbook

from optimizer.contract.problems import InputRefused
from optimizer.intake.plans import NotAPlan, read_plan_workbook
from optimizer.replan.changes import read_plan
from optimizer.studies.stress import read_plan_orders

ORDERS = [{"supplier": "S1", "mineral": "ga", "period": 2, "arrival_period": 3, "quantity": 8.0}]
SUMMARY = [{"key": "status", "value": "optimal"}, {"key": "Objective", "value": 120.5}]


def test_a_plan_is_read_as_its_summary_keys_and_its_order_rows(tmp_path):
    book = read_plan_workbook(write_workbook(tmp_path / "plan.xlsx", {"Summary": SUMMARY, "Orders": ORDERS}))
    assert book.summary == {"status": "optimal", "objective": 120.5}  # keys in lower case
    assert book.orders_header == ("supplier", "mineral", "period", "arrival_period", "quantity")
    assert book.orders == [(2, {"supplier": "S1", "mineral": "ga", "period": 2, "arrival_period": 3, "quantity": 8})]


def test_a_workbook_without_the_plans_sheets_reads_as_none_of_them(tmp_path):
    book = read_plan_workbook(write_workbook(tmp_path / "other.xlsx", {"Notes": [{"a": 1}]}))
    assert (book.summary, book.orders, book.sheet_names) == (None, None, ("Notes",))
    with pytest.raises(NotAPlan, match="no sheets Summary and Orders"):
        read_plan(tmp_path / "other.xlsx")


def test_a_file_that_is_no_workbook_is_not_a_plan_for_replans_and_stress_alike(tmp_path):
    path = tmp_path / "plan.xlsx"
    path.write_text("not a workbook")
    with pytest.raises(NotAPlan, match="expected a plan written by optimize run"):
        read_plan_workbook(path)
    with pytest.raises(NotAPlan):
        read_plan(path)
    with pytest.raises(InputRefused) as refused:
        read_plan_orders(path, data=None)  # refused before the data is needed
    assert refused.value.problems[0].expected.startswith("cannot open the plan: ")
    assert refused.value.problems[0].file == str(Path(path))
