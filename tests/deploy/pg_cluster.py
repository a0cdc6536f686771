"""A throwaway PostgreSQL cluster (initdb, pg_ctl, psql), for tests that need server settings
pgserver's own manager does not expose: WAL archiving (pgserver's binaries) and TLS
(Debian's server binaries: pgserver's build has no SSL, "SSL is not supported by this build")."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from pgserver._commands import POSTGRES_BIN_PATH

from tests.s3server import free_port


def as_server_user() -> dict[str, Any]:
    """initdb refuses root: run the server's side as pgserver's own system user then."""
    if os.geteuid() != 0:
        return {}
    from pgserver.utils import ensure_user_exists

    ensure_user_exists("pgserver")
    return {"user": "pgserver", "group": "pgserver"}


def debian_server_bin() -> Path | None:
    """The newest Debian PostgreSQL server's binaries (tests/ensure_postgres.sh installs it)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parts[-3])
    )
    return found[-1].parent if found else None


class Cluster:
    def __init__(
        self, root: Path, env: dict[str, str], *, bin_dir: Path = POSTGRES_BIN_PATH
    ) -> None:
        self.root, self.env, self.bin = root, env, bin_dir
        self.data = root / "data"
        self.port = free_port()
        self.user = as_server_user()
        # libpq settings (pitr.py base-backup runs pg_basebackup)
        self.env |= {"PGHOST": "127.0.0.1", "PGPORT": str(self.port), "PGUSER": "postgres"}

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(args), env=self.env, capture_output=True, text=True,
                              check=check, timeout=300, **self.user)  # fmt: skip

    def start(self, options: str = "", *initdb: str) -> None:
        self.run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                 *(initdb or ("--auth=trust",)))  # fmt: skip
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 {options}"
        log = self.root / "server.log"
        started = self.run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options,
                           "-l", str(log), "-w", "start", check=False)  # fmt: skip
        if started.returncode != 0:
            raise RuntimeError(f"the server did not start: {log.read_text()[-3000:]}")

    def stop(self) -> None:
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w",
                 "stop", check=False)  # fmt: skip

    def sql(self, query: str, database: str = "pitwall") -> str:
        return self.run(str(self.bin / "psql"), "-h", "127.0.0.1", "-p",
                        str(self.port), "-U", "postgres", "-d", database, "-AtXc",
                        query).stdout.strip()  # fmt: skip
