"""Group a round's contributions per theme into draft building blocks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from consult.app import lifecycle
from consult.app.overview import blocks_markdown
from consult.reports.content import gather
from consult.synthesis.embeddings import load_embedder
from consult.synthesis.service import SynthesisResult
from consult.synthesis.service import synthesise as synthesise_blocks
from consult.wiring import App
from models import BlockStatus, Round, RoundStatus


def synthesise(session: Session, ctx: App, round_id: int) -> SynthesisResult:
    """Blocks and staff decisions already made stay as they are; only new or unplaced
    contributions are placed."""
    rnd = session.get_one(Round, round_id)
    settings = ctx.settings.synthesis
    embedder = load_embedder(settings.embedding_backend, settings.embedding_batch_size)
    result = synthesise_blocks(session, round_id, embedder)
    lifecycle.advance(rnd, RoundStatus.SYNTHESISED)
    return result


def overview(session: Session, ctx: App, round_id: int, now: datetime) -> tuple[str, str]:
    """(round slug, Markdown of the blocks per theme with their support)."""
    statuses = (BlockStatus.DRAFT, BlockStatus.APPROVED)
    report = gather(session, round_id, ctx.taxonomy, "nl", now, statuses)
    return report.round_slug, blocks_markdown(report)
