"""Household patterns derived from members' ages, 続柄 and care roles — never typed in.

* 8050: a parent aged 75+ living with their child aged 40–64 (the classic 80 and 50).
* ダブルケア: someone aged 18–64 caring while the household has both a child under 15
  and a member who needs care.
* ヤングケアラー: a member under 18 who cares for someone.
* 高齢単身: one person aged 65+ living alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kasane.core.i18n import N_

PATTERN_LABELS: dict[str, str] = {
    "8050": N_("8050 household"),
    "double_care": N_("Double care"),
    "young_carer": N_("Young carer"),
    "elderly_single": N_("Older person living alone"),
}


@dataclass(frozen=True)
class MemberFacts:
    relation: str  # relative to the head
    age: int | None
    is_carer: bool = False
    needs_care: bool = False


def _generation(relation: str) -> int | None:
    """Generation relative to the head: parent +1, head/spouse/sibling 0, child -1 …"""
    return {
        "grandparent": 2,
        "parent": 1,
        "head": 0,
        "spouse": 0,
        "sibling": 0,
        "child": -1,
        "child_in_law": -1,
        "grandchild": -2,
    }.get(relation)


def household_patterns(members: list[MemberFacts]) -> list[str]:
    """The pattern keys that apply, in a stable order."""
    found: list[str] = []
    ages = [m for m in members if m.age is not None]
    for older in ages:
        for younger in ages:
            g_old, g_young = _generation(older.relation), _generation(younger.relation)
            if g_old is None or g_young is None or g_old - g_young != 1:
                continue
            if older.age >= 75 and 40 <= younger.age <= 64:  # type: ignore[operator]
                found.append("8050")
                break
        if "8050" in found:
            break
    has_child = any(m.age is not None and m.age < 15 for m in members)
    has_cared = any(m.needs_care for m in members)
    if (
        has_child
        and has_cared
        and any(m.is_carer and m.age is not None and 18 <= m.age <= 64 for m in members)
    ):
        found.append("double_care")
    if any(m.is_carer and m.age is not None and m.age < 18 for m in members):
        found.append("young_carer")
    if len(members) == 1 and members[0].age is not None and members[0].age >= 65:
        found.append("elderly_single")
    return found


def age_on(birth: date | None, day: date) -> int | None:
    if birth is None:
        return None
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
