"""The production process model: several server processes with the same settings and one
Redis. A TOTP login started on one finishes on the other, a note sealed by one opens on the
other, and a server told to stop finishes the request it is in the middle of.

Server A is `kasane serve --workers 2` (two uvicorn processes), server B a third process;
outside demo mode, with both keys and KASANE_REDIS_URL in the environment.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from sqlalchemy import select

from kasane.core.auth.models import StaffAccount
from kasane.core.auth.totp import do_enrol_totp
from kasane.core.db import Database
from kasane.core.japan_time import today_jst
from tests.conftest import REPO, TEST_MASTER_KEY, Env, _make_sqlite_env, csrf_of, login
from tests.integration.test_ephemeral_store import redis_url  # noqa: F401  (skips without Redis)

pytestmark = pytest.mark.redis
REDIS_URL = os.environ.get("KASANE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
NOTE = "二つのプロセスで共有される経過記録"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(
    env: Env, var: Path, *args: str, redis: str = "redis://127.0.0.1:6379/0"
) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    port = free_port()
    child = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KASANE_")},
        "KASANE_DATABASE_URL": env.settings.database_url.replace("+aiosqlite", ""),
        "KASANE_VAR_DIR": str(var),
        "KASANE_BASE_DOMAIN": "localhost",
        "KASANE_SECRET_KEY": "process-model-secret-key-shared-by-every-process",
        "KASANE_MASTER_KEY": TEST_MASTER_KEY,
        "KASANE_REDIS_URL": redis,
        "KASANE_SECURE_COOKIES": "0",  # plain HTTP in the test
    }
    log = (var / f"server-{port}.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "kasane.cli", "serve", "--port", str(port), "--grace", "20", *args],
        cwd=REPO,
        env=child,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, (
                    var / f"server-{port}.log"
                ).read_text()
                time.sleep(0.2)
        yield port, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)
        log.close()


def tenant(port: int, slug: str = "usuki") -> httpx.Client:
    return httpx.Client(
        base_url=f"http://127.0.0.1:{port}", headers={"Host": f"{slug}.localhost:{port}"}
    )


@pytest.fixture
def env(tmp_path: Path, redis_url: str) -> Env:  # noqa: F811  (the fixture imported above)
    env = _make_sqlite_env(tmp_path / "db")
    usuki = env.tenant_id("usuki")

    async def enrol(db: Database) -> None:
        async with db.session(usuki) as s:
            query = select(StaffAccount).where(StaffAccount.username == "supervisor")
            await do_enrol_totp(s, (await s.execute(query)).scalar_one(), SECRET)

    env.run(enrol)
    return env


SECRET = pyotp.random_base32()


def test_several_processes_share_logins_in_progress_and_sealed_notes(
    env: Env, tmp_path: Path
) -> None:
    with (
        serve(env, tmp_path, "--workers", "2", redis=REDIS_URL) as (a, _),
        serve(env, tmp_path, redis=REDIS_URL) as (b, _),
    ):
        # a TOTP login: the password on A, the code on B
        on_a, on_b = tenant(a), tenant(b)
        r = login(on_a, "supervisor")
        assert r.status_code == 200 and 'name="code"' in r.text, r.text[:300]
        step = r.text.split('name="step" value="', 1)[1].split('"', 1)[0]
        page = on_b.get("/login")
        done = on_b.post(
            "/login/totp",
            data={
                "step": step,
                "code": pyotp.TOTP(SECRET).now(),
                "_csrf_token": csrf_of(page.text),
            },
        )
        assert done.status_code in (302, 303) and done.headers["location"] == "/", done.text[:300]
        # a caseworker writes a note through A (either of its processes)...
        writer = tenant(a)
        assert login(writer, "caseworker").status_code in (302, 303)
        case = re.search(r'href="/cases/([0-9a-f-]{36})"', writer.get("/cases").text).group(1)  # type: ignore[union-attr]
        saved = writer.post(
            f"/cases/{case}/notes",
            data={
                "note-kind": "visit",
                "note-occurred_on": today_jst().isoformat(),
                "note-body": NOTE,
                "_csrf_token": csrf_of(writer.get(f"/cases/{case}").text),
            },
        )
        assert saved.status_code in (200, 303)
        # ...and reads it, opened, through B with the same session
        reader = tenant(b)
        reader.cookies = writer.cookies
        assert NOTE in reader.get(f"/cases/{case}").text
        for _ in range(6):  # whichever of A's processes answers, it opens it too
            assert NOTE in writer.get(f"/cases/{case}").text


def test_a_server_told_to_stop_finishes_the_request_in_flight(env: Env, tmp_path: Path) -> None:
    with serve(env, tmp_path, redis=REDIS_URL) as (port, proc):
        c = tenant(port)
        page = c.get("/login")
        body = (
            f"username=caseworker&password=kasane-demo&next=%2F&_csrf_token={csrf_of(page.text)}"
        ).encode()
        cookie = "; ".join(f"{k}={v}" for k, v in c.cookies.items())
        head = (
            f"POST /login HTTP/1.1\r\nHost: usuki.localhost:{port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
            # given a request half sent
            s.sendall(head + body[:10])
            time.sleep(0.5)
            # when the server is told to stop (SIGTERM, as Kubernetes does)
            proc.send_signal(signal.SIGTERM)
            time.sleep(1.0)
            assert proc.poll() is None  # still finishing
            # then the rest of the request is still answered
            s.sendall(body[10:])
            answer = _read_all(s)
        assert answer.startswith(b"HTTP/1.1 303") or answer.startswith(b"HTTP/1.1 302"), answer[
            :200
        ]
        # and the server exits after it (uvicorn re-raises SIGTERM once it has shut down)
        assert proc.wait(timeout=25) in (0, -signal.SIGTERM)
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)


def _read_all(s: Any) -> bytes:
    chunks = []
    while chunk := s.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)
