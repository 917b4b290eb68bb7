"""Home = my work (issue 12): what the signed-in staff member's agency has to do today, within
need-to-know; the town's introduction on its own page. Both demo towns, an agency that does
not take part (``kodomo``) and the other town."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import Env, login, tenant_client
from tests.integration.test_intake import _case_id, _intake

SLUGS = ["usuki", "marugame"]


@pytest.mark.parametrize("slug", SLUGS)
def test_home_lists_my_new_case_with_its_next_action_and_hides_it_elsewhere(
    sqlite_env: Env, slug: str
) -> None:
    name = f"日常 太郎 {uuid.uuid4().hex[:6]}"
    with tenant_client(sqlite_env, slug) as cw:
        login(cw, "caseworker")
        # given the caseworker took a consultation that goes on as support
        r = _intake(cw, name=name, outcome="continued", received_on="2026-11-02")
        case_id = _case_id(r)
        # when they open the home page
        home = cw.get("/")
    # then it is their worklist: the new case by name, with what to do next
    assert home.status_code == 200
    assert "わたしの仕事" in home.text
    assert name in home.text and f"/cases/{case_id}" in home.text
    assert "次：" in home.text
    assert "今日と今週の会議" in home.text and "担当事例の最近の動き" in home.text
    # and the town's brochure is no longer there, but a link to its own page
    assert 'href="/town"' in home.text

    # an agency that does not take part, and the other town, never see the name
    with tenant_client(sqlite_env, slug) as kodomo:
        login(kodomo, "kodomo")
        other = kodomo.get("/")
    assert other.status_code == 200 and name not in other.text
    elsewhere = "marugame" if slug == "usuki" else "usuki"
    with tenant_client(sqlite_env, elsewhere) as c:
        login(c, "caseworker")
        assert name not in c.get("/").text


@pytest.mark.parametrize("slug", SLUGS)
def test_the_supervisor_also_sees_cases_not_taken_up_and_stalled(
    sqlite_env: Env, slug: str
) -> None:
    with tenant_client(sqlite_env, slug) as sv, tenant_client(sqlite_env, slug) as cw:
        login(sv, "supervisor")
        login(cw, "caseworker")
        page = sv.get("/").text
        plain = cw.get("/").text
    assert "未着手（受付のまま）" in page and "30日以上動きのない事例" in page
    assert "未着手（受付のまま）" not in plain and "30日以上動きのない事例" not in plain


@pytest.mark.parametrize("slug", SLUGS)
def test_the_town_page_keeps_the_introduction(sqlite_env: Env, slug: str) -> None:
    with tenant_client(sqlite_env, slug) as c:
        login(c, "viewer")
        home = c.get("/")
        town = c.get("/town")
    assert home.status_code == 200 and 'href="/town"' in home.text
    assert town.status_code == 200
    meeting = "重層的支援会議" if slug == "usuki" else "まるごと会議"
    assert meeting in town.text
    # the viewer reads the worklist, but it offers nothing to change
    assert "<form" not in home.text.split('<main id="main"', 1)[1]


def test_the_registry_editor_gets_a_home_without_case_sections(sqlite_env: Env) -> None:
    with tenant_client(sqlite_env, "usuki") as c:
        login(c, "registry")
        home = c.get("/")
    assert home.status_code == 200 and "わたしの仕事" in home.text
    assert "担当中の事例" not in home.text


@pytest.mark.parametrize("slug", SLUGS)
def test_the_viewer_is_offered_no_action_it_cannot_take(sqlite_env: Env, slug: str) -> None:
    """Crawl what the viewer can reach from home (two levels): no form that writes, and no
    link to a form page that would answer 403. A file (a case's PDF sheets, the registry's
    export) is fetched once per kind: its answer does not depend on the record the way a
    page's forms depend on its case's stage, and each PDF takes ~0.2 s to make."""
    import re

    files = re.compile(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}(?=/[^/]+\.\w+$)")
    with tenant_client(sqlite_env, slug) as c:
        login(c, "viewer")
        queue, seen, refused, forms = ["/"], set(), [], []
        while queue and len(seen) < 80:
            path = queue.pop(0)
            kind = files.sub("{id}", path)
            if kind in seen or path.startswith(("/static", "/lang", "/logout", "/calendar")):
                continue
            seen.add(kind)
            r = c.get(path)
            if r.status_code == 403:
                refused.append(path)
            if r.status_code != 200 or "text/html" not in r.headers.get("content-type", ""):
                continue
            main = r.text.split('<main id="main"', 1)[-1]
            forms += [(path, a) for a in re.findall(r'<form[^>]*method="post"[^>]*', main)]
            for link in re.findall(r'<a href="(/[a-z][^"#?]*)', main):
                if files.sub("{id}", link) not in seen and len(queue) < 200:
                    queue.append(link)
    assert len(seen) > 20
    assert not forms, forms[:5]
    assert not refused, refused[:5]
