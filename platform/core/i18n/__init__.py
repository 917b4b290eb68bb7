"""Japanese by default, English available: Babel catalogs read straight from ``.po``.

Messages are English msgids; ``locale/ja/LC_MESSAGES/messages.po`` translates them. The
catalog is compiled in memory at first use, so there is no build step to forget.
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES = ("ja", "en")
DEFAULT_LOCALE = "ja"
LOCALE_DIR = Path(__file__).parent / "locale"

current_locale: ContextVar[str] = ContextVar("kasane_locale", default=DEFAULT_LOCALE)


@cache
def translations(locale: str) -> NullTranslations:
    po = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf)


def gettext(message: str, **variables: object) -> str:
    """Translate into the current locale; ``%(name)s`` placeholders are filled in."""
    text = translations(current_locale.get()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    text = translations(current_locale.get()).ngettext(singular, plural, n)
    variables.setdefault("num", n)
    return text % variables


def pick_locale(cookie: str | None) -> str:
    return cookie if cookie in LOCALES else DEFAULT_LOCALE


def N_(message: str) -> str:  # noqa: N802  (the conventional gettext marker name)
    """Mark a string for extraction; it is translated later, where it is shown."""
    return message


_ = gettext
