"""Gzip uploads are inflated whole while they stream: truncated, corrupt and bomb files are
refused with a problem body (413 beyond the caps, 422 corrupt), never a 5xx, never stored."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import httpx
import pytest

from tests.api.test_uploads import GOOD, assert_problem, ingester, landing, unique, upload

__all__ = ["ingester"]  # the module-scoped fixture, shared


def _rows(n: int) -> bytes:
    rng = random.Random(15)  # incompressible enough: the damage lands past the first 64 KiB
    body = b"".join(f"e{i},{rng.getrandbits(64):x},{rng.random():.6f}\n".encode() for i in range(n))
    return b"entry_id,driver,lap_time_s\n" + body


def _corrupt_after(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes(b ^ 0x5A for b in data[offset : offset + 64]) + data[offset + 64 :]


def test_whole_gzip_is_accepted(ingester: httpx.Client, api_home: Path) -> None:
    name = unique(".csv.gz")
    response = upload(ingester, name, gzip.compress(_rows(1000)))
    assert response.status_code == 201, response.text
    assert gzip.decompress((landing(api_home) / name).read_bytes()) == _rows(1000)


@pytest.mark.parametrize(
    ("case", "fragment"),
    [
        ("truncated", "truncated gzip"),
        ("corrupt_late", "corrupt gzip"),
        ("corrupt_head", "corrupt gzip"),
        ("garbage_after_magic", "corrupt gzip"),
    ],
)
def test_broken_gzip_is_422(
    ingester: httpx.Client, api_home: Path, case: str, fragment: str
) -> None:
    whole = gzip.compress(_rows(3000), compresslevel=1)
    assert len(whole) > 64 * 1024 / 2  # the damage is beyond what a head check would read
    data = {
        "truncated": whole[: len(whole) - 1000],
        "corrupt_late": _corrupt_after(whole, len(whole) - 2000),
        "corrupt_head": _corrupt_after(whole, 20),
        "garbage_after_magic": b"\x1f\x8b" + bytes(range(256)) * 40,
    }[case]
    name = unique(".csv.gz")
    assert_problem(upload(ingester, name, data), 422, fragment)
    assert not (landing(api_home) / name).exists()


def test_gzip_bomb_is_413(ingester: httpx.Client, api_home: Path) -> None:
    bomb = gzip.compress(GOOD + b"e9,Zed,1.0\n" * (1 << 20), compresslevel=9)  # ~11 MiB inflated
    assert len(bomb) < 64 * 1024  # within the upload size cap: only the expansion cap stops it
    name = unique(".csv.gz")
    assert_problem(upload(ingester, name, bomb), 413, "inflates beyond the cap of 4,194,304")
    assert not (landing(api_home) / name).exists()


def test_empty_gzip_is_422(ingester: httpx.Client, api_home: Path) -> None:
    assert_problem(upload(ingester, unique(".csv.gz"), b""), 422, "empty file")
