"""Where lake tables live: ``<root>/{raw,clean,quarantine}/<table>``, local or on S3."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pitwall.settings import get_settings

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

Layer = Literal["raw", "clean", "quarantine"]
LAYERS: tuple[Layer, ...] = ("raw", "clean", "quarantine")

_S3_ENV = {  # env var -> object_store option name (names, not secrets)
    "AWS_ACCESS_KEY_ID": "aws_access_key_id",
    "AWS_SECRET_ACCESS_KEY": "aws_secret_access_key",  # nosec B105
    "AWS_SESSION_TOKEN": "aws_session_token",  # nosec B105
    "AWS_REGION": "aws_region",
    "AWS_DEFAULT_REGION": "aws_region",
    "AWS_ENDPOINT_URL": "aws_endpoint_url",
    "AWS_ALLOW_HTTP": "aws_allow_http",
}


def s3_storage_options() -> dict[str, str]:
    """object_store options for S3 taken from the standard ``AWS_*`` variables."""
    options: dict[str, str] = {}
    for env, key in _S3_ENV.items():
        value = os.environ.get(env)
        if value and key not in options:
            options[key] = value
    endpoint = options.get("aws_endpoint_url", "")
    if endpoint.startswith("http://"):
        options.setdefault("aws_allow_http", "true")
    if "aws_endpoint_url" in options:
        options.setdefault("aws_conditional_put", "etag")
    return options


def is_remote_uri(uri: str) -> bool:
    """True for object-store URIs (``s3://...``); local paths and ``file://`` are not."""
    return "://" in uri and not uri.startswith("file://")


@dataclass(frozen=True)
class Lake:
    """A lake root and the storage options needed to reach it."""

    root: str
    storage_options: dict[str, str] = field(default_factory=dict)

    @property
    def is_remote(self) -> bool:
        return is_remote_uri(self.root)

    def table_uri(self, layer: Layer, name: str) -> str:
        """URI of one table, e.g. ``<root>/clean/cars``."""
        if layer not in LAYERS:
            raise ValueError(f"unknown lake layer {layer!r}; expected one of {LAYERS}")
        if not name or "/" in name or name.startswith("."):
            raise ValueError(f"invalid table name {name!r}")
        return f"{self.root}/{layer}/{name}"

    def list_tables(self, layer: Layer) -> list[str]:
        """Names of the Delta tables present in one layer, sorted."""
        if self.is_remote:
            import fsspec

            fs, path = fsspec.core.url_to_fs(f"{self.root}/{layer}", **fsspec_options(self))
            try:
                entries = fs.ls(path, detail=False)
            except FileNotFoundError:
                return []
            names = [e.rstrip("/").rsplit("/", 1)[-1] for e in entries]
            return sorted(n for n in names if fs.exists(f"{path}/{n}/_delta_log"))
        base = Path(self.root) / layer
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir() if (p / "_delta_log").is_dir())


def fsspec_options(lake: Lake) -> dict[str, object]:
    opts = lake.storage_options
    kwargs: dict[str, object] = {}
    if "aws_access_key_id" in opts:
        kwargs["key"] = opts["aws_access_key_id"]
    if "aws_secret_access_key" in opts:
        kwargs["secret"] = opts["aws_secret_access_key"]
    if "aws_endpoint_url" in opts:
        kwargs["endpoint_url"] = opts["aws_endpoint_url"]
    return kwargs


def object_store_fs(uri: str) -> tuple[AbstractFileSystem, str]:
    """The fsspec filesystem of an object-store URI (``s3://bucket/prefix``) and the path in it,
    reached with the same ``AWS_*`` settings as the lake; its listing cache is cleared, so what
    other hosts uploaded since is seen."""
    import fsspec

    options = fsspec_options(Lake(root=uri, storage_options=s3_storage_options()))
    fs, path = fsspec.core.url_to_fs(uri, **options)
    fs.invalidate_cache()
    return fs, str(path).rstrip("/")


def get_lake(root: str | None = None) -> Lake:
    """The project's lake: ``root`` if given, else ``PITWALL_LAKE_URI``, else ``data/lake``."""
    uri = root or get_settings().resolved_lake_uri
    options = s3_storage_options() if uri.startswith("s3://") else {}
    return Lake(root=uri.rstrip("/"), storage_options=options)
