"""The consultation themes, mirrored from config/themes.toml."""

from __future__ import annotations

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class Theme(Base):
    __tablename__ = "theme"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(50), unique=True)
    title_nl: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    questions_nl: Mapped[list[str]] = mapped_column(JSON, default=list)
    questions_en: Mapped[list[str]] = mapped_column(JSON, default=list)

    def title(self, language: str) -> str:
        return self.title_en if language == "en" else self.title_nl

    def questions(self, language: str) -> list[str]:
        return self.questions_en if language == "en" else self.questions_nl
