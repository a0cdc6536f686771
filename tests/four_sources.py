"""The four sources on loopback, and ``kedro run`` in subprocesses against them.

One :class:`Platform` holds a lake (local or on moto's S3), a CSV landing zone with the sample
feeds, the sandbox partner API, the sandbox website and an Assetto Corsa landing zone with a
recorded session, plus the environment a ``kedro run`` needs to use them. With ``landing_uri``
the three landing zones are prefixes of a bucket (``<landing_uri>/{csv,scraper,assetto}``):
inputs are staged in the local folders, then :meth:`Platform.publish` uploads the new ones,
as a feed drop and the capture daemons' ``--upload`` would; crawls publish their own feeds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from pitwall.assetto.demo import record_demo_session
from pitwall.lake.delta import open_table, read_table
from pitwall.lake.layout import Lake
from sandbox.partner_api import SandboxCredentials, serve_partner_api
from sandbox.website import serve_website

REPO_ROOT = Path(__file__).resolve().parents[1]
INGESTS = ("ingest_csv", "ingest_api", "ingest_scraper", "ingest_assetto")
API_SIZES = {"events": 30, "entries": 60, "results": 60, "weather": 60, "standings": 30}
API_PATHS = ("/v1/events", "/v1/entries", "/v1/results", "/v1/standings", "/public/v1/weather")


@dataclass
class Platform:
    root: Path
    lake: Lake
    api_url: str
    website_url: str
    env: dict[str, str] = field(default_factory=dict)
    landing_uri: str | None = None
    published: set[str] = field(default_factory=set)

    @property
    def csv_landing(self) -> Path:
        return self.root / "landing" / "csv"

    @property
    def assetto_landing(self) -> Path:
        return self.root / "landing" / "assetto"

    def landing(self, source: str) -> str:
        """Where ``kedro run`` reads a source's landing zone (``PITWALL_<SOURCE>_LANDING``)."""
        return self.env[f"PITWALL_{source.upper()}_LANDING"]

    def _s3(self) -> object:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.env["AWS_ENDPOINT_URL"],
            aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"],
            region_name=self.env["AWS_REGION"],
        )

    def bucket_keys(self, source: str) -> list[str]:
        """Bucket landing zones: the keys under a source's prefix, relative to it."""
        assert self.landing_uri is not None
        bucket, _, prefix = self.landing_uri.removeprefix("s3://").partition("/")
        base = f"{prefix}/{source}/".lstrip("/")
        pages = self._s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=base)  # type: ignore[attr-defined]
        return sorted(o["Key"][len(base) :] for page in pages for o in page.get("Contents", []))

    def publish(self) -> int:
        """Bucket landing zones: upload the staged CSV and capture files not uploaded yet
        (hidden files, such as the daemons' locks, stay local). Returns how many."""
        if self.landing_uri is None:
            return 0
        client = self._s3()
        bucket, _, prefix = self.landing_uri.removeprefix("s3://").partition("/")
        sent = 0
        for source, folder in (("csv", self.csv_landing), ("assetto", self.assetto_landing)):
            for path in sorted(folder.rglob("*")):
                rel = path.relative_to(folder)
                if not path.is_file() or any(p.startswith(".") for p in rel.parts):
                    continue
                key = f"{prefix}/{source}/{rel.as_posix()}".lstrip("/")
                if key not in self.published:
                    client.upload_file(str(path), bucket, key)  # type: ignore[attr-defined]
                    self.published.add(key)
                    sent += 1
        return sent

    def start(self, pipeline: str) -> subprocess.Popen[str]:
        """``kedro run --pipeline <pipeline>`` in a subprocess, against this platform."""
        return subprocess.Popen(
            [sys.executable, "-m", "kedro", "run", "--pipeline", pipeline],
            cwd=REPO_ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def run(self, *pipelines: str) -> None:
        """Run pipelines one after another; any failure fails with its output."""
        for pipeline in pipelines:
            proc = self.start(pipeline)
            output, _ = proc.communicate(timeout=600)
            assert proc.returncode == 0, f"{pipeline} failed:\n{output[-6000:]}"

    def api_stats(self) -> dict:
        return httpx.get(f"{self.api_url}/admin/stats").json()

    def touch(self, resource: str, count: int) -> list[str]:
        reply = httpx.post(f"{self.api_url}/admin/touch/{resource}", params={"count": count})
        return list(reply.raise_for_status().json()["updated"])

    def record_session(self, name: str) -> None:
        """A short recorded Assetto Corsa session (game and server) under ``name/``."""
        record_demo_session(
            self.assetto_landing / name,
            seconds=4,
            cars=2,
            track="ks_brands_hatch",
            practice=False,
            race_laps=1,
            rigs=1,
        )

    def add_csv_file(self, feed: str, name: str, body: str) -> None:
        path = self.csv_landing / feed / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)

    def table(self, layer: str, name: str) -> object:
        return read_table(
            self.lake.table_uri(layer, name), storage_options=self.lake.storage_options
        )  # type: ignore[arg-type]

    def tables(self, layer: str) -> list[str]:
        return self.lake.list_tables(layer)  # type: ignore[arg-type]

    def version(self, layer: str, name: str) -> int | None:
        table = open_table(
            self.lake.table_uri(layer, name), storage_options=self.lake.storage_options
        )  # type: ignore[arg-type]
        return None if table is None else table.version()


@contextmanager
def running_platform(
    root: Path,
    *,
    lake_uri: str | None = None,
    landing_uri: str | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[Platform]:
    """The four sources served on loopback, with sample inputs in their landing zones (local
    folders under ``root``, or prefixes of ``landing_uri``: an ``s3://`` URI, with the
    ``AWS_*`` settings in ``extra_env``)."""
    creds = SandboxCredentials.random()
    with ExitStack() as stack:
        api = stack.enter_context(serve_partner_api(0, credentials=creds, sizes=API_SIZES))
        website = stack.enter_context(serve_website(pages=12))
        lake_root = lake_uri or str(root / "lake")
        landing = landing_uri.rstrip("/") if landing_uri else str(root / "landing")
        env = {
            **os.environ,
            **dict(extra_env or {}),
            **creds.as_env(),
            "PITWALL_LAKE_URI": lake_root,
            "PITWALL_CSV_LANDING": f"{landing}/csv",
            "PITWALL_ASSETTO_LANDING": f"{landing}/assetto",
            "PITWALL_SCRAPER_LANDING": f"{landing}/scraper",
            "PITWALL_PARTNER_API_URL": api,
            "PITWALL_WEBSITE_URL": website,
            "PYTHONWARNINGS": "ignore",
            "COLUMNS": "200",  # wide tracebacks from the runs
        }
        from pitwall.lake.layout import get_lake

        saved = dict(os.environ)
        os.environ.update(env)
        try:
            lake = get_lake(lake_root)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        platform = Platform(root, lake, api, website, env, landing_uri=landing_uri)
        shutil.copytree(REPO_ROOT / "data" / "samples" / "csv", platform.csv_landing)
        platform.record_session("first")
        platform.publish()
        yield platform
