"""A stand-in for arXiv over real HTTP: the RSS feed at /rss/CATS and the API at /api/query,
answering from the genuine recorded responses in tests/data/arxiv/.

`feeds` maps a category list as it appears in the URL ('cs.CL+cs.LG') to the RSS body
served for it (default: every path gets `default_feed`). The API answers `id_list`
queries with the matching entries of every recorded API response, the way arXiv does.
`before` can script failures (429, 503 …) ahead of the normal answers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from tests.fakes.http_server import FakeServer, Reply, Request

DATA = Path(__file__).resolve().parent.parent / "data" / "arxiv"
FULLTEXT = DATA.parent / "fulltext"
# Full texts served at /html/ID and /pdf/ID; a paper missing here is a 404 (1706.03762
# has only its PDF here, so both reading paths run).
HTML_PAGES = {"2501.11120": "html_2501.11120v1.html"}
PDFS = {"1706.03762": "pdf_1706.03762v7.pdf", "2501.10120": "pdf_2501.10120v1.pdf"}
ATOM = "{http://www.w3.org/2005/Atom}"
ET.register_namespace("", "http://www.w3.org/2005/Atom")
ET.register_namespace("arxiv", "http://arxiv.org/schemas/atom")
ET.register_namespace("opensearch", "http://a9.com/-/spec/opensearch/1.1/")


def fixture(name: str) -> bytes:
    return (DATA / name).read_bytes()


def recorded_entries() -> dict[str, ET.Element]:
    """Every entry of the recorded API responses, by version-less id."""
    entries: dict[str, ET.Element] = {}
    for path in sorted(DATA.glob("api_*.xml")):
        for entry in ET.fromstring(path.read_bytes()).findall(f"{ATOM}entry"):
            raw = (entry.findtext(f"{ATOM}id") or "").rsplit("/abs/", 1)[-1]
            entries.setdefault(raw.rsplit("v", 1)[0], entry)
    return entries


class FakeArxiv(FakeServer):
    def __init__(
        self,
        default_feed: bytes | None = None,
        feeds: dict[str, bytes] | None = None,
        before: tuple[Reply, ...] = (),
    ) -> None:
        self.default_feed = default_feed or fixture("rss_multi_new_cross_replace_2026-09-24.xml")
        self.feeds = dict(feeds or {})
        self.entries = recorded_entries()
        self.scripted = list(before)
        self.html = {k: (FULLTEXT / v).read_bytes() for k, v in HTML_PAGES.items()}
        self.pdfs = {k: (FULLTEXT / v).read_bytes() for k, v in PDFS.items()}
        super().__init__(self._answer)

    def _answer(self, request: Request) -> Reply:
        if self.scripted:
            return self.scripted.pop(0)
        if request.path.startswith("/rss/"):
            body = self.feeds.get(request.path[len("/rss/") :], self.default_feed)
            return Reply(200, body, {"content-type": "application/rss+xml"})
        if request.path == "/api/query":
            return self._api(request)
        kind, _, paper = request.path.strip("/").partition("/")
        if kind == "html" and paper in self.html:
            return Reply(200, self.html[paper], {"content-type": "text/html; charset=utf-8"})
        if kind == "pdf" and paper in self.pdfs:
            return Reply(200, self.pdfs[paper], {"content-type": "application/pdf"})
        return Reply(404, "not found", {"content-type": "text/plain"})

    def full_text_calls(self) -> list[Request]:
        return [r for r in self.requests if r.path.startswith(("/html/", "/pdf/"))]

    def _api(self, request: Request) -> Reply:
        ids = [i for i in ",".join(request.query.get("id_list", [])).split(",") if i]
        feed = ET.Element(f"{ATOM}feed")
        ET.SubElement(feed, f"{ATOM}title").text = f"arXiv Query: id_list={','.join(ids)}"
        for paper_id in ids:
            if paper_id in self.entries:
                feed.append(self.entries[paper_id])
        body = ET.tostring(feed, xml_declaration=True, encoding="utf-8")
        return Reply(200, body, {"content-type": "application/atom+xml"})

    def api_calls(self) -> list[Request]:
        return [r for r in self.requests if r.path == "/api/query"]

    def env(self) -> dict[str, str]:
        """The settings that point paperboy at this server, with no politeness wait."""
        return {
            "PAPERBOY_ARXIV_RSS_URL": f"{self.url}/rss",
            "PAPERBOY_ARXIV_API_URL": f"{self.url}/api/query",
            "PAPERBOY_ARXIV_MIN_INTERVAL": "0",
            "PAPERBOY_CONTACT": "ops@example.org",
            "PAPERBOY_ARXIV_HTML_URL": f"{self.url}/html",
            "PAPERBOY_ARXIV_PDF_URL": f"{self.url}/pdf",
        }
