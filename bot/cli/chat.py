"""`paperboy chat`: the bot in a terminal, offline, on the bundled sample day (or days).

It drives the same assistant the Telegram handlers drive. Messages are numbered [#n] and
message n's buttons [bn.1], [bn.2], …: type `bn.k` to press one (`bk` presses the latest
message's), `@n question` to reply to message n, `/import FILE` to send a local file.
This module is the command and the session's papers; bot/cli/terminal.py and
bot/cli/group_chat.py are the chats, bot/cli/screen.py what they print.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any

import click
import sqlite_utils

from bot.assistant import Conversation
from bot.cli.app import cli
from bot.cli.group_chat import BOT_NAME, GROUP_CHAT, GroupChat
from bot.cli.library import cli_embedder
from bot.cli.terminal import TerminalChat
from bot.config import Settings
from bot.llm import LLMClient
from bot.sources import SourceDay, SourceError, load_day
from bot.sources.hf_json import ParsedDay
from bot.sources.ingest import store_day
from storage import open_db

_DATED = re.compile(r"^(\d{4}-\d{2}-\d{2})")
MAX_DAYS = 14  # /week's picture and the week before it, which its caption compares with


@dataclass(frozen=True)
class Setup:
    """What the session starts from: its days of papers and the reader's own files."""

    lexical_only: bool = False
    days: int = 1
    papers: tuple[Path, ...] = ()
    imports: tuple[Path, ...] = ()
    group: bool = False  # a group with three members instead of a private chat


async def store_days(db: sqlite_utils.Database, setup: Setup) -> str:
    """Store the session's papers; say what they are. Raises SourceError."""
    if setup.papers:
        return await _store_files(db, setup.papers)
    sample = await load_day("sample", None, papers_url="")
    if setup.days == 1:
        store_day(db, sample)
        return "on the bundled sample day"
    last = date.fromisoformat(sample.day)
    for back in reversed(range(setup.days)):  # oldest first; paper i listed i mod N days back
        listed = ParsedDay(sample.parsed.papers[back :: setup.days], [])
        store_day(db, SourceDay("sample", (last - timedelta(days=back)).isoformat(), listed))
    first = (last - timedelta(days=setup.days - 1)).isoformat()
    return (
        f"on the bundled sample day spread over {setup.days} days ({first} to {sample.day}; "
        f"its {len(sample.parsed.papers)} papers dealt out by position)"
    )


async def _store_files(db: sqlite_utils.Database, paths: tuple[Path, ...]) -> str:
    loaded = [await load_day(f"file:{p}", file_day(p), papers_url="") for p in paths]
    days = sorted(d.day for d in loaded)
    if len(set(days)) < len(days):
        raise SourceError(f"two files list the same day ({', '.join(days)}): give one per day")
    for one in sorted(loaded, key=lambda d: d.day):
        store_day(db, one)
    return f"on {len(days)} day(s) of papers from your files ({', '.join(days)})"


def file_day(path: Path) -> str:
    """The day a Daily Papers file lists: its papers' submittedOnDailyAt, else the date its
    name starts with (2026-07-31.json). Raises SourceError."""
    try:
        items: Any = json.loads(path.read_bytes())
    except (OSError, ValueError):
        items = None
    listed = Counter(
        str(item["paper"].get("submittedOnDailyAt") or "")[:10]
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict) and isinstance(item.get("paper"), dict)
    )
    listed.pop("", None)
    candidates = [day for day, _ in listed.most_common(1)]
    if match := _DATED.match(path.name):
        candidates.append(match[1])
    for candidate in candidates:
        try:
            return date.fromisoformat(candidate).isoformat()
        except ValueError:
            continue
    raise SourceError(
        f"cannot tell which day {path} lists: name it after the day, e.g. 2026-07-31.json"
    )


