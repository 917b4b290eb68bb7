"""The error an OpenID Connect sign-in stops with, shared by the protocol modules."""

from __future__ import annotations

from kasane.core.i18n import N_

MSG_FAILED = N_("Sign-in with your organisation failed. Try again.")


class SSOError(Exception):
    """The SSO login cannot go on; ``message`` is a msgid for the login page."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(detail or message)
        self.message = message
