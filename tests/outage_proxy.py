"""A TCP relay between the app and PostgreSQL that a test can cut and restore.

Cutting closes every relayed connection and the listening socket, so the app sees what a
stopped server looks like from its side (connections reset, new ones refused) — without
stopping the machine's shared PostgreSQL, which other test processes are using.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.conftest import csrf_of


class Relay:
    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.restore()

    def restore(self) -> None:
        """Accept connections again (the server is back)."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Drop every connection and refuse new ones (the server is gone)."""
        if self._listener is not None:
            try:  # a blocked accept() holds the socket open until it is shut down
                self._listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._listener.close()
            self._listener = None
        with self._lock:
            for s in self._sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


@contextmanager
def relay_to(host: str, port: int) -> Iterator[Relay]:
    relay = Relay((host, port))
    try:
        yield relay
    finally:
        relay.cut()


NOTICE = "データベースに接続できません"  # the outage page's words (Redis included)


def assert_outage_page(answer: Any, *, town: bool = True) -> None:
    """503 with Retry-After and the outage page (in usuki's look unless ``town`` is False)."""
    assert answer.status_code == 503, answer.text[:300]
    assert answer.headers["retry-after"].isdigit()
    assert answer.headers["cache-control"] == "no-store"
    assert NOTICE in answer.text
    if town:
        assert "臼杵市" in answer.text  # in the town's look


def login_form(client: Any, username: str) -> dict[str, str]:
    """The sign-in form of ``username`` with the demo password, its CSRF token read."""
    page = client.get("/login")
    assert page.status_code == 200  # the sign-in page itself needs no Redis
    token = csrf_of(page.text)
    return {"username": username, "password": "kasane-demo", "_csrf_token": token, "next": "/"}
