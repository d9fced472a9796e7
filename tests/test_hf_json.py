import json

import pytest

from bot.sources.arxiv_ids import split_version
from bot.sources.hf_json import MalformedResponse, parse_daily_papers
from tests.fakes.papers_api import api_item, payload


def test_happy_path_normalises_links_authors_keywords() -> None:
    parsed = parse_daily_papers(
        payload(
            api_item(
                "2502.11167v2",
                "SURGE",
                "Can LLMs\n  execute code?",
                authors=("A. B.", "C D"),
                upvotes=12,
                github="https://github.com/x/surge",
                keywords=("code", "LLM"),
                ai_summary="LLMs as executors.",
            )
        )
    )
    (paper,) = parsed.papers
    assert (paper.id, paper.version) == ("2502.11167", "v2")
    assert paper.abstract == "Can LLMs execute code?"
    assert paper.authors == ("A. B.", "C D")
    assert paper.keywords == ("code", "LLM")
    assert paper.upvotes == 12
    assert paper.links.arxiv == "https://arxiv.org/abs/2502.11167"
    assert paper.links.pdf == "https://arxiv.org/pdf/2502.11167"
    assert paper.links.hf == "https://huggingface.co/papers/2502.11167"
    assert paper.links.code == "https://github.com/x/surge"
    assert paper.ai_summary == "LLMs as executors."
    assert parsed.skipped == []


def test_ids_that_are_not_arxiv_get_title_search_links() -> None:
    (paper,) = parse_daily_papers(payload(api_item("pbs-0123456789", "Big & Small"))).papers
    assert paper.version is None
    assert paper.links.pdf is None
    assert paper.links.arxiv == "https://arxiv.org/search/?searchtype=title&query=Big+%26+Small"
    assert paper.links.hf == "https://huggingface.co/papers?q=Big+%26+Small"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2401.01234", ("2401.01234", None)),
        ("2401.01234v12", ("2401.01234", "v12")),
        ("cs/0101001v1", ("cs/0101001", "v1")),
        ("math.AG/0601001", ("math.AG/0601001", None)),
        ("pbs-abc", ("pbs-abc", None)),
    ],
)
def test_split_version(raw: str, expected: tuple[str, str | None]) -> None:
    assert split_version(raw) == expected


def test_malformed_items_are_skipped_and_counted() -> None:
    good = api_item("2401.00001", "Good")
    no_id = api_item("", "No id")
    no_title = api_item("2401.00002", "   ")
    items = [good, no_id, no_title, "not an object", {"paper": {"id": 5, "title": "x"}}, good]
    parsed = parse_daily_papers(json.dumps(items))
    assert [p.id for p in parsed.papers] == ["2401.00001"]
    assert len(parsed.skipped) == 5
    assert any("no title" in s for s in parsed.skipped)
    assert any("duplicate" in s for s in parsed.skipped)


def test_odd_field_types_do_not_crash() -> None:
    item = api_item("2401.00003", "Odd")
    item["paper"].update({"upvotes": "many", "authors": "nobody", "ai_keywords": [1, "ok"]})
    (paper,) = parse_daily_papers(json.dumps([item])).papers
    assert (paper.upvotes, paper.authors, paper.keywords) == (0, (), ("ok",))


@pytest.mark.parametrize(
    "body", [b"<html>rate limited</html>", b"", b"\xff\xfe", b'{"a": 1}', b'"text"', b"null"]
)
def test_not_the_expected_json_is_a_clear_error(body: bytes) -> None:
    with pytest.raises(MalformedResponse):
        parse_daily_papers(body)


def test_unicode_and_html_in_titles_are_kept_verbatim() -> None:
    title = "<script>alert(1)</script> Ünïcødé 🚀 نموذج"
    (paper,) = parse_daily_papers(payload(api_item("2401.00009", title))).papers
    assert paper.title == title


def test_bundled_sample_day_parses_cleanly() -> None:
    from bot.sources import sample_bytes

    parsed = parse_daily_papers(sample_bytes())
    assert len(parsed.papers) == 99 and parsed.skipped == []
    assert all(p.id.startswith("pbs-") and p.abstract for p in parsed.papers)


@pytest.mark.parametrize("repo", ["javascript:alert(1)", "ftp://x", "not a url", 42])
def test_code_links_must_be_web_addresses(repo: object) -> None:
    item = api_item("2401.00010", "Links")
    item["paper"]["githubRepo"] = repo
    (paper,) = parse_daily_papers(json.dumps([item])).papers
    assert paper.links.code is None
