"""What an indicator is: its names and definition in both languages, unit, dimensions.

Texts are given in both languages here rather than through the Babel catalog: the
definitions sheet of an export carries both, whatever the reader's language. Where the
national 実績報告 form's exact wording of an item is not public (in what we hold),
``national`` says so; Kasane never presents its own wording as the State's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kasane.core.i18n import current_locale

Bi = tuple[str, str]  # (Japanese, English)

SECTIONS: dict[str, Bi] = {
    "consultations": ("包括的相談支援（相談受付）", "Consultations"),
    "referrals": ("つなぎ（関係機関への紹介）", "Referrals (tsunagi)"),
    "collaboration": ("多機関協働・支援の経過", "Multi-agency collaboration and case progress"),
    "meetings": ("会議", "Meetings"),
    "outreach": ("アウトリーチ等を通じた継続的支援", "Outreach"),
    "participation": ("参加支援", "Participation support"),
    "community": ("地域づくり", "Community building"),
    "gaps": ("社会資源の充足状況", "Resource gaps"),
    "local": ("市町村独自の指標", "Local indicators"),
}

NATIONAL_PLAN: Bi = (
    "実施計画の指標の例として国の公開資料に挙がる項目です。国の実績報告様式での正式な項目名と"
    "定義は、公開資料では確認できていません（この定義は Kasane のものです）。",
    "Named among implementation-plan indicators in public national material; the national "
    "report form's exact item wording and definition are not confirmed in public material "
    "(this definition is Kasane's).",
)
NATIONAL_UNKNOWN: Bi = (
    "国の実績報告様式に対応する項目があるか、その正式な項目名は公開資料では確認できていません"
    "（この定義は Kasane のものです）。",
    "Whether the national report form has a matching item, and its exact wording, is not "
    "confirmed in public material (this definition is Kasane's).",
)
LOCAL: Bi = (
    "市町村が独自に定めた指標です（プラグインが定義します）。国の様式の項目ではありません。",
    "An indicator the municipality defines itself (through its plugin); not a national item.",
)

UNITS: dict[str, Bi] = {
    "records": ("件", "records"),
    "persons": ("人", "people"),
    "times": ("回", "times"),
    "places": ("か所", "places"),
    "agencies": ("機関", "agencies"),
    "hosts": ("事業者", "hosts"),
}


def pick(text: Bi, locale: str | None = None) -> str:
    """The Japanese or English of a pair, for ``locale`` (default: the current language)."""
    return text[0] if (locale or current_locale.get()) == "ja" else text[1]


@dataclass(frozen=True)
class Indicator:
    """One figure of the catalogue.

    ``adds`` is how facts make the figure: ``distinct`` counts each unit (a record, a
    person, a place) once in the total and once in each cell of a breakdown — so the cells
    of a people count can sum to more than its total — and ``sum`` adds the facts' weights.
    ``flow`` is true for figures that grow through the year (the pace to date compares them
    with a share of the target); stock-like figures (拠点数) compare with the whole target.
    """

    key: str
    section: str
    name: Bi
    definition: Bi
    unit: str
    dimensions: tuple[str, ...]
    adds: Literal["distinct", "sum"] = "distinct"
    flow: bool = True
    national: Bi = NATIONAL_UNKNOWN
    local: bool = False

    def title(self, locale: str | None = None) -> str:
        return pick(self.name, locale)

    def explain(self, locale: str | None = None) -> str:
        return pick(self.definition, locale)

    def unit_text(self, locale: str | None = None) -> str:
        return pick(UNITS.get(self.unit, ("", "")), locale)
