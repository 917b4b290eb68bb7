"""TOTP (RFC 6238) codes as pure functions: no account, no database.

The staff login (:mod:`kasane.core.auth.totp`) and the central site's accounts
(:mod:`kasane.central.accounts`) both check codes with these; each keeps its own secret and
its own last accepted step.
"""

from __future__ import annotations

import re
import secrets
import time

import pyotp
import segno
from markupsafe import Markup

ISSUER_NAME = "Kasane"


def new_secret() -> str:
    return pyotp.random_base32()


def code_step(secret: str, code: str, at: float | None = None) -> int | None:
    """The 30-second step whose code this is (now, or one step either side), else None."""
    code = re.sub(r"\s", "", code or "")
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    now = int((time.time() if at is None else at) // totp.interval)
    for step in (now, now - 1, now + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def code_matches(secret: str, code: str) -> bool:
    return code_step(secret, code) is not None


def fresh_step(secret: str, code: str, last_step: int | None) -> int | None:
    """The step of a right code that is newer than ``last_step``, else None: a code is good
    once, so one seen over the shoulder or replayed within its window fails."""
    step = code_step(secret, code)
    if step is None or (last_step is not None and step <= last_step):
        return None
    return step


def qr_svg(uri: str, title: str) -> Markup:
    """The ``otpauth://`` URI as an inline SVG QR code, made here (the secret never leaves
    the server for a QR service); presentation attributes only, so the CSP holds."""
    code = segno.make(uri, error="m")
    svg = code.svg_inline(scale=4, title=title, light="#fff", svgclass="totp-qr")
    return Markup(svg)  # segno escapes the title; the rest is its own markup
