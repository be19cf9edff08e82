"""Run the ``optimize`` command line in-process, arguments given as paths or numbers."""

from __future__ import annotations

from click.testing import CliRunner, Result

from optimizer.cli import main


def invoke(*args) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])
