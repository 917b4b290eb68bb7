"""What `kasane serve` writes to its log: one JSON object per line, with request id, tenant,
route template and status; never a name someone typed, never a traceback for a 4xx.

The server is the real one (uvicorn in a subprocess, demo copy of its own); a caseworker
writes a progress note naming a person, searches for that name at intake, gets a My Number
refused, a login redirect, a 403 and another town's 404 — then the whole log is read.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

from tests.conftest import _make_sqlite_env, csrf_of, login
from tests.e2e.conftest import serve_kasane

NAME = "検証山田花子"  # a name nobody else uses: if it is anywhere in the log, it leaked
KANA = "ケンショウヤマダハナコ"
MY_NUMBER = "123456789018"  # a valid check digit: refused by name, never stored


def test_a_name_typed_into_a_note_never_reaches_the_log(tmp_path: Path) -> None:
    env = _make_sqlite_env(tmp_path / "db")
    with serve_kasane(tmp_path, env) as server:
        base = f"http://127.0.0.1:{server.port}"
        usuki = httpx.Client(base_url=base, headers={"Host": f"usuki.localhost:{server.port}"})
        other = httpx.Client(base_url=base, headers={"Host": f"marugame.localhost:{server.port}"})
        # a login redirect before signing in
        assert usuki.get("/cases").status_code in (302, 303)
        assert login(usuki, "caseworker").status_code in (302, 303)
        cases = usuki.get("/cases")
        case = re.search(r'href="/cases/([0-9a-f-]{36})"', cases.text).group(1)  # type: ignore[union-attr]
        token = csrf_of(usuki.get(f"/cases/{case}").text)
        note = {"note-kind": "phone", "note-occurred_on": "2026-12-01", "_csrf_token": token}
        saved = usuki.post(
            f"/cases/{case}/notes",
            data={**note, "note-body": f"{NAME}（{KANA}）さんの長男から電話。"},
        )
        assert saved.status_code in (200, 303), saved.text[:300]
        refused = usuki.post(
            f"/cases/{case}/notes",
            data={**note, "note-body": f"{NAME}さんの番号 {MY_NUMBER}"},
        )
        assert refused.status_code == 422
        search = usuki.post(
            "/intake/duplicates",
            data={"_csrf_token": token, "name": NAME, "name_kana": KANA, "phone": "0972-00-0000"},
        )
        assert search.status_code < 500
        assert usuki.get("/admin/staff").status_code in (403, 404)
        assert other.get(f"/cases/{case}").status_code in (302, 303, 404)
        request_id = saved.headers["x-request-id"]
    log = (tmp_path / "server.log").read_text(encoding="utf-8")

    # then the name, its kana and the number are nowhere in it
    assert NAME not in log and KANA not in log and MY_NUMBER not in log
    assert "長男" not in log
    # and no expected answer left a traceback
    assert "Traceback" not in log and "traceback" not in log
    # every line is one JSON object
    raw = [line for line in log.splitlines() if line.strip()]
    assert not [line for line in raw if not line.startswith("{")], log[:2000]
    lines = [json.loads(line) for line in raw]
    requests = [line for line in lines if line.get("event") == "request"]
    assert len(requests) >= 8
    # with the request id (the one the client saw), tenant, route template and status
    note_line = next(line for line in requests if line["request_id"] == request_id)
    assert note_line["tenant"] == "usuki"
    assert note_line["route"] == "/cases/{case_id}/notes"
    assert note_line["status"] in (200, 303) and note_line["method"] == "POST"
    statuses = {line["status"] for line in requests}
    assert {422, 303}.issubset(statuses) or {422, 302}.issubset(statuses)
    # never a filled-in path or a query string
    assert not any(case in json.dumps(line) for line in requests)
    assert all(line["level"] in ("info", "warning", "error", "debug") for line in lines)
