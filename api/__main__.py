"""``python -m api [--port 8000]``: serve the read API with uvicorn (one worker)."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from api.app import create_app
from api.limits import uvicorn_options
from api.settings import DEMO_PORT, ApiSettings


def main(
    port: Annotated[int, typer.Option(help="TCP port")] = DEMO_PORT,
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
) -> None:
    """Serve the read API; settings come from PITWALL_API_* environment variables."""
    settings = ApiSettings()
    app = create_app(settings)
    uvicorn.run(app, host=host, port=port, log_level="info", **uvicorn_options(settings))


if __name__ == "__main__":
    typer.run(main)
