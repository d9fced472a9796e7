"""The `paperboy` command line: thin wrappers that parse options and call plain functions."""

import sys

import click

from bot import logsafety
from bot.cli import (  # noqa: F401  (registers commands)
    assistant,
    chat,
    fulltext,
    library,
    recommend,
    service,
    week,
)
from bot.cli.app import cli, debugging
from storage.db import DatabaseError


def main() -> None:
    """Run a command; an unexpected failure is one clear line (and exit 1), with the
    traceback only under --debug or PAPERBOY_LOG_LEVEL=DEBUG."""
    try:
        cli()
    except Exception as exc:
        if debugging():
            raise
        click.echo(f"Error: {logsafety.mask(describe(exc))}", err=True)
        click.echo("(run again with --debug for the details)", err=True)
        sys.exit(1)


def describe(exc: BaseException) -> str:
    if isinstance(exc, DatabaseError):
        return f"the database failed ({exc}); check PAPERBOY_DB_PATH points at a writable file"
    if isinstance(exc, OSError) and exc.strerror:
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


__all__ = ["cli", "main"]
