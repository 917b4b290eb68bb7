"""Japanese by default through the Babel catalogs; every message is translated."""

from __future__ import annotations

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from kasane.core import i18n
from tests.conftest import REPO

METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def _msgids() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(REPO / "platform"),
        METHODS,
        options_map=OPTIONS,
        keywords={"_": None, "gettext": None, "N_": None, "ngettext": (1, 2)},
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_has_a_japanese_translation() -> None:
    with (i18n.LOCALE_DIR / "ja" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    # a plural entry's id is (singular, plural) and its string a tuple of forms
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and (m.string if isinstance(m.string, str) else any(m.string))
    }
    missing = sorted(_msgids() - translated)
    assert not missing, f"untranslated (run `make i18n` and fill in the .po): {missing}"


def test_japanese_is_the_default_and_english_is_available() -> None:
    token = i18n.current_locale.set(i18n.pick_locale(None))
    try:
        assert i18n.gettext("Log in") == "ログイン"
    finally:
        i18n.current_locale.reset(token)
    token = i18n.current_locale.set(i18n.pick_locale("en"))
    try:
        assert i18n.gettext("Log in") == "Log in"
    finally:
        i18n.current_locale.reset(token)
