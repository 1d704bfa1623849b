"""Personal data in the workplace: the secretariat downloads a person's export from their
registry page (and it is logged); administrators read the audit log, filtered."""

from __future__ import annotations

import io
import json
import zipfile

from sqlalchemy import select

from models import Person, Role
from models.audit import AuditEntry
from tests.integration.web.a11y import problems
from tests.integration.web.conftest import World
from tests.integration.web.workplace_support import add_member, csrf_of, new_client, sign_in

ADDRESS = "mbo.achterhoek@example.org"


def test_the_secretariat_downloads_everything_held_about_a_person(world: World) -> None:
    client = new_client(world.client)
    sign_in(client, add_member(world.wired, Role.SECRETARIAAT), world.clock)
    with world.wired.db.unit_of_work() as session:
        person = session.scalars(select(Person).where(Person.email == ADDRESS)).one()
        person_id, name = person.id, person.name
    page = client.get(f"/werkplek/register/mensen/{person_id}")
    assert page.status_code == 200 and problems(page.text) == []
    assert "Persoonsgegevens downloaden" in page.text

    download = client.post(
        f"/werkplek/register/mensen/{person_id}/export", data={"csrf": csrf_of(page.text)}
    )
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    assert "attachment" in download.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        data = json.loads(archive.read("personal-data.json"))
        html = archive.read("personal-data.html").decode("utf-8")
    assert data["email"] == ADDRESS and data["tables"]["invitation"]
    assert name in html and "Persoonsgegevens over" in html
    with world.wired.db.unit_of_work() as session:
        logged = session.scalars(
            select(AuditEntry.actor).where(AuditEntry.action == "privacy.export")
        ).all()
    assert len(logged) == 1 and logged[0].startswith("account:")

    # Without the form's token nothing is exported.
    refused = client.post(f"/werkplek/register/mensen/{person_id}/export", data={})
    assert refused.status_code == 403


def test_an_administrator_reads_the_audit_log_by_person_and_round(world: World) -> None:
    client = new_client(world.client)
    sign_in(client, add_member(world.wired, Role.BEHEERDER), world.clock)
    accounts = client.get("/werkplek/accounts")
    assert 'href="/werkplek/audit"' in accounts.text

    page = client.get("/werkplek/audit")
    assert page.status_code == 200 and problems(page.text) == []
    assert "Auditlog" in page.text and "aangemeld" in page.text  # the sign-in just now

    unknown = client.get("/werkplek/audit", params={"persoon": "niemand@example.org"})
    assert unknown.status_code == 422 and problems(unknown.text) == []
    assert "niemand@example.org" in unknown.text

    by_system = client.get("/werkplek/audit", params={"door": "system"})
    assert by_system.status_code == 200
    assert "aangemeld" not in by_system.text  # signing in is done by the account itself
