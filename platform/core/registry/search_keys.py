"""Normalized copies of names and readings, so a search in kanji or kana finds both.

A query is normalized the same way (:func:`query_keys`): NFKC, katakana as hiragana, common
異体字 folded (see :mod:`kasane.core.people.matching`), so 「サロン」 finds いきいきサロン and
「ふれあい」 finds an entry whose reading is フレアイ.
"""

from __future__ import annotations

from typing import Any

from kasane.core.people.matching import normalize_kana, normalize_name


def stamp_service_keys(service: Any) -> None:
    """Set ``search_norm`` (name, alternate name, description) and ``kana_norm``."""
    parts = (service.name, service.alternate_name, service.description)
    service.search_norm = "\n".join(normalize_name(p) for p in parts if p)
    service.kana_norm = normalize_kana(service.name_kana or "")


def stamp_org_keys(org: Any) -> None:
    """Set an organization's ``name_norm`` (name and alternate name) and ``kana_norm``."""
    parts = (org.name, org.alternate_name)
    org.name_norm = " ".join(normalize_name(p) for p in parts if p)[:200]
    org.kana_norm = normalize_kana(org.name_kana or "")[:200]


def query_keys(text: str) -> tuple[str, str]:
    """``(as a name, as a reading)`` of a search query."""
    return normalize_name(text), normalize_kana(text)


def like(fragment: str) -> str:
    """A LIKE pattern containing ``fragment`` literally (escape character ``\\``)."""
    # NUL is dropped: no stored text holds one (PostgreSQL's text cannot), and PostgreSQL
    # refuses a statement whose parameter has one (a pasted or fuzzed query would be a 500)
    fragment = fragment.replace("\x00", "")
    escaped = fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
