"""``_()`` and ``gettext()`` in templates, each message looked up once per locale.

Jinja's newstyle gettext calls the translation function through the context, wraps the
answer in ``Markup`` and formats it (``%``) on every call, even with nothing to fill in. A
page of the case list asks for ~120 messages: that took a third of its rendering. Here the
translated markup (and its form with no variables) is kept per (locale, message); the
semantics are Jinja's own (always formatted, so ``%%`` is ``%``; escaped variables).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from kasane.core import i18n


@lru_cache(maxsize=16_384)  # core messages and each town's own names, per locale
def _message(locale: str, message: str) -> Markup:
    """The translated message as markup, to be formatted."""
    return Markup(i18n.translations(locale).gettext(message))


@lru_cache(maxsize=16_384)
def _plain(locale: str, message: str) -> Markup:
    """The translated message formatted with no variables."""
    return _message(locale, message) % {}


@pass_context
def template_gettext(context: Context, message: str, /, **variables: Any) -> str:
    if not context.eval_ctx.autoescape:  # plain-text templates: Jinja's own path
        return i18n.translations(i18n.current_locale.get()).gettext(message) % variables
    locale = i18n.current_locale.get()
    return _message(locale, message) % variables if variables else _plain(locale, message)
