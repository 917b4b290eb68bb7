"""The registry import's limits: JSON nested too deep or too large is refused with a message
that names the field (the uploaded file or the pasted text), never a server error; and a My
Number in any value, however it is spelled, is refused naming its record and field.

The limits come from :mod:`kasane.core.registry.hsds_input` (20 MB, 64 levels) and are
shown on the import page itself.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from kasane.core.audit.services import count_events
from kasane.core.registry.hsds_input import FORM_ALLOWANCE, MAX_DEPTH, MAX_IMPORT_BYTES
from kasane.core.registry.models import Organization, Service
from tests.conftest import Env, csrf_of, login, tenant_client
from tests.integration.test_registry import in_tenant, seeded

TOWNS = ("usuki", "marugame")
FILE_NAME = "HSDS JSONファイル"
PASTED_NAME = "貼り付けたJSON"


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def post_import(client: Any, *, pasted: str = "", file: bytes | None = None) -> Any:
    token = csrf_of(client.get("/registry/import").text)
    files = {"file": ("data.json", file, "application/json")} if file is not None else None
    return client.post(
        "/registry/import",
        data={"_csrf_token": token, "json": pasted},
        files=files,
    )


def imports(env: Env, slug: str) -> int:
    return int(in_tenant(env, slug, lambda s: count_events(s, "registry.import")))


@pytest.mark.parametrize("slug", TOWNS)
def test_json_nested_100000_deep_is_refused_naming_the_field(sqlite_env: Env, slug: str) -> None:
    env = seeded(sqlite_env)
    before = imports(env, slug)
    with tenant_client(env, slug) as c:
        assert login(c, "caseworker").status_code == 302
        # when a 100,000-deep array is pasted, and uploaded as a file
        pasted = post_import(c, pasted=nested(100_000))
        uploaded = post_import(c, file=nested(100_000).encode())
        # and one just past the limit (Python's parser alone would take it)
        past = post_import(c, pasted=nested(MAX_DEPTH + 1))
    # then each is a 422 page naming the field and the limit
    for page, name in ((pasted, PASTED_NAME), (uploaded, FILE_NAME), (past, PASTED_NAME)):
        assert page.status_code == 422, page.text[:500]
        assert f"{name}の入れ子" in page.text and f"{MAX_DEPTH} 段" in page.text
    # and the page still explains the limits, and nothing was imported
    assert "20 MB まで" in pasted.text and f"{MAX_DEPTH} 段まで" in pasted.text
    assert imports(env, slug) == before


def test_json_at_the_depth_limit_is_read_and_judged_as_data(sqlite_env: Env) -> None:
    env = seeded(sqlite_env)
    with tenant_client(env, "usuki") as c:
        assert login(c, "caseworker").status_code == 302
        # a bare array MAX_DEPTH deep is read: its problem is what it holds, not its depth
        page = post_import(c, pasted=nested(MAX_DEPTH))
    assert page.status_code == 422
    assert "入れ子（配列" not in page.text and "<table>" in page.text


@pytest.mark.parametrize("slug", TOWNS)
def test_oversized_json_is_refused_naming_the_field(sqlite_env: Env, slug: str) -> None:
    env = seeded(sqlite_env)
    before = imports(env, slug)
    # a JSON array of strings just over the limit, and a body far over it
    just_over = b'["' + b"x" * (MAX_IMPORT_BYTES - 3) + b'"]'
    assert len(just_over) == MAX_IMPORT_BYTES + 1
    far_over = b"[" + b'"x",' * ((MAX_IMPORT_BYTES + FORM_ALLOWANCE) // 4) + b'"x"]'
    with tenant_client(env, slug) as c:
        assert login(c, "caseworker").status_code == 302
        file_page = post_import(c, file=just_over)
        pasted_page = post_import(c, pasted=just_over.decode())
        body_page = post_import(c, file=far_over)
        # and the form still works after the refusal (a check only: nothing is imported)
        token = csrf_of(body_page.text)
        again = c.post(
            "/registry/import", data={"_csrf_token": token, "json": "[]", "dry_run": "on"}
        )
    # then each is a 422 page naming the field and the limit
    expected = (
        (file_page, FILE_NAME),
        (pasted_page, PASTED_NAME),
        (body_page, f"{FILE_NAME}または{PASTED_NAME}"),
    )
    for page, name in expected:
        assert page.status_code == 422, page.text[:500]
        assert f"{name}が上限の 20 MB を超えています" in page.text, name
    assert again.status_code == 200 and "上限の" not in again.text
    assert imports(env, slug) == before


# 1234 5678 9018 has a valid check digit (tests/unit/test_mynumber.py works it by hand)
MY_NUMBER_VALUES = {
    "description": "相談の際は 1234・5678・9018 をお知らせください",  # a column Kasane holds
    "wait_time": "番号 1234.5678.9018 の方は当日",  # no column: would be kept as given
    "funding": [{"id": str(uuid.uuid4()), "source": "１２３４　５６７８　９０１８"}],  # nested
}


def registry_rows(env: Env, slug: str) -> tuple[int, int]:
    async def go(s: Any) -> tuple[int, int]:
        count = [
            (await s.execute(select(func.count()).select_from(m))).scalar_one()
            for m in (Service, Organization)
        ]
        return count[0], count[1]

    return tuple(in_tenant(env, slug, go))  # type: ignore[return-value]


@pytest.mark.parametrize("field", sorted(MY_NUMBER_VALUES))
def test_a_my_number_spelled_with_separators_is_refused_naming_the_field(
    sqlite_env: Env, field: str
) -> None:
    # given an HSDS service whose one field holds a My Number written with separators
    env = seeded(sqlite_env)
    service_id, org_id = "0f6c3b1e-7a2d-4c55-8e1a-3b7d2c6a4e10", str(uuid.uuid4())
    service = {
        "id": service_id,
        "name": "番号入りの相談窓口",
        "status": "active",
        "organization": {"id": org_id, "name": "番号入りの団体", "description": "架空"},
        field: MY_NUMBER_VALUES[field],
    }
    before = registry_rows(env, "usuki"), imports(env, "usuki")
    with tenant_client(env, "usuki") as c:
        assert login(c, "caseworker").status_code == 302
        # when it is pasted into the import
        page = post_import(c, pasted=json.dumps([service], ensure_ascii=False))
        served = c.get(f"/api/hsds/services/{service_id}")
    # then the import is refused: the problem names the record and the field, in Japanese
    assert page.status_code == 422, page.text[:500]
    rows = re.findall(r"<tr><td>(\w+)</td><td><code>([^<]*)</code></td><td><code>(\w+)</code>"
                      r"</td><td>([^<]*)</td></tr>", page.text)  # fmt: skip
    assert [(r[0], r[1], r[2]) for r in rows] == [("service", service_id, field)], rows
    assert "マイナンバー（個人番号）" in rows[0][3] and "5678" not in rows[0][3]
    # and nothing was created (nor counted as an import)
    assert (registry_rows(env, "usuki"), imports(env, "usuki")) == before
    assert served.status_code == 404
