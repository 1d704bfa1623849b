"""A report built from plain data, no database: two themes, approved and draft blocks, and
contributions with all three quote permissions.

The contribution views come from content.view() over unsaved ORM objects, so the names and
organisations that must stay hidden really are in the input: a test that finds none of them in
the files proves the whole path (content -> writers) keeps them out, not just the writers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from consult.reports.content import (
    BlockView,
    ContributionView,
    Report,
    ThemeSection,
    pick_quotes,
    sector_name,
    support_of,
    view,
)
from consult.taxonomy import Taxonomy
from models import (
    BlockStatus,
    Contribution,
    ContributionKind,
    Organisation,
    Person,
    QuotePermission,
    Region,
)

A = QuotePermission.ATTRIBUTABLE
R = QuotePermission.ROLE_ONLY
N = QuotePermission.NOT_QUOTABLE

# (name, role, organisation, sector code, region)
PEOPLE = {
    1: ("Anna de Vries", "bestuurder", "Zorggroep Oost", "vvt", "Achterhoek"),
    2: ("Pieter Bakker", "wijkverpleegkundige", "Thuiszorg Hengelo BV", "vvt", "Twente"),
    3: ("Sanne Jansen", "docent", "ROC Zwolle-Zuid", "mbo", "Zwolle"),
    4: ("Mohamed El Amrani", "HR-adviseur", "Ziekenhuis Almelo", "ziekenhuis", "Twente"),
    5: ("Ellen Smit", "beleidsmedewerker", "Gemeente Deventer", "gemeente", "Stedenvierkant"),
}
# Invited but silent: GGZ and hbo, and the region Flevoland.
INVITED_SECTORS = ("vvt", "ggz", "ziekenhuis", "mbo", "hbo", "gemeente")
INVITED_REGIONS = ("Achterhoek", "Flevoland", "Stedenvierkant", "Twente", "Zwolle")

SECRET_1 = "Onze raad van toezicht blokkeert elke vernieuwing, zeg dat niet verder."
SECRET_2 = "De stagevergoeding bij ons is een schijnvertoning."
SECRET_3 = "Wij overwegen te stoppen met de opleiding verpleegkunde."

# id -> (person, permission, text); the first digit is the theme.
CONTRIBUTIONS = {
    11: (1, A, "Leerwerkplekken in de wijk maken het vak zichtbaar voor nieuwe collega's."),
    12: (2, R, "Studenten die in de wijk leren blijven vaker bij ons werken."),
    13: (3, N, SECRET_1),
    14: (1, A, "Zorg & welzijn <samen> opleiden werkt alleen met vaste werkbegeleiders."),
    15: (4, A, "Zij-instromers hebben het eerste jaar een vaste begeleider nodig."),
    16: (5, R, "Gemeenten kunnen begeleiders voor zij-instromers mee financieren."),
    17: (3, N, SECRET_2),
    18: (2, R, "Laat teams zelf hun roosters maken."),
    21: (4, A, "Roostervrijheid houdt ervaren mensen vast."),
    22: (3, N, SECRET_3),
    23: (5, R, "Een vaste contactpersoon in de gemeente scheelt veel gedoe."),
    24: (1, A, "Waardering begint bij tijd voor elkaar in het team."),
}

# (id, theme, title, summary, key terms, status, contribution ids, preferred quote ids)
BLOCKS = (
    (
        101,
        "innovatie",
        "Leerwerkplekken in de wijk",
        "Opleiden in de wijk maakt het vak zichtbaar en bindt studenten.",
        ("leerwerkplek", "wijk", "werkbegeleider"),
        BlockStatus.APPROVED,
        (11, 12, 13, 14),
        (12,),
    ),
    (
        102,
        "innovatie",
        "Vaste begeleiding voor zij-instromers",
        "Zij-instromers blijven als zij het eerste jaar een vaste begeleider hebben.",
        ("zij-instromer", "begeleider"),
        BlockStatus.DRAFT,
        (15, 16),
        (),
    ),
    (
        201,
        "behoud_betrokkenheid",
        "Roostervrijheid en een vaste contactpersoon",
        "Zeggenschap over het rooster houdt ervaren medewerkers vast.",
        ("rooster", "zeggenschap"),
        BlockStatus.APPROVED,
        (21, 22, 23),
        (),
    ),
)
UNASSIGNED = {"innovatie": (17, 18), "behoud_betrokkenheid": (24,)}


@dataclass(frozen=True)
class Sample:
    report: Report
    # Never to appear in any file: not_quotable texts; names and organisations of role_only and
    # not_quotable contributors.
    hidden: tuple[str, ...]

    @property
    def quotes(self) -> list[ContributionView]:
        return [q for s in self.report.themes for b in s.blocks for q in b.quotes]


def orm_contribution(cid: int) -> Contribution:
    """Unsaved ORM objects, as gather() would load them from the database."""
    person_id, permission, text = CONTRIBUTIONS[cid]
    name, role, org_name, sector, region = PEOPLE[person_id]
    organisation = Organisation(
        id=person_id, name=org_name, sector=sector, region=Region(name=region)
    )
    person = Person(
        id=person_id,
        name=name,
        email=f"p{person_id}@example.nl",
        role=role,
        organisation=organisation,
    )
    return Contribution(
        id=cid,
        kind=ContributionKind.PRE_SESSION_ANSWER,
        text=text,
        quote_permission=permission,
        person=person,
    )


def build_report(taxonomy: Taxonomy, language: str) -> Sample:
    views = {c: view(orm_contribution(c), taxonomy, language) for c in CONTRIBUTIONS}
    sectors = tuple(sector_name(taxonomy, code, language) for code in INVITED_SECTORS)
    themes = []
    for theme in taxonomy.themes:
        blocks = []
        for bid, slug, title, summary, terms, status, ids, preferred in BLOCKS:
            if slug != theme.slug:
                continue
            members = tuple(views[i] for i in ids)
            blocks.append(
                BlockView(
                    id=bid,
                    title=title,
                    summary=summary,
                    key_terms=terms,
                    status=status.value,
                    contributions=members,
                    quotes=pick_quotes(members, preferred),
                    support=support_of(members, sectors, INVITED_REGIONS),
                )
            )
        unassigned = tuple(views[i] for i in UNASSIGNED.get(theme.slug, ()))
        if blocks or unassigned:
            title = theme.title_en if language == "en" else theme.title_nl
            themes.append(ThemeSection(theme.slug, title, tuple(blocks), unassigned))
    report = Report(
        round_slug="voorjaar-2025",
        round_name="Consultatieronde voorjaar 2025",
        generated_at=datetime(2025, 3, 14, 14, 30, tzinfo=UTC),
        language=language,
        themes=tuple(themes),
        sector_names=sectors,
    )
    hidden = [text for _, permission, text in CONTRIBUTIONS.values() if permission == N]
    for person_id, permission, _ in CONTRIBUTIONS.values():
        if permission != A:
            name, _, org_name, _, _ = PEOPLE[person_id]
            hidden += [name, org_name]
    return Sample(report, tuple(dict.fromkeys(hidden)))
