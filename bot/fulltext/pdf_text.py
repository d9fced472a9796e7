"""The text of a paper's PDF, page by page (pypdf), as blocks that know their page and, where
a line reads like a numbered heading ("3.2 Attention"), their section. Text after the
references heading is left out."""

from __future__ import annotations

import io
import logging
import re

from pypdf import PdfReader
from pypdf.errors import DependencyError, PyPdfError

from bot.fulltext.html_text import Block
from bot.text import clean_text

log = logging.getLogger(__name__)

_HEADING = re.compile(
    r"^(?:\d{1,2}(?:\.\d{1,2}){0,3}\.?|[A-H](?:\.\d{1,2}){0,2})\s+[A-Z][^.!?]{2,70}$"
)
_REFERENCES = re.compile(r"^(?:\d{1,2}\.?\s+)?(?:references|bibliography)$", re.IGNORECASE)
BLOCK_WORDS = 120  # a block ends at a sentence end past this many words


class NotAPdf(ValueError):
    """The bytes are not a readable PDF."""


def parse_pdf(payload: bytes) -> list[Block]:
    try:
        reader = PdfReader(io.BytesIO(payload))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, DependencyError, ValueError, KeyError, TypeError) as exc:
        # PyPdfError covers what a hostile or odd PDF raises beyond a read error: encrypted
        # (FileNotDecryptedError, DependencyError for AES without a crypto library), a
        # stream past pypdf's decompression limit (LimitReachedError), …
        raise NotAPdf(f"not a readable PDF ({type(exc).__name__}: {exc})") from None
    blocks: list[Block] = []
    section = ""
    for number, page in enumerate(pages, 1):
        lines: list[str] = []
        for raw in page.splitlines():
            line = clean_text(raw).strip()
            if not line:
                continue
            if _REFERENCES.match(line):
                _flush(blocks, section, number, lines)
                return blocks
            if _HEADING.match(line) and len(line.split()) <= 10:
                _flush(blocks, section, number, lines)
                lines, section = [], line
                continue
            lines.append(line)
            if sum(len(x.split()) for x in lines) >= BLOCK_WORDS and line.endswith((".", ":")):
                _flush(blocks, section, number, lines)
                lines = []
        _flush(blocks, section, number, lines)
    return blocks


def _flush(blocks: list[Block], section: str, page: int, lines: list[str]) -> None:
    # Lines broken with a hyphen at the end of a line are joined back into one word.
    text = re.sub(r"(\w)- (\w)", r"\1\2", " ".join(lines)).strip()
    if len(text) >= 40:
        blocks.append(Block(section, None, text, page))
