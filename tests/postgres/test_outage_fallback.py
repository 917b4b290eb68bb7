"""PostgreSQL out of reach, the cases ``test_outage.py`` leaves: the static fallback page (the
central site, and a town whose outage page cannot be rendered), and a connection cut while a
statement runs — answered 503, never 500, and nothing half-saved (decision 0022).

The app reaches PostgreSQL through a relay the test cuts and restores (``relayed``).
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from typing import Any

import psycopg
import pytest

from kasane.core.web import outage
from tests.conftest import Env, login, tenant_client
from tests.integration.test_submissions import _counts, _send
from tests.isolation.routes_cases import make_case
from tests.outage_proxy import Relay, assert_outage_page, login_form
from tests.postgres.test_outage import relayed  # noqa: F401  (the fixture)

pytestmark = pytest.mark.postgres
# the static page's own words (FALLBACK_HTML), in Japanese and in English
FALLBACK_WORDS = (
    "一時的に利用できません",
    "入力中の内容はこの画面を閉じずにお待ちください",
    "Kasane cannot reach its database right now",
)


def _assert_fallback(answer: Any) -> None:
    assert answer.status_code == 503, answer.text[:300]
    assert answer.headers["retry-after"].isdigit()
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["content-type"].startswith("text/html")
    for words in FALLBACK_WORDS:
        assert words in answer.text


def test_the_central_site_answers_the_static_page_while_its_database_is_out_of_reach(
    relayed: tuple[Env, Relay],  # noqa: F811
) -> None:
    env, relay = relayed
    with tenant_client(env, "central") as central:
        form = login_form(central, "analyst")

        # when the analyst signs in while PostgreSQL is gone
        relay.cut()
        signing_in = central.post("/login", data=form, follow_redirects=False)
        # then the answer is the static page: 503, Retry-After, the notice in both languages
        _assert_fallback(signing_in)

        # and the same sign-in works once PostgreSQL is back
        relay.restore()
        assert central.post("/login", data=form, follow_redirects=False).status_code in (302, 303)


def test_a_town_whose_outage_page_cannot_be_rendered_gets_the_static_page(
    relayed: tuple[Env, Relay],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env, relay = relayed

    def broken_look(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("a theme's template is missing")

    # given a town whose look cannot be rendered (a broken theme), and no database
    monkeypatch.setattr(outage, "render", broken_look)
    relay.cut()
    with tenant_client(env, "usuki") as cold:  # the host → town lookup cannot be made
        _assert_fallback(cold.get("/login"))
        relay.restore()
        monkeypatch.undo()
        assert cold.get("/login").status_code == 200


def _wait_for_lock_wait(admin: psycopg.Connection[Any], timeout: float = 15) -> None:
    """Until the app role's statement waits for the lock the test holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE usename = 'kasane_app' "
            "AND datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
        if waiting and waiting[0]:
            return
        time.sleep(0.05)
    raise AssertionError("the app's statement never waited for the lock")


def test_a_connection_cut_while_a_save_runs_answers_503_and_saves_nothing(
    pg_env: Env,
    relayed: tuple[Env, Relay],  # noqa: F811
    capfd: pytest.CaptureFixture[str],
) -> None:
    env, relay = relayed
    case = make_case(pg_env, "usuki")
    key = secrets.token_hex(16)
    admin_url = re.sub(r"\+asyncpg", "", pg_env.settings.migration_database_url)
    with tenant_client(env, "usuki") as client:
        assert login(client, "caseworker").status_code == 302
        with (
            psycopg.connect(admin_url, autocommit=True) as observer,
            psycopg.connect(admin_url) as locker,
        ):
            # given a save whose INSERT waits (another transaction holds the notes table) …
            locker.execute("LOCK TABLE progress_notes IN ACCESS EXCLUSIVE MODE")
            answers: list[Any] = []
            saving = threading.Thread(
                target=lambda: answers.append(_send(client, case, key, "保存中に切断"))
            )
            saving.start()
            _wait_for_lock_wait(observer)
            # … when the connection is cut in the middle of that statement
            relay.cut()
            saving.join(30)
            locker.rollback()
        assert not saving.is_alive() and answers
        # then the answer is the outage page, not an error page
        cut = answers[0]
        assert_outage_page(cut)

        # and nothing was half-saved: the same form, sent again when PostgreSQL is back,
        # saves one note (its one-time key was released by the failure)
        relay.restore()
        assert _counts(pg_env, "usuki", case) == (0, 0)
        assert _send(client, case, key, "保存中に切断").status_code == 303
        assert _counts(pg_env, "usuki", case) == (1, 1)
    err = capfd.readouterr().err
    assert "asynchronous generator is already running" not in err
