"""A small registry and round spec the command-line tests launch rounds from."""

from __future__ import annotations

REGISTRY = """organisatie;sector;regio;naam;e-mail;functie
Zorggroep Oost;vvt;Twente;Anneke de Vries;anneke@oost.example;bestuurder
Saxion;hbo;Twente;Carla Smit;carla@saxion.example;lector
Gemeente Zwolle;gemeente;Zwolle;Dirk Bakker;dirk@zwolle.example;wethouder
"""


def round_spec(
    slot_end: str = "2030-03-14T11:30:00", slug: str = "voorjaar-2030", theme: str = "innovatie"
) -> str:
    """One theme with one slot on 14 March 2030 from 10:00; an end before that is an error."""
    return f"""slug = "{slug}"
name = "Voorjaarsronde"
answer_deadline = 2030-03-01T17:00:00
input_deadline = 2030-04-01T17:00:00
invitees_per_theme = 3
[[themes]]
slug = "{theme}"
[[themes.slots]]
start = 2030-03-14T10:00:00
end = {slot_end}
"""
