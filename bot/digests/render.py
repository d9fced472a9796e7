"""A digest as the reader sees it: Telegram HTML (split on paper boundaries under 4,096
characters, a row of buttons per paper) or plain text for a terminal. Everything paper-,
user- or LLM-written is escaped here, once."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.digests.choose import Digest, DigestItem
from bot.messages.callbacks import encode
from bot.messages.html import TELEGRAM_LIMIT, split_html, telegram_length
from bot.messages.replies import Button
from bot.text import clip
from storage.papers import Paper

MAX_ITEM = 3300
PAPER_BUTTONS = {"up": "👍", "down": "👎", "save": "⭐", "ask": "❓"}
SUMMARY_NOTE = {
    "llm": "",
    "source": " <i>(summary by Hugging Face)</i>",
    "extractive": " <i>(extract from the abstract; no LLM summary)</i>",
}


@dataclass(frozen=True)
class RenderedMessage:
    text: str
    paper_ids: tuple[str, ...]
    keyboard: tuple[tuple[Button, ...], ...] = field(default_factory=tuple)


def render_html(digest: Digest) -> list[RenderedMessage]:
    """Telegram HTML messages for the digest, each within 4096 characters."""
    if digest.status != "ok":
        return [RenderedMessage(part, ()) for part in split_html(_empty_html(digest))]
    header = _header_html(digest)
    footer = (
        "💬 <i>Ask me about these papers: reply to this message, or just type a question, "
        "e.g. “how does paper 2 work?”</i>"
    )
    messages: list[RenderedMessage] = []
    current: list[tuple[DigestItem, str]] = []
    for item in digest.items:
        block = _item_html(item)
        head = header if not messages else ""
        trial = "\n\n".join(filter(None, [head, *(b for _, b in current), block, footer]))
        if current and telegram_length(trial) > TELEGRAM_LIMIT:
            messages.append(_message(current, head))
            current = []
        current.append((item, block))
    messages.append(_message(current, header if not messages else "", footer))
    return messages


def _message(items: list[tuple[DigestItem, str]], header: str, footer: str = "") -> RenderedMessage:
    text = "\n\n".join(filter(None, [header, *(b for _, b in items), footer]))
    keyboard = tuple(
        tuple(
            Button(f"{item.position} {emoji}", encode(action, item.paper.id))
            for action, emoji in PAPER_BUTTONS.items()
        )
        for item, _ in items
    )
    return RenderedMessage(text, tuple(item.paper.id for item, _ in items), keyboard)


def _header_html(digest: Digest) -> str:
    e = html.escape
    sources = ", ".join(_source_name(s) for s in digest.sources) or "your sources"
    if digest.listing_day and digest.listing_day != digest.day:
        sources += f", listed {digest.listing_day}"
    header = (
        f"📰 <b>Your papers for {e(digest.day)}</b>\n"
        f"{len(digest.items)} picked for you from {digest.total_papers} new papers "
        f"({e(sources)})"
    )
    return header + (f"\n\n<i>{e(_clip(digest.opening, 500))}</i>" if digest.opening else "")


def _item_html(item: DigestItem, summary_chars: int = 1500) -> str:
    e = html.escape
    paper = item.paper
    link = paper.links.arxiv or paper.links.hf
    title = e(_clip(paper.title, 300))
    heading = f'<a href="{e(link)}">{title}</a>' if link else title
    lines = [f"<b>{item.position}. {heading}</b>"]
    if paper.authors:
        lines.append(f"<i>{e(short_authors(paper.authors))}</i>")
    if item.why:
        lines.append(f"💡 {e(_clip(item.why, 400))}")
    lines.append(e(_clip(item.summary.text, summary_chars)) + SUMMARY_NOTE[item.summary.kind])
    if item.why:
        lines.append(f"🎯 <i>matched: {e(matched_tag(item.reason))}</i>")
    else:
        lines.append(f"🎯 {e(_clip(item.reason, 300))}")
    lines.append(_links_html(paper))
    block = "\n".join(lines)
    # Escaping can multiply the length of odd text ('&' -> '&amp;'): keep one paper well
    # inside a message, so header + paper + footer always fit.
    if telegram_length(block) > MAX_ITEM and summary_chars > 100:
        return _item_html(item, summary_chars // 2)
    return block


def _links_html(paper: Paper) -> str:
    e = html.escape
    pairs = [
        ("arXiv", paper.links.arxiv),
        ("PDF", paper.links.pdf),
        ("Hugging Face", paper.links.hf),
        ("code", paper.links.code),
    ]
    parts = [f'<a href="{e(url)}">{label}</a>' for label, url in pairs if url]
    if paper.upvotes:
        parts.append(f"▲ {paper.upvotes}")
    return " · ".join(parts)


def _empty_html(digest: Digest) -> str:
    e = html.escape
    if digest.status == "no_papers":
        return (
            f"📭 No new papers for {e(digest.day)}: probably a weekend or a holiday. "
            "Your next digest comes with the next list."
        )
    lines = [
        f"🔍 Nothing strongly matched your interests among the {digest.total_papers} new "
        f"papers for {e(digest.day)}."
    ]
    if digest.closest:
        lines.append("\nClosest, weaker matches:")
        for m in digest.closest:
            link = m.paper.links.arxiv or m.paper.links.hf
            title = e(_clip(m.paper.title, 200))
            lines.append(f'• <a href="{e(link)}">{title}</a>' if link else f"• {title}")
            lines.append(f"  <i>{e(_clip(m.reason, 300))}</i>")
    lines.append("\nTune what you get with /interests or /settings.")
    return "\n".join(lines)


def render_text(digest: Digest) -> str:
    """The digest for a terminal: same content, plain text."""
    if digest.status == "no_papers":
        return f"No new papers for {digest.day} (weekend or holiday?)."
    if digest.status == "nothing_matched":
        lines = [
            f"Nothing strongly matched among the {digest.total_papers} papers of {digest.day}."
        ]
        if digest.closest:
            lines.append("Closest, weaker matches:")
        for m in digest.closest:
            lines += [f"  - {m.paper.title}", f"    {m.reason}"]
        return "\n".join(lines)
    sources = ", ".join(_source_name(s) for s in digest.sources)
    out = [
        f"Your papers for {digest.day}: {len(digest.items)} of {digest.total_papers} ({sources})",
        *([digest.opening] if digest.opening else []),
        "",
    ]
    for item in digest.items:
        paper = item.paper
        note = {"llm": "", "source": " [HF summary]", "extractive": " [extract, no LLM]"}
        out.append(f"{item.position}. {paper.title}")
        if paper.authors:
            out.append(f"   {short_authors(paper.authors)}")
        if item.why:
            out.append(f"   Why it matters to you: {item.why}")
        out.append(f"   {item.summary.text}{note[item.summary.kind]}")
        if item.why:
            out.append(f"   Matched: {matched_tag(item.reason)}")
        else:
            out.append(f"   Why: {item.reason}")
        links = [u for u in (paper.links.arxiv, paper.links.pdf, paper.links.code) if u]
        out.append("   " + "  ".join(links))
        out.append("")
    out.append('Ask a follow-up: paperboy ask "how does paper 1 work?"')
    return "\n".join(out)


def matched_tag(reason: str) -> str:
    """The ranker's reason as a short tag, kept under the LLM's why-line: "your interest
    ‘LoRA’: lora, adapters (title)" -> "‘LoRA’: lora, adapters (title)"."""
    return _clip(reason.removeprefix("your interest "), 120)


def short_authors(authors: Sequence[str], limit: int = 3) -> str:
    if len(authors) <= limit:
        return ", ".join(authors)
    return ", ".join(authors[:limit]) + " et al."


def _source_name(source: str) -> str:
    names = {"hf": "Hugging Face Daily Papers", "arxiv": "arXiv", "sample": "bundled sample day"}
    return names.get(source, source)


def _clip(text: str, limit: int) -> str:
    return clip(text, limit)[0]
