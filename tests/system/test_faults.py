"""Faults in unattended runs: killed mid-write, unwritable or full folders, the time limit, no plan.

A run may die at any instant, a disk may fill, a folder may be read-only (tests
run as root, so "unwritable" is a folder path that passes through a file, and a
full disk is an OSError(ENOSPC) from the writer). Whatever happens, the previous
plan stays intact and no partial file is left where a plan belongs.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import xlsxwriter
import xlsxwriter.exceptions
import pytest
from click.testing import CliRunner

from optimizer import files, pipeline
from optimizer.checker import check_result_workbook
from optimizer.cli import main
from optimizer.files import TEMPORARY_SUFFIX
from optimizer.intake.generate import Size, generate_sheets, write_sheets
from optimizer.pipeline import load
from workbooks import base_sheets, write_workbook

ROOT = Path(__file__).resolve().parents[2]


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def small_input(tmp_path: Path) -> Path:
    sheets = base_sheets()
    sheets["Demand"] = [{"mineral": "ga", "period": t, "quantity": 5} for t in (1, 2, 3)]
    return write_workbook(tmp_path / "input" / "plan input.xlsx", sheets)


@pytest.fixture
def old_plan(small_input: Path, tmp_path: Path) -> Path:
    """A plan already written by an earlier run, at the path the next run writes to."""
    output = tmp_path / "out" / "plan.xlsx"
    assert invoke("run", small_input, "--output", output).exit_code == 0
    return output


def temporaries(folder: Path) -> list[Path]:
    return sorted(folder.glob(f".*{TEMPORARY_SUFFIX}"))


# ------------------------------------------------------------ killed runs
KILLED_WRITER = """
import sys, time
from pathlib import Path
import xlsxwriter

def half_then_hang(self):
    with open(self.filename, "wb") as out:  # half a workbook, then the run is killed
        out.write(b"PK\\x03\\x04" + b"half a workbook" * 1000)
    Path(sys.argv[3]).write_text(str(self.filename))
    time.sleep(600)

xlsxwriter.Workbook.close = half_then_hang
from optimizer.cli import main
main(["run", sys.argv[1], "--output", sys.argv[2], "--overwrite"])
"""


def test_run_killed_while_writing_keeps_the_old_plan_and_the_next_run_cleans_up(small_input, old_plan, tmp_path):
    before = old_plan.read_bytes()
    ready = tmp_path / "writing"
    process = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(small_input), str(old_plan), str(ready)],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "the run never started writing"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
        process.stderr.close()
    # Killed mid-write: the old plan is whole, the half file is a hidden temporary beside it.
    assert old_plan.read_bytes() == before
    (stray,) = temporaries(old_plan.parent)
    assert Path(ready.read_text()) == stray
    assert check_result_workbook(old_plan, load(small_input)[0]) == []
    # The next run into that folder removes what the killed run left, and writes its own plan.
    assert invoke("run", small_input, "--outputs-dir", old_plan.parent).exit_code == 0
    assert temporaries(old_plan.parent) == []
    assert old_plan.read_bytes() == before


def test_temporaries_of_live_runs_are_left_alone(tmp_path):
    mine = tmp_path / f".plan.{os.getpid()}.abc123{TEMPORARY_SUFFIX}"
    dead = tmp_path / f".plan.{_a_finished_pid()}.abc123{TEMPORARY_SUFFIX}"
    other = tmp_path / ".notes.tmp.xlsx"  # not of our making
    for path in (mine, dead, other):
        path.write_bytes(b"partial")
    assert files.remove_stale_temporaries(tmp_path) == [dead]
    assert mine.exists() and other.exists() and not dead.exists()


def _a_finished_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


# ------------------------------------------------------- unwritable folders
def test_unwritable_output_folder_fails_before_solving(small_input, tmp_path):
    """The folder of --output passes through a file: no solve is wasted, nothing is created."""
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    output = blocker / "plans" / "plan.xlsx"
    result = invoke("run", small_input, "--output", output)
    assert result.exit_code == 1
    assert f"error: cannot write {output}" in result.stderr
    assert "no file was changed" in result.stderr
    assert "solve " not in result.stderr  # failed before the solve stage
    assert "Traceback" not in result.output
    assert blocker.read_text() == "not a folder"


@pytest.mark.parametrize("fault", ["disk full while saving", "rename refused"])
def test_full_disk_while_writing_loses_nothing(small_input, old_plan, monkeypatch, fault):
    before = old_plan.read_bytes()
    if fault == "disk full while saving":
        def close(self):  # XlsxWriter wraps the OSError of a failed write in its FileCreateError
            with open(self.filename, "wb") as out:
                out.write(b"PK\x03\x04 the first blocks")
            raise xlsxwriter.exceptions.FileCreateError(
                OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.filename)))
        monkeypatch.setattr(xlsxwriter.Workbook, "close", close)
    else:
        def replace(source, target):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        monkeypatch.setattr(files.os, "replace", replace)
    result = invoke("run", small_input, "--output", old_plan, "--overwrite")
    assert result.exit_code == 1
    assert f"error: the plan could not be written: cannot write {old_plan} (No space left on device); " \
           "no file was changed" in result.stderr
    assert "Traceback" not in result.output
    assert old_plan.read_bytes() == before
    assert temporaries(old_plan.parent) == []


# ------------------------------------------------------------ permissions
@pytest.fixture
def umask():
    """Set the process's umask for one test, and put the old one back."""
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_written_files_follow_the_umask(tmp_path, umask, mask, mode):
    """What mkstemp makes 0600 is published as any editor's file would be: 0666 less the umask."""
    umask(mask)
    target = tmp_path / "book.xlsx"
    files.write_atomically(target, lambda temporary: temporary.write_bytes(b"plan"))
    assert target.stat().st_mode & 0o777 == mode


