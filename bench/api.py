"""Read API throughput and latency for a 100-row page of a 1M-row CLEAN table, one uvicorn worker.

Measured in the same run, each server in its own process, the load generator in another:
- api: ``GET /tables/clean/ac_telemetry/rows?limit=100&offset=N`` with a bearer JWT (RS256,
  verified against the sandbox issuer's JWKS), parameter validation, schema-checked query
  building, keyset/offset pagination and the next-cursor envelope;
- baseline (a): a bare FastAPI endpoint running the same DuckDB query on the same catalog and
  returning the rows through FastAPI's default JSON encoding (what most projects ship);
- baseline (b): the same, rows serialised with orjson into a plain Response.
Pages cycle through the first 100 offsets identically for all three.

The load generator speaks HTTP/1.1 over asyncio streams with keep-alive: httpx's per-request
cost caps a client near 700 req/s on one core here, below what the servers do.

Usage: ``uv run python bench/api.py [--requests 1500] [--rounds 3] [--concurrency 8]``.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

# This file is bench/api.py: keep its folder off sys.path so `api` is the read API package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import httpx  # noqa: E402
import numpy as np  # noqa: E402
import typer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ROWS = 1_000_000
PAGE = 100
PAGES = 100
Variant = Literal["api", "a", "b"]
BASELINE_SQL = "SELECT * FROM clean.ac_telemetry LIMIT 100 OFFSET $offset"

app = typer.Typer(add_completion=False)


def telemetry_frame(rows: int) -> object:
    """A CLEAN ``ac_telemetry`` table: 20 laps x 50k samples of plausible channels."""
    import polars as pl

    i = np.arange(rows)
    t0 = datetime(2024, 5, 1, tzinfo=UTC)
    return pl.DataFrame(
        {
            "session_id": np.where(i < rows // 2, "srv-1", "srv-2"),
            "car_id": ((i // 50_000) % 4).astype(np.int32),
            "lap_number": (i // 200_000 + 1).astype(np.int32),
            "ts": pl.datetime_range(
                t0, t0 + timedelta(milliseconds=3 * (rows - 1)), "3ms", eager=True, time_unit="us"
            ),
            "lap_time_ms": (i % 50_000) * 3,
            "distance_m": (i % 50_000) * 0.1,
            "normalized_pos": (i % 50_000) / 50_000,
            "speed_kmh": 150 + 100 * np.sin(i / 500),
            "throttle": (np.sin(i / 300) + 1) / 2,
            "brake": (np.cos(i / 300) + 1) / 2,
            "clutch": np.zeros(rows),
            "steer": np.sin(i / 700),
            "gear": ((i // 2_000) % 6 + 1).astype(np.int32),
            "rpm": 5_000 + 3_000 * np.sin(i / 400),
            "x": np.cos(i / 10_000) * 500,
            "y": np.zeros(rows),
            "z": np.sin(i / 10_000) * 500,
        }
    ).with_columns(pl.col("ts").dt.replace_time_zone("UTC"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------- servers (own process)


def baseline_app(variant: Literal["a", "b"], lake_uri: str) -> object:
    import orjson
    import polars as pl
    from fastapi import FastAPI
    from fastapi.responses import Response

    from api.readers import LakeReader
    from api.settings import ApiSettings
    from pitwall.lake.layout import get_lake

    settings = ApiSettings(lake_uri=lake_uri)
    reader = LakeReader(
        get_lake(lake_uri), cache_max_rows=settings.cache_max_rows, limits=settings.duckdb_limits()
    )
    bare = FastAPI()

    def rows(offset: int) -> list[dict[str, object]]:
        cursor = reader.cursor()
        try:
            arrow = cursor.sql(BASELINE_SQL, params={"offset": offset}).to_arrow_table()
        finally:
            cursor.close()
        return pl.from_arrow(arrow).to_dicts()  # type: ignore[union-attr]

    @bare.get("/ready")
    def ready() -> dict[str, bool]:
        return {"ready": True}

    if variant == "a":
        # no response model: FastAPI's default encoding (jsonable_encoder, then json.dumps)
        @bare.get("/rows", response_model=None)
        def rows_default(offset: int = 0) -> list[dict[str, object]]:
            return rows(offset)

    else:

        @bare.get("/rows")
        def rows_orjson(offset: int = 0) -> Response:
            return Response(orjson.dumps(rows(offset)), media_type="application/json")

    return bare


@app.command(hidden=True)
def serve(variant: str, port: int, lake: str, issuer: Annotated[str, typer.Option()] = "") -> None:
    """Run one variant with uvicorn, one worker, in this process."""
    import uvicorn

    if variant == "api":
        from api.app import create_app
        from api.settings import ApiSettings

        server_app = create_app(ApiSettings(oidc_issuer=issuer, lake_uri=lake, catalog_refresh_s=0))
    else:
        server_app = baseline_app(variant, lake)  # type: ignore[arg-type]
    uvicorn.run(
        server_app,  # type: ignore[arg-type]
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        workers=1,
    )


# ---------------------------------------------------------------- load generator (own process)


async def _load(url: str, paths: list[str], *, concurrency: int, token: str) -> dict[str, object]:
    parts = urlsplit(url)
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    requests = [f"GET {p} HTTP/1.1\r\nHost: {parts.netloc}\r\n{auth}\r\n".encode() for p in paths]
    latencies: list[float] = []
    failures = 0
    next_index = 0

    async def worker() -> None:
        nonlocal next_index, failures
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        while next_index < len(requests):
            request = requests[next_index]
            next_index += 1
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if not head.startswith(b"HTTP/1.1 200"):
                failures += 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    ms = np.array(latencies) * 1000
    return {
        "requests": len(latencies),
        "failures": failures,
        "rps": len(latencies) / elapsed,
        "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)),
    }


@app.command(hidden=True)
def load(
    url: str,
    path_template: str,
    requests: int,
    concurrency: int,
    token: Annotated[str, typer.Option()] = "",
) -> None:
    """Send ``requests`` GETs (offsets cycling over the first pages); print JSON figures."""
    paths = [path_template.format(offset=(n % PAGES) * PAGE) for n in range(requests)]
    result = asyncio.run(_load(url, paths, concurrency=concurrency, token=token))
    print(json.dumps(result))


# ---------------------------------------------------------------- orchestration


def _python(*args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), *args]


@dataclass
class Server:
    variant: Variant
    process: subprocess.Popen[bytes]
    base: str

    @property
    def template(self) -> str:
        if self.variant == "api":
            return "/tables/clean/ac_telemetry/rows?limit=100&offset={offset}"
        return "/rows?offset={offset}"


ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def start_server(variant: Variant, *, lake: str, issuer: str) -> Server:
    port = free_port()
    process = subprocess.Popen(
        _python("serve", variant, str(port), lake, "--issuer", issuer), env=ENV, cwd=ROOT
    )
    return Server(variant, process, f"http://127.0.0.1:{port}")


def wait_ready(server: Server, *, token: str) -> None:
    """Wait for the server, then check one page has the expected 100 rows."""
    deadline = time.monotonic() + 180
    url = server.base + server.template.format(offset=PAGE)
    headers = {"Authorization": f"Bearer {token}"}
    while True:
        try:
            response = httpx.get(url, headers=headers, timeout=30)
            break
        except httpx.TransportError:
            if server.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{server.variant} server did not start") from None
            time.sleep(0.3)
    body = response.json()
    items = body["items"] if server.variant == "api" else body
    assert response.status_code == 200 and len(items) == PAGE, response.text[:300]


def run_load(server: Server, *, token: str, requests: int, concurrency: int) -> dict[str, float]:
    out = subprocess.run(
        _python(
            "load", server.base, server.template, str(requests), str(concurrency), "--token", token
        ),
        env=ENV,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    if figures["failures"]:
        raise RuntimeError(f"{server.variant}: {figures['failures']} failed requests")
    return figures


def main(
    requests: Annotated[int, typer.Option(help="measured requests per variant and round")] = 1500,
    rounds: Annotated[int, typer.Option(help="interleaved rounds; the best one counts")] = 3,
    concurrency: Annotated[int, typer.Option(help="connections of the load generator")] = 8,
) -> None:
    """Build a 1M-row CLEAN table, serve the three variants, load them, print figures and ratios.

    The variants are loaded in interleaved rounds (a, b, api, a, b, api...) and each keeps its
    best round (highest req/s; lowest p50/p99): other work on the machine only ever slows a
    round down, so the best round is the least disturbed one.
    """
    from pitwall.lake.delta import write_table
    from pitwall.lake.layout import get_lake
    from sandbox.oidc import mint_token, serve_oidc

    variants: tuple[Variant, ...] = ("a", "b", "api")
    with tempfile.TemporaryDirectory(prefix="pitwall-bench-api-") as tmp:
        lake = get_lake(str(Path(tmp) / "lake"))
        started = time.perf_counter()
        write_table(telemetry_frame(ROWS), lake.table_uri("clean", "ac_telemetry"))  # type: ignore[arg-type]
        print(f"clean.ac_telemetry: {ROWS:,} rows written in {time.perf_counter() - started:.1f}s")
        with serve_oidc() as issuer:
            token = mint_token(issuer, roles=["reader"])
            servers = [start_server(v, lake=lake.root, issuer=issuer) for v in variants]
            try:
                for server in servers:
                    wait_ready(server, token=token)
                    run_load(server, token=token, requests=300, concurrency=concurrency)  # warm
                runs: dict[str, list[dict[str, float]]] = {v: [] for v in variants}
                for _ in range(rounds):
                    for server in servers:
                        figures = run_load(
                            server, token=token, requests=requests, concurrency=concurrency
                        )
                        runs[server.variant].append(figures)
            finally:
                for server in servers:
                    server.process.terminate()
                for server in servers:
                    server.process.wait(timeout=30)
    best = {
        v: {
            "rps": max(r["rps"] for r in runs[v]),
            "p50_ms": min(r["p50_ms"] for r in runs[v]),
            "p99_ms": min(r["p99_ms"] for r in runs[v]),
        }
        for v in variants
    }
    labels = {
        "api": "read API (auth + validation + pagination, polars JSON)",
        "a": "baseline (a) bare FastAPI, default JSON encoding",
        "b": "baseline (b) bare FastAPI, orjson Response",
    }
    print(
        f"\n100-row pages of a {ROWS:,}-row table, 1 uvicorn worker, {concurrency} connections, "
        f"best of {rounds} interleaved rounds of {requests} requests"
    )
    print(f"{'variant':<58}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}   req/s per round")
    for v in ("api", "a", "b"):
        r = best[v]
        per_round = " ".join(f"{x['rps']:.0f}" for x in runs[v])
        print(
            f"{labels[v]:<58}{r['rps']:>9.0f}{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}   {per_round}"
        )
    api, a, b = best["api"], best["a"], best["b"]
    ratios = [
        ("throughput api / (a)", api["rps"] / a["rps"], ">= 2.0"),
        ("throughput api / (b)", api["rps"] / b["rps"], ">= 0.8"),
        ("p99 api / (b)", api["p99_ms"] / b["p99_ms"], "<= 1.5"),
    ]
    print()
    for name, value, target in ratios:
        print(f"{name:<24}{value:>6.2f}   (target {target})")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("serve", "load"):
        app()  # the server and load-generator processes
    else:
        typer.run(main)
