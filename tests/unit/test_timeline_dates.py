"""A dated record on the case timeline shows its own day, also when it was written in the
early hours of the day in Japan (before 09:00 JST the UTC date is still yesterday's)."""

from datetime import UTC, date, datetime

from kasane.core.cases.queries import _at


def test_a_record_written_at_3am_jst_shows_its_own_day() -> None:
    written = datetime(2026, 12, 6, 18, 0, tzinfo=UTC)  # 2026-12-07 03:00 JST
    assert _at(date(2026, 12, 7), written).date() == date(2026, 12, 7)


def test_a_record_written_later_about_an_earlier_day_sorts_at_9_on_that_day() -> None:
    at = _at(date(2026, 12, 1), datetime(2026, 12, 6, 18, 0, tzinfo=UTC))
    assert (at.date(), at.hour) == (date(2026, 12, 1), 9)
