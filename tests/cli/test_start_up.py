"""What a plain run imports: only what it uses (docs/performance.md, "Start-up").

``optimize run INPUT --no-history`` in a fresh process, then the modules it loaded. A plain run never needs
Pyomo's plugin registry (``pyomo.environ``: every solver interface and transformation Pyomo ships), the
schedule's APScheduler, the history's SQLAlchemy, Dask, nor the other commands' modules (the studies and
their workbooks, the template, the watch and the schedule).

How a run starts and ends: its imports made without the garbage collector and then frozen for the run (docs/
performance.md, "the collector, the write's texts"), and a finished run leaving without Python's teardown.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from workbooks import base_sheets, write_workbook

ROOT = Path(__file__).resolve().parents[2]

NOT_FOR_A_RUN = ("pyomo.environ", "apscheduler", "sqlalchemy", "dask", "distributed", "optimizer.studies.sweep",
                 "optimizer.studies.sweep_report", "optimizer.studies.stress_report", "optimizer.reporting.studybook",
                 "optimizer.intake.template", "optimizer.replan.schedule", "optimizer.replan.watch",
                 "optimizer.replan.history")

# Runs the CLI in this process, then prints which of NOT_FOR_A_RUN it imported.
CHILD = """
import sys
from optimizer.cli import main
try:
    main([*sys.argv[2:]], standalone_mode=False)
finally:
    print("imported:", sorted(name for name in sys.argv[1].split(",") if name in sys.modules))
"""


def test_a_plain_run_imports_nothing_it_does_not_use(tmp_path):
    source = write_workbook(tmp_path / "small.xlsx", base_sheets())
    completed = subprocess.run([sys.executable, "-c", CHILD, ",".join(NOT_FOR_A_RUN), "run", str(source),
                                "--no-history", "--output", str(tmp_path / "plan.xlsx")],
                               cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    assert (tmp_path / "plan.xlsx").exists()
    assert "imported: []" in completed.stdout


def test_the_other_commands_still_find_what_they_import():
    """Each command imports its own modules when it runs: ``--help`` of each, in this process, and the names
    they import resolve."""
    from click.testing import CliRunner

    from optimizer.cli import main

    for command in ("run", "generate", "template", "sweep", "stress", "watch", "schedule", "history", "diff"):
        result = CliRunner().invoke(main, [command, "--help"])
        assert result.exit_code == 0, result.output
    from optimizer.intake.template import write_template  # noqa: F401
    from optimizer.replan.schedule import Schedule, make_trigger  # noqa: F401
    from optimizer.replan.watch import Watch  # noqa: F401
    from optimizer.reporting.studybook import refuse_overwriting  # noqa: F401
    from optimizer.studies.stress import prepare_stress, stress_test  # noqa: F401
    from optimizer.studies.stress_report import WORST_SAMPLES, against_plan, write_stress_workbook  # noqa: F401
    from optimizer.studies.sweep import prepare_sweep, sweep, variations_from_options  # noqa: F401
    from optimizer.studies.sweep_report import write_sweep_workbook  # noqa: F401


# Runs the CLI as the process's own command line (``main()``, no args: as the ``optimize`` script does), with an
# exit handler and an object left to the interpreter's teardown, each of which notes that it ran.
AS_A_PROCESS = """
import atexit, gc, sys
from pathlib import Path
notes = Path(sys.argv[1])

class Left:
    def __init__(self, write):
        self.write = write

    def __del__(self):
        self.write("yes")

