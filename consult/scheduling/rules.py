"""A round's scheduling rules per theme, from its spec: a theme's own value overrides the
round's. (Rounds launched before the rules existed get RoundSpec's defaults: consult.spec.)"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from consult.scheduling.model import ThemeRules
from consult.spec import RoundSpec, ThemeSpec


def theme_rules(spec: RoundSpec, slug: str, slot_ids: Sequence[int]) -> ThemeRules:
    """The rules for one theme: the theme's own value where set, else the round's."""
    theme: ThemeSpec | None = next((t for t in spec.themes if t.slug == slug), None)

    def rule(name: str) -> Any:
        own = getattr(theme, name, None) if theme is not None else None
        return own if own is not None else getattr(spec, name)

    return ThemeRules(
        slug=slug,
        slot_ids=tuple(slot_ids),
        group_min=int(rule("group_min")),
        group_max=int(rule("group_max")),
        parallel_groups=int(rule("parallel_groups")),
        min_sectors=int(rule("min_sectors")),
        max_per_sector=rule("max_per_sector"),
        min_regions=int(rule("min_regions")),
    )
