"""The `paperboy` command line: thin wrappers that parse options and call plain functions."""

from bot.cli import assistant, chat, library, service  # noqa: F401  (registers the commands)
from bot.cli.app import cli


def main() -> None:
    cli()


__all__ = ["cli", "main"]
