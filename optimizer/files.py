"""Atomic file writes: a result is published whole or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable


def write_atomically(path: Path, write: Callable[[Path], None],
                     verify: Callable[[Path], None] | None = None) -> None:
    """Write ``path`` through a temporary file in the same folder, then rename it into place.

    ``write`` fills the temporary file; ``verify`` may inspect it and raise to
    abandon it. A crash at any point leaves either the old file or the new one,
    never half a file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp.xlsx", dir=path.parent)
    os.close(handle)
    temporary_path = Path(temporary)
    try:
        write(temporary_path)
        with open(temporary_path, "rb") as written:
            os.fsync(written.fileno())
        if verify is not None:
            verify(temporary_path)
        os.replace(temporary_path, path)
    finally:
        temporary_path.unlink(missing_ok=True)
