"""Every test gets its own run history (optimizer/replan/history.py), so no test reads another's runs
and none writes into the project's outputs/ folder."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_run_history(tmp_path_factory, monkeypatch):
    """Beside the test's tmp_path, not in it: tests that snapshot their folder see only their own files."""
    monkeypatch.setenv("OPTIMIZE_HISTORY_DB", str(tmp_path_factory.mktemp("history") / "history.sqlite"))
