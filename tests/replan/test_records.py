"""The history's records without its database: a run that records nothing never imports SQLAlchemy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from workbooks import base_sheets, write_workbook

ROOT = Path(__file__).resolve().parents[2]

# Runs the CLI in this process, then says which of the history's libraries it imported.
CHILD = """
import sys
from optimizer.cli import main
try:
    main([*sys.argv[1:]], standalone_mode=False)
finally:
    print("imported:", sorted(name for name in ("sqlalchemy",) if name in sys.modules))
"""


def run_child(*arguments: str) -> str:
    completed = subprocess.run([sys.executable, "-c", CHILD, *arguments], cwd=ROOT, capture_output=True,
                               text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_a_run_without_history_never_imports_sqlalchemy(tmp_path):
    source = write_workbook(tmp_path / "small.xlsx", base_sheets())
    output = run_child("run", str(source), "--no-history", "--output", str(tmp_path / "plan.xlsx"))
    assert (tmp_path / "plan.xlsx").exists()
    assert "imported: []" in output


def test_a_run_with_history_still_records_it(tmp_path):
    source = write_workbook(tmp_path / "small.xlsx", base_sheets())
    output = run_child("run", str(source), "--db", str(tmp_path / "h.sqlite"), "--output", str(tmp_path / "plan.xlsx"))
    assert "imported: ['sqlalchemy']" in output
    assert (tmp_path / "h.sqlite").exists()


def test_the_history_module_still_names_its_records():
    from optimizer.replan import history, records

    assert history.RunRecord is records.RunRecord
    assert history.HistoryUnavailable is records.HistoryUnavailable
    assert history.default_url is records.default_url
