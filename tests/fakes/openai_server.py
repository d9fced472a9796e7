"""A stand-in OpenAI-compatible server: /v1/chat/completions and /v1/embeddings over real HTTP.

By default it answers like a well-behaved model (summaries as JSON for the papers it was
sent, answers that cite [1]); tests can script failures and odd replies per request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from tests.fakes.embedder import HashingEmbedder
from tests.fakes.http_server import FakeServer, Reply, Request

Script = Callable[[dict[str, Any]], Reply | str | None]


def completion(content: str, prompt_tokens: int = 0, completion_tokens: int = 0) -> Reply:
    body = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": "fake-model",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content},
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
    return Reply(200, json.dumps(body))


def error(status: int, headers: dict[str, str] | None = None) -> Reply:
    body = {"error": {"message": f"fake error {status}", "type": "fake", "code": None}}
    return Reply(status, json.dumps(body), headers or {})


def estimate_tokens(text: str) -> int:
    return max(1, len(text) // 4)


# What the fake model knows about interests it is asked to expand.
EXPANSIONS = {"LoRA": ["low-rank adaptation", "parameter-efficient fine-tuning", "adapters"]}


def well_behaved(payload: dict[str, Any]) -> str:
    """What a cooperative model would say to Paperboy's prompts."""
    system = payload["messages"][0]["content"]
    user = payload["messages"][-1]["content"]
    if '"picks"' in system:
        return json.dumps(personal_note(user))
    if "summaries" in system:
        ids = re.findall(r'<paper id="([^"]+)">', user)
        titles = re.findall(r"^Title: (.*)$", user, re.MULTILINE)
        items = [
            {
                "id": pid,
                "summary": f"This paper studies {title}. It proposes a method and "
                "reports that it works better than earlier approaches.",
            }
            for pid, title in zip(ids, titles, strict=False)
        ]
        return json.dumps({"summaries": items})
    if '"expansions"' in system:
        asked = re.findall(r"<interest n=(\d+)>(.*?)</interest>", user)
        items = [{"n": int(n), "terms": EXPANSIONS.get(text, [])} for n, text in asked]
        return json.dumps({"expansions": items})
    if "ranking" in system:
        ids = re.findall(r'<paper id="([^"]+)">', user)
        return json.dumps({"ranking": list(reversed(ids))})
    return "According to the first paper, the method routes tokens to experts [1]."


def personal_note(user: str) -> dict[str, Any]:
    """A personal note as a cooperative model writes it: the first candidates, in order,
    each why-line built from the paper's own title and the reader's first interest."""
    interests = re.findall(r"^- (.*)$", user.split("\n\n")[0].split("Not interested in:")[0], re.M)
    limit = int(re.search(r"choose at most (\d+)", user).group(1))  # type: ignore[union-attr]
    ids = re.findall(r'<paper id="([^"]+)">', user)
    titles = re.findall(r"^Title: (.*)$", user, re.MULTILINE)
    reasons = re.findall(r"^Ranker's reason: (.*)$", user, re.MULTILINE)
    picks = []
    for pid, title, reason in list(zip(ids, titles, reasons, strict=False))[:limit]:
        named = re.search(r"‘(.*?)’", reason)  # the interest the ranker matched, if it says
        interest = named.group(1) if named and named.group(1) in interests else interests[0]
        why = f"For your interest in {interest}: {title[:150]}."
        picks.append({"id": pid, "why": why, "interest": interest})
    opening = f"Today brings {len(picks)} papers for you, led by “{titles[0][:150]}”."
    return {"opening": opening, "picks": picks}


class FakeLLM:
    """Run with `with FakeLLM() as llm:`; `llm.base_url` goes into OPENAI_BASE_URL."""

    def __init__(self, script: Script | None = None, embed_script: Script | None = None) -> None:
        self.script = script
        self.embed_script = embed_script
        self.payloads: list[dict[str, Any]] = []
        self.embedding_requests: list[dict[str, Any]] = []
        self.server = FakeServer(self._respond)

    @property
    def base_url(self) -> str:
        return self.server.url + "/v1"

    def _respond(self, request: Request) -> Reply:
        if request.path == "/v1/embeddings":
            return self._embeddings(json.loads(request.body))
        if request.path != "/v1/chat/completions":
            return error(404)
        payload = json.loads(request.body)
        self.payloads.append(payload)
        scripted = self.script(payload) if self.script else None
        if isinstance(scripted, Reply):
            return scripted
        content = scripted if isinstance(scripted, str) else well_behaved(payload)
        prompt = sum(estimate_tokens(m["content"]) for m in payload["messages"])
        return completion(content, prompt, estimate_tokens(content))

    def _embeddings(self, payload: dict[str, Any]) -> Reply:
        self.embedding_requests.append(payload)
        scripted = self.embed_script(payload) if self.embed_script else None
        if isinstance(scripted, Reply):
            return scripted
        texts = payload["input"]
        vectors = HashingEmbedder(dim=32).embed_now(texts)
        data = [
            {"object": "embedding", "index": i, "embedding": [float(x) * 3 for x in vec]}
            for i, vec in reversed(list(enumerate(vectors)))  # order by index, not position
        ]
        tokens = sum(estimate_tokens(t) for t in texts)
        body = {
            "object": "list",
            "data": data,
            "model": payload["model"],
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
        return Reply(200, json.dumps(body))

    def __enter__(self) -> FakeLLM:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__(*exc)


def sequence(*replies: Reply | str | None) -> Script:
    """Reply with `replies` in order; None means "answer like a well-behaved model"."""
    queue = list(replies)

    def script(_payload: dict[str, Any]) -> Reply | str | None:
        return queue.pop(0) if queue else None

    return script
