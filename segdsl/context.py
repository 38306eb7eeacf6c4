"""The point of view a segment is evaluated from: the as-of day and the store's time zone.

Relative dates and windows are resolved here, once, so that every backend sees the same days.

>>> from datetime import date
>>> from segdsl.check.typed import Window, RelativeDate, Const
>>> ctx = RunContext(as_of=date(2024, 3, 31))
>>> ctx.window_bounds(Window(RelativeDate(-30, "d"), None))
(datetime.date(2024, 3, 1), datetime.date(2024, 3, 31))
>>> ctx.window_bounds(Window(None, Const(date(2024, 5, 1))))  # never past the as-of day
(None, datetime.date(2024, 3, 31))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from segdsl.check.dates import resolve_relative, today_in
from segdsl.check.typed import Const, RelativeDate, Window


@dataclass(frozen=True)
class RunContext:
    as_of: date = field(default_factory=lambda: today_in("UTC"))
    timezone: str = "UTC"

    @classmethod
    def for_timezone(cls, timezone: str = "UTC", as_of: date | None = None) -> RunContext:
        """As of ``as_of``, or today in ``timezone`` when not given."""
        return cls(as_of=as_of or today_in(timezone), timezone=timezone)

    def resolve(self, value: Const | RelativeDate) -> date:
        if isinstance(value, RelativeDate):
            return resolve_relative(value.amount, value.unit, self.as_of)
        assert isinstance(value.value, date)
        return value.value

    def window_bounds(self, window: Window) -> tuple[date | None, date]:
        """Inclusive (first day or None, last day) of the orders that count."""
        start = self.resolve(window.start) if window.start is not None else None
        end = self.resolve(window.end) if window.end is not None else self.as_of
        return start, min(end, self.as_of)
