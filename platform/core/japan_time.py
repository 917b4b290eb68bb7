"""Japan time: what staff mean by "today", and the zone every date shown is in."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")


def today_jst() -> date:
    """The date in Japan (due dates, meeting days and records are calendar days there)."""
    return datetime.now(JST).date()
