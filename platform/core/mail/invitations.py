"""The first administrator's invitation by mail (``kasane tenants invite-admin``).

Plain text in Japanese and English (one template each, ``templates/admin_invitation.*.txt``).
The mail names the town, the recipient (their own name, when given), the link and its
expiry — nothing else: no other person's data, no configuration.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import jinja2

from kasane.core.japan_time import JST
from kasane.core.mail.smtp import Mail, send_mail

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=False,  # plain text
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)
SUBJECTS = {
    "ja": "【かさね】{town}の管理者としての招待",
    "en": "[Kasane] Your invitation as {town}'s administrator",
}


def invitation_mail(
    *, to: str, town: str, name: str, link: str, expires_at: datetime, lang: str = "ja"
) -> Mail:
    """The invitation mail in ``lang`` (ja or en)."""
    lang = lang if lang in SUBJECTS else "ja"
    body = _TEMPLATES.get_template(f"admin_invitation.{lang}.txt").render(
        town=town, name=name, link=link, expires=expires_at.astimezone(JST)
    )
    return Mail(to=(to,), subject=SUBJECTS[lang].format(town=town), body=body)


async def send_invitation(smtp_url: str, sender: str, mail: Mail) -> None:
    """Send it (raises MailNotConfigured without ``KASANE_SMTP_URL``)."""
    await send_mail(smtp_url, sender, mail)
