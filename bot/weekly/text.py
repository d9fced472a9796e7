"""The words with the week's picture: a caption within Telegram's 1,024 characters, and the
week's top papers with one line why, then what the reader may have missed (5 + 3 papers of
at most ~600 characters each: one message)."""

from __future__ import annotations

import html
from datetime import date

from bot.ranking import Match
from bot.text import clip
from bot.weekly.recap import Week

CAPTION_LIMIT = 1024


def caption(week: Week) -> str:
    """One or two sentences: the week's total against the previous week, the busiest
    interest. Plain text (HTML-escaped), within CAPTION_LIMIT."""
    first, last = (_short_day(d) for d in (week.days[0], week.days[-1]))
    busiest = max(range(len(week.interests)), key=lambda n: sum(week.counts[n]))
    text = (
        f"📊 Your week, {first} to {last}: {week.total} matches for your interests "
        f"({versus_before(week)}). Busiest: “{week.interests[busiest]}” "
        f"({sum(week.counts[busiest])})."
    )
    return html.escape(clip(text, CAPTION_LIMIT - 20)[0])


def versus_before(week: Week) -> str:
    """The week's total against the week before's, or why there is nothing to compare."""
    if week.previous_total is None:
        return "first week stored, nothing to compare with"
    return f"{week.total - week.previous_total:+d} on the week before"


def top_lines(week: Week, *, as_html: bool) -> str:
    """The week's best papers for the reader, each with the day and one line why."""
    head = "<b>Your top papers this week</b>" if as_html else "Your top papers this week"
    lines = [head]
    for n, (day, match) in enumerate(week.top, 1):
        lines.append(f"{n}. {_paper_line(day, match, as_html)}")
    if week.missed:
        lines += ["", "<b>You may have missed</b>" if as_html else "You may have missed"]
        lines += [f"• {_paper_line(day, match, as_html)}" for day, match in week.missed]
    return "\n".join(lines)


def _paper_line(day: str, match: Match, as_html: bool) -> str:
    e = html.escape if as_html else (lambda s: s)
    title = e(clip(match.paper.title, 200)[0])
    link = match.paper.links.arxiv or match.paper.links.hf
    if as_html and link:
        title = f'<a href="{e(link)}">{title}</a>'
    return f"{title} ({_short_day(day)})\n   {e(clip(match.reason, 200)[0])}"


NO_PAPERS = (
    "📊 No papers are stored for this week yet: I'll draw your week once a few days of "
    "papers are in."
)


def thin_text(week: Week | None) -> str:
    """What to say instead of an empty chart (`week` None: nothing was ever stored)."""
    if week is None or not week.listed:
        return NO_PAPERS
    if len(week.listed) < 2:
        return "📊 Not enough days stored yet for a weekly picture: ask again in a few days."
    return (
        "📊 Nothing matched your interests this week. Try broader words with /add, "
        "or /import papers you already like."
    )


def _short_day(day: str) -> str:
    return f"{date.fromisoformat(day):%a %d %b}"
