"""What the app publishes about itself, and how its public API fails.

The OpenAPI schema documents the HSDS read API and nothing else (no staff, admin or operator
route), on every tenant host; Swagger UI exists only in demo mode. Every failure under
``/api/hsds`` is an RFC 9457 problem (``application/problem+json``) with a status the schema
documents for that operation; elsewhere the pages stay HTML.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from litestar.testing import TestClient

from kasane.app import create_app
from kasane.core.registry.api_problems import PROBLEM_JSON
from kasane.core.web.controllers import LANG_COOKIE
from tests.conftest import Env, login, tenant_client
from tests.integration.test_registry import make_service, seeded

TOWNS = ("usuki", "marugame")
UIS = ("/schema/swagger", "/schema/redoc", "/schema/rapidoc", "/schema/elements", "/schema/scalar")


def production_client(env: Env, slug: str) -> TestClient:
    """A client of the app as it runs outside demo mode."""
    settings = dataclasses.replace(env.settings, demo=False)
    return TestClient(create_app(settings), base_url=f"http://{slug}.{settings.base_domain}")


def test_the_schema_documents_the_public_api_only_on_every_tenant_host(sqlite_env: Env) -> None:
    for slug in TOWNS:
        # given a tenant host, anonymous and with a tenant admin's session
        with tenant_client(sqlite_env, slug) as anon, tenant_client(sqlite_env, slug) as admin:
            assert login(admin, "admin").status_code == 302
            for c in (anon, admin):
                # when the schema the API's root names is fetched
                url = c.get("/api/hsds/").json()["openapi_url"]
                assert url == f"http://{slug}.{sqlite_env.settings.base_domain}/schema/openapi.json"
                schema = c.get(url)
                # then it is JSON, and every path in it is the HSDS API's
                assert schema.status_code == 200, schema.text
                paths = schema.json()["paths"]
                assert paths and all(p.startswith("/api/hsds") for p in paths), sorted(paths)
                assert {"/api/hsds/services", "/api/hsds/taxonomy_terms/{term_id}"} <= set(paths)
                assert not [p for p in paths if "admin" in p or "staff" in p or "cases" in p]
    # and the operator host serves no schema at all
    with tenant_client(sqlite_env, None) as operator:
        assert operator.get("/schema/openapi.json").status_code == 404


def test_every_operation_documents_its_errors_as_problem_json(sqlite_env: Env) -> None:
    with tenant_client(sqlite_env, "usuki") as c:
        paths = c.get("/schema/openapi.json").json()["paths"]
    for path, item in paths.items():
        responses = item["get"]["responses"]
        errors = {code: r for code, r in responses.items() if not code.startswith("2")}
        # then an operation with parameters documents its 400, one with an id its 404 …
        if item["get"].get("parameters"):
            assert "400" in errors, path
        if "{" in path:
            assert "404" in errors, path
        # … and every error is a problem, never plain JSON
        for code, r in errors.items():
            assert list(r["content"]) == [PROBLEM_JSON], (path, code)


def test_swagger_ui_is_offered_in_demo_mode_only(sqlite_env: Env) -> None:
    for slug in TOWNS:
        with production_client(sqlite_env, slug) as prod, tenant_client(sqlite_env, slug) as demo:
            # outside demo: every schema UI is a 404; the JSON is there (/schema answers it too)
            for ui in UIS:
                answer = prod.get(ui)
                assert answer.status_code == 404, (ui, answer.text[:200])
                assert "swagger" not in answer.text.lower()
            assert prod.get("/schema/openapi.json").json()["paths"]
            root = prod.get("/schema")
            assert "html" not in root.headers["content-type"] and root.json()["paths"]
            # in demo mode: Swagger UI, with the same schema (the API's paths only)
            swagger = demo.get("/schema/swagger")
            assert swagger.status_code == 200 and "swagger-ui" in swagger.text
            assert "/api/hsds/services" in swagger.text and "/admin/" not in swagger.text


def _problem(answer: Any, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM_JSON
    body = answer.json()
    assert (body["type"], body["status"]) == ("about:blank", status)
    assert body["title"] and body["detail"]
    return dict(body)


def test_api_failures_are_problems_with_a_japanese_detail(any_env: Env) -> None:
    env = seeded(any_env)
    hidden = make_service(env, "usuki", public=False)
    with tenant_client(env, "usuki") as u, tenant_client(env, "marugame") as m:
        assert login(m, "caseworker").status_code == 302
        # a record of another town, a missing one, and a malformed id
        foreign = _problem(m.get(f"/api/hsds/services/{hidden}"), 404)
        missing = _problem(m.get(f"/api/hsds/services/{uuid.uuid4()}"), 404)
        malformed = _problem(m.get("/api/hsds/organizations/not-a-uuid"), 404)
        # a record that is not public, asked anonymously
        private = _problem(u.get(f"/api/hsds/services/{hidden}"), 404)
        # a path the API does not have, and a method it does not take
        _problem(u.get("/api/hsds/programs"), 404)
        not_get = _problem(u.post("/api/hsds/services"), 405)
        # bad query values: each names its parameter
        page = _problem(u.get("/api/hsds/services", params={"page": 0}), 400)
        since = _problem(u.get("/api/hsds/services", params={"modified_after": "昨日"}), 400)
        late = u.get("/api/hsds/services", params={"modified_after": "9999-12-31T23:59:59-12:00"})
        fmt = _problem(u.get("/api/hsds/taxonomies", params={"format": "ndjson"}), 400)
        term = _problem(u.get("/api/hsds/taxonomy_terms", params={"parent_id": "x"}), 400)
        # and the same in English for a caller who chose English
        u.cookies[LANG_COOKIE] = "en"
        english = _problem(u.get("/api/hsds/services", params={"per_page": "many"}), 400)
        # while a staff page that is missing is still the HTML page
        page_404 = m.get(f"/registry/services/{uuid.uuid4()}")
    # then another town's record reads exactly like a missing one
    assert foreign == missing == malformed == private
    assert "見つかりません" in missing["detail"]
    assert "GET" in not_get["detail"]
    for body, name in ((page, "page"), (since, "modified_after"), (fmt, "format")):
        assert [p["name"] for p in body["invalid-params"]] == [name], body
        assert "パラメータ" in body["detail"]
    assert _problem(late, 400)["invalid-params"][0]["name"] == "modified_after"
    assert [p["name"] for p in term["invalid-params"]] == ["parent_id"]
    assert "parameter" in english["detail"] and english["invalid-params"][0]["name"] == "per_page"
    assert page_404.status_code == 404 and page_404.headers["content-type"].startswith("text/html")


def test_a_method_the_api_does_not_take_is_a_405_naming_the_allowed_ones(
    sqlite_env: Env,
) -> None:
    env = seeded(sqlite_env)
    with tenant_client(env, "usuki") as c:
        # when a client sends TRACE or POST to a list operation
        answers = {m: c.request(m, "/api/hsds/services") for m in ("TRACE", "POST")}
        # and asks the same path which methods it takes
        options = c.options("/api/hsds/services")
    for method, answer in answers.items():
        # then each is a 405 problem (never an HTML page) …
        body = _problem(answer, 405)
        assert body["title"] == "Method Not Allowed" and "GET" in body["detail"], method
        # … whose Allow header lists what the path serves: GET (and OPTIONS), nothing that writes
        allowed = {m.strip() for m in answer.headers["allow"].split(",")}
        assert "GET" in allowed and allowed <= {"GET", "HEAD", "OPTIONS"}, (method, allowed)
    assert options.status_code == 204 and "GET" in options.headers["allow"]


def test_hostile_search_text_finds_nothing_rather_than_failing(any_env: Env) -> None:
    # given NUL and LIKE wildcards (PostgreSQL refuses NUL in text: this was a 500 there)
    env = seeded(any_env)
    with tenant_client(env, "usuki") as c:
        assert login(c, "caseworker").status_code == 302
        for text in ("\x00", "a\x00b", "%", "_", "\\"):
            # when staff search the registry page and the API with it
            page = c.get("/registry", params={"q": text}, headers={"HX-Request": "true"})
            api = c.get("/api/hsds/services", params={"search": text})
            # then both answer (a NUL on a staff page is a malformed request: 400, never a
            # 500), and a wildcard is taken literally
            assert page.status_code == (400 if "\x00" in text else 200), (text, page.text[:300])
            assert api.status_code == 200, (text, api.text)
            if text in ("%", "_"):
                assert api.json()["total_items"] == 0, text
