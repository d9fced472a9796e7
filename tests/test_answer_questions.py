"""Questions about the papers of a digest, through the real `answer()` on a SQLite file (and
the real bot on the fake Telegram): a paper's gist answered from its abstract, in typos and
German too; a refusal decided by meaning and naming what is missing in a few words; "it",
"compare it to paper 1" and "paper 2" before any digest; a model's "NOT_IN_PAPER"."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
import sqlite_utils

from bot.answers import answer
from bot.answers.asking import read_question
from bot.answers.refer import pointing
from bot.config import Settings
from bot.llm import LLMClient
from bot.ranking.embedders import Embedder, load_local_embedder
from storage.deliveries import OutboxItem, create_delivery, set_message_id
from storage.papers import Links, Paper, upsert_papers
from storage.turns import recent_turns
from storage.users import ensure_user
from tests.fakes.openai_server import FakeLLM
from tests.telegram_harness import running_bot

CHAT = 4242
PAPERS = [
    Paper(
        id="pq-expertflow",
        title="ExpertFlow: expert offloading for MoE inference",
        abstract=(
            "Serving mixture-of-experts models needs a lot of GPU memory. "
            "We propose ExpertFlow, which keeps only the experts that are predicted to be "
            "used on the GPU and offloads the rest to the CPU. "
            "This cuts expert transfers by 60% and speeds up decoding 2.1 times over "
            "DeepSpeed-MoE."
        ),
    ),
    Paper(
        id="pq-splitwise",
        title="Splitwise: serving LLMs by splitting prompt and token phases",
        abstract=(
            "LLM inference has a compute-bound prompt phase and a memory-bound token phase. "
            "We introduce Splitwise, which runs the two phases on separate machines. "
            "However, splitting a request requires moving its KV cache between machines. "
            "Splitwise achieves 1.4x higher throughput at 20% lower cost."
        ),
    ),
    Paper(
        id="pq-pasa",
        title="PaSa: an LLM agent for academic paper search",
        abstract=(
            "Finding every paper relevant to a question takes researchers hours. "
            "We present PaSa, an agent that calls search tools, reads papers and follows "
            "citations. PaSa is trained with reinforcement learning on 35k synthetic "
            "queries and beats Google Scholar by 37% in recall."
        ),
    ),
]


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    model = load_local_embedder()
    assert model is not None, "the shipped MiniLM must load"
    return model


@pytest.fixture
def reader(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """A reader whose latest digest is PAPERS, in that order (papers 1, 2, 3)."""
    upsert_papers(db, PAPERS, day="2026-12-07", source="hf")
    ensure_user(db, CHAT)
    items = [OutboxItem(p.id, 1.0, "your interest") for p in PAPERS]
    delivery = create_delivery(db, CHAT, "2026-12-07", items, status="sent")
    set_message_id(db, delivery, [p.id for p in PAPERS], 900)
    yield db


def no_llm(db: sqlite_utils.Database) -> LLMClient:
    return LLMClient(Settings(), db)


def model(db: sqlite_utils.Database, fake: FakeLLM) -> LLMClient:
    return LLMClient(Settings(openai_base_url=fake.base_url, llm_attempts=1), db, backoff_s=0.01)


# --- a paper's gist ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "what's the main result of paper 1?",
        "wat is the main reslt of paper 1",  # typos
        "whats teh main rsult of paper 1",  # a short word's letters swapped
        "how good is paper 1?",  # an evaluation: its results
        "was ist das hauptergebnis von paper 1",  # German
        "quel est le résultat principal de l'article 1",  # French
    ],
)
async def test_a_result_question_is_answered_from_the_abstract(
    reader: sqlite_utils.Database, question: str
) -> None:
    result = await answer(reader, no_llm(reader), CHAT, question)
    assert result.mode == "retrieval" and result.scope == "paper 1 of your latest digest"
    # It leads with the sentence that has the result, and says it is from the abstract.
    assert "cuts expert transfers by 60%" in result.text.splitlines()[1]
    assert result.note == "(Answered from the abstract: [1]'s full text is not available.)"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("what problem does paper 3 solve?", "takes researchers hours"),
        ("wie funktioniert paper 3", "We present PaSa, an agent that calls search tools"),
        ("tl;dr of paper 2 pls", "We introduce Splitwise"),
        ("de qué trata el paper 2", "We introduce Splitwise"),
        ("any downsides to paper 2?", "requires moving its KV cache"),
    ],
)
async def test_gist_questions_lead_with_the_sentences_that_fit(
    reader: sqlite_utils.Database, question: str, expected: str
) -> None:
    result = await answer(reader, no_llm(reader), CHAT, question)
    assert result.mode == "retrieval", result.text
    assert expected in result.text


# --- refusals: by meaning, saying what is missing ---------------------------------------


async def test_a_topic_neither_words_nor_meaning_connect_is_refused_in_a_few_words(
    reader: sqlite_utils.Database, embedder: Embedder
) -> None:
    question = "what does the 2nd paper say about protein folding?"
    result = await answer(reader, no_llm(reader), CHAT, question, embedder=embedder)
    assert result.mode == "nothing"
    assert result.text == (
        "Paper 2's abstract does not mention protein folding; its full text is not available."
    )


async def test_who_wrote_it_its_link_date_and_bibtex_come_from_the_record(
    reader: sqlite_utils.Database,
) -> None:
    recorded = replace(
        PAPERS[0],
        authors=("Ada Lovelace", "Alan Turing"),
        published_utc="2026-12-06T17:00:00Z",
        links=Links(arxiv="https://arxiv.org/abs/2612.00001"),
    )
    upsert_papers(reader, [recorded], day="2026-12-07", source="hf")

    async def ask(question: str) -> str:
        return (await answer(reader, no_llm(reader), CHAT, question)).text

    assert await ask("who wrote paper 1?") == "Paper 1 [1] is by Ada Lovelace and Alan Turing."
    assert await ask("link to paper 1 pls") == "Paper 1 [1]: arXiv https://arxiv.org/abs/2612.00001"
    assert await ask("when was paper 1 published?") == "Paper 1 [1] was published on 2026-12-06."
    assert "@misc{lovelace2026expertflow," in await ask("bibtex for paper 1")
    no_authors = await ask("authors of paper 2?")
    assert (
        no_authors
        == "Paper 2 [1]: I have no authors stored for it; its page, linked below, lists them."
    )
    # The authors' claims and the code's whereabouts are in the text, not the record.
    assert "is by" not in await ask("what do the authors of paper 1 propose?")
    assert "arxiv.org/abs" not in await ask("where can I download the code of paper 1?")


async def test_a_paper_called_by_its_name_gets_the_sentences_its_question_wants(
    reader: sqlite_utils.Database,
) -> None:
    async def ask(question: str) -> str:
        return (await answer(reader, no_llm(reader), CHAT, question)).text

    # A misspelt name is the paper, not a topic in it: its result, in figures.
    assert "1.4x higher throughput" in await ask("wat is teh main reslt of the splitwse paper")
    assert "1.4x higher throughput" in await ask("splitwise throughput gain")
    # "Good morning" is a greeting, not a question about how good its results are.
    assert "We propose ExpertFlow" in await ask("Good morning! how does paper 1 work?")
    # "open source" asks where the code is; PaSa's abstract does not say.
    assert "does not mention where its code is" in await ask("is pasa open source?")


def test_a_typo_is_a_letter_dropped_added_swapped_or_changed_in_a_long_word() -> None:
    assert read_question("wat is teh main reslt").aspects == {"result"}  # dropped
    assert read_question("what are the limitatons").aspects == {"limitations"}
    assert read_question("resutls of paper 1").aspects == {"result"}  # swapped
    # A changed letter in a short word is another word: "batch" is not "catch".
    assert read_question("¿Qué tamaño de batch usaron?").aspects == set()
    assert read_question("what batch size did they use").aspects == set()


async def test_a_bare_follow_up_asks_the_previous_question_of_what_it_names(
    reader: sqlite_utils.Database,
) -> None:
    first = await answer(reader, no_llm(reader), CHAT, "what's the speedup of paper 1?")
    assert "2.1 times" in first.text
    then = await answer(reader, no_llm(reader), CHAT, "and paper 2?")
    assert "1.4x higher throughput" in then.text and [p.id for p in then.sources] == [PAPERS[1].id]
    gpus = await answer(reader, no_llm(reader), CHAT, "how many GPUs did paper 1 use?")
    assert gpus.text.startswith("Paper 1's abstract does not mention how many GPUs")
    second = await answer(reader, no_llm(reader), CHAT, "and the second one?")
    assert second.mode == "nothing" and second.text.startswith("Paper 2's abstract")
    said = [t.text for t in recent_turns(reader, CHAT, 20) if t.role == "user"]
    assert said[-1] == "and the second one?"  # what the reader typed is what is kept


def test_which_x_did_they_use_asks_about_a_paper_not_which_papers() -> None:
    from bot.answers.scope import which_topic

    assert which_topic("which codewords did they use in the make me say game") is None
    assert which_topic("which of them use LoRA?") == "LoRA"
    assert which_topic("which use LoRA?") == "LoRA"


async def test_which_to_read_first_is_the_paper_that_ranked_highest(
    reader: sqlite_utils.Database,
) -> None:
    for question in ("which one should I read first?", "what's the most relevant one?"):
        result = await answer(reader, no_llm(reader), CHAT, question)
        assert result.text.startswith("Paper 1 [1]: it ranked highest for you")
        assert [p.id for p in result.sources] == [PAPERS[0].id]
    # Asking the best of something in a paper is a question about it.
    best = await answer(reader, no_llm(reader), CHAT, "what is the best result of paper 2?")
    assert "ranked highest" not in best.text and best.sources[0].id == PAPERS[1].id


async def test_polite_words_around_a_request_are_not_taken_for_its_topic(
    reader: sqlite_utils.Database, embedder: Embedder
) -> None:
    question = (
        "Would you mind terribly giving me a one-line summary of each of the papers? I'm "
        "afraid I shan't have time to read them all properly."
    )
    result = await answer(reader, no_llm(reader), CHAT, question, embedder=embedder)
    assert result.mode == "retrieval" and [p.id for p in result.sources] == [p.id for p in PAPERS]
    assert "does not mention" not in result.text + result.note


async def test_an_acronym_the_paper_never_uses_nor_spells_out_is_refused_by_name(
    reader: sqlite_utils.Database, embedder: Embedder
) -> None:
    # "models" is in Splitwise's abstract, "MoE" is not: the question is about MoE.
    moe = await answer(
        reader, no_llm(reader), CHAT, "lol does splitwise work w/ MoE models?", embedder=embedder
    )
    assert moe.text == "Paper 2's abstract does not mention MoE; its full text is not available."
    # Written out in full is as good as the acronym: PaSa says "reinforcement learning".
    rl = await answer(reader, no_llm(reader), CHAT, "does paper 3 use RL?", embedder=embedder)
    assert rl.mode == "retrieval" and "reinforcement learning" in rl.text
    # A name starting in lower case is that name: "vLLM" is not "very large language models".
    vllm = await answer(reader, no_llm(reader), CHAT, "does splitwise compare against vLLM?")
    assert vllm.text.startswith("Paper 2's abstract does not mention vLLM")
    # Capitals typed for emphasis name nothing.
    shouted = await answer(
        reader, no_llm(reader), CHAT, "WHAT IS THE MAIN RESULT OF PAPER 2", embedder=embedder
    )
    assert shouted.mode == "retrieval" and "1.4x higher throughput" in shouted.text


async def test_a_topic_close_in_meaning_is_answered_though_no_word_is_shared(
    reader: sqlite_utils.Database, embedder: Embedder
) -> None:
    question = "what does paper 1 say about graphics cards?"
    # No word of "graphics cards" is in paper 1; by words alone it is refused …
    alone = await answer(reader, no_llm(reader), CHAT, question)
    assert alone.mode == "nothing" and "does not mention graphics cards" in alone.text
    # … but the shipped model finds it close to what the paper says about GPUs.
    result = await answer(reader, no_llm(reader), CHAT, question, embedder=embedder)
    assert result.mode == "retrieval" and "GPU" in result.text.splitlines()[1]


async def test_a_number_in_a_unit_the_paper_never_gives_is_refused(
    reader: sqlite_utils.Database,
) -> None:
    result = await answer(reader, no_llm(reader), CHAT, "how much did paper 2 cost in dollars?")
    assert result.text == (
        "Paper 2's abstract does not mention cost in dollars; its full text is not available."
    )
    gpus = await answer(reader, no_llm(reader), CHAT, "how many GPUs did paper 1 use?")
    assert gpus.text.startswith("Paper 1's abstract does not mention how many GPUs;")


async def test_limitations_of_a_paper_that_states_none_are_refused(
    reader: sqlite_utils.Database,
) -> None:
    result = await answer(reader, no_llm(reader), CHAT, "paper 1 limitations?")
    assert result.mode == "nothing"
    assert result.text.startswith("Paper 1's abstract does not mention its limitations")


# --- which paper: "it", "compare it to paper 1", no digest yet --------------------------


async def test_it_is_the_paper_of_the_last_question(reader: sqlite_utils.Database) -> None:
    await answer(reader, no_llm(reader), CHAT, "what does paper 3 do?")
    result = await answer(reader, no_llm(reader), CHAT, "how many queries does it use?")
    assert result.scope == "paper 3 of your latest digest"
    assert [p.id for p in result.sources] == ["pq-pasa"] and "35k" in result.text


async def test_it_after_a_refusal_is_still_that_paper(reader: sqlite_utils.Database) -> None:
    refused = await answer(reader, no_llm(reader), CHAT, "what does paper 2 say about robots?")
    assert refused.mode == "nothing"
    assert recent_turns(reader, CHAT)[-1].cited == ("pq-splitwise",)
    result = await answer(reader, no_llm(reader), CHAT, "ok, and how does it work?")
    assert [p.id for p in result.sources] == ["pq-splitwise"]


async def test_compare_it_to_paper_1_compares_both(reader: sqlite_utils.Database) -> None:
    await answer(reader, no_llm(reader), CHAT, "what problem does paper 3 solve?")
    result = await answer(reader, no_llm(reader), CHAT, "how does it compare to paper 1?")
    assert result.scope == "papers 3 and 1 of your latest digest"
    assert [p.id for n, p in result.cited()] == ["pq-pasa", "pq-expertflow"]
    assert "▸ Method" in result.text


@pytest.mark.parametrize(
    "question", ["p2 summary", "#2 summary", "paper no. 2 summary", "the second one?"]
)
async def test_ways_of_naming_paper_2(reader: sqlite_utils.Database, question: str) -> None:
    result = await answer(reader, no_llm(reader), CHAT, question)
    assert [p.id for p in result.sources] == ["pq-splitwise"], question


async def test_paper_2_before_any_digest(db: sqlite_utils.Database) -> None:
    upsert_papers(db, PAPERS, day="2026-12-07", source="hf")
    result = await answer(db, no_llm(db), CHAT, "how does paper 2 work?")
    assert result.mode == "nothing" and result.sources == ()
    assert (
        result.text
        == "You have no digest yet, so there is no paper 2: send /digest to get today's."
    )


async def test_a_paper_beyond_the_digest(reader: sqlite_utils.Database) -> None:
    result = await answer(reader, no_llm(reader), CHAT, "what does paper 7 say about GPUs?")
    assert result.text == "Your latest digest has 3 papers, so there is no paper 7."


# --- with a model -----------------------------------------------------------------------


async def test_a_gist_question_goes_to_the_model_whatever_the_words(
    reader: sqlite_utils.Database,
) -> None:
    reply = "Its abstract states no limitations, only that it cuts expert transfers by 60% [1]."
    with FakeLLM(lambda _p: reply) as fake:
        result = await answer(reader, model(reader, fake), CHAT, "paper 1 limitations?")
    assert len(fake.payloads) == 1 and result.mode == "llm"


async def test_the_models_not_in_paper_is_checked_and_said_plainly(
    reader: sqlite_utils.Database,
) -> None:
    with FakeLLM(lambda _p: "NOT_IN_PAPER: the licence of the code") as fake:
        result = await answer(reader, model(reader, fake), CHAT, "what does paper 3 do?")
    assert result.mode == "nothing"
    assert result.text == (
        "Paper 3's abstract does not mention the licence of the code; its full text is not "
        "available."
    )
    # A refusal its own papers contradict is not believed: their sentences are quoted.
    with FakeLLM(lambda _p: "NOT_IN_PAPER: reinforcement learning") as fake:
        result = await answer(reader, model(reader, fake), CHAT, "what does paper 3 do?")
    assert result.mode == "retrieval"
    assert result.text.startswith("(The model said the papers do not mention reinforcement")


# --- through the bot on the fake Telegram -----------------------------------------------


async def test_in_telegram_no_digest_then_gist_then_it(db: sqlite_utils.Database) -> None:
    async with running_bot(db, full_text=False) as h:
        (before,) = await h.say(CHAT, "how does paper 2 work?")
        await h.say(CHAT, "/start")
        await h.say(CHAT, "mixture of experts inference")
        await h.say(CHAT, "/digest")
        (gist,) = await h.say(CHAT, "wat is the main reslt of paper 1")
        (again,) = await h.say(CHAT, "and how does it compare to paper 2?")
        everyday = [
            (await h.say(CHAT, q))[0].text
            for q in (
                "whats teh catch with paper 2",
                "is paper 1 any good?",
                "paper 1 vs 2",
                "what do papers 2 and 3 have in common",
                "explain paper 3 like im a beginner",
                "summarize all of them",
                "Hello, please can you explain me what the ExpertFlow is doing?",
            )
        ]
    assert [t.split(":")[0] for t in everyday] == [
        "<i>From paper 2 of your latest digest",
        "<i>From paper 1 of your latest digest",
        "<i>From papers 1 and 2 of your latest digest",
        "<i>From papers 2 and 3 of your latest digest",
        "<i>From paper 3 of your latest digest",
        "<i>From papers 1, 2, 3, 4 and 5 of your latest digest",
        "<i>From paper 3 of your latest digest",
    ], everyday
    assert all(f"[{n}]" in everyday[-2] for n in range(1, 6))  # each one quoted
    assert html.unescape(before.text) == (
        "You have no digest yet, so there is no paper 2: send /digest to get today's."
    )
    assert gist.text.startswith("<i>From paper 1 of your latest digest:</i>")
    assert "Answered from the abstract" in gist.text
    assert again.text.startswith("<i>From papers 1 and 2 of your latest digest:</i>")
    assert again.text.count("▸ ") == 4


async def test_in_telegram_a_refusal_names_what_is_missing(
    db: sqlite_utils.Database, embedder: Embedder
) -> None:
    async with running_bot(db, full_text=False) as h:
        h.conv.embedder = embedder  # the shipped model, as `paperboy run` has it
        await h.say(CHAT, "/start")
        await h.say(CHAT, "mixture of experts inference")
        await h.say(CHAT, "/digest")
        (reply,) = await h.say(CHAT, "was steht in paper 1 über Proteinfaltung und Quantenchemie?")
        (refused,) = await h.say(CHAT, "what does paper 1 say about protein folding?")
        (german,) = await h.say(CHAT, "zusammenfassung von paper 1")
    assert "does not mention" not in reply.text  # German words it cannot judge: answered
    assert html.unescape(refused.text).startswith(
        "Paper 1's abstract does not mention protein folding;"
    )
    assert "what does" not in refused.text  # never the whole question
    assert german.text.startswith("<i>From paper 1 of your latest digest:</i>")


# --- reading questions: pure ------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "every"),
    [
        ("summarize all of them", True),
        ("tl;dr of each paper", True),
        ("anything about robots in today's papers?", True),
        ("all five please, briefly", True),
        ("compare them", False),
        ("is all of paper 2 about inference?", False),
    ],
)
def test_pointing_at_the_whole_digest(question: str, every: bool) -> None:
    assert pointing(question).every is every


@pytest.mark.parametrize(
    ("question", "maybe"),
    [
        ("et le 3 il est bien ou pas ?", (3,)),
        ("Worum geht's bei Nr. 5 eigentlich?", (5,)),
        ("el 2 usa código?", (2,)),
        ("the 3 days of training", ()),
    ],
)
def test_a_bare_digest_number(question: str, maybe: tuple[int, ...]) -> None:
    assert pointing(question).maybe == maybe


@pytest.mark.parametrize(
    ("question", "positions", "back"),
    [
        ("compare papers 1 and 3", (1, 3), False),
        ("the last one?", (-1,), False),
        ("the first paper", (1,), False),
        ("which one should I read first", (), False),
        ("what about the 2nd paper", (2,), False),
        ("l'article 1 est bien?", (1,), False),
        ("el paper 3", (3,), False),
        ("how does it work", (), True),
        ("what do they use", (), True),
        ("that one", (), True),
        ("what did you send me this week?", (), False),
    ],
)
def test_pointing(question: str, positions: tuple[int, ...], back: bool) -> None:
    found = pointing(question)
    assert (found.positions, found.back) == (positions, back)


@pytest.mark.parametrize(
    ("question", "kind", "topic"),
    [
        ("what's the main result of paper 1?", "result", []),
        ("summry of paper 2", "summary", []),
        ("waht is teh main rsult of paper 1 adn hwo good is it", "result", []),
        ("how does the GAN in paper 2 work", "method", ["gan"]),  # not "can"
        ("what does paper 2 say about MoE", "summary", ["moe"]),
        ("is paper 3 any good?", "result", []),
        ("paper 1 vs paper 2", "summary", []),
        ("eli5 paper 1", "summary", []),
        ("what did they find in paper 2", "summary", []),
        ("whats the catch with paper 2", "limitations", []),
        ("whats the big deal with paper 4", "summary", []),
        ("why should I care about paper 1", "problem", []),
        ("what form of dose do they use", "summary", ["form", "dose"]),  # real words
        ("worum geht es in paper 2", "summary", []),
        ("was ist das hauptergebnis von paper 1", "result", []),
        ("zusammenfassung von paper 4", "summary", []),
        ("what does paper 2 say about protein folding?", "summary", ["protein", "folding"]),
        ("wie groß ist der Trainingsdatensatz", "data", ["training"]),
    ],
)
def test_reading_a_question(question: str, kind: str, topic: list[str]) -> None:
    asked = read_question(question)
    assert asked.kind == kind and [w.english for w in asked.topic] == topic


def test_the_new_patterns_run_in_linear_time() -> None:
    """Each question-reading pattern on 100 KB shaped to make it backtrack, in well under
    a second (a quadratic one takes minutes)."""
    shapes = [
        "paper 1 , " * 10_000,
        "the first " * 10_000,
        "in 1 " * 20_000 + "x",
        "compare 1 " * 10_000,
        "how long " * 10_000 + "takes",
        " " * 100_000 + "x",
        "1" * 100_000,
        "1 " * 50_000 + "hours",
        "#" * 100_000,
        "NOT_IN_PAPER: " + "x " * 50_000,
    ]
    from bot.answers import asking, checks, extract, refer, support

    patterns = [
        value
        for module in (asking, checks, extract, refer, support)
        for value in vars(module).values()
        if isinstance(value, re.Pattern)
    ]
    patterns += list(support.UNIT_CUES.values())
    for pattern in patterns:
        for text in shapes:
            start = time.process_time()
            sum(1 for _ in pattern.finditer(text))
            assert time.process_time() - start < 1.0, (pattern.pattern[:60], text[:20])
