"""The demo's job: seed the landing zone, record telemetry, the environment of ``kedro run``."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import yaml

from sandbox.demo.services import Sandbox

# Upstream warnings a user can do nothing about: Kedro calls an omegaconf API deprecated
# upstream; authlib warns that it falls back to httpx (we use httpx on purpose).
QUIET_WARNINGS = ",".join(
    (
        "ignore:register_new_resolver() is deprecated",
        "ignore:The httpx module is deprecated",
    )
)


def seed_landing(home: Path) -> int:
    """Copy the committed sample CSVs into the landing zone (what a partner would drop there)."""
    samples = home / "data" / "samples" / "csv"
    landing = home / "data" / "landing" / "csv"
    copied = 0
    for src in sorted(samples.rglob("*")):
        if src.is_file():
            target = landing / src.relative_to(samples)
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, target)
                copied += 1
    return copied


def record_telemetry(home: Path, *, seconds: float) -> dict[str, Any]:
    """Run both Assetto Corsa simulators into capture daemons writing to the landing zone."""
    from pitwall.assetto.demo import record_demo_session

    return record_demo_session(home / "data" / "landing", seconds=seconds)


def write_sandbox_credentials(home: Path) -> Path:
    """Put the sandbox partner API's demo credentials in the git-ignored
    ``conf/local/credentials.yml`` (keeping what is there), so a plain ``kedro run`` works."""
    from sandbox.partner_api import SandboxCredentials

    path = home / "conf" / "local" / "credentials.yml"
    current = (yaml.safe_load(path.read_text()) if path.exists() else None) or {}
    demo = SandboxCredentials()
    partner = current.setdefault("partner_api", {})
    partner.setdefault("client_id", demo.client_id)
    partner.setdefault("client_secret", demo.client_secret)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(current, sort_keys=True))
    path.chmod(0o600)
    return path


def kedro_env(sandbox: Sandbox) -> dict[str, str]:
    """The environment of the demo's children: the sandbox's URLs and PostgreSQL, no telemetry,
    no upstream warnings."""
    env = dict(os.environ)
    env.update(
        {
            "PITWALL_PARTNER_API_URL": sandbox.partner_api,
            "PITWALL_WEBSITE_URL": sandbox.website,
            "PITWALL_PG_DSN": env.get("PITWALL_PG_DSN") or sandbox.pg_dsn,
            "KEDRO_DISABLE_TELEMETRY": "true",
            "DO_NOT_TRACK": "1",
            "PYTHONWARNINGS": QUIET_WARNINGS,
        }
    )
    return env
