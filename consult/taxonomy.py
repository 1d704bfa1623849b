"""Themes, sectors and regions as configured in config/*.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ThemeConfig:
    slug: str
    title_nl: str
    title_en: str
    questions_nl: tuple[str, ...]
    questions_en: tuple[str, ...]


@dataclass(frozen=True)
class Sector:
    code: str
    name_nl: str
    name_en: str
    group: str


@dataclass(frozen=True)
class RegionConfig:
    name: str
    network: str


@dataclass(frozen=True)
class Taxonomy:
    themes: tuple[ThemeConfig, ...]
    sectors: tuple[Sector, ...]
    regions: tuple[RegionConfig, ...]

    @property
    def sector_codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.sectors)

    @property
    def region_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.regions)

    def sector(self, code: str) -> Sector:
        return next(s for s in self.sectors if s.code == code)


def load_taxonomy(config_dir: Path) -> Taxonomy:
    with (config_dir / "themes.toml").open("rb") as fh:
        themes_doc = tomllib.load(fh)
    with (config_dir / "taxonomy.toml").open("rb") as fh:
        tax_doc = tomllib.load(fh)
    themes = tuple(
        ThemeConfig(
            slug=t["slug"],
            title_nl=t["title_nl"],
            title_en=t["title_en"],
            questions_nl=tuple(t["questions_nl"]),
            questions_en=tuple(t["questions_en"]),
        )
        for t in themes_doc["themes"]
    )
    sectors = tuple(Sector(**s) for s in tax_doc["sectors"])
    regions = tuple(RegionConfig(**r) for r in tax_doc["regions"])
    return Taxonomy(themes=themes, sectors=sectors, regions=regions)
