"""A round's scheduling rules per theme, read from the spec stored on the round.

Rounds launched before the rules existed store a spec without them; the RoundSpec defaults
apply then, so old rounds schedule the same way a fresh spec without those keys would.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from consult.scheduling.model import ThemeRules
from consult.spec import RoundSpec, ThemeSpec

_RULES = (
    "group_min",
    "group_max",
    "parallel_groups",
    "min_sectors",
    "max_per_sector",
    "min_regions",
)


def theme_rules(spec: Mapping[str, Any], slug: str, slot_ids: Sequence[int]) -> ThemeRules:
    """The rules for one theme: the theme's own value where set, else the round's, else the
    RoundSpec default."""
    defaults = {name: RoundSpec.model_fields[name].default for name in _RULES}
    theme: Mapping[str, Any] = next(
        (t for t in spec.get("themes", []) if t.get("slug") == slug), {}
    )
    values: dict[str, Any] = {}
    for name in _RULES:
        own = theme.get(name) if name in ThemeSpec.model_fields else None
        values[name] = own if own is not None else spec.get(name, defaults[name])
    return ThemeRules(
        slug=slug,
        slot_ids=tuple(slot_ids),
        group_min=int(values["group_min"]),
        group_max=int(values["group_max"]),
        parallel_groups=int(values["parallel_groups"]),
        min_sectors=int(values["min_sectors"]),
        max_per_sector=None if values["max_per_sector"] is None else int(values["max_per_sector"]),
        min_regions=int(values["min_regions"]),
    )
