"""Each job's schedule as people read it (「毎月2日 01:00 JST」) is when its UTC cron fires:
the crons are UTC (procrastinate's), the labels JST, and a slip of a day at the date line
would release, sweep or mail on the wrong day without any other test noticing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from croniter import croniter

from kasane.core.japan_time import JST
from kasane.ops.jobs.definitions import JOBS

WEEKDAYS = {"weekdays": {0, 1, 2, 3, 4}, "Mondays": {0}}


def fires_in_jst(cron: str, count: int = 40) -> list[datetime]:
    start = datetime(2026, 12, 31, 12, 0, tzinfo=UTC)  # across a year's end and a month's
    it = croniter(cron, start)
    return [it.get_next(datetime).replace(tzinfo=UTC).astimezone(JST) for _ in range(count)]


@pytest.mark.parametrize("name", [n for n, j in JOBS.items() if "JST" in j.schedule])
def test_the_label_says_when_the_cron_fires_in_japan(name: str) -> None:
    job = JOBS[name]
    hour, minute = map(int, re.search(r"(\d\d):(\d\d) JST", job.schedule).groups())  # type: ignore[union-attr]
    day = re.search(r"the (\d+)(?:st|nd|rd|th)", job.schedule)
    weekdays = next((d for word, d in WEEKDAYS.items() if word in job.schedule), None)
    fires = fires_in_jst(job.cron)
    for at in fires:
        assert (at.hour, at.minute) == (hour, minute), (name, at)
        if day:
            assert at.day == int(day.group(1)), (name, at)
        if weekdays is not None:
            assert at.weekday() in weekdays, (name, at)
    if weekdays is not None:  # and every such day is covered
        days = {f.date() for f in fires}
        first = fires[0].date()
        wanted = {
            first + timedelta(d) for d in range(14) if (first + timedelta(d)).weekday() in weekdays
        }
        assert wanted <= days, name
