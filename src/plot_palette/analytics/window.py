"""The time window of a cost report: the last 7, 30 or 90 UTC days, today included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from plot_palette.errors import PlotPaletteError

ALLOWED_DAYS = (7, 30, 90)


class AnalyticsWindowError(PlotPaletteError):
    """A window other than the ones the report offers (a 400 for the caller)."""


def iso_week(day: date) -> str:
    """``YYYY-Www``, the ISO 8601 week a day belongs to (weeks start on Monday)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Window:
    """``days`` calendar days in UTC ending with ``last_day``.

    Whole days, not a rolling 24-hour count: the by-day series then has exactly ``days``
    points and a job lands in one of them by its ``created_at`` date.
    """

    days: int
    first_day: date
    last_day: date

    @classmethod
    def ending(cls, days: int, today: date | None = None) -> Window:
        """The window of ``days`` days ending today (UTC); only 7, 30 and 90 are offered."""
        if days not in ALLOWED_DAYS:
            allowed = ", ".join(str(value) for value in ALLOWED_DAYS)
            raise AnalyticsWindowError(f"days must be one of {allowed}, not {days}")
        last = today or datetime.now(UTC).date()
        return cls(days=days, first_day=last - timedelta(days=days - 1), last_day=last)

    def dates(self) -> list[date]:
        """Every day of the window, oldest first."""
        return [self.first_day + timedelta(days=offset) for offset in range(self.days)]

    def weeks(self) -> list[str]:
        """Every ISO week the window touches, oldest first (the first and last may be partial)."""
        seen: list[str] = []
        for day in self.dates():
            week = iso_week(day)
            if not seen or seen[-1] != week:
                seen.append(week)
        return seen

    @property
    def start_key(self) -> str:
        """The smallest ``created_at`` inside the window (timestamps sort as text)."""
        return f"{self.first_day.isoformat()}T00:00:00.000000Z"

    @property
    def end_key(self) -> str:
        """The largest ``created_at`` inside the window."""
        return f"{self.last_day.isoformat()}T23:59:59.999999Z"
