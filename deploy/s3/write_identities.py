"""SeaweedFS's S3 identities (``deploy/env/s3.json``, git-ignored) from the env file.

    uv run python deploy/s3/write_identities.py deploy/env/pitwall.env deploy/env/s3.json

Four identities, least privilege: the store's admin (``S3_ADMIN_*``, used by the
``s3-init`` job only), the apps' lake user (``AWS_ACCESS_KEY_ID``: read, write and list the
lake bucket only), the dashboards' reader (``PITWALL_READER_AWS_ACCESS_KEY_ID``: read and list
the lake bucket's ``lake/`` prefix only, see docs/security.md) and the backup user
(``PITWALL_BACKUP_ACCESS_KEY_ID``: the backup bucket only). Written mode 0600: it holds
secrets. Secrets that are empty or still the template's ``change-me`` are refused (exit 2,
naming them).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pitwall.production import find_template_secrets

SECRETS = (
    "S3_ADMIN_SECRET_ACCESS_KEY",
    "AWS_SECRET_ACCESS_KEY",
    "PITWALL_READER_AWS_SECRET_ACCESS_KEY",
    "PITWALL_BACKUP_SECRET_ACCESS_KEY",
)


def read_env_file(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def identities(env: dict[str, str]) -> dict[str, Any]:
    def scoped(bucket: str) -> list[str]:
        return [f"Read:{bucket}", f"Write:{bucket}", f"List:{bucket}", f"Tagging:{bucket}"]

    def identity(name: str, key: str, secret: str, actions: list[str]) -> dict[str, Any]:
        credentials = [{"accessKey": env[key], "secretKey": env[secret]}]
        return {"name": name, "credentials": credentials, "actions": actions}

    return {
        "identities": [
            identity("admin", "S3_ADMIN_ACCESS_KEY_ID", "S3_ADMIN_SECRET_ACCESS_KEY",
                     ["Admin", "Read", "Write", "List", "Tagging"]),
            identity("lake", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                     scoped(env["PITWALL_LAKE_BUCKET"])),
            identity("reader", "PITWALL_READER_AWS_ACCESS_KEY_ID",
                     "PITWALL_READER_AWS_SECRET_ACCESS_KEY",
                     [f"Read:{env['PITWALL_LAKE_BUCKET']}/lake",
                      f"List:{env['PITWALL_LAKE_BUCKET']}/lake"]),
            identity("backup", "PITWALL_BACKUP_ACCESS_KEY_ID",
                     "PITWALL_BACKUP_SECRET_ACCESS_KEY", scoped(env["PITWALL_BACKUP_BUCKET"])),
        ]
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("env_file", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    env = read_env_file(args.env_file)
    offending = find_template_secrets({k: env.get(k, "") for k in SECRETS}, required=SECRETS)
    if offending:
        names = ", ".join(offending)
        print(f"empty or template secrets in {args.env_file}: {names}", file=sys.stderr)
        return 2
    args.out.write_text(json.dumps(identities(env), indent=2) + "\n")
    args.out.chmod(0o600)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
