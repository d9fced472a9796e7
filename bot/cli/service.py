"""The long-running service command."""

from __future__ import annotations

import asyncio

import click

from bot.cli.app import cli
from bot.config import Settings


@cli.command()
@click.pass_obj
def run(settings: Settings) -> None:
    """Run the Telegram bot with scheduled ingest and summaries (needs TELEGRAM_BOT_TOKEN)."""
    from bot.service import run_forever
    from bot.telegram.app import TokenMissing

    try:
        asyncio.run(run_forever(settings))
    except TokenMissing as exc:
        raise click.ClickException(str(exc)) from None
