"""Atomic file writes: a result is published whole or not at all.

A result is written to a hidden temporary file beside it, ``.<name>.<pid>.<random>.tmp.xlsx``,
flushed to disk, then renamed over the target in one step. A run killed part way
(SIGKILL, power loss) leaves the old file untouched and at most its temporary
file, which the next write into that folder removes once the process that made
it is gone. A folder that cannot be written gives ``CannotWrite`` with the
reason, before any work when ``check_writable`` is asked first.
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Callable


TEMPORARY_SUFFIX = ".tmp.xlsx"


class CannotWrite(Exception):
    """The result cannot be written where asked (a missing or read-only folder, a full disk...)."""

    def __init__(self, path: Path, reason: OSError):
        super().__init__(f"cannot write {path} ({reason.strerror or reason}); no file was changed")
        self.path = path
        self.reason = reason


def check_writable(path: Path) -> None:
    """Raise ``CannotWrite`` unless a file can be created beside ``path`` (asked before long work)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(prefix=f".{path.stem}.{os.getpid()}.", suffix=TEMPORARY_SUFFIX,
                                         dir=path.parent)
        os.close(handle)
        os.unlink(probe)
    except OSError as reason:
        raise CannotWrite(path, reason) from reason


def write_atomically(path: Path, write: Callable[[Path], None],
                     verify: Callable[[Path], None] | None = None) -> None:
    """Write ``path`` through a temporary file in the same folder, then rename it into place.

    ``write`` fills the temporary file; ``verify`` may inspect it and raise to
    abandon it. A crash at any point leaves either the old file or the new one,
    never half a file. Any OSError (a full disk, a read-only folder) becomes
    ``CannotWrite``, with the old file untouched and no temporary file left. The
    file gets the permissions the umask allows, as a file any editor saves.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(path.parent)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}.{os.getpid()}.", suffix=TEMPORARY_SUFFIX,
                                             dir=path.parent)
        os.close(handle)
    except OSError as reason:
        raise CannotWrite(path, reason) from reason
    temporary_path = Path(temporary)
    try:
        # mkstemp makes the file 0600; the published file is anyone's file: what the umask allows (0644 under 022)
        os.chmod(temporary_path, 0o666 & ~current_umask())
    except OSError as reason:
        temporary_path.unlink(missing_ok=True)
        raise CannotWrite(path, reason) from reason
    try:
        write(temporary_path)
        with open(temporary_path, "rb") as written:
            os.fsync(written.fileno())
        if verify is not None:
            verify(temporary_path)
        os.replace(temporary_path, path)
        release_name(path)  # the name is taken by the file itself now
        _sync_folder(path.parent)
    except OSError as reason:
        _let_go(reason)
        raise CannotWrite(path, reason) from reason
    except BaseException as failure:  # Ctrl-C while writing, a plan that failed its check
        _let_go(failure)
        raise
    finally:
        temporary_path.unlink(missing_ok=True)


def current_umask() -> int:
    """The process's umask, read without changing it where /proc allows (other threads may be writing)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # no /proc: read it by setting it, and put it back at once
    os.umask(mask)
    return mask


def _let_go(failure: BaseException) -> None:
    """Finish the objects of a failed write now, quietly.

    The writer's half-written zip and sheet streams stay alive in the frames of
    the failure's traceback; collected later, each says again that its file is
    full or closed ("Exception ignored in ..."), a dozen lines after the one
    message that matters. Their frames are cleared here, with those messages muted.
    """
    previous = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None
    try:
        traceback.clear_frames(failure.__traceback__)
        gc.collect()
    finally:
        sys.unraisablehook = previous


RESERVED_SUFFIX = ".reserved"
# A claim is written with its pid at once; an empty one this old was left by a run that died between the
# two steps, or by a full disk before versions that withdraw their claim.
EMPTY_CLAIM_S = 60.0


def _reservation(path: Path) -> Path:
    return path.with_name(f".{path.name}{RESERVED_SUFFIX}")


def reserve_name(path: Path) -> bool:
    """Claim the name ``path`` for a file written later (atomic: O_EXCL); False when it is taken.

    ``CannotWrite`` (naming ``path``) when the claim cannot be written, a full disk: no claim is left.

    Two runs choosing an output name at once can then never pick the same one:
    the hidden ``.<name>.reserved`` file (holding the claimant's pid) marks it
    until the file is written (``write_atomically`` releases it) or the run
    gives up (``release_name``).
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(_reservation(path), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    except OSError:
        return True  # an unwritable folder: nothing to claim, and writing there fails with CannotWrite
    try:
        with os.fdopen(descriptor, "w") as reservation:
            reservation.write(str(os.getpid()))
    except OSError as reason:  # a full disk: the claim is withdrawn, the run told where it could not write
        release_name(path)
        raise CannotWrite(path, reason) from reason
    if path.exists():  # written and released by another run since the caller looked
        release_name(path)
        return False
    return True


def release_name(path: Path) -> None:
    """Give up the claim ``reserve_name`` made on ``path`` (nothing when there is none)."""
    _reservation(path).unlink(missing_ok=True)


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Remove the temporary files that killed runs left in ``folder``; those of live processes stay."""
    removed = []
    if os.name != "posix":  # os.kill(pid, 0) would end the process on Windows
        return removed
    for candidate in folder.glob(f".*{TEMPORARY_SUFFIX}"):
        parts = candidate.name[: -len(TEMPORARY_SUFFIX)].rsplit(".", 2)  # ".<name>", "<pid>", "<random>"
        if len(parts) != 3 or not parts[1].isdigit() or _alive(int(parts[1])):
            continue
        try:
            candidate.unlink()
            removed.append(candidate)
        except OSError:
            pass  # another run cleaned it, or the folder is read-only: harmless
    for candidate in folder.glob(f".*{RESERVED_SUFFIX}"):  # names claimed by runs that were killed
        try:
            pid = candidate.read_text().strip()
            if (pid.isdigit() and not _alive(int(pid))) or (not pid and _older_than(candidate, EMPTY_CLAIM_S)):
                candidate.unlink()
                removed.append(candidate)
        except OSError:
            pass
    return removed


def _older_than(path: Path, seconds: float) -> bool:
    return time.time() - path.stat().st_mtime > seconds


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process (or a number no process has): leave its file alone
    return True


def _sync_folder(folder: Path) -> None:
    """Flush the rename to disk (POSIX), so a power loss keeps the new file, not an empty name."""
    if os.name != "posix":
        return
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems cannot sync a folder; the rename itself is still atomic
    finally:
        os.close(descriptor)
