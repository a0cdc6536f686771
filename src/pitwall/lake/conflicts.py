"""Commits that lose a race with a concurrent writer are retried, a bounded number of times.

delta-rs already retries a commit whose version was taken when the winning commit does not
conflict with it (two blind appends). What it cannot retry is a real conflict: a MERGE or a
predicate overwrite that read files a concurrent commit changed, or two commits of the same
application transaction (``txn``) id. Those raise ``CommitFailedError``; the whole operation
(read the snapshot, decide, write) is then run again on the new snapshot, which is what
:func:`retry_on_conflict` does, with an exponential backoff and jitter (stamina).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import stamina
from deltalake.exceptions import CommitFailedError

log = logging.getLogger(__name__)

CONFLICTS: tuple[type[Exception], ...] = (CommitFailedError,)
ATTEMPTS = 15
WAIT_INITIAL_S = 0.05
WAIT_MAX_S = 2.0
TIMEOUT_S = 180.0


def _is_conflict(exc: Exception) -> bool:
    if isinstance(exc, CONFLICTS):
        log.info("commit conflict, retrying on the new snapshot: %s", exc)
        return True
    return False


def retry_on_conflict(*, attempts: int = ATTEMPTS) -> Iterator[stamina.Attempt]:
    """Attempts of a read-decide-commit operation: ``for attempt in retry_on_conflict(): with
    attempt: ...``. Non-conflict errors propagate at once."""
    attempts_ = stamina.retry_context(
        on=_is_conflict,
        attempts=attempts,
        timeout=TIMEOUT_S,
        wait_initial=WAIT_INITIAL_S,
        wait_max=WAIT_MAX_S,
        wait_jitter=WAIT_INITIAL_S * 4,
    )
    return iter(attempts_)
