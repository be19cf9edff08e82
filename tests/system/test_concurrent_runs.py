"""Runs at once (a watch and a manual run) never overwrite each other's plans or corrupt the history."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path

from replancase import sheets
from workbooks import write_workbook

from optimizer.files import release_name, remove_stale_temporaries, reserve_name
from optimizer.replan.history import History
from optimizer.pipeline import default_output_path

ROOT = Path(__file__).resolve().parents[2]


def test_output_names_chosen_at_once_are_all_different(tmp_path):
    """Twenty runs choose a name in the same second: the claim is atomic, so no two get the same one."""
    now, chosen, barrier = datetime(2027, 3, 1, 6, 0, 0), [], threading.Barrier(20)
    source = write_workbook(tmp_path / "prices.xlsx", sheets())

    def choose() -> None:
        barrier.wait()
        chosen.append(default_output_path(source, tmp_path / "out", now))

    threads = [threading.Thread(target=choose) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(chosen) == len(set(chosen)) == 20
    assert tmp_path / "out" / "prices_plan_20270301-060000.xlsx" in chosen
    for path in chosen:
        release_name(path)
    assert not list((tmp_path / "out").iterdir())


def test_a_claimed_name_is_free_again_once_released_and_a_written_one_stays_taken(tmp_path):
    target = tmp_path / "plan.xlsx"
    assert reserve_name(target) and not reserve_name(target)
    release_name(target)
    target.write_bytes(b"a plan")
    assert not reserve_name(target)  # the file itself holds the name now


def test_a_killed_runs_claim_is_cleaned_up(tmp_path):
    claim = tmp_path / ".plan.xlsx.reserved"
    claim.write_text("999999999")  # no such process
    assert remove_stale_temporaries(tmp_path) == [claim] and not claim.exists()


def test_two_runs_at_once_write_two_plans_and_two_history_rows(tmp_path):
    source = write_workbook(tmp_path / "in" / "prices.xlsx", sheets())
    outputs, db = tmp_path / "out", tmp_path / "history.sqlite"
    command = [sys.executable, "-m", "optimizer.cli", "run", str(source), "--outputs-dir", str(outputs),
               "--db", str(db)]
    runs = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    results = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err for _, err in results]
    plans = sorted(outputs.glob("*.xlsx"))
    assert len(plans) == 2
    assert not [p for p in outputs.iterdir() if p.name.startswith(".")], "no claim or temporary file is left"
    recorded = History(str(db)).runs()
    assert sorted(Path(r.output_path) for r in recorded) == [p.resolve() for p in plans]
    assert {r.status for r in recorded} == {"optimal"}
