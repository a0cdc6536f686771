"""``python -m sandbox.website [--port 8802] [--pages 60]`` serves the site until Ctrl-C."""

from __future__ import annotations

import time

import typer

from sandbox.website.server import serve_website

app = typer.Typer(add_completion=False)


@app.command()
def main(
    port: int = typer.Option(8802, help="TCP port (0 = any free port)."),
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    pages: int = typer.Option(60, help="Leaderboard laps (lap detail pages)."),
) -> None:
    """Serve the sandbox website to scrape."""
    with serve_website(port, pages=pages, host=host) as url:
        print(f"sandbox website on {url} (Ctrl-C to stop)", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("stopped")


if __name__ == "__main__":
    app()
