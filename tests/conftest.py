"""Every test gets its own run history (optimizer/replan/history.py), so no test reads another's runs
and none writes into the project's outputs/ folder. ``search_here``: the main search in the test's process."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_run_history(tmp_path_factory, monkeypatch):
    """Beside the test's tmp_path, not in it: tests that snapshot their folder see only their own files."""
    monkeypatch.setenv("OPTIMIZE_HISTORY_DB", str(tmp_path_factory.mktemp("history") / "history.sqlite"))


@pytest.fixture
def search_here(monkeypatch):
    """The main search run in this process, not in a child killed at the deadline (optimizer/solving/killable.py):
    for tests that spy on the search from inside it, whose notes would stay in the child."""
    import optimizer.solving.highs as solve_module

    monkeypatch.setattr(solve_module, "can_fork", lambda: False)
