"""A full disk and Ctrl-C: one message naming what happened, the right exit status, nothing left behind.

The full disk is a small tmpfs this test mounts (it runs as root in CI; it is
skipped where mounting is not allowed), filled up by a file. Ctrl-C is a real
SIGINT sent to a subprocess once its standard error shows that the stage has
started (no timing: the test waits for the line, however long it takes).
"""

from __future__ import annotations

import errno
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clirun import invoke
from workbooks import small_plan_input

from optimizer.solving import highs as solve
from optimizer.files import RESERVED_SUFFIX
from optimizer.intake.generate import Size, generate_sheets, write_sheets
from optimizer.contract.results import ERROR, SolveResult

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 600  # generous: a loaded machine is slow, never wrong


@pytest.fixture
def small_input(tmp_path: Path) -> Path:
    return small_plan_input(tmp_path / "input" / "small.xlsx")


# ------------------------------------------------------------------ a full disk
@pytest.fixture
def small_disk(tmp_path: Path):
    """A 256 kB tmpfs, filled to the last byte by the file ``filler``."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.strip()}): root and CAP_SYS_ADMIN needed")
    try:
        with open(mount_point / "filler", "wb", buffering=0) as filler:
            try:
                while filler.write(b"\0" * 4096):
                    pass
            except OSError as full:
                assert full.errno == errno.ENOSPC
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def left_behind(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != "filler")


def test_a_full_disk_names_the_path_and_leaves_no_claim(small_input, small_disk):
    result = invoke("run", small_input, "--outputs-dir", small_disk, "--no-history")
    assert result.exit_code == 1
    assert f"error: cannot write {small_disk}/small_plan_" in result.stderr
    assert "(No space left on device); no file was changed" in result.stderr
    assert "Traceback" not in result.output and "Errno" not in result.output
    assert left_behind(small_disk) == []  # no empty .reserved claim that no later run would remove


def test_a_disk_with_room_for_the_claim_but_not_the_plan(small_input, small_disk):
    """Two pages free: the name is claimed, the plan does not fit; an empty claim left by a crash is removed."""
    stale = small_disk / f".old_plan.xlsx{RESERVED_SUFFIX}"
    stale.touch()
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    filler = small_disk / "filler"
    os.truncate(filler, filler.stat().st_size - 2 * 4096)
    result = invoke("run", small_input, "--outputs-dir", small_disk, "--no-history")
    assert result.exit_code == 1
    assert f"error: the plan could not be written: cannot write {small_disk}/small_plan_" in result.stderr
    assert "(No space left on device); no file was changed" in result.stderr
    assert "Exception ignored" not in result.output and "Traceback" not in result.output
    assert left_behind(small_disk) == []


# ------------------------------------------------------------------ Ctrl-C
CHILD = """
import signal, sys, time
signal.signal(signal.SIGINT, signal.default_int_handler)  # as at a terminal, whatever the test runner ignores
if sys.argv[1] == "write":  # hold the write stage half-way, its sheets open, until the signal comes
    from xlsxwriter.worksheet import Worksheet
    write_string, written = Worksheet.write_string, [0]
    def slow_write_string(self, *args, **kwargs):
        written[0] += 1
        if written[0] == 40:
            print("writing, half-way", file=sys.stderr, flush=True)
            # short sleeps, not one long one: a signal that lands after the last check for signals and
            # before the sleep begins interrupts no sleep, and would wait for the whole of it (an hour in CI)
            while True:
                time.sleep(0.05)
        return write_string(self, *args, **kwargs)
    Worksheet.write_string = slow_write_string
from optimizer.cli import main
main(["run", *sys.argv[2:], "--no-history"])
"""


def interrupt(stage: str, waited_for: str, *arguments: Path, settle_s: float = 0.0) -> tuple[int, list[str]]:
    """Run the child, send SIGINT ``settle_s`` after a line starts with ``waited_for``; its exit code and its
    stderr after that."""
    process = subprocess.Popen([sys.executable, "-c", CHILD, stage, *map(str, arguments)], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for line in process.stderr:
            if line.startswith(waited_for):
                time.sleep(settle_s)
                process.send_signal(signal.SIGINT)
                break
        else:
            pytest.fail(f"the run ended before {waited_for!r}: exit {process.wait(WAIT_S)}")
        after = process.stderr.read().splitlines()
        return process.wait(WAIT_S), after
    finally:
        if process.poll() is None:
            process.kill()
        process.stderr.close()


def test_ctrl_c_while_writing_is_one_line_and_leaves_no_file(small_input, tmp_path):
    outputs = tmp_path / "out"
    code, after = interrupt("write", "writing, half-way", small_input, "--outputs-dir", outputs)
    assert code == 1
    assert after == ["interrupted (Ctrl-C) during write: no plan was written and no file was changed"]
    assert not outputs.exists() or list(outputs.iterdir()) == []


def test_ctrl_c_during_the_solve_says_interrupted(tmp_path):
    """A generated workbook (20 minerals x 8 suppliers x 24 periods) asked for gap 0: minutes of solving."""
    sheets = generate_sheets(Size(20, 8, 24), seed=0)
    sheets["Settings"] = [row for row in sheets["Settings"] if row[0] not in ("mip_gap", "time_limit_s")]
    sheets["Settings"] += [["mip_gap", 0], ["time_limit_s", 3600]]
    source = write_sheets(tmp_path / "medium.xlsx", sheets)
    outputs = tmp_path / "out"
    # Build done: the solve runs for minutes. The signal is sent at once, so that it lands in Pyomo's set-up
    # of the solver or the block start (where it once came back as a traceback under load), or in the search.
    code, after = interrupt("solve", "build ", source, "--outputs-dir", outputs)
    assert code == 1
    # The signal may land just before the solve begins, so "during solve" is optional.
    said = [line for line in after if line.startswith("interrupted")]
    assert len(said) == 1, after
    assert re.fullmatch(r"interrupted \(Ctrl-C\)( during solve)?: no plan was written and no file was changed", said[0])
    assert not any("the solver stopped" in line or "Traceback" in line for line in after), after
    assert not outputs.exists() or list(outputs.iterdir()) == []


def test_an_interrupt_during_the_solve_is_noted_and_raised_after_it(monkeypatch):
    """A Ctrl-C inside the solve (Pyomo's set-up of the solver, HiGHS's search) is not raised there, where it
    once escaped Pyomo's output capture as a traceback: it is noted on the solve's Stop, which HiGHS watches
    (optimizer/solving/stopping.py), and raised as KeyboardInterrupt once the solver has returned."""
    noted = []

    def solve_receiving_ctrl_c(*args, **kwargs):
        stop = args[-1]
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(1000):  # the signal is handled between two bytecodes
            if stop.interrupted:
                break
            time.sleep(0.001)
        noted.append(stop.interrupted)
        return SolveResult(ERROR, "interrupted", message="the solver stopped (interrupted) without a plan")

    monkeypatch.setattr(solve, "_solve", solve_receiving_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        solve.solve_model(None, 0.0, 1.0)
    assert noted == [True]  # noted, not raised inside the solve
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored
