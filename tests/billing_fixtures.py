"""Billing test fixtures: localstripe as a subprocess, a Stripe API front for the
endpoints localstripe lacks, and webhooks signed exactly as Stripe signs them.

``localstripe`` is skipped with a reason when it cannot start, and fails under ``CI=true``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest

from tests.serving import serving

WEBHOOK_SECRET = "whsec_kasane_test_" + "0" * 16
SECRET_KEY = "sk_test_kasane"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(url: str, deadline: float) -> str | None:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {SECRET_KEY}"})
    problem = "did not answer"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(request, timeout=1) as response:
                if response.status == 200:
                    return None
        except (urllib.error.URLError, OSError) as exc:
            problem = str(exc)
        time.sleep(0.1)
    return problem


@pytest.fixture(scope="session", name="localstripe")
def localstripe_server() -> Iterator[str]:
    """The base URL of a fresh localstripe (``python -m localstripe --from-scratch``)."""
    port = free_port()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except OSError as exc:
        problem: str | None = str(exc)
        process = None
    else:
        problem = _wait_for(f"http://127.0.0.1:{port}/v1/customers", time.monotonic() + 20)
    if problem:
        if process is not None:
            process.kill()
            process.wait()
        reason = f"localstripe could not start on port {port}: {problem}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        assert process is not None
        process.terminate()
        process.wait(timeout=10)


@dataclass
class StripeFront:
    """Serves what localstripe lacks the way Stripe answers it — Checkout and Customer
    Portal sessions, prices (``prices``: as an operator made them), and the invoice path of
    ``StripeBilling.create_invoice_subscription``
    (tax rates, a ``send_invoice`` subscription, finalize, send) — records every request
    (method, path, form), and passes the rest on to localstripe."""

    url: str
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    tax_rates: list[dict[str, Any]] = field(default_factory=list)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    prices: dict[str, dict[str, Any]] = field(default_factory=dict)  # as the operator made them

    def posted(self, path: str) -> list[dict[str, str]]:
        """The forms POSTed to ``path``, in order."""
        return [form for method, p, form in self.requests if method == "POST" and p == path]


# Stripe's answer: the object (200), or (status, body) for an error
Answer = Callable[
    [StripeFront, dict[str, str], re.Match[str]], dict[str, Any] | tuple[int, dict[str, Any]]
]


def _metadata(form: dict[str, str]) -> dict[str, str]:
    return {k[len("metadata[") : -1]: v for k, v in form.items() if k.startswith("metadata[")}


def _checkout_session(_front: StripeFront, form: dict[str, str], _m: re.Match[str]) -> Any:
    sid = "cs_test_" + secrets.token_hex(8)
    return {
        "id": sid,
        "object": "checkout.session",
        "mode": form.get("mode"),
        "customer": form.get("customer"),
        "url": f"https://checkout.stripe.com/c/pay/{sid}",
    }


def _portal_session(_front: StripeFront, form: dict[str, str], _m: re.Match[str]) -> Any:
    sid = "bps_" + secrets.token_hex(8)
    return {
        "id": sid,
        "object": "billing_portal.session",
        "customer": form.get("customer"),
        "return_url": form.get("return_url"),
        "url": f"https://billing.stripe.com/p/session/{sid}",
    }


def _create_tax_rate(front: StripeFront, form: dict[str, str], _m: re.Match[str]) -> Any:
    rate = {
        "id": "txr_" + secrets.token_hex(8),
        "object": "tax_rate",
        "active": True,
        "display_name": form.get("display_name"),
        "percentage": float(form.get("percentage") or 0),
        "inclusive": form.get("inclusive") == "true",
        "country": form.get("country"),
        "metadata": _metadata(form),
    }
    front.tax_rates.append(rate)
    return rate


def _list_tax_rates(front: StripeFront, _form: dict[str, str], _m: re.Match[str]) -> Any:
    return {"object": "list", "url": "/v1/tax_rates", "has_more": False, "data": front.tax_rates}


def _create_subscription(front: StripeFront, form: dict[str, str], _m: re.Match[str]) -> Any:
    """A subscription billed by invoice, its first invoice a draft (as Stripe makes it)."""
    invoice_id = "in_" + secrets.token_hex(8)
    front.invoices[invoice_id] = {
        "id": invoice_id,
        "object": "invoice",
        "customer": form.get("customer"),
        "collection_method": form.get("collection_method"),
        "status": "draft",
    }
    return {
        "id": "sub_" + secrets.token_hex(8),
        "object": "subscription",
        "customer": form.get("customer"),
        "collection_method": form.get("collection_method"),
        "days_until_due": int(form.get("days_until_due") or 0),
        "status": "active",
        "latest_invoice": invoice_id,
        "metadata": _metadata(form),
    }


def _price(front: StripeFront, _form: dict[str, str], m: re.Match[str]) -> Any:
    if m.group(1) not in front.prices:  # Stripe's answer to an unknown id
        message = f"No such price: '{m.group(1)}'"
        return 404, {"error": {"type": "invalid_request_error", "message": message}}
    return {"id": m.group(1), "object": "price", **front.prices[m.group(1)]}


def _invoice_action(front: StripeFront, _form: dict[str, str], m: re.Match[str]) -> Any:
    invoice = front.invoices[m.group(1)]
    invoice["status"] = "open"  # finalized, and sent: open until paid
    return invoice


SERVED: dict[tuple[str, str], Answer] = {
    ("POST", r"/v1/checkout/sessions"): _checkout_session,
    ("POST", r"/v1/billing_portal/sessions"): _portal_session,
    ("POST", r"/v1/tax_rates"): _create_tax_rate,
    ("GET", r"/v1/tax_rates"): _list_tax_rates,
    ("POST", r"/v1/subscriptions"): _create_subscription,
    ("POST", r"/v1/invoices/(in_\w+)/(?:finalize|send)"): _invoice_action,
    ("GET", r"/v1/prices/([\w-]+)"): _price,
}


@contextmanager
def serving_stripe_front(localstripe: str) -> Iterator[StripeFront]:
    """A :class:`StripeFront` of its own, in a thread, for as long as the block runs."""
    front = StripeFront(url="")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:  # keep test output quiet
            pass

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path, _, query = self.path.partition("?")
            form = dict(parse_qsl(body.decode() or query, keep_blank_values=True))
            front.requests.append((self.command, path, form))
            for (method, pattern), answer in SERVED.items():
                if method == self.command and (match := re.fullmatch(pattern, path)):
                    answered = answer(front, form, match)
                    status, data = answered if isinstance(answered, tuple) else (200, answered)
                    self._answer(status, json.dumps(data).encode())
                    return
            self._forward(body)

        def _forward(self, body: bytes) -> None:
            forward = urllib.request.Request(
                localstripe + self.path,
                data=body if self.command != "GET" else None,
                method=self.command,
                headers={
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() in ("authorization", "content-type")
                },
            )
            try:
                with urllib.request.urlopen(forward, timeout=10) as response:
                    self._answer(response.status, response.read())
            except urllib.error.HTTPError as exc:
                self._answer(exc.code, exc.read())

        do_GET = do_POST = do_DELETE = _handle  # noqa: N815  (http.server's method names)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    front.url = f"http://127.0.0.1:{server.server_address[1]}"
    with serving(server):
        yield front


@pytest.fixture(name="front")
def own_stripe_front(localstripe: str) -> Iterator[StripeFront]:
    """A front of the test's own: what it records is that test's alone."""
    with serving_stripe_front(localstripe) as served:
        yield served


@pytest.fixture(scope="session", name="stripe_front")
def stripe_front_server(localstripe: str) -> Iterator[StripeFront]:
    with serving_stripe_front(localstripe) as front:
        yield front


def stripe_get(base: str, path: str) -> dict[str, Any]:
    """GET from localstripe as the secret key holder (what is stored there)."""
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {SECRET_KEY}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header: ``t=…,v1=HMAC_SHA256(secret, f"{t}.{payload}")``."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event(type_: str, obj: dict[str, Any], created: int | None = None) -> bytes:
    """A Stripe event body carrying ``obj``."""
    return json.dumps(
        {
            "id": "evt_" + secrets.token_hex(12),
            "object": "event",
            "type": type_,
            "created": int(time.time()) if created is None else created,
            "livemode": False,
            "data": {"object": obj},
        }
    ).encode()
