"""The first administrator's invitation by mail (``kasane tenants invite-admin``).

Plain text in Japanese and English (one template each, ``templates/admin_invitation.*.txt``).
The mail names the town, the recipient (their own name, when given), the link and its
expiry — nothing else: no other person's data, no configuration.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2

from kasane.core.japan_time import jst_moment
from kasane.core.mail.smtp import Mail, send_mail

log = logging.getLogger("kasane.mail")
_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=False,  # plain text
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)
SUBJECTS = {
    ("admin", "ja"): "【かさね】{town}の管理者としての招待",
    ("admin", "en"): "[Kasane] Your invitation as {town}'s administrator",
    ("staff", "ja"): "【かさね】{town}の職員としての招待",
    ("staff", "en"): "[Kasane] Your invitation to {town}'s Kasane",
}


def invitation_mail(
    *,
    to: str,
    town: str,
    name: str,
    link: str,
    expires_at: datetime,
    lang: str = "ja",
    role: str = "admin",
) -> Mail:
    """The invitation mail in ``lang`` (ja or en): a town's first admin (``role="admin"``)
    or a staff member an admin invited (``"staff"``)."""
    lang = lang if lang in ("ja", "en") else "ja"
    role = role if role in ("admin", "staff") else "admin"
    # the date policy: 令和8年12月14日 14:05 in Japanese, ISO in English (JST both)
    expires = jst_moment(expires_at, english=lang == "en")
    body = _TEMPLATES.get_template(f"{role}_invitation.{lang}.txt").render(
        town=town, name=name, link=link, expires=expires
    )
    return Mail(to=(to,), subject=SUBJECTS[(role, lang)].format(town=town), body=body)


async def send_invitation(smtp_url: str, sender: str, mail: Mail) -> None:
    """Send it (raises MailNotConfigured without ``KASANE_SMTP_URL``)."""
    await send_mail(smtp_url, sender, mail)


async def mail_if_configured(settings: Any, mail: Mail) -> bool:
    """Send ``mail`` when ``KASANE_SMTP_URL`` is set; True when it was sent. A failure is
    logged (never the address) and answered False: the invitation itself stands."""
    if not settings.smtp_url:
        return False
    try:
        await send_mail(settings.smtp_url, settings.mail_from, mail)
    except Exception as exc:  # the page that invited must still answer
        log.warning("invitation mail not sent: %s", type(exc).__name__)
        return False
    return True
