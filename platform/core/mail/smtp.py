"""Sending one plain-text mail over SMTP with aiosmtplib.

``KASANE_SMTP_URL``: ``smtp://[user:password@]host[:port]`` (STARTTLS when the server
offers it; port 25 by default, 587 usual) or ``smtps://…`` (implicit TLS, 465). Mail is a
notice with counts and links; the caller keeps names and free text out of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib


class MailNotConfigured(RuntimeError):
    """No ``KASANE_SMTP_URL``: nothing can be sent."""


@dataclass(frozen=True)
class Mail:
    """One message: recipients, subject and plain-text body."""

    to: tuple[str, ...]
    subject: str
    body: str


def _server(url: str) -> dict[str, object]:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("KASANE_SMTP_URL must be smtp://host[:port] or smtps://host[:port]")
    implicit = parts.scheme == "smtps"
    return {
        "hostname": parts.hostname,
        "port": parts.port or (465 if implicit else 25),
        "username": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        "use_tls": implicit,
        "start_tls": None if not implicit else False,  # None: STARTTLS when offered
        "timeout": 30,
    }


async def send_mail(smtp_url: str, sender: str, mail: Mail) -> None:
    """Send ``mail`` through ``smtp_url`` from ``sender``.

    Raises:
        MailNotConfigured: ``smtp_url`` is empty.
        aiosmtplib.SMTPException: the server refused or could not be reached.
    """
    if not smtp_url:
        raise MailNotConfigured("KASANE_SMTP_URL is not set")
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(mail.to)
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    await aiosmtplib.send(message, **_server(smtp_url))  # type: ignore[arg-type]
