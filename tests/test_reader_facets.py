"""The reader's own model holds several facets: a many-sided library gets papers of each
side, a 👎 in one facet demotes that facet's papers only, the model is stored per reader
(refitted when the ratings change, kept across a restart) and /learned shows and resets it.
The papers below are written for these tests (two clearly separate topics)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import sqlite_utils

from bot.messages.callbacks import encode
from bot.ranking import Profile, make_ranker
from bot.ranking.embedders import load_local_embedder
from bot.ranking.profiles import load_profile
from bot.ranking.reader_model import HISTORY_MIN, ReaderModel, facet_count, fit
from storage import open_db
from storage.feedback import record_feedback
from storage.interests import add_interest
from storage.library import LibraryPaper, add_to_library
from storage.papers import Paper, upsert_papers
from storage.reader_models import get_model
from storage.users import delete_user, ensure_user
from tests.telegram_harness import running_bot

CHAT, CONTROL = 91, 92

DECODING = [
    LibraryPaper(
        "lib:spec1",
        "Fast inference from transformers via speculative decoding",
        "A small draft model proposes several tokens that the large language model verifies in "
        "parallel, so autoregressive decoding needs fewer serial steps of the large model.",
    ),
    LibraryPaper(
        "lib:spec2",
        "Accelerating large language model decoding with speculative sampling",
        "Speculative sampling drafts tokens with a cheaper model and accepts or rejects them with "
        "a modified rejection scheme, speeding up text generation without changing its output.",
    ),
    LibraryPaper(
        "lib:spec3",
        "Medusa: simple LLM inference acceleration with multiple decoding heads",
        "Extra decoding heads predict several future tokens at once; a tree attention verifies "
        "the candidates, accelerating language model inference.",
    ),
]
PROTEINS = [
    LibraryPaper(
        "lib:prot1",
        "Highly accurate protein structure prediction with AlphaFold",
        "A neural network predicts the three-dimensional structure of a protein from its amino "
        "acid sequence and multiple sequence alignment with atomic accuracy.",
    ),
    LibraryPaper(
        "lib:prot2",
        "Accurate prediction of protein structures and interactions using a three-track network",
        "Sequence, residue-pair distance and 3D coordinate tracks exchange information to "
        "predict protein folds and protein complexes from amino acid sequences.",
    ),
    LibraryPaper(
        "lib:prot3",
        "Protein contact prediction from coevolution with deep residual networks",
        "Residue-residue contacts are predicted from coevolution in multiple sequence alignments "
        "and folded into tertiary protein structures.",
    ),
]
DAY1 = [
    Paper(
        id="2612.10001",
        title="Lookahead decoding: breaking the sequential dependency of LLM inference",
        abstract="Parallel n-gram drafting and verification speed up autoregressive decoding of "
        "large language models without a draft model.",
    ),
    Paper(
        id="2612.10002",
        title="Draft and verify: self-speculative decoding for faster generation",
        abstract="The language model skips layers to draft tokens for itself and verifies them, "
        "accelerating inference losslessly.",
    ),
    Paper(
        id="2612.10003",
        title="Staged speculative decoding for small-batch LLM inference",
        abstract="Drafts are organised in a tree and the draft model is itself sped up by "
        "speculative decoding, for faster on-device generation.",
    ),
    Paper(
        id="2612.10004",
        title="Predicting protein complex structures with deep learning",
        abstract="Multimer structures of interacting proteins are predicted from paired "
        "multiple sequence alignments with a structure prediction network.",
    ),
    Paper(
        id="2612.10005",
        title="Protein backbone structure generation with diffusion models",
        abstract="A diffusion model generates protein backbones, folding amino acid residues "
        "into designable three-dimensional structures.",
    ),
]
DAY2 = [
    Paper(
        id="2612.20001",
        title="Speculative decoding with tree-structured drafts for LLM serving",
        abstract="A draft model proposes a token tree that the target language model verifies "
        "in one pass, cutting decoding latency.",
    ),
    Paper(
        id="2612.20002",
        title="Parallel draft verification for faster language model inference",
        abstract="Draft tokens are verified in parallel by the large model, a speculative scheme "
        "that accelerates autoregressive generation.",
    ),
    Paper(
        id="2612.20003",
        title="Designing protein binders with deep generative models",
        abstract="Generative networks propose amino acid sequences of proteins that bind a "
        "target, checked by predicting the structure of the complex.",
    ),
    Paper(
        id="2612.20004",
        title="Predicting changes in protein stability from structure",
        abstract="A graph network over residues in the folded protein structure predicts how "
        "mutations change stability.",
    ),
]
DECODING_IDS = {p.id for p in DAY1[:3] + DAY2[:2]}
PROTEIN_IDS = {p.id for p in DAY1[3:] + DAY2[2:]}


def _order(text: str, papers: list[Paper]) -> list[str]:
    """The ids of `papers` in the order the digest text shows them (absent: left out)."""
    found = [(text.find(p.title), p.id) for p in papers if p.title in text]
    return [pid for _, pid in sorted(found)]


async def test_a_thumbs_down_in_one_facet_demotes_that_facet_only(
    db: sqlite_utils.Database,
) -> None:
    """Two readers import the same two-sided library (speculative decoding; protein
    structures) and follow no topic (an author with nothing today: /digest needs something
    followed). Both get papers of both sides on day 1. One turns down
    the three decoding papers; on day 2 the decoding papers fall below every protein paper
    for them, while for the other reader a decoding paper still leads; the protein papers
    keep their order."""
    async with running_bot(db, embedder=load_local_embedder()) as h:
        today = datetime(2026, 12, 1, 9, tzinfo=UTC)
        h.conv.clock = lambda: today
        for chat in (CHAT, CONTROL):
            ensure_user(db, chat)
            add_interest(db, chat, "author", "Grace Hopper")
            add_to_library(db, chat, DECODING + PROTEINS)
        upsert_papers(db, DAY1, day="2026-12-01", source="hf")
        first = await h.say(CHAT, "/digest")
        first_control = "".join(m.text for m in await h.say(CONTROL, "/digest"))
        day1 = "".join(m.text for m in first)
        for text in (day1, first_control):  # two facets: papers of both
            shown = set(_order(text, DAY1))
            assert shown & DECODING_IDS and shown & PROTEIN_IDS, text
        for paper in DAY1[:3]:
            await h.press(CHAT, encode("down", paper.id), first[-1].message_id or 1)
        await h.settle()
        upsert_papers(db, DAY2, day="2026-12-02", source="hf")
        h.conv.clock = lambda: today + timedelta(days=1)
        mine = _order("".join(m.text for m in await h.say(CHAT, "/digest")), DAY2)
        theirs = _order("".join(m.text for m in await h.say(CONTROL, "/digest")), DAY2)
        (learned,) = await h.say(CHAT, "/learned")
    assert theirs[0] in DECODING_IDS  # without the 👎 a decoding paper leads …
    proteins = [pid for pid in mine if pid in PROTEIN_IDS]
    assert proteins == [pid for pid in theirs if pid in PROTEIN_IDS] and len(proteins) == 2
    assert mine[: len(proteins)] == proteins  # … with them, every protein paper comes first
    assert "2 facets" in learned.text
    decoding_facet = learned.text[learned.text.index("Fast inference from transformers") - 300 :]
    assert "3 of your 👎" in decoding_facet.split("\n\n")[0] or "3 of your 👎" in learned.text


async def test_learned_shows_facets_and_reset_forgets_the_model(db: sqlite_utils.Database) -> None:
    async with running_bot(db, embedder=load_local_embedder()) as h:
        ensure_user(db, CHAT)
        add_to_library(db, CHAT, DECODING + PROTEINS)
        upsert_papers(db, DAY1, day="2026-12-01", source="hf")
        record_feedback(db, CHAT, DAY1[0].id, -1)
        (shown,) = await h.say(CHAT, "/learned")
        assert get_model(db, CHAT) is not None  # fitted and stored
        (reset,) = await h.say(CHAT, "/learned reset")
        forgotten = get_model(db, CHAT)
        model = load_profile(db, CHAT).model  # refitted from the library alone
    assert "2 facets" in shown.text and "1 of your 👎 were near it" in shown.text
    assert "Highly accurate protein structure prediction" in shown.text
    assert "Fast inference from transformers via speculative decoding" in shown.text
    assert "Forgot 1 rating" in reset.text and forgotten is None
    assert model is not None and model.rejected == 0 and len(model.facets) == 2


def test_the_model_is_stored_refitted_on_a_rating_and_survives_a_restart(db_path: object) -> None:
    db = open_db(str(db_path))
    ensure_user(db, CHAT)
    add_to_library(db, CHAT, DECODING + PROTEINS)
    upsert_papers(db, DAY1, day="2026-12-01", source="hf")
    _store_vectors(db, [p.as_paper() for p in DECODING + PROTEINS] + DAY1)
    first = load_profile(db, CHAT).model
    assert first is not None and len(first.facets) == 2
    stored = get_model(db, CHAT)
    assert stored is not None and stored.key == first.key
    record_feedback(db, CHAT, DAY1[0].id, -1)  # a rating makes the stored fit stale
    second = load_profile(db, CHAT).model
    assert second is not None and second.key != first.key and second.rejected == 1
    db.close()
    again = open_db(str(db_path))  # a restart: the stored model is read back, not refitted
    restored = get_model(again, CHAT)
    assert restored is not None and ReaderModel.from_json(restored.model) == second
    assert load_profile(again, CHAT).model == second
    delete_user(again, CHAT)  # /forget takes it with the reader
    assert get_model(again, CHAT) is None


def test_the_ranker_applies_the_same_model_it_would_fit() -> None:
    """A profile carrying its stored model ranks exactly as one the ranker fits itself
    (`paperboy recommend` and the bench fit; the digest loads the stored fit)."""
    ranker = make_ranker(DAY2, embedder=load_local_embedder())
    library = tuple(p.as_paper() for p in DECODING + PROTEINS)
    profile = Profile((), (DAY1[3],), tuple(DAY1[:3]), None, library)
    fitted = ranker.fit_model(profile)
    stored = ReaderModel.from_json(fitted.to_json())
    assert stored == fitted
    plain = ranker.rank(profile)
    assert (
        ranker.rank(Profile((), (DAY1[3],), tuple(DAY1[:3]), None, library, model=stored)) == plain
    )


def test_facets_split_a_two_sided_library_and_charge_each_thumbs_down_to_its_side() -> None:
    embedder = load_local_embedder()
    assert embedder is not None
    kept = [p.as_paper() for p in DECODING + PROTEINS]
    vectors = embedder.embed_now([f"{p.title}. {p.abstract}" for p in kept + DAY1[:3]])
    model = fit(kept, DAY1[:3], rated=0, vectors=(vectors[:6], vectors[6:]), centre=None)
    sides = sorted(sorted(f.papers) for f in model.facets)
    assert sides == sorted([sorted(p.key for p in DECODING), sorted(p.key for p in PROTEINS)])
    weights = dict(zip([p.id for p in kept], model.weights([p.id for p in kept]), strict=True))
    assert all(weights[p.key] < 1 for p in DECODING) and all(weights[p.key] == 1 for p in PROTEINS)
    decoding = next(f for f in model.facets if "lib:spec1" in f.papers)
    assert decoding.rejected == 3 and {"decoding", "speculative"} & set(decoding.words)
    assert model.cutoff is None  # no ratings history yet


def test_the_readers_own_cutoff_comes_from_their_history() -> None:
    rng = np.random.default_rng(0)
    topic = rng.normal(size=32)
    liked = topic + 0.3 * rng.normal(size=(8, 32))  # what they keep is near one topic
    refused = rng.normal(size=(8, 32))  # what they turn down is anywhere
    papers = [Paper(id=f"p{i}", title=f"paper {i}") for i in range(16)]
    model = fit(papers[:8], papers[8:], rated=8, vectors=(liked, refused), centre=None)
    assert HISTORY_MIN <= 8 + 8 and model.cutoff is not None
    short = fit(papers[:3], papers[8:10], rated=3, vectors=(liked[:3], refused[:2]), centre=None)
    assert short.cutoff is None  # too little history: the default cut-off


def test_facets_grow_with_the_library() -> None:
    assert [facet_count(n) for n in (1, 4, 5, 12, 13, 24, 25, 200)] == [1, 1, 2, 2, 3, 3, 4, 6]


def _store_vectors(db: sqlite_utils.Database, papers: list[Paper]) -> None:
    """What happens when papers arrive: their vectors are stored."""
    from bot.ranking.semantic import VectorStore

    embedder = load_local_embedder()
    assert embedder is not None
    VectorStore(embedder, db).papers(papers)
