"""The `paperboy` click group and what its commands share: settings, logging, the database."""

from __future__ import annotations

import json
import logging
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date

import click
import sqlite_utils

from bot import logsafety
from bot.config import Settings, SettingsError
from bot.sources import SETTING_CHECKS
from storage import open_db
from storage.db import CLI_BUSY_TIMEOUT_MS


class JsonLines(logging.Formatter):
    """One JSON object per record, for log collectors (PAPERBOY_LOG_FORMAT=json)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if settings.log_format == "json":
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonLines())
    logsafety.install(
        [settings.telegram_bot_token, settings.openai_api_key, settings.webhook_secret]
    )
    # httpx (and openai's httpx2) log request URLs at INFO; Bot API URLs carry the bot token.
    for name in ("httpx", "httpcore", "httpx2"):
        logging.getLogger(name).setLevel(logging.WARNING)


def valid_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD") from None


def finite(_ctx: click.Context, _param: click.Parameter, value: float | None) -> float | None:
    """click's float type takes 'nan' and 'inf'; no option here means either."""
    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a number; use e.g. 0.3")
    return value


interest_option = click.option(
    "--interest",
    "interests",
    multiple=True,
    required=True,
    metavar="TEXT",
    help="An interest; repeat it for more. Also 'author: NAME', 'not: TOPIC'.",
)


_debug = False


def debugging() -> bool:
    """Whether failures should show their traceback (--debug or a DEBUG log level)."""
    return _debug


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Paperboy: daily research-paper digests matched to your interests, in Telegram.

    Settings come from environment variables (or a .env file); see README.md.
    Try `paperboy demo` for an offline tour on the bundled sample day.
    """
    global _debug
    try:
        settings = Settings.from_env(checks=SETTING_CHECKS)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    if debug:
        settings = replace(settings, log_level="DEBUG")
    _debug = settings.log_level == "DEBUG"
    configure_logging(settings)
    ctx.obj = settings


@contextmanager
def database(settings: Settings) -> Iterator[sqlite_utils.Database]:
    db = open_db(settings.db_path, busy_timeout_ms=CLI_BUSY_TIMEOUT_MS)
    try:
        yield db
    finally:
        db.close()
