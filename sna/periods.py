"""Months, windows and completeness.

Months are strings ``YYYY-MM`` everywhere in the package (sortable, JSON-friendly). A window
is the tuple of months ending at (and including) the period month.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import pandas as pd

from sna.errors import PeriodError

_MONTH = re.compile(r"^(\d{4})-?(\d{2})$")
WINDOWS = {"3m": 3, "12m": 12}


def parse_month(value: object) -> str:
    """Normalise ``YYYYMM``, ``YYYY-MM``, a date or a Timestamp to ``YYYY-MM``.

    Raises
    ------
    ValueError
        If the value is not a month.
    """
    if isinstance(value, pd.Timestamp | pd.Period):
        return f"{value.year:04d}-{value.month:02d}"
    text = str(value).strip()
    m = _MONTH.match(text)
    if not m:
        try:
            ts = pd.Timestamp(text)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{value!r} is not a month (expected YYYY-MM or YYYYMM)") from exc
        year, month = ts.year, ts.month
    else:
        year, month = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12 or not 1900 <= year <= 2100:
        raise ValueError(f"{value!r} is not a month (expected YYYY-MM or YYYYMM)")
    return f"{year:04d}-{month:02d}"


def add_months(month: str, n: int) -> str:
    """Return the month ``n`` months after ``month`` (negative goes back)."""
    p = pd.Period(month, freq="M") + n
    return f"{p.year:04d}-{p.month:02d}"


def month_range(start: str, end: str) -> list[str]:
    """Inclusive list of months from ``start`` to ``end``."""
    return [f"{p.year:04d}-{p.month:02d}" for p in pd.period_range(start, end, freq="M")]


def window_months(period: str, window: str | int) -> list[str]:
    """Months of a window ending at ``period`` (``'3m'``, ``'12m'`` or a number of months)."""
    n = WINDOWS[window] if isinstance(window, str) else int(window)
    return month_range(add_months(period, -(n - 1)), period)


def previous_year(months: Sequence[str]) -> list[str]:
    """The same months one year earlier."""
    return [add_months(m, -12) for m in months]


def month_label(month: str) -> str:
    """``'2026-02'`` -> ``'February 2026'``."""
    return pd.Period(month, freq="M").strftime("%B %Y")


def window_label(months: Sequence[str]) -> str:
    """``['2025-03', ..., '2026-02']`` -> ``'Mar 2025 to Feb 2026'``."""
    first = pd.Period(months[0], freq="M").strftime("%b %Y")
    last = pd.Period(months[-1], freq="M").strftime("%b %Y")
    return first if first == last else f"{first} to {last}"


def resolve_period(requested: str, complete_months: Iterable[str], *, need: int = 12) -> str:
    """Resolve ``'latest'`` or check a ``YYYY-MM`` against the complete months in the data.

    Parameters
    ----------
    requested : str
        ``'latest'`` or a month.
    complete_months : iterable of str
        Months present and complete in the crime data.
    need : int
        Months of data the window needs ending at the period (12 by default).

    Raises
    ------
    PeriodError
        If the month is not in the data or the window is not covered.
    """
    months = sorted(set(complete_months))
    if not months:
        raise PeriodError("The crime data has no complete month: check the `mps_ward` files.")
    if str(requested).strip().lower() == "latest":
        return months[-1]
    try:
        period = parse_month(requested)
    except ValueError as exc:
        raise PeriodError(f"period {requested!r} is not a month: use YYYY-MM or 'latest'.") from exc
    if period not in months:
        raise PeriodError(
            f"period {period} is outside the complete months of the crime data "
            f"({months[0]} to {months[-1]}): choose a month in that range or 'latest'."
        )
    missing = [m for m in window_months(period, need) if m not in months]
    if missing:
        raise PeriodError(
            f"period {period}: the {need}-month window needs {', '.join(missing[:3])}"
            f"{'...' if len(missing) > 3 else ''}, not in the complete months of the crime data "
            f"({months[0]} to {months[-1]}). Choose a later period or add older files."
        )
    return period
