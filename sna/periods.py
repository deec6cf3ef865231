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
_NAMED = re.compile(r"^([A-Za-z]+)\.?\s+(\d{4})$")
_MONTH_NAMES = {name.lower(): i for i, name in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December"], start=1)}
_MONTH_NAMES.update({name[:3]: i for name, i in list(_MONTH_NAMES.items())})
_MONTH_NAMES["sept"] = 9
PERIOD_FORMS = "YYYY-MM (e.g. 2026-03), YYYYMM (202603), 'Month YYYY' (March 2026) or 'latest'"
WINDOWS = {"3m": 3, "12m": 12}


def parse_period(value: object) -> str:
    """A period as a user writes it (config ``period:``, ``--period``, ``--from``/``--to``),
    normalised to ``YYYY-MM``.

    Only unambiguous forms are accepted: ``YYYY-MM``, ``YYYYMM`` and ``Month YYYY`` (full or
    three-letter month name, any case). Quarters (``2025Q4``) and dates (``01/03/2026``,
    ``2026-03-01``) are refused rather than guessed. ``'latest'`` is handled by the caller.

    Raises
    ------
    ValueError
        Naming the value and the accepted forms.
    """
    text = str(value).strip()
    m, named = _MONTH.match(text), _NAMED.match(text)
    if m:
        year, month = int(m.group(1)), int(m.group(2))
    elif named and named.group(1).lower() in _MONTH_NAMES:
        year, month = int(named.group(2)), _MONTH_NAMES[named.group(1).lower()]
    else:
        hint = ""
        if re.fullmatch(r"\d{4}\s*-?\s*[Qq][1-4]|[Qq][1-4]\s*\d{4}", text):
            hint = " A quarter is not a period: give its last month (2025Q4 -> 2025-12)."
        elif re.fullmatch(r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}", text):
            hint = " A date is ambiguous (day or month first?): give the month alone."
        raise ValueError(f"period {text!r} is not a month: use {PERIOD_FORMS}.{hint}")
    if not 1 <= month <= 12 or not 1900 <= year <= 2100:
        raise ValueError(f"period {text!r} is not a month: use {PERIOD_FORMS}.")
    return f"{year:04d}-{month:02d}"


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


def _index(month: str) -> int:
    """Months since year 0 of a ``YYYY-MM`` string (anything else pandas reads as a month)."""
    if len(month) == 7 and month[4] == "-" and month[:4].isdigit() and month[5:].isdigit() \
            and 1 <= int(month[5:]) <= 12:
        return int(month[:4]) * 12 + int(month[5:]) - 1
    p = pd.Period(month, freq="M")
    return p.year * 12 + p.month - 1


def _month(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def add_months(month: str, n: int) -> str:
    """Return the month ``n`` months after ``month`` (negative goes back)."""
    return _month(_index(month) + n)


def month_range(start: str, end: str) -> list[str]:
    """Inclusive list of months from ``start`` to ``end`` (integer arithmetic: the audit and
    the chapters call it thousands of times)."""
    return [_month(i) for i in range(_index(start), _index(end) + 1)]


def day_label(when) -> str:
    """``'5 December 2026'`` (a date, datetime or Timestamp), as pages and packs print days."""
    return f"{when.day} {when:%B %Y}"


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


def window_text(end: str, n: int = 12) -> str:
    """The ``n`` months to ``end`` as words: ``'2026-03' -> 'Apr 2025 to Mar 2026'``."""
    return window_label(window_months(end, n))


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
        period = parse_period(requested)
    except ValueError as exc:
        raise PeriodError(str(exc)) from exc
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


STALE_MONTHS = 12
"""A source ending more than this many months before the assessment period is out of date."""


def is_stale(latest: str, period: str) -> bool:
    """True when a monthly ``latest`` (``YYYY-MM``) is more than :data:`STALE_MONTHS` months
    before ``period``. Annual or reference data (Census, IoD: a year or an edition) are
    never flagged: they are the latest published and say their year in the text."""
    return len(latest) == 7 and latest[4] == "-" and latest < add_months(period, -STALE_MONTHS)