def test_plans_stress_workbooks_and_templates_are_readable_by_colleagues(small_input, tmp_path, umask):
    """Under umask 022 a plan, its stress test and a template are 0644, as on a shared drive they must be."""
    umask(0o022)
    plan, stress, template = tmp_path / "plan.xlsx", tmp_path / "stress.xlsx", tmp_path / "template.xlsx"
    assert invoke("run", small_input, "--output", plan, "--no-history").exit_code == 0
    assert invoke("stress", plan, "--input", small_input, "--samples", 10, "--output", stress).exit_code == 0
    assert invoke("template", template).exit_code == 0
    assert [path.stat().st_mode & 0o777 for path in (plan, stress, template)] == [0o644] * 3


# ------------------------------------------------------------- time limit
@pytest.fixture(scope="module")
def medium_sheets() -> dict[str, list]:
    """A generated workbook (20 minerals x 8 suppliers x 24 periods) that 1 s cannot solve, gap 0.

    Without commitments: the commitments-only starting plan (order nothing) then meets every limit.
    """
    sheets = generate_sheets(Size(20, 8, 24), seed=0)
    del sheets["Commitments"]
    sheets["Settings"] = [row for row in sheets["Settings"] if row[0] not in ("mip_gap", "time_limit_s")]
    sheets["Settings"].append(["mip_gap", 0])
    return sheets


@pytest.mark.parametrize("time_limit_s", [0.001, 1])
def test_time_limit_returns_the_best_plan_as_feasible_with_its_gap(medium_sheets, tmp_path, time_limit_s):
    """Whatever the machine's speed, a time limit leaves a plan that passes the checker, and its status and
    gap agree: ``feasible`` stopped by the limit, with its gap or, stopped before any bound, none and saying
    so; or ``optimal`` (a machine fast enough for 1 s) within mip_gap 0."""
    source = write_sheets(tmp_path / "medium.xlsx",
                          {**medium_sheets, "Settings": medium_sheets["Settings"] + [["time_limit_s", time_limit_s]]})
    output = tmp_path / "plan.xlsx"
    result = pipeline.run(source, output, explain=False)  # no shortfall re-solves: this is about the limit
    assert result.exit_code == 0, result.plan.solve.message
    rows = openpyxl.load_workbook(output, read_only=True)["Summary"].iter_rows(min_row=2, values_only=True)
    summary = {row[0]: row[1] if len(row) > 1 else None for row in rows}  # read-only rows end at their last value
    assert summary["status"] in ("feasible", "optimal")
    assert check_result_workbook(output, result.data) == []
    if summary["status"] == "optimal":
        assert summary["mip_gap"] == pytest.approx(0.0, abs=1e-6)
        return
    assert "maxTimeLimit" in summary["message"]
    if summary["mip_gap"] is None:  # stopped before the solver had a bound
        assert result.plan.solve.gap is None
        assert "an unknown distance from the best bound" in summary["message"]
    else:
        assert 0 < summary["mip_gap"] == pytest.approx(result.plan.solve.gap)
        assert f"{100 * summary['mip_gap']:.3g}% from the best bound" in summary["message"]


# -------------------------------------------------------------- no plan
def test_infeasible_commitments_name_the_commitments_and_the_funding_limit(tmp_path):
    """A committed order of 200 t at 10 per t costs 2,000; the only source holds 1,000."""
    sheets = base_sheets()
    sheets["Funding"][0]["amount"] = 1000
    sheets["Commitments"] = [{"supplier": "S1", "mineral": "ga", "period": 1, "quantity": 200}]
    source = write_workbook(tmp_path / "infeasible.xlsx", sheets)
    output = tmp_path / "plan.xlsx"
    result = invoke("run", source, "--output", output)
    assert result.exit_code == 3
    assert "infeasible: no plan meets every hard limit" in result.stderr
    # without --output, nothing lands in the outputs folder either
    outputs = tmp_path / "outputs"
    assert invoke("run", source, "--outputs-dir", outputs).exit_code == 3
    assert not outputs.exists() or not any(outputs.iterdir())
    assert "funding: source 'F1' would need 1,000.00 USD more than its amount" in result.stderr
    assert "the commitments that force these orders: 200 t of ga from S1 in period 1" in result.stderr
    assert not output.exists() and temporaries(tmp_path) == []
