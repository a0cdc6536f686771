"""``python -m sandbox.demo``: what ``make demo`` runs."""

from __future__ import annotations

import typer

from sandbox.demo.cli import main

if __name__ == "__main__":
    typer.run(main)
