"""Dates the language knows: ISO literals and dates relative to the as-of day.

Months and years are calendar units; a day past the end of the target month clamps to its
last day.

>>> from datetime import date
>>> resolve_relative(-1, "m", date(2024, 3, 31))
datetime.date(2024, 2, 29)
>>> resolve_relative(-4, "w", date(2024, 3, 31))
datetime.date(2024, 3, 3)
>>> parse_iso_date("2024-02-30") is None
True
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta


def resolve_relative(amount: int, unit: str, as_of: date) -> date:
    """The day ``amount`` units from ``as_of``; a day outside the calendar (years 1 to 9999)
    is refused as a :class:`~segdsl.errors.UsageError` naming both.

    >>> resolve_relative(-1, "d", date(1, 1, 1))
    Traceback (most recent call last):
    ...
    segdsl.errors.UsageError: -1d counted from the as-of day 0001-01-01 falls outside the \
calendar (years 1 to 9999)
    """
    unit = unit.lower()
    try:
        if unit == "d":
            return as_of + timedelta(days=amount)
        if unit == "w":
            return as_of + timedelta(weeks=amount)
        if unit == "m":
            return cast(date, as_of + relativedelta(months=amount))
        if unit == "y":
            return cast(date, as_of + relativedelta(years=amount))
    except (OverflowError, ValueError):
        from segdsl.errors import UsageError

        raise UsageError(f"{amount}{unit} counted from the as-of day {as_of.isoformat()} falls "
                         "outside the calendar (years 1 to 9999)") from None
    raise ValueError(f"unknown date unit {unit!r}")


def parse_iso_date(text: str) -> date | None:
    """A ``YYYY-MM-DD`` date, or None when it names no real day."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def today_in(timezone: str) -> date:
    """Today's date in the store's time zone."""
    return datetime.now(ZoneInfo(timezone)).date()
