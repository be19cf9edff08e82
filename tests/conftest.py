"""Every test gets its own run history (optimizer/history.py), so no test reads another's runs
and none writes into the project's outputs/ folder."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_run_history(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTIMIZE_HISTORY_DB", str(tmp_path / "history.sqlite"))
