"""PostgreSQL mirror of the lake: server, roles, binary COPY, incremental mirror, status.

The Kedro dataset lives in :mod:`pitwall.postgres.dataset` (kept out of this package's
imports: Kedro is slow to import for the CLI and subprocesses).
"""

from pitwall.postgres.mirror import MirrorError, TableSummary, mirror_lake
from pitwall.postgres.options import MirrorOptions, read_mirror_options
from pitwall.postgres.server import loader_dsn, reader_dsn, resolve_admin_dsn
from pitwall.postgres.status import TableStatus, read_status

__all__ = [
    "MirrorError",
    "MirrorOptions",
    "TableStatus",
    "TableSummary",
    "loader_dsn",
    "mirror_lake",
    "read_mirror_options",
    "read_status",
    "reader_dsn",
    "resolve_admin_dsn",
]
