"""The long-running service command."""

from __future__ import annotations

import asyncio

import click

from bot.cli.app import cli
from bot.config import Settings


@cli.command()
@click.pass_obj
def run(settings: Settings) -> None:
    """Run the service: scheduled ingest and summaries (the Telegram bot joins this loop)."""
    from bot.scheduler import run_forever

    asyncio.run(run_forever(settings))
