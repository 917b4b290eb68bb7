"""Caseload import: a new town's admin brings its Excel caseload, sees every problem by row
and column, runs the check, imports one batch and undoes it — on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import quote

import pyotp
import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select

from kasane.core.audit.models import AuditEvent
from kasane.core.caseload.fields import guess_mapping
from kasane.core.caseload.sample import HEADERS, sample_rows
from kasane.core.cases.models import Case, CaseAgency, ProgressNote, StageEvent
from kasane.core.db import Database
from kasane.core.intake.models import Consultation
from kasane.core.people.models import Household, HouseholdMember, Person
from kasane.core.protection.sealing import unseal_json
from kasane.tenants.municipalities import all_municipalities
from kasane.tenants.signup import SignupForm, do_signup
from tests.conftest import REPO, Env, _make_sqlite_env, csrf_of, login, tenant_client

SAMPLE = REPO / "docs" / "samples" / "caseload-sample.xlsx"
# 徳島県's towns: no other test signs them up
TOKUSHIMA = iter(sorted(c for c, m in all_municipalities().items() if m.prefecture == "徳島県"))
COUNTED = (Person, Household, HouseholdMember, Consultation, Case, CaseAgency, StageEvent,
           ProgressNote)  # fmt: skip


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    return _make_sqlite_env(tmp_path_factory.mktemp("caseload"))


def fresh_admin(env: Env, slug: str) -> Iterator[TestClient]:
    """A town just signed up, its admin signed in through the invitation."""
    form = SignupForm(next(TOKUSHIMA), "12000", "移行 花子", f"admin@{slug}.example", slug, "small")
    token = env.run(lambda db: do_signup(db, form)).invitation_token
    with tenant_client(env, slug) as client:
        page = client.get(f"/invitation?token={token}")
        secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text)
        assert secret
        done = client.post(
            "/invitation",
            data={
                "_csrf_token": csrf_of(page.text),
                "token": token,
                "secret": secret.group(1),
                "username": f"{slug}-admin",
                "display_name": "移行 花子",
                "password": "correct horse battery",
                "code": pyotp.TOTP(secret.group(1)).now(),
            },
            follow_redirects=False,
        )
        assert done.status_code in (302, 303)
        yield client


@pytest.fixture(scope="module")
def admin(env: Env) -> Iterator[TestClient]:
    yield from fresh_admin(env, "iju")


def counts(env: Env, slug: str) -> dict[str, int]:
    tenant_id = env.tenant_id(slug)

    async def go(db: Database) -> dict[str, int]:
        async with db.session(tenant_id) as s:
            return {
                m.__tablename__: await s.scalar(select(func.count()).select_from(m))  # type: ignore[misc]
                for m in COUNTED
            }

    return env.run(go)


def upload(client: TestClient, name: str, body: bytes) -> str:
    """Upload a file; returns the batch page's path."""
    page = client.get("/admin/import")
    assert page.status_code == 200
    r = client.post(
        "/admin/import",
        files={"file": (name, body)},
        data={"_csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:500]
    return r.headers["location"]


def selected_of(page: str) -> dict[str, str]:
    """The mapping page's columns as chosen: ``col-N`` → Kasane's field."""
    return dict(re.findall(r'name="(col-\d+)">.*?<option value="(\w+)" selected', page, re.S))


def check(client: TestClient, path: str, **extra: str):  # type: ignore[no-untyped-def]
    page = client.get(path)
    selected = selected_of(page.text)
    return client.post(
        f"{path}/check", data={**selected, **extra, "_csrf_token": csrf_of(page.text)}
    )


def wait_done(client: TestClient, path: str) -> str:
    for _ in range(300):  # the import runs in the background: poll its progress
        fragment = client.get(f"{path}/progress", headers={"HX-Request": "true"}).text
        if 'id="import-done"' in fragment or 'id="import-failed"' in fragment:
            return fragment
        time.sleep(0.1)
    raise AssertionError("the import did not finish")


def run_and_wait(client: TestClient, path: str, page: str) -> str:
    r = client.post(f"{path}/run", data={"_csrf_token": csrf_of(page)})
    assert r.status_code == 200
    return wait_done(client, path)


def csv_bytes(rows: list[list[object]], headers: list[str] = HEADERS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows([[v.isoformat() if isinstance(v, date) else v for v in r] for r in rows])
    return out.getvalue().encode("utf-8-sig")


def test_the_sample_file_imports_into_a_new_town_and_undo_restores_it(
    env: Env, admin: TestClient
) -> None:
    before = counts(env, "iju")
    path = upload(admin, "caseload-sample.xlsx", SAMPLE.read_bytes())
    # the national columns are recognised without help
    page = admin.get(path).text
    assert len(re.findall(r'<option value="\w+" selected', page)) == len(HEADERS)
    # when the admin checks it (the dry run) nothing is saved
    checked = check(admin, path, save_as="前のシステム")
    assert checked.status_code == 200 and 'id="check-ok"' in checked.text
    assert counts(env, "iju") == before
    # when the batch is imported
    done = run_and_wait(admin, path, checked.text)
    assert 'id="import-done"' in done
    after = counts(env, "iju")
    assert (
        after["cases"] - before["cases"] == 30
        and after["consultations"] - before["consultations"] == 30
    )
    assert after["people"] > before["people"]
    # the cases are there, led by the town's agency, each narrative sealed with its key
    tenant_id = env.tenant_id("iju")

    async def imported(db: Database) -> tuple[set[str], str]:
        async with db.session(tenant_id) as s:
            leads = set((await s.execute(select(Case.lead_agency_key))).scalars())
            row = (
                (await s.execute(select(Consultation).where(Consultation.sealed != "")))
                .scalars()
                .first()
            )
            assert row is not None
            return leads, (await unseal_json(s, "consultations", row.id, row.sealed))["narrative"]

    leads, narrative = env.run(imported)
    assert leads == {"municipality"} and "（架空の事例）" in narrative
    # the mapping is saved for the next file
    assert "前のシステム" in admin.get("/admin/import").text
    # when it is undone, the town is as before; the audit log tells the story
    page = admin.get(path).text
    assert admin.post(f"{path}/undo", data={"_csrf_token": csrf_of(page)}).status_code == 200
    assert counts(env, "iju") == before

    async def actions(db: Database) -> list[str]:
        async with db.session(tenant_id) as s:
            rows = await s.execute(
                select(AuditEvent.action).where(AuditEvent.action.like("caseload.%"))
            )
            return list(rows.scalars())

    assert {"caseload.upload", "caseload.check", "caseload.import", "caseload.undo"} <= set(
        env.run(actions)
    )


def test_five_planted_errors_are_named_by_row_and_column_and_nothing_is_imported(
    env: Env, admin: TestClient
) -> None:
    rows = sample_rows(12, seed=5)
    rows[1][7] = "架空センター"  # row 3: an unknown counter
    rows[3][6] = "2025-02-30"  # row 5: an impossible date
    rows[5][10] = "マイナンバーは 1234 5678 9018 です"  # row 7: a My Number in a cell
    rows[7][0] = ""  # row 9: no name
    rows[9][11] = "保留中"  # row 11: an unknown stage
    before = counts(env, "iju")
    path = upload(admin, "errors.csv", csv_bytes(rows))
    r = check(admin, path)
    assert r.status_code == 422
    found = re.findall(r'<tr class="problem"><td>(\d+)</td><td>([^<]+)</td>', r.text)
    assert found == [
        ("3", "相談窓口"),
        ("5", "相談日"),
        ("7", "相談内容"),
        ("9", "氏名"),
        ("11", "段階"),
    ]
    # the My Number is refused and never shown back
    assert not re.search(r"1234\D{0,3}5678\D{0,3}9018", r.text)
    # there is no import button, and a forced run imports nothing
    assert 'id="run-form"' not in r.text
    forced = admin.post(f"{path}/run", data={"_csrf_token": csrf_of(r.text)})
    assert forced.status_code == 422
    assert counts(env, "iju") == before


def test_a_known_person_is_proposed_not_merged(env: Env, admin: TestClient) -> None:
    rows = sample_rows(3, seed=7)
    path = upload(admin, "first.csv", csv_bytes(rows))
    first = check(admin, path)
    assert 'id="duplicates"' not in first.text
    run_and_wait(admin, path, first.text)
    people = counts(env, "iju")["people"]
    # the same people arrive again in a second file
    again = upload(admin, "again.csv", csv_bytes(rows))
    report = check(admin, again)
    links = re.findall(r'name="link" value="(\d+:[0-9a-f-]+)"', report.text)
    assert len(links) == 3
    # the admin confirms one; the other two become new people
    done = admin.post(f"{again}/run", data={"link": links[0], "_csrf_token": csrf_of(report.text)})
    assert done.status_code == 200
    for _ in range(100):
        if 'id="import-done"' in admin.get(f"{again}/progress").text:
            break
        time.sleep(0.1)
    assert counts(env, "iju")["people"] == people + 2


def test_undo_is_refused_once_staff_have_worked_on_the_cases(env: Env, admin: TestClient) -> None:
    path = upload(admin, "worked.csv", csv_bytes(sample_rows(2, seed=11)))
    run_and_wait(admin, path, check(admin, path).text)
    tenant_id, batch = env.tenant_id("iju"), uuid.UUID(path.rsplit("/", 1)[1])

    async def touch(db: Database) -> None:  # a caseworker's note on a case of this batch
        async with db.session(tenant_id) as s:
            made = select(Case).where(Case.import_id == batch)
            case = (await s.execute(made)).scalars().first()
            assert case is not None
            s.add(ProgressNote(case_id=case.id, kind="phone", occurred_on=date(2026, 1, 5),
                               body_sealed="", created_by=uuid.uuid4()))  # fmt: skip

    env.run(touch)
    before = counts(env, "iju")
    page = admin.get(path).text
    r = admin.post(f"{path}/undo", data={"_csrf_token": csrf_of(page)})
    assert r.status_code == 422 and 'id="batch-error"' in r.text
    assert counts(env, "iju") == before


def test_another_town_and_other_roles_do_not_reach_an_import(env: Env, admin: TestClient) -> None:
    path = upload(admin, "mine.csv", csv_bytes(sample_rows(1, seed=3)))
    with tenant_client(env, "usuki") as usuki:
        assert login(usuki, "admin").status_code == 302
        assert usuki.get(path).status_code == 404
    with tenant_client(env, "usuki") as usuki:
        assert login(usuki, "caseworker").status_code == 302
        assert usuki.get("/admin/import").status_code == 403


def test_a_file_that_is_not_a_table_is_refused_with_a_message(admin: TestClient) -> None:
    page = admin.get("/admin/import")
    r = admin.post(
        "/admin/import",
        files={"file": ("broken.xlsx", b"PK\x03\x04 not really")},
        data={"_csrf_token": csrf_of(page.text)},
    )
    assert r.status_code == 422 and 'id="upload-error"' in r.text


@pytest.mark.postgres
def test_the_sample_imports_and_undoes_on_postgres_as_the_app_role(pg_env: Env) -> None:
    slug = "pgiju" + uuid.uuid4().hex[:4]
    for client in fresh_admin(pg_env, slug):
        before = counts(pg_env, slug)
        path = upload(client, "caseload-sample.xlsx", SAMPLE.read_bytes())
        assert 'id="import-done"' in run_and_wait(client, path, check(client, path).text)
        assert counts(pg_env, slug)["cases"] == before["cases"] + 30
        page = client.get(path).text
        assert client.post(f"{path}/undo", data={"_csrf_token": csrf_of(page)}).status_code == 200
        assert counts(pg_env, slug) == before


def test_a_proposed_duplicate_is_shown_only_to_whoever_may_see_the_person(
    sqlite_env: Env,
) -> None:
    """The import's duplicate proposals obey need-to-know like every duplicate check: a
    person the actor's agency has no part in is not named to it (and the search is audited)."""
    from kasane.core.caseload.checking import Duplicate, Existing
    from kasane.core.caseload.services import _visible_duplicates
    from tests.isolation.routes_cases import actor_of, intake_case, tenant_setup

    async def go(db: Database) -> tuple[list[str], list[str], int]:
        tenant_id, config = await tenant_setup(db, "usuki")
        async with db.session(tenant_id) as s:
            caseworker = await actor_of(s, "caseworker")  # 地域包括
            case = await intake_case(s, caseworker, config, name="重複 候補", kana="チョウフク")
            known = Existing(str(case.person_id), "重複 候補", None, "", "", "")
            found = [Duplicate(2, "重複 候補", None, known, "Same telephone number")]
            seen = await _visible_duplicates(s, caseworker, list(found))
            kodomo = await actor_of(s, "kodomo")  # こども家庭センター: no part in the case
            hidden = await _visible_duplicates(s, kodomo, list(found))
            await s.flush()
            audited = (
                await s.execute(
                    select(func.count())
                    .select_from(AuditEvent)
                    .where(AuditEvent.action == "person.duplicate_search")
                )
            ).scalar_one()
            return [d.existing.id for d in seen], [d.existing.id for d in hidden], audited

    seen, hidden, audited = sqlite_env.run(go)
    assert len(seen) == 1 and hidden == [] and audited >= 2


def test_two_runs_of_one_checked_file_import_it_once(env: Env, admin: TestClient) -> None:
    """Starting the import consumes the checked batch in one compare-and-set: a second
    request that had read it as 'checked' too is refused instead of importing again."""
    from kasane.core.caseload.models import CaseloadImport
    from kasane.core.db.claims import compare_and_set

    path = upload(admin, "twice.csv", csv_bytes(sample_rows(2, seed=11)))
    assert check(admin, path).status_code == 200
    import_id = uuid.UUID(path.rstrip("/").rsplit("/", 1)[1])
    tenant_id = env.tenant_id("iju")

    async def go(db: Database) -> tuple[str, str, bool, bool]:
        async with db.session(tenant_id) as first, db.session(tenant_id) as second:
            status = select(CaseloadImport.status).where(CaseloadImport.id == import_id)
            seen = [(await s.execute(status)).scalar_one() for s in (first, second)]
            won = await compare_and_set(first, CaseloadImport, import_id, "checked", "importing")
            await first.commit()
            lost = await compare_and_set(second, CaseloadImport, import_id, "checked", "importing")
            return seen[0], seen[1], won, lost

    assert env.run(go) == ("checked", "checked", True, False)


def test_the_progress_bar_shows_while_the_import_runs_and_stops_polling_when_done(
    admin: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kasane.core.caseload import controllers

    # given an import held at its start, so that the page is seen while it runs
    started = threading.Event()
    release = threading.Event()
    real_import = controllers.do_import

    async def held_import(*args: Any, **kwargs: Any) -> dict[str, int]:
        started.set()
        while not release.is_set():
            await asyncio.sleep(0.02)
        return await real_import(*args, **kwargs)

    monkeypatch.setattr(controllers, "do_import", held_import)
    path = upload(admin, "progress.csv", csv_bytes(sample_rows(4, seed=17)))
    checked = check(admin, path)
    try:
        # when the admin starts it
        running = admin.post(f"{path}/run", data={"_csrf_token": csrf_of(checked.text)})
        assert started.wait(10)
        fragment = admin.get(f"{path}/progress", headers={"HX-Request": "true"}).text
    finally:
        release.set()
    # then the page shows a labelled progress bar over the file's rows, polling itself
    # through htmx's data-hx-* attributes (the house rule: valid HTML)
    for html in (running.text, fragment):
        assert re.search(r'<progress id="import-bar" max="4" value="0">', html), html[-2000:]
        assert '<label for="import-bar">取り込み中：4行のうち0行</label>' in html
        assert f'data-hx-get="{path}/progress"' in html and 'data-hx-trigger="every 1s"' in html
        assert not re.search(r"\shx-(get|trigger|swap)=", html)
    # and once it is done the bar gives way to the result, and the polling stops
    done = wait_done(admin, path)
    assert 'id="import-done"' in done
    assert 'id="import-bar"' not in done and "data-hx-get" not in done


def test_a_saved_mapping_maps_the_next_file_with_the_same_columns(admin: TestClient) -> None:
    # given a file from another system whose headers Kasane cannot guess
    name = "旧台帳システム"
    headers = [f"項目{i:02d}" for i in range(len(HEADERS))]
    keys = guess_mapping(HEADERS)
    fields = [keys[h] for h in HEADERS]

    def exported(seed: int) -> bytes:
        return csv_bytes(sample_rows(2, seed=seed), headers)

    first = upload(admin, "other-system-1.csv", exported(21))
    page = admin.get(first).text
    assert not re.search(r'<option value="\w+" selected', page)
    # when the admin maps its columns by hand and saves the mapping under a name
    mapped = {f"col-{i}": key for i, key in enumerate(fields)}
    saved = admin.post(
        f"{first}/check",
        data={**mapped, "save_as": name, "_csrf_token": csrf_of(page)},
    )
    assert saved.status_code == 200 and 'id="check-ok"' in saved.text
    # then the next file of that system, uploaded with the saved mapping chosen …
    index = admin.get("/admin/import")
    assert f'<option value="{name}">' in index.text
    r = admin.post(
        "/admin/import",
        files={"file": ("other-system-2.csv", exported(22))},
        data={"mapping": name, "_csrf_token": csrf_of(index.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].endswith(f"?mapping={quote(name)}")
    second = admin.get(r.headers["location"]).text
    # … opens with every column mapped as saved, and checks without a problem
    chosen = selected_of(second)
    assert chosen == mapped
    path = r.headers["location"].split("?", 1)[0]
    checked = admin.post(f"{path}/check", data={**chosen, "_csrf_token": csrf_of(second)})
    assert checked.status_code == 200 and 'id="check-ok"' in checked.text
    # while the same file uploaded without it is left unmapped
    unmapped = admin.get(upload(admin, "other-system-3.csv", exported(23))).text
    assert not re.search(r'<option value="\w+" selected', unmapped)
