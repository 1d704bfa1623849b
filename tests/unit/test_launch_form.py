"""The workplace's launch form turned into a RoundSpec (consult.app.launch_form), without a
database: what is typed is read the way the secretariat writes dates and times, every problem
lands at the field it is about, in the reader's language, and the spec that comes out is the
one `consult round launch` would take from a file."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from consult.app import launch_form
from consult.app.launch_form import LaunchFields, SlotRow, check_fields, parse_date, parse_time
from consult.i18n import use_language
from consult.settings import PROJECT_ROOT
from consult.taxonomy import Taxonomy, load_taxonomy

AMS = ZoneInfo("Europe/Amsterdam")


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy(PROJECT_ROOT / "config")


def _fields(**changes: object) -> LaunchFields:
    valid = LaunchFields(
        name="Ronde voorjaar 2027",
        themes=("innovatie",),
        slots={
            "innovatie": (
                SlotRow("2027-04-13", "10:00", "11:30"),
                SlotRow(),
                SlotRow("15-4-2027", "14.00", "15.30"),
            )
        },
        answer_date="01-04-2027",
        input_date="2027-05-31",
        invitees_per_theme="10",
        regions=("Twente",),
    )
    return LaunchFields(**{**valid.__dict__, **changes})  # type: ignore[arg-type]


def _check(fields: LaunchFields, taxonomy: Taxonomy, lang: str = "nl") -> launch_form.Checked:
    with use_language(lang):
        return check_fields(fields, taxonomy, lang)


def test_dates_and_times_are_read_as_the_dutch_write_them() -> None:
    assert parse_date("2027-04-27") == parse_date("27-04-2027") == parse_date("27/4/2027")
    assert parse_date("31-02-2027") is None and parse_date("april") is None
    assert parse_time("9:30") == parse_time("09.30")
    assert parse_time("24:00") is None and parse_time("1400") is None
    assert launch_form.slug_from("Ronde één: voorjaar 2027!") == "ronde-een-voorjaar-2027"


def test_a_valid_form_is_the_spec_a_file_would_give(taxonomy: Taxonomy) -> None:
    checked = _check(_fields(), taxonomy)
    assert checked.ok and checked.warnings == ()
    spec = checked.spec
    assert spec is not None
    assert spec.slug == "ronde-voorjaar-2027" and spec.regions == ["Twente"]
    assert spec.answer_deadline == datetime(2027, 4, 1, 17, 0, tzinfo=AMS)
    assert spec.input_deadline == datetime(2027, 5, 31, 23, 59, tzinfo=AMS)
    assert [(s.start, s.end) for s in spec.themes[0].slots] == [
        (datetime(2027, 4, 13, 10, tzinfo=AMS), datetime(2027, 4, 13, 11, 30, tzinfo=AMS)),
        (datetime(2027, 4, 15, 14, tzinfo=AMS), datetime(2027, 4, 15, 15, 30, tzinfo=AMS)),
    ]
    # The defaults of RoundSpec are the form's defaults.
    assert (spec.group_min, spec.group_max, spec.holiday_slots, spec.weekend_slots) == (
        4,
        8,
        "refuse",
        "warn",
    )


def test_each_problem_is_at_its_field_in_the_readers_language(taxonomy: Taxonomy) -> None:
    broken = _fields(
        name="",
        answer_date="1 april",
        group_max="acht",
        slots={"innovatie": (SlotRow("2027-04-13", "10:00", ""),)},
        meeting_url="https://meet.example.org/{ronde}",
    )
    errors = _check(broken, taxonomy).errors
    assert errors["answer_date"].startswith("Uiterste antwoorddatum: '1 april' is geen datum")
    assert errors["group_max"] == "Grootste groep: 'acht' is geen heel getal"
    assert errors["slot-innovatie-1-date"] == (
        "Innovatie, tijdslot 1: '' is geen eindtijd; schrijf hem als 15:30"
    )
    assert _check(_fields(name=""), taxonomy).errors == {
        "name": "Naam van de ronde: mag niet leeg zijn"
    }
    english = _check(_fields(meeting_url="https://meet.example.org/{ronde}"), taxonomy, "en")
    assert english.errors["meeting_url"].startswith(
        "Meeting link: meeting_url: use only the placeholders {round}, {theme}, {slot} and {group}"
    )


def test_slots_are_checked_by_the_launch_rules_at_their_row(taxonomy: Taxonomy) -> None:
    rows = (
        SlotRow("2027-03-30", "10:00", "11:00"),  # before the answer deadline
        SlotRow("2027-04-27", "10:00", "11:00"),  # Koningsdag
        SlotRow("2027-04-17", "10:00", "11:00"),  # a Saturday
    )
    errors = _check(_fields(slots={"innovatie": rows}), taxonomy).errors
    assert set(errors) == {"slot-innovatie-1-date", "slot-innovatie-2-date"}
    assert "ligt niet na de antwoorddeadline" in errors["slot-innovatie-1-date"]
    assert "valt op een feestdag (Koningsdag)" in errors["slot-innovatie-2-date"]

    warned = _check(_fields(slots={"innovatie": rows[1:]}, holiday_slots="warn"), taxonomy)
    assert warned.ok
    assert [w.split(": ", 1)[1] for w in warned.warnings] == [
        "valt op een feestdag (Koningsdag)",
        "valt in het weekend (zaterdag)",
    ]
    refused = _check(_fields(slots={"innovatie": rows[2:]}, weekend_slots="refuse"), taxonomy)
    assert "valt in het weekend (zaterdag)" in refused.errors["slot-innovatie-1-date"]


def test_themes_and_their_slots_must_agree(taxonomy: Taxonomy) -> None:
    stray = _fields(
        slots={
            "innovatie": (SlotRow("2027-04-13", "10:00", "11:30"),),
            "anders_besturen": (SlotRow("2027-04-14", "10:00", "11:30"),),
        }
    )
    assert _check(stray, taxonomy).errors == {
        "themes": "Anders besturen heeft tijdsloten maar is niet gekozen: vink het thema aan, of "
        "maak de tijdsloten leeg"
    }
    assert _check(_fields(themes=()), taxonomy).errors == {
        "themes": "Innovatie heeft tijdsloten maar is niet gekozen: vink het thema aan, of "
        "maak de tijdsloten leeg"
    }
    no_theme = _check(_fields(themes=(), slots={}), taxonomy).errors
    assert no_theme == {"themes": "Thema's: mag niet leeg zijn"}


def test_the_fields_survive_the_confirmation_step(taxonomy: Taxonomy) -> None:
    typed = _fields()
    posted: dict[str, list[str]] = {}
    for name, value in typed.pairs():
        posted.setdefault(name, []).append(value)
    read = launch_form.read_fields(
        lambda n: posted.get(n, [""])[0], lambda n: posted.get(n, []), taxonomy
    )
    assert read.slots["innovatie"] == typed.slots["innovatie"]
    assert (read.name, read.themes, read.regions) == (typed.name, typed.themes, typed.regions)
    spec = _check(typed, taxonomy).spec
    assert spec is not None
    assert launch_form.check_confirmed(launch_form.serialise(spec)).spec == spec
    assert launch_form.check_confirmed("{").errors


def test_an_uploaded_file_is_read_as_the_command_reads_it() -> None:
    with use_language("nl"):
        assert launch_form.check_upload(b"  \n", "ronde.toml").errors == {
            "spec_file": "Het bestand is leeg."
        }
        latin1 = launch_form.check_upload('name = "Ronde één"'.encode("latin-1"), "ronde.toml")
        assert latin1.errors["spec_file"].startswith("ronde.toml: geen geldige TOML")
        missing = launch_form.check_upload(b'name = "Ronde"', "ronde.toml").errors["spec_file"]
        assert missing.startswith("ronde.toml: slug: ontbreekt; answer_deadline: ontbreekt")
