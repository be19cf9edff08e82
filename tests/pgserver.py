"""A throwaway PostgreSQL server on loopback, in a temporary folder, that a test may stop and start again.

Started as the postgres user when the tests run as root. ``start`` skips the
test (pytest.skip) where psycopg or the server binaries are missing.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest


def _binaries() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    """One cluster: ``url`` to reach it, ``stop()`` and ``start()`` as often as a test likes."""

    def __init__(self) -> None:
        pytest.importorskip("psycopg", reason="psycopg is not installed (pip install -e '.[test]')")
        self.binaries = _binaries()
        if self.binaries is None:
            pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed: apt-get install postgresql")
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            if shutil.which("runuser") is None or subprocess.run(["id", "postgres"], capture_output=True).returncode:
                pytest.skip("running as root without a postgres user to start the server as")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.folder = Path(tempfile.mkdtemp(prefix="history-pg-"))
        if self.as_user:
            shutil.chown(self.folder, "postgres")
        self.cluster, self.port = self.folder / "cluster", _free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        try:
            self._run("initdb", "-D", str(self.cluster), "-U", "postgres", "--auth=trust", "-E", "UTF8")
            self.start()
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            shutil.rmtree(self.folder, ignore_errors=True)
            pytest.skip(f"a throwaway PostgreSQL server could not be started: {exc}")

    def _run(self, program: str, *arguments: str) -> None:
        subprocess.run(self.as_user + [str(self.binaries / program), *arguments], check=True, capture_output=True,
                       timeout=120)

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.cluster), "-l", str(self.folder / "log"), "-w", "-t", "60", "-o",
                  f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.cluster), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        subprocess.run(self.as_user + [str(self.binaries / "pg_ctl"), "-D", str(self.cluster), "-m", "immediate",
                                       "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.folder, ignore_errors=True)
