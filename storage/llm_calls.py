"""The LLM usage log: one row per call, successful or not (purpose, model, tokens, latency)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from storage.papers import utc_now


@dataclass(frozen=True)
class LLMCall:
    purpose: str
    model: str
    prompt_version: str | None
    tokens_in: int
    tokens_out: int
    latency_ms: int
    ok: bool
    error: str | None = None


@dataclass(frozen=True)
class UsageSummary:
    calls: int
    failed: int
    tokens_in: int
    tokens_out: int


def record_call(db: sqlite_utils.Database, call: LLMCall) -> None:
    db.execute(
        """INSERT INTO llm_calls (purpose, model, prompt_version, tokens_in, tokens_out,
               latency_ms, ok, error, created_utc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            call.purpose,
            call.model,
            call.prompt_version,
            call.tokens_in,
            call.tokens_out,
            call.latency_ms,
            int(call.ok),
            call.error,
            utc_now(),
        ],
    )


def usage_since(db: sqlite_utils.Database, since_utc: str) -> UsageSummary:
    row = db.execute(
        """SELECT count(*), coalesce(sum(1 - ok), 0), coalesce(sum(tokens_in), 0),
                  coalesce(sum(tokens_out), 0)
           FROM llm_calls WHERE created_utc >= ?""",
        [since_utc],
    ).fetchone()
    return UsageSummary(calls=row[0], failed=row[1], tokens_in=row[2], tokens_out=row[3])
