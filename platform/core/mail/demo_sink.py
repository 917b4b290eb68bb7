"""The demo's mail: a local SMTP server that keeps each message as a file.

``kasane serve`` in demo mode without ``KASANE_SMTP_URL`` starts one on 127.0.0.1 and
points the app at it, so the demo sends its invitations (and digests) as production would
and each lands in ``var/mail/<time>.eml``, which any mail program opens. The files hold
invitation links, so only their owner may read them.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

# aiosmtpd logs every connection at INFO (peer addresses): not the demo server's log's business
logging.getLogger("mail.log").setLevel(logging.WARNING)


class MailFolder:
    """aiosmtpd's handler: each message received, as ``<UTC time>-<n>.eml`` in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._count = itertools.count(1)

    async def handle_DATA(  # noqa: N802  (aiosmtpd's hook name)
        self, _server: SMTP, _session: Session, envelope: Envelope
    ) -> str:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.folder / f"{stamp}-{next(self._count)}.eml"
        # the envelope's recipients first (as aiosmtpd's own Message handler records them)
        recipients = ", ".join(str(to) for to in envelope.rcpt_tos)
        content = envelope.original_content or b""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(f"X-RcptTo: {recipients}\r\n".encode() + content)
        return "250 OK"


class DemoMailSink:
    """A local SMTP server on 127.0.0.1 (a free port) writing into ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._controller: Controller | None = None
        self.url = ""

    def start(self) -> str:
        """Start it (its own thread); the ``smtp://`` URL the app sends to."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        port = _free_port()
        self._controller = Controller(MailFolder(self.folder), hostname="127.0.0.1", port=port)
        self._controller.start()
        self.url = f"smtp://127.0.0.1:{port}"
        return self.url

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