left = Left((notes / "torn_down").write_text)
atexit.register(lambda: (notes / "exit_handler").write_text("yes"))
atexit.register(lambda: (notes / "collector").write_text(f"{gc.get_freeze_count()} {gc.isenabled()}"))
sys.argv = ["optimize", *sys.argv[2:]]
from optimizer.cli import main
main()
"""


def _as_a_process(tmp_path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", AS_A_PROCESS, str(tmp_path), *arguments], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_a_finished_run_leaves_at_once_after_its_exit_handlers(tmp_path):
    source = write_workbook(tmp_path / "small.xlsx", base_sheets())
    completed = _as_a_process(tmp_path, "run", str(source), "--no-history", "--output", str(tmp_path / "plan.xlsx"))
    assert completed.returncode == 0, completed.stderr
    assert "plan written to" in completed.stderr  # the output flushed before the process ended
    assert (tmp_path / "plan.xlsx").exists()
    assert (tmp_path / "exit_handler").exists()
    assert not (tmp_path / "torn_down").exists()  # no teardown: what was left is never finalised


def test_a_refused_run_exits_as_usual(tmp_path):
    completed = _as_a_process(tmp_path, "run", str(tmp_path / "missing.xlsx"), "--no-history")
    assert completed.returncode == 2
    assert (tmp_path / "exit_handler").exists()
    assert (tmp_path / "torn_down").exists()


def test_a_finished_run_leaves_its_history_whole_in_one_file(tmp_path):
    """The quick exit skips the teardown that used to close the history's SQLite connections; the run closes
    them itself, so SQLite's write-ahead log is checkpointed into ``history.sqlite`` and removed: the file alone
    (copied, mailed, backed up) holds every run."""
    source = write_workbook(tmp_path / "small.xlsx", base_sheets())
    completed = _as_a_process(tmp_path, "run", str(source), "--db", str(tmp_path / "history.sqlite"),
                              "--outputs-dir", str(tmp_path))
    assert completed.returncode == 0, completed.stderr
    assert (tmp_path / "history.sqlite").exists()
    assert not (tmp_path / "history.sqlite-wal").exists()


# Imports the CLI in a fresh process, counting the collector's runs while it does; the CLI's own module compiled
# first (where no bytecode may be written it is compiled on import, before its first line runs).
IMPORTS_COLLECTED = """
import gc, importlib.util, py_compile
spec = importlib.util.find_spec("optimizer.cli")
py_compile.compile(spec.origin, cfile=spec.cached)
collections = []
gc.callbacks.append(lambda phase, info: collections.append(info["generation"]) if phase == "start" else None)
import optimizer.cli
print("collections:", len(collections), "collecting:", gc.isenabled())
"""


def test_the_imports_make_no_collection_and_leave_the_collector_on(tmp_path):
    """The CLI's imports (about 90,000 objects that live as long as the process) run without the collector,
    which scanned them over and over while they were made; it is on again after them."""
    completed = subprocess.run([sys.executable, "-c", IMPORTS_COLLECTED], cwd=ROOT, capture_output=True, text=True,
                               timeout=300, env={**os.environ, "PYTHONPYCACHEPREFIX": str(tmp_path)})
    assert completed.returncode == 0, completed.stderr
    assert "collections: 0 collecting: True" in completed.stdout


def test_a_run_sets_what_its_imports_made_apart_from_the_collector(tmp_path):
    """As the process's own command line, the objects its imports made are frozen (out of every collection's
    scan) for the whole run, and the collector stays on for what the run itself makes; a command that exits as
    usual unfreezes them first, so that the teardown finalises them as before."""
    source = write_workbook(tmp_path / "small.xlsx", base_sheets())
    completed = _as_a_process(tmp_path, "run", str(source), "--no-history", "--output", str(tmp_path / "plan.xlsx"))
    assert completed.returncode == 0, completed.stderr
    frozen, collecting = (tmp_path / "collector").read_text().split()
    assert int(frozen) > 10_000  # the modules, classes and functions of the imports (about 90,000)
    assert collecting == "True"
    completed = _as_a_process(tmp_path, "validate", str(source))
    assert completed.returncode == 0, completed.stderr
    assert (tmp_path / "collector").read_text() == "0 True"
    assert (tmp_path / "torn_down").exists()
