"""The service commands: run (bot + scheduler), send-due (one sweep), deliveries."""

from __future__ import annotations

import asyncio

import click

from bot.cli.app import cli, database, valid_date
from bot.config import Settings
from bot.delivery.outbox import describe_counts
from storage.db import DatabaseInUse
from storage.deliveries import KINDS, list_deliveries, status_counts


@cli.command()
@click.pass_obj
def run(settings: Settings) -> None:
    """Run the Telegram bot with scheduled ingest and summaries (needs TELEGRAM_BOT_TOKEN)."""
    from bot.service.run import run_forever
    from bot.telegram.app import StartFailed, TokenMissing

    try:
        asyncio.run(run_forever(settings))
    except (TokenMissing, StartFailed, DatabaseInUse) as exc:
        raise click.ClickException(str(exc)) from None


@cli.command("send-due")
@click.pass_obj
def send_due(settings: Settings) -> None:
    """One delivery sweep now: digests and weekly recaps for everyone due, and anything
    pending (for cron)."""
    from bot.service.run import sweep_once
    from bot.telegram.app import TokenMissing

    try:
        report, weekly = asyncio.run(sweep_once(settings))
    except (TokenMissing, DatabaseInUse) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(report.summary())
    if weekly.written or weekly.sent or weekly.failed or weekly.blocked:
        click.echo(
            f"weekly recaps: {weekly.written} written, {weekly.sent} sent "
            f"({weekly.messages} messages), {weekly.failed} failed, {weekly.blocked} blocked"
        )
    for error in weekly.errors[:20]:
        click.echo(f"  weekly failed: {error}", err=True)
    for error in report.errors[:20]:
        click.echo(f"  failed: {error}", err=True)


@cli.command()
@click.option("--day", callback=valid_date, help="The users' local day, YYYY-MM-DD.")
@click.option("--status", type=click.Choice(["pending", "sent", "failed", "skipped"]))
@click.option("--kind", type=click.Choice(list(KINDS)), help="Only digests or weekly recaps.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
@click.pass_obj
def deliveries(
    settings: Settings, day: str | None, status: str | None, kind: str | None, limit: int
) -> None:
    """List the outbox (digests and weekly recaps), newest first, with status and the last
    error."""
    with database(settings) as db:
        rows = list_deliveries(db, day=day, status=status, kind=kind, limit=limit)
        counts = status_counts(db)
    click.echo("by kind and status: " + (describe_counts(counts) or "none"))
    if not rows:
        click.echo("no deliveries match")
    for delivery, items in rows:
        error = f"  ({delivery.error})" if delivery.error else ""
        what = f"{items} paper(s)" if items else (delivery.empty_reason or "")
        click.echo(
            f"  #{delivery.id:<6} {delivery.kind:<6} chat {delivery.chat_id:<12} "
            f"{delivery.local_day}  "
            f"{delivery.status:<8} attempts {delivery.attempts}  {what}{error}"
        )


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_obj
def status(settings: Settings, as_json: bool) -> None:
    """How the deployment is doing: last ingest per source, last delivery sweep, the outbox,
    LLM use today, last backup, database size. Exit code 1 when unhealthy."""
    from datetime import UTC, datetime

    from bot.service.status import collect_status, render_status, status_json

    with database(settings) as db:
        report = collect_status(db, settings, datetime.now(UTC))
    click.echo(status_json(report) if as_json else render_status(report))
    if not report.healthy:
        raise SystemExit(1)
