"""HSDS schedules (RFC 5545 RRULE parts): does one occur on a day, is a service open now,
and the schedule in words (毎週 月曜日・水曜日 10:00–15:00).

Times are read in JST unless the value carries an offset (``09:00+09:00``, ``00:00Z``).
Supported: ``freq`` WEEKLY and MONTHLY (HSDS's two), ``interval`` (counted from
``dtstart``), ``byday`` with ordinals (``2TU``, ``-1FR``), ``bymonthday``, ``valid_from`` /
``valid_to``, ``dtstart`` and ``until``. ``count``, ``byweekno`` and ``byyearday`` are kept
and exported but not evaluated: such a schedule never counts as "open now".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from kasane.core import i18n
from kasane.core.i18n import N_, gettext
from kasane.core.japan_time import JST, wareki

CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_NAMES = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)
_BYDAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_TIME = re.compile(r"^(\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")


def parse_byday(value: str | None) -> list[tuple[int | None, int]]:
    """``"2TU,FR"`` → ``[(2, 1), (None, 4)]`` (ordinal, Monday = 0); bad parts skipped."""
    out = []
    for part in (value or "").replace(" ", "").split(","):
        m = _BYDAY.match(part.upper())
        if m:
            out.append((int(m.group(1)) if m.group(1) else None, CODES.index(m.group(2))))
    return out


def _ints(value: str | None) -> list[int]:
    return [int(p) for p in (value or "").replace(" ", "").split(",") if re.fullmatch(r"-?\d+", p)]


def parse_time(value: str | None) -> time | None:
    """``"10:00"`` or ``"10:00:00+09:00"`` → a JST wall-clock time (None when unreadable)."""
    m = _TIME.match((value or "").strip())
    if not m:
        return None
    hh, mm, ss, offset = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0), m.group(4)
    if hh > 24 or mm > 59 or ss > 59:
        return None
    if hh == 24:
        return time(23, 59, 59)
    if offset is None:
        return time(hh, mm, ss)
    if offset == "Z":
        tz = UTC
    else:
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    moment = datetime(2000, 1, 3, hh, mm, ss, tzinfo=tz).astimezone(JST)
    return moment.time()


def _nth_weekday_matches(day: date, nth: int, weekday: int) -> bool:
    if day.weekday() != weekday:
        return False
    if nth > 0:
        return (day.day - 1) // 7 + 1 == nth
    days_left = (date(day.year + day.month // 12, day.month % 12 + 1, 1) - day).days - 1
    return days_left // 7 + 1 == -nth


def occurs_on(s: Any, day: date) -> bool:
    """Whether schedule ``s`` has an occurrence on ``day``."""
    if s.count is not None or s.byweekno or s.byyearday:
        return False  # not evaluated (see the module doc)
    if (s.valid_from and day < s.valid_from) or (s.valid_to and day > s.valid_to):
        return False
    if (s.dtstart and day < s.dtstart) or (s.until and day > s.until):
        return False
    interval = s.interval if s.interval and s.interval > 1 else 1
    byday = parse_byday(s.byday)
    freq = s.freq or ("WEEKLY" if byday else None)
    if freq == "WEEKLY":
        if interval > 1:
            if not s.dtstart:
                return False
            start_week = s.dtstart - timedelta(days=s.dtstart.weekday())
            this_week = day - timedelta(days=day.weekday())
            if ((this_week - start_week).days // 7) % interval:
                return False
        if byday:
            return any(wd == day.weekday() for _n, wd in byday)
        return s.dtstart is None or s.dtstart.weekday() == day.weekday()
    if freq == "MONTHLY":
        if interval > 1:
            if not s.dtstart:
                return False
            months = (day.year - s.dtstart.year) * 12 + day.month - s.dtstart.month
            if months % interval:
                return False
        if byday:
            return any(
                (n is None and wd == day.weekday())
                or (n is not None and _nth_weekday_matches(day, n, wd))
                for n, wd in byday
            )
        monthdays = _ints(s.bymonthday)
        if monthdays:
            last = (date(day.year + day.month // 12, day.month % 12 + 1, 1) - timedelta(days=1)).day
            return any(d == day.day or (d < 0 and last + d + 1 == day.day) for d in monthdays)
        return s.dtstart is not None and s.dtstart.day == day.day
    return False


def is_open(schedules: Iterable[Any], now: datetime) -> bool:
    """Whether any schedule has an occurrence today (JST) whose hours include ``now``."""
    local = now.astimezone(JST)
    for s in schedules:
        opens, closes = parse_time(s.opens_at), parse_time(s.closes_at)
        if opens is None or closes is None or not occurs_on(s, local.date()):
            continue
        if opens <= local.time().replace(tzinfo=None) < closes:
            return True
    return False


def _hhmm(value: str | None) -> str:
    t = parse_time(value)
    return t.strftime("%H:%M") if t else (value or "")


def describe(s: Any) -> str:
    """The schedule in words, in the current language (its ``description`` is shown
    separately)."""
    _ = gettext
    interval = s.interval if s.interval and s.interval > 1 else 1
    byday = parse_byday(s.byday)
    freq = s.freq or ("WEEKLY" if byday else None)
    parts: list[str] = []
    if freq == "WEEKLY":
        parts.append(
            _("Every week")
            if interval == 1
            else _("Every other week")
            if interval == 2
            else _("Every %(n)s weeks", n=interval)
        )
    elif freq == "MONTHLY":
        parts.append(_("Every month") if interval == 1 else _("Every %(n)s months", n=interval))
    days = []
    for n, wd in byday:
        name = _(DAY_NAMES[wd])
        if n is None:
            days.append(name)
        elif n < 0:
            days.append(_("last %(day)s", day=name))
        else:
            days.append(_("%(day)s of week %(nth)s", day=name, nth=n))
    if days:
        parts.append(("・" if i18n.current_locale.get() == "ja" else ", ").join(days))
    monthdays = _ints(s.bymonthday)
    if monthdays and not byday:
        parts.append(_("on day %(days)s", days=", ".join(str(d) for d in monthdays)))
    if s.opens_at or s.closes_at:
        parts.append(f"{_hhmm(s.opens_at)}–{_hhmm(s.closes_at)}")
    if s.valid_to:
        english = i18n.current_locale.get() == "en"
        parts.append(_("until %(date)s", date=wareki(s.valid_to, english=english)))
    return " ".join(parts)
