"""Create Pitwall's least-privilege PostgreSQL roles and schemas (the compose `pg-init` job).

It runs the project's own bootstrap, ``pitwall.postgres.roles.ensure_roles``, with the admin DSN
in ``PITWALL_PG_DSN`` and the login roles' passwords in ``PITWALL_PG_LOADER_PASSWORD`` and
``PITWALL_PG_READER_PASSWORD`` (from the env file). Idempotent: it runs at every ``up``. The
admin must be a superuser (the event trigger that refuses grants to PUBLIC needs one). In
production mode (``PITWALL_ENV=production``) it refuses template or empty secrets, naming them.

    python deploy/postgres/init_roles.py
"""

from __future__ import annotations

import logging
import os
import sys

from pitwall.postgres.credentials import read_role_passwords
from pitwall.postgres.roles import ROLE_NAMES, ensure_roles
from pitwall.production import TemplateSecretError, require_real_secrets
from pitwall.settings import get_settings

REQUIRED = ("PITWALL_PG_DSN", "PITWALL_PG_LOADER_PASSWORD", "PITWALL_PG_READER_PASSWORD")

log = logging.getLogger("init_roles")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # In a container the passwords must come from the env file: never generated ones that
    # would live and die with the container's filesystem.
    missing = [name for name in REQUIRED if not os.environ.get(name)]
    if missing:
        log.error("missing environment variables: %s", ", ".join(missing))
        return 2
    try:
        require_real_secrets(required=REQUIRED)
    except TemplateSecretError as exc:
        log.error("%s", exc)
        return 2
    ensure_roles(get_settings().pg_dsn, passwords=read_role_passwords())
    log.info("roles ready: %s", ", ".join(sorted(ROLE_NAMES.values())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
