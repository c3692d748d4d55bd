"""Crawler commands of the ``gikai`` CLI (crawl, parse, sources)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach the crawler commands to the top-level CLI."""
