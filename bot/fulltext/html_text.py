"""The text of an arXiv HTML page (LaTeXML: arxiv.org/html and ar5iv), as blocks that know
their section: paragraphs and figure/table captions; references, navigation, page chrome
and the tables' cells are left out. Formulas become their LaTeX source (`alttext`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.html
from lxml import etree

from bot.text import clean_text

_SECTIONS = (
    "ltx_section",
    "ltx_subsection",
    "ltx_subsubsection",
    "ltx_paragraph",
    "ltx_appendix",
    "ltx_abstract",
)
_DROP = (
    "ltx_bibliography",
    "ltx_page_header",
    "ltx_page_footer",
    "ltx_authors",
    "ltx_dates",
    "ltx_role_footnote",
    "ltx_note",
)
_SPACE = re.compile(r"\s+")


class NotAPaperPage(ValueError):
    """The HTML has no LaTeXML article in it (an error page, a placeholder)."""


@dataclass(frozen=True)
class Block:
    section: str  # '4.2 Datasets', 'Abstract', '' before the first heading
    anchor: str | None  # the section's id, for a link ('S4.SS2')
    text: str
    page: int | None = None


def _classes(element: etree._Element) -> set[str]:
    return set((element.get("class") or "").split())


def parse_arxiv_html(payload: bytes) -> list[Block]:
    try:
        doc = lxml.html.document_fromstring(payload)
    except (etree.ParserError, ValueError) as exc:
        raise NotAPaperPage(f"not readable as HTML ({exc})") from None
    articles = doc.xpath("//article[contains(concat(' ', @class, ' '), ' ltx_document ')]")
    if not articles:
        raise NotAPaperPage("no LaTeXML article in the page")
    article = articles[0]
    for element in article.xpath(".//script | .//style | .//nav | .//button"):
        element.drop_tree()
    for element in list(article.iter()):
        if isinstance(element.tag, str) and _classes(element) & set(_DROP):
            element.drop_tree()
    for math in article.xpath(".//math"):
        tail = math.tail
        replacement = etree.Element("span")
        replacement.text = math.get("alttext", "")
        replacement.tail = tail
        math.getparent().replace(math, replacement)
    blocks = []
    for element in article.xpath(
        ".//div[contains(concat(' ', @class, ' '), ' ltx_para ')] | .//figcaption"
        " | .//div[contains(concat(' ', @class, ' '), ' ltx_abstract ')]/p"
    ):
        if element.tag == "div" and element.xpath("ancestor::figure"):
            continue  # a paragraph laid out inside a table cell or figure
        text = clean_text(_SPACE.sub(" ", element.text_content())).strip()
        if len(text) < 20:
            continue
        section, anchor = _section_of(element)
        blocks.append(Block(section, anchor, text))
    return blocks


def _section_of(element: etree._Element) -> tuple[str, str | None]:
    for ancestor in element.iterancestors():
        classes = _classes(ancestor)
        if not classes & set(_SECTIONS):
            continue
        if "ltx_abstract" in classes:
            return "Abstract", None
        heading = ancestor.xpath("./*[contains(concat(' ', @class, ' '), ' ltx_title ')]")
        title = clean_text(_SPACE.sub(" ", heading[0].text_content())).strip() if heading else ""
        if "ltx_paragraph" in classes:  # an unnumbered run-in heading: say where it sits
            parent, parent_anchor = _section_of(ancestor)
            title = f"{parent} › {title.rstrip('.')}" if parent else title
            return title, ancestor.get("id") or parent_anchor
        return title, ancestor.get("id")
    return "", None
