"""A cited answer as the reader sees it: Telegram HTML with linked sources, or plain text."""

from __future__ import annotations

import html

from bot.answers.cited import Answer


def answer_html(result: Answer) -> str:
    """The answer for Telegram: escaped text, the note if any, then the cited papers as
    links, each with the cited sections or pages linked to where they are."""
    e = html.escape
    parts = [
        f"<i>From {e(result.scope)}:</i>\n{e(result.text)}" if result.scope else e(result.text)
    ]
    if result.note:
        parts.append(f"<i>{e(result.note)}</i>")
    cited = result.cited()
    if cited:
        refs = []
        for n, p in cited:
            ref = f'[{n}] <a href="{e(p.links.arxiv or p.links.hf or "")}">{e(p.title)}</a>'
            places = [
                f'<a href="{e(link)}">{e(label)}</a>' if link else e(label)
                for label, link in result.places(n)
            ]
            refs.append(ref + (f" ({', '.join(places)})" if places else ""))
        parts.append("\n".join(["<b>Sources</b>", *refs]))
    return "\n\n".join(parts)


def answer_text(result: Answer) -> str:
    parts = [f"From {result.scope}:\n{result.text}" if result.scope else result.text]
    if result.note:
        parts.append(result.note)
    cited = result.cited()
    if cited:
        lines = []
        for n, p in cited:
            places = ", ".join(
                f"{label} {link}" if link else label for label, link in result.places(n)
            )
            where = f" ({places})" if places else ""
            lines.append(f"  [{n}] {p.title} {p.links.arxiv or p.links.hf or ''}".rstrip() + where)
        parts.append("Sources:\n" + "\n".join(lines))
    return "\n\n".join(parts)
