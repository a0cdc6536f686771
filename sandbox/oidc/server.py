"""``serve_oidc``: the sandbox issuer on loopback for the tests and the demo."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pitwall.serving import serve_asgi
from sandbox.oidc.app import create_oidc_app
from sandbox.oidc.issuer import SandboxIssuer


@contextmanager
def serve_oidc(
    port: int = 0, *, host: str = "127.0.0.1", issuer: SandboxIssuer | None = None
) -> Iterator[str]:
    """Serve a sandbox OIDC issuer and yield its issuer URL (``.../realms/<realm>``).

    Args:
        port: TCP port; 0 picks a free one.
        host: interface to bind.
        issuer: keys and clients to serve; a fresh one (new keys, demo clients) by default.
            Pass your own to forge tokens or rotate keys while it runs.
    """
    issuer = issuer or SandboxIssuer()
    with serve_asgi(create_oidc_app(issuer), host=host, port=port, name="sandbox-oidc") as base:
        yield f"{base}/realms/{issuer.realm}"
