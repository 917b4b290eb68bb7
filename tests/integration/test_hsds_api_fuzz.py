"""Fuzzing the public HSDS read API with schemathesis, against the OpenAPI schema it serves.

Every operation under ``/api/hsds``, on usuki and on marugame (told apart by the Host),
anonymously and with a caseworker's session from the real login form; with data that fits
the schema (ids of real records mixed in, so answers are not all 404s; and, in a third of
the cases, one query value from a small dictionary of hostile inputs — NUL, LIKE wildcards,
dates at the edge of the calendar, huge numbers — which random drawing rarely hits) and data
that does not. Then, as a deterministic sweep with the staff session, every dictionary value
in every text or number parameter, one at a time. A neighbouring town shares two entries
with marugame, so staff answers carry ``x_shared_by`` records too. Every answer must be no
server error, have a documented status code and content type, and a body valid against the
documented schema; cases left as schemathesis drew them also go through every other check it
has (issue 17: positive data accepted, negative data rejected, ``Allow`` on a 405, headers
as documented, unsupported methods refused …).

Bounded (``EXAMPLES`` per operation, tenant, caller and mode, plus the sweep) to stay well
under two minutes on a small machine; hypothesis's example database is off, so each run
draws anew.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    CHECKS as REGISTERED_CHECKS,
)
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from kasane.app import create_app
from kasane.core.registry.api_openapi import OPENAPI_JSON
from kasane.core.web.deps import SESSION_COOKIE
from tests.conftest import Env, csrf_of, login, tenant_client
from tests.integration.test_registry import make_service, new_tenant, seeded

TOWNS = ("usuki", "marugame")
MARUGAME_CODE = "372021"
EXAMPLES = 20  # per operation, tenant and caller, for each generation mode
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Every check schemathesis has, for the cases it drew (a hostile value swapped into a
# positive case makes it negative, so those get the answer checks above only).
ALL_CHECKS = REGISTERED_CHECKS.get_all()
HOSTILE = (
    "\x00",
    "a\x00b",
    "%",
    "_",
    "\\",
    "'; --",
    "",
    " ",
    "x" * 5000,
    "髙橋 ｶﾀｶﾅ 👨‍👩‍👧",
    "0",
    "-1",
    "1e3",
    "99999999999999999999999",
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+14:00",
    "0001-01-01",
    "2026-02-30",
    "2026-04-01T09:00:00Z",
)
LISTS = {  # path parameter → the list whose ids are real records
    "service_id": "/api/hsds/services",
    "organization_id": "/api/hsds/organizations",
    "taxonomy_id": "/api/hsds/taxonomies",
    "term_id": "/api/hsds/taxonomy_terms",
}


@contextmanager
def shared_with_marugame(env: Env) -> Iterator[None]:
    """A neighbour town shares two of its entries (one not public) with marugame, for the
    block only: other tests count what marugame sees (the shares are removed afterwards)."""
    slug, _code = new_tenant(env, name="善通寺市（試験）")
    ids = [make_service(env, slug, public=p, name=f"共有資源{p}") for p in (True, False)]
    marugame_id = str(env.tenant_id("marugame"))
    with tenant_client(env, slug) as c:
        assert login(c, "caseworker").status_code == 302

        def post_shares(form: dict[str, str]) -> None:
            for sid in ids:
                token = csrf_of(c.get(f"/registry/services/{sid}").text)
                r = c.post(f"/registry/services/{sid}/shares", data={**form, "_csrf_token": token})
                assert r.status_code == 200, r.text

        post_shares({"action": "add", "tenant": MARUGAME_CODE})
        try:
            yield
        finally:
            post_shares({"action": "remove", "tenant_id": marugame_id})


def staff_cookie(env: Env, slug: str) -> dict[str, str]:
    with tenant_client(env, slug) as c:
        assert login(c, "caseworker").status_code == 302
        return {SESSION_COOKIE: c.cookies[SESSION_COOKIE]}


def real_ids(env: Env, slug: str, cookies: dict[str, str]) -> dict[str, list[str]]:
    """Ids of records the caller can read, per path parameter name."""
    with tenant_client(env, slug) as c:
        c.cookies.update(cookies)
        out = {}
        for name, path in LISTS.items():
            r = c.get(path, params={"per_page": 500})
            assert r.status_code == 200, r.text
            out[name] = [item["id"] for item in r.json()["contents"]]
    assert out["service_id"], (slug, cookies)
    return out


def fuzz(operation: Any, base_url: str, cookies: dict[str, str], ids: dict[str, list[str]]) -> int:
    """Run ``EXAMPLES`` positive and negative cases of ``operation``; the number sent."""
    modes = [GenerationMode.POSITIVE]
    if operation.path_parameters or operation.query:
        modes.append(GenerationMode.NEGATIVE)
    return sum(fuzz_in(mode, operation, base_url, cookies, ids) for mode in modes)


def fuzz_in(
    mode: GenerationMode,
    operation: Any,
    base_url: str,
    cookies: dict[str, str],
    ids: dict[str, list[str]],
) -> int:
    sent = 0
    positive = mode is GenerationMode.POSITIVE
    query_names = [p.name for p in operation.query]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def run(case: Any, data: Any) -> None:
        nonlocal sent
        for name in case.path_parameters or {}:
            if positive and ids.get(name) and data.draw(st.booleans()):
                case.path_parameters[name] = data.draw(st.sampled_from(ids[name]))
        checks = ALL_CHECKS
        if positive and query_names and data.draw(st.integers(0, 2)) == 0:
            name = data.draw(st.sampled_from(query_names))
            case.query = {**(case.query or {}), name: data.draw(st.sampled_from(HOSTILE))}
            checks = CHECKS
        case.call_and_validate(base_url=base_url, cookies=cookies, checks=checks)
        sent += 1

    run()
    return sent


def sweep(operation: Any, base_url: str, cookies: dict[str, str]) -> int:
    """Every hostile value in every text or number query parameter, one at a time."""
    sent = 0
    for param in operation.query:
        schema = param.definition["schema"]
        if schema.get("type") not in ("string", "integer") and "oneOf" not in schema:
            continue  # booleans and UUIDs: Litestar refuses anything else before our code
        for value in HOSTILE:
            case = operation.Case(query={param.name: value})
            case.call_and_validate(base_url=base_url, cookies=cookies, checks=CHECKS)
            sent += 1
    return sent


def fuzz_town(env: Env, app: Any, slug: str, operations: set[str]) -> int:
    """Fuzz every operation on ``slug``'s host, anonymous and as staff; the requests sent."""
    host = f"{slug}.{env.settings.base_domain}"
    schema = schemathesis.openapi.from_asgi(OPENAPI_JSON, app, headers={"Host": host})
    sent = 0
    for cookies in ({}, staff_cookie(env, slug)):
        ids = real_ids(env, slug, cookies)
        for result in schema.get_all_operations():
            operation = result.ok()
            operations.add(operation.label)
            sent += fuzz(operation, f"http://{host}", cookies, ids)
            if cookies:
                sent += sweep(operation, f"http://{host}", cookies)
    return sent


def test_fuzzing_the_public_api_finds_no_server_error_and_no_undocumented_answer(
    any_env: Env,
) -> None:
    env = seeded(any_env)
    app = create_app(env.settings)
    started, operations = time.monotonic(), set[str]()
    with shared_with_marugame(env):
        sent = sum(fuzz_town(env, app, slug, operations) for slug in TOWNS)
    elapsed = time.monotonic() - started
    print(f"fuzzed {len(operations)} operations, {sent} requests in {elapsed:.0f} s")
    # every operation of the API was fuzzed, and each was documented
    assert len(operations) == 10, sorted(operations)
    assert all(label.startswith("GET /api/hsds") for label in operations)
