"""Generate a realistic, fictional registry from config/demo/registry.toml (seeded)."""

from __future__ import annotations

import csv
import random
import re
import tomllib
import unicodedata
from pathlib import Path
from typing import Any

from consult.registry.parsing import COLUMNS


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "", ascii_text.lower())


def generate_registry(config: dict[str, Any], seed: int) -> list[dict[str, str]]:
    """Rows with the registry columns. Names are fictional; addresses use example.org domains."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    used_emails: set[str] = set()
    for region, region_cfg in config["regions"].items():
        places: list[str] = region_cfg["places"]
        for sector, cfg in config["sectors"].items():
            names: list[str] = []
            candidates = [p.format(place=place) for p in cfg["name_patterns"] for place in places]
            rng.shuffle(candidates)
            for candidate in candidates:
                if candidate not in names:
                    names.append(candidate)
                if len(names) == cfg["per_region"]:
                    break
            low, high = cfg["people_per_institution"]
            for org in names:
                domain = f"{_slug(org)[:40]}.example.org"
                roles = list(cfg["roles"])
                rng.shuffle(roles)
                for index in range(rng.randint(low, high)):
                    first = rng.choice(config["first_names"])
                    last = rng.choice(config["last_names"])
                    local = f"{_slug(first)}.{_slug(last)}"
                    email = f"{local}@{domain}"
                    suffix = 2
                    while email in used_emails:
                        email = f"{local}{suffix}@{domain}"
                        suffix += 1
                    used_emails.add(email)
                    english = rng.random() < config["english_speaker_share"]
                    rows.append(
                        {
                            "organisation": org,
                            "sector": sector,
                            "region": region,
                            "name": f"{first} {last}",
                            "email": email,
                            "role": roles[index % len(roles)],
                            "language": "en" if english else "nl",
                        }
                    )
    return rows


def load_demo_config(config_dir: Path) -> dict[str, Any]:
    with (config_dir / "demo" / "registry.toml").open("rb") as fh:
        return tomllib.load(fh)


def write_registry_csv(rows: list[dict[str, str]], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
