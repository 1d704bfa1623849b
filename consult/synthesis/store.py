"""Embeddings kept with the contributions: made once, in batches, and made again only when the
model changes (its name records model, version and recipe)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from consult.synthesis.embeddings import Embedder, from_bytes, to_bytes
from models import Contribution, ContributionEmbedding

# Contributions embedded per transaction step: bounds memory on a large round.
CHUNK = 512


def embed_missing(session: Session, round_id: int, embedder: Embedder) -> int:
    """Embed the contributions of a round that have no vector by this model; returns how many."""
    current = select(ContributionEmbedding.contribution_id).where(
        ContributionEmbedding.model == embedder.name
    )
    todo = session.execute(
        select(Contribution.id, Contribution.text)
        .where(Contribution.round_id == round_id, Contribution.id.not_in(current))
        .order_by(Contribution.id)
    ).all()
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start : start + CHUNK]
        ids = [cid for cid, _ in chunk]
        vectors = embedder.embed([text for _, text in chunk])
        # A vector of another model is replaced, not kept beside the new one.
        session.execute(
            delete(ContributionEmbedding).where(ContributionEmbedding.contribution_id.in_(ids))
        )
        session.add_all(
            ContributionEmbedding(
                contribution_id=cid,
                model=embedder.name,
                dimension=int(vector.shape[0]),
                vector=to_bytes(vector),
            )
            for cid, vector in zip(ids, vectors, strict=True)
        )
        session.flush()
    return len(todo)


def stored_vectors(
    session: Session, contribution_ids: Iterable[int], model: str
) -> dict[int, npt.NDArray[np.float32]]:
    """The vectors by `model` of these contributions (those that have one)."""
    ids = list(contribution_ids)
    found: dict[int, npt.NDArray[np.float32]] = {}
    for start in range(0, len(ids), 5000):
        rows = session.execute(
            select(ContributionEmbedding.contribution_id, ContributionEmbedding.vector).where(
                ContributionEmbedding.contribution_id.in_(ids[start : start + 5000]),
                ContributionEmbedding.model == model,
            )
        )
        found.update((cid, from_bytes(blob)) for cid, blob in rows)
    return found