async def _session(settings: Settings, setup: Setup, script: list[str] | None) -> None:
    with tempfile.TemporaryDirectory(prefix="paperboy-chat-") as tmp:
        db = open_db(Path(tmp) / "chat.db")
        llm = LLMClient(settings, db)
        try:
            what = await store_days(db, setup)
            embedder = cli_embedder(settings, setup.lexical_only, llm)
            conv = Conversation(db, settings, llm, embedder=embedder)
            chat = GroupChat(conv) if setup.group else TerminalChat(conv)
            click.echo(_welcome(what, setup.group))
            if isinstance(chat, GroupChat):
                click.echo(f"(ada adds @{BOT_NAME} to the group)")
                for out in await chat.added():
                    click.echo(out)
                click.echo()
            for path in setup.imports:
                click.echo(f"you> (--import {path})")
                for out in await chat.send_file(path):
                    click.echo(out)
                click.echo()
            lines = iter(script) if script is not None else None
            while True:
                try:
                    line = next(lines) if lines is not None else input(f"{chat.prompt}> ")
                except (EOFError, StopIteration):
                    break
                if lines is not None:
                    said = chat.speaks(line) if isinstance(chat, GroupChat) else line
                    click.echo(f"{chat.prompt}> {said}")
                for out in await chat.handle(line):
                    click.echo(out)
                click.echo()
        except SourceError as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            await llm.aclose()
            db.close()


def _welcome(what: str, group: bool) -> str:
    if not group:
        return (
            f"Paperboy in your terminal, {what} (offline). Type /start; `bN` presses "
            "button N of the latest message, `bM.N` button N of message #M; "
            "`@n text` replies to message n; `/import FILE` sends a .bib, .ris or "
            ".json file; Ctrl-D quits.\n"
        )
    return (
        f"Paperboy in a group in your terminal, {what} (offline). The group “"
        f"{GROUP_CHAT.first_name}” has three members: ada (its admin), bob and cy. Start a "
        "line with `@bob:` (or `@ada:`, `@cy:`) to speak as them, until the next one. The "
        f"bot reads commands (`/cmd@{BOT_NAME}` too), replies to its messages (`@n text` "
        f"replies to message n) and messages mentioning @{BOT_NAME}; `bN` presses button N "
        "of the latest message, `bM.N` button N of message #M; Ctrl-D quits.\n"
    )


_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@cli.command()
@click.option("--lexical-only", is_flag=True, help="Do not use the local embedding model.")
@click.option(
    "--script",
    type=click.File("r"),
    default=None,
    help="Read the lines to type from a file (- for stdin) instead of the keyboard.",
)
@click.option(
    "--import",
    "imports",
    type=_FILE,
    multiple=True,
    metavar="FILE",
    help="Import your .bib, .ris or CSL-JSON file at the start, as sending it to the bot "
    "does (repeat for more). In the chat, `/import FILE` does the same.",
)
@click.option(
    "--days",
    type=click.IntRange(1, MAX_DAYS),
    default=None,
    metavar="N",
    help="Store N days so /week, /learned and rating over days can be tried: the bundled "
    "sample day (99 papers, one real day) spread over N days ending on its date, paper i "
    "listed (i mod N) days before it. Not N real days: one day dealt out.",
)
@click.option(
    "--papers",
    type=_FILE,
    multiple=True,
    metavar="FILE",
    help="Store real days instead of the sample, one file each (repeat for more): the "
    "Hugging Face Daily Papers API's JSON (e.g. tests/data/hf_api/*.json) or JSON Lines; "
    "the day is its papers' submittedOnDailyAt, else the date its name starts with.",
)
@click.option(
    "--group",
    is_flag=True,
    help="Play a Telegram group (lab mode) instead of a private chat: ada, its admin, and "
    "members bob and cy; a line starting `@bob:` speaks as bob.",
)
@click.pass_obj
def chat(
    settings: Settings,
    lexical_only: bool,
    script: IO[str] | None,
    imports: tuple[Path, ...],
    days: int | None,
    papers: tuple[Path, ...],
    group: bool,
) -> None:
    """Try the bot in a terminal: no token, no network; the bundled sample day (or --days,
    --papers), and your own bibliography with --import; --group plays a group."""
    if days is not None and papers:
        raise click.UsageError("--days spreads the sample day; with --papers each file is a day")
    if group and imports:
        raise click.UsageError("--import is for a private chat: a group has no library")
    lines = None
    if script is not None or not sys.stdin.isatty():
        source = script if script is not None else sys.stdin
        lines = [line.rstrip("\n") for line in source]
    setup = Setup(lexical_only, days or 1, papers, imports, group)
    asyncio.run(_session(settings, setup, lines))
