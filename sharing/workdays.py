"""Working days on the bureau's calendar: weekdays, minus public holidays, plus make-up days (调休)."""

from __future__ import annotations

from datetime import date, timedelta

from .models import Holiday


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (the day itself does not count)."""
    # Holidays never stretch a span by more than a few weeks; fetch a generous window in one query.
    window_end = start + timedelta(days=days * 2 + 60)
    exceptions = dict(
        Holiday.objects.filter(date__gt=start, date__lte=window_end).values_list("date", "is_working_day")
    )
    current, remaining = start, days
    while remaining > 0:
        current += timedelta(days=1)
        is_working = exceptions.get(current, current.weekday() < 5)
        if is_working:
            remaining -= 1
    return current
