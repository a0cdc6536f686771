"""CSV uploads: role, size limit, header check, path traversal, and ingest_csv picks them up."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import polars as pl
import pytest

from api.models import FeedPublic, UploadPublic
from api.settings import ApiSettings
from pitwall.config import read_config
from pitwall.lake.layout import get_lake
from pitwall.lake.records import read_ingestion_log
from pitwall.settings import get_settings
from tests.api.conftest import Mint
from tests.csvfeeds.helpers import run_ingest_csv

GOOD = b"entry_id,driver,lap_time_s\ne1,Alice,91.5\ne2,Bob,90.25\n"


@pytest.fixture(scope="module")
def ingester(api_url: str, mint: Mint) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {mint(['ingest'])}"}
    with httpx.Client(base_url=api_url, headers=headers, timeout=30) as http:
        yield http


def landing(api_home: Path) -> Path:
    return api_home / "landing" / "laps"


def unique(suffix: str = ".csv") -> str:
    return f"laps-{uuid.uuid4().hex[:8]}{suffix}"


def upload(http: httpx.Client, name: str, content: bytes, feed: str = "laps") -> httpx.Response:
    return http.post(f"/feeds/{feed}/files", files={"file": (name, content, "text/csv")})


def assert_problem(response: httpx.Response, status: int, fragment: str = "") -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert fragment in response.json().get("detail", "")


def test_feeds_are_listed(client: httpx.Client) -> None:
    feeds = [FeedPublic.model_validate(f) for f in client.get("/feeds").json()]
    assert [(f.name, f.required) for f in feeds] == [("laps", ["entry_id", "driver", "lap_time_s"])]


def test_upload_lands_in_the_feed_location(ingester: httpx.Client, api_home: Path) -> None:
    name = unique()
    response = upload(ingester, name, GOOD)
    assert response.status_code == 201, response.text
    stored = UploadPublic.model_validate(response.json())
    assert (stored.file, stored.bytes) == (name, len(GOOD))
    assert stored.uri == f"landing/laps/{name}"  # relative to the project: no server path
    assert stored.columns == ["entry_id", "driver", "lap_time_s"]
    assert (landing(api_home) / name).read_bytes() == GOOD
    assert not list(landing(api_home).glob(".*")), "no temporary file left behind"


def test_optional_columns_may_be_present(ingester: httpx.Client) -> None:
    content = b"note,lap_time_s,driver,entry_id\nwet,99.0,Dan,e9\n"
    assert upload(ingester, unique(), content).status_code == 201


def test_next_ingest_run_lands_the_upload(
    ingester: httpx.Client,
    api_home: Path,
    settings: ApiSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = unique()
    content = GOOD + f"{name},Cy,92.0\n".encode()  # its own content: not a copy of another
    assert upload(ingester, name, content).status_code == 201
    monkeypatch.setenv("PITWALL_HOME", str(api_home))
    get_settings.cache_clear()
    try:
        feeds = dict(read_config("sources", home=settings.home)["csv_feeds"])
        lake = get_lake(str(tmp_path / "lake"))
        run_ingest_csv({"laps": feeds["laps"]}, lake=lake)
        log = read_ingestion_log(lake=lake).filter(pl.col("source").str.ends_with(name))
    finally:
        get_settings.cache_clear()
    assert log.select("rows_in", "rows_landed", "rows_quarantined", "status").rows() == [
        (3, 3, 0, "ok")
    ]


def test_same_name_is_never_overwritten(ingester: httpx.Client, api_home: Path) -> None:
    name = unique()
    assert upload(ingester, name, GOOD).status_code == 201
    assert_problem(upload(ingester, name, GOOD + b"e3,Carol,95\n"), 409)
    assert (landing(api_home) / name).read_bytes() == GOOD


@pytest.mark.parametrize(
    "name",
    [
        "../../escape.csv",
        "..%2F..%2Fescape.csv",
        "../laps/escape.csv",
        "/tmp/escape.csv",
        "sub/escape.csv",
        "..\\..\\escape.csv",
        ".hidden.csv",
        "..csv",
        "escape.csv\x00.txt",
        "notes.txt",
        "",
    ],
)
def test_path_traversal_and_bad_names_are_refused(
    ingester: httpx.Client, api_home: Path, name: str
) -> None:
    before = set(api_home.rglob("*"))
    response = upload(ingester, name, GOOD)
    assert response.status_code == 422, response.text
    assert set(api_home.rglob("*")) == before
    assert not (api_home / "escape.csv").exists()


def test_raw_multipart_filename_with_traversal(ingester: httpx.Client, api_home: Path) -> None:
    """The filename exactly as an attacker writes it in Content-Disposition."""
    boundary = "pitwallboundary"
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="../../../escape.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + GOOD
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = ingester.post(
        "/feeds/laps/files",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert_problem(response, 422, "invalid file name")
    assert not list(api_home.parent.rglob("escape.csv"))


def test_oversized_file_is_refused(
    ingester: httpx.Client, settings: ApiSettings, api_home: Path
) -> None:
    name = unique()
    rows = b"e,Alice,91.5\n" * (settings.upload_max_bytes // 13 + 1)
    content = b"entry_id,driver,lap_time_s\n" + rows
    assert len(content) > settings.upload_max_bytes
    assert_problem(upload(ingester, name, content), 413)
    assert not (landing(api_home) / name).exists()


def test_oversized_body_is_cut_off_even_when_streamed(
    ingester: httpx.Client, settings: ApiSettings
) -> None:
    """A chunked body (no Content-Length) far beyond the limit is refused, not spooled."""
    boundary = "pitwallboundary"

    def body() -> Iterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            'filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        for _ in range(4 * settings.upload_max_bytes // 65536 + 4):
            yield b"x" * 65536

    response = ingester.post(
        "/feeds/laps/files",
        content=body(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert_problem(response, 413)


def test_declared_oversized_body_is_refused_before_reading(
    ingester: httpx.Client, settings: ApiSettings
) -> None:
    content = b"x" * (settings.upload_max_bytes * 2)
    assert_problem(upload(ingester, unique(), content), 413, "request body larger than")


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"entry_id,driver\ne1,Alice\n", "missing declared columns ['lap_time_s']"),
        (b"entry_id,driver,lap_time_s,extra\n1,a,2,3\n", "undeclared columns ['extra']"),
        (b"entry_id,driver,driver,lap_time_s\n", "duplicated columns"),
        (b"\x00\x01\x02binary", "binary"),
        (b"", "empty"),
    ],
)
def test_header_must_match_the_declared_columns(
    ingester: httpx.Client, api_home: Path, content: bytes, fragment: str
) -> None:
    name = unique()
    assert_problem(upload(ingester, name, content), 422, fragment)
    assert not (landing(api_home) / name).exists()


def test_upload_needs_the_ingest_role(client: httpx.Client, api_url: str) -> None:
    assert_problem(upload(client, unique(), GOOD), 403)
    anonymous = httpx.post(f"{api_url}/feeds/laps/files", files={"file": ("a.csv", GOOD)})
    assert_problem(anonymous, 401)


def test_unknown_feed(ingester: httpx.Client) -> None:
    assert_problem(upload(ingester, unique(), GOOD, feed="nope"), 404)
