"""A per-capture lock file, held while the daemon runs, so recovery can tell dead captures.

The OS releases the lock when the process dies (even by SIGKILL), which a pid file cannot
guarantee (pids are reused). POSIX uses ``fcntl.flock``; Windows ``msvcrt.locking``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

__all__ = ["CaptureLock", "is_locked"]

if os.name == "nt":  # pragma: no cover - exercised on Windows rigs only
    import msvcrt

    def _try_lock(handle: IO[bytes]) -> bool:
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def _try_lock(handle: IO[bytes]) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True


class CaptureLock:
    """Exclusive lock ``<root>/.locks/<capture_id>.lock`` held for the life of a capture."""

    def __init__(self, root: Path, capture_id: str) -> None:
        self.path = root / ".locks" / f"{capture_id}.lock"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle: IO[bytes] | None = open(self.path, "a+b")  # noqa: SIM115 - held open on purpose
        if not _try_lock(self._handle):
            self._handle.close()
            raise RuntimeError(f"capture {capture_id} is already running")

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
            self.path.unlink(missing_ok=True)


def is_locked(root: Path, capture_id: str) -> bool:
    """True while a live process holds the capture's lock."""
    path = root / ".locks" / f"{capture_id}.lock"
    if not path.exists():
        return False
    with open(path, "a+b") as handle:
        return not _try_lock(handle)
