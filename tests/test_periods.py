"""Months and windows, checked by hand."""

from __future__ import annotations

import pytest

from sna.errors import PeriodError
from sna.periods import (
    add_months,
    month_label,
    parse_month,
    parse_period,
    previous_year,
    resolve_period,
    window_label,
    window_months,
)


@pytest.mark.parametrize("raw, month", [("202402", "2024-02"), ("2024-02", "2024-02"),
                                        ("2024-02-15", "2024-02"), (202312, "2023-12")])
def test_parse_month(raw, month):
    assert parse_month(raw) == month


@pytest.mark.parametrize("raw", ["202413", "abc", "1899-01"])
def test_parse_month_rejects(raw):
    with pytest.raises(ValueError):
        parse_month(raw)


def test_windows_by_hand():
    assert window_months("2026-02", "3m") == ["2025-12", "2026-01", "2026-02"]
    twelve = window_months("2026-02", "12m")
    assert twelve[0] == "2025-03" and twelve[-1] == "2026-02" and len(twelve) == 12
    assert previous_year(["2025-12", "2026-01"]) == ["2024-12", "2025-01"]
    assert add_months("2024-01", -1) == "2023-12"
    assert month_label("2026-02") == "February 2026"
    assert window_label(twelve) == "Mar 2025 to Feb 2026"


def test_resolve_latest_and_errors():
    months = [f"2025-{m:02d}" for m in range(1, 13)] + ["2026-01"]
    assert resolve_period("latest", months) == "2026-01"
    assert resolve_period("2025-12", months) == "2025-12"
    with pytest.raises(PeriodError, match="outside"):
        resolve_period("2027-01", months)
    with pytest.raises(PeriodError, match="12-month window"):
        resolve_period("2025-06", months)
    with pytest.raises(PeriodError, match="not a month"):
        resolve_period("June", months)


@pytest.mark.parametrize("raw, month", [("2026-03", "2026-03"), ("202603", "2026-03"),
                                        ("March 2026", "2026-03"), ("mar 2026", "2026-03"),
                                        (" Sept 2025 ", "2025-09"), (202312, "2023-12")])
def test_parse_period_accepted_forms(raw, month):
    assert parse_period(raw) == month


@pytest.mark.parametrize("raw, hint", [("2025Q4", "quarter"), ("Q4 2025", "quarter"),
                                       ("01/03/2026", "date is ambiguous"),
                                       ("2026-03-01", "date is ambiguous"),
                                       ("Marchember 2026", "YYYYMM"), ("2026-13", "YYYY-MM")])
def test_parse_period_refuses_guesses(raw, hint):
    # the old parser turned 2025Q4 into 2025-10 and 01/03/2026 into January
    with pytest.raises(ValueError, match="Month YYYY") as info:
        parse_period(raw)
    assert hint in str(info.value)


def test_resolve_period_refuses_quarter_and_date():
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    for raw in ("2025Q4", "01/12/2025"):
        with pytest.raises(PeriodError, match="latest"):
            resolve_period(raw, months)
    assert resolve_period("December 2025", months) == "2025-12"


def test_month_arithmetic_agrees_with_pandas_periods():
    """add_months / month_range use integer arithmetic for speed; pandas' monthly periods are
    the oracle (random months and offsets, year boundaries, empty ranges, day-dated input)."""
    import random

    import pandas as pd

    from sna.periods import add_months, month_range

    rng = random.Random(7)
    for _ in range(500):
        start = f"{rng.randint(1990, 2035):04d}-{rng.randint(1, 12):02d}"
        n = rng.randint(-40, 40)
        p = pd.Period(start, freq="M") + n
        assert add_months(start, n) == f"{p.year:04d}-{p.month:02d}"
        end = add_months(start, abs(n))
        assert month_range(start, end) == [f"{q.year:04d}-{q.month:02d}"
                                           for q in pd.period_range(start, end, freq="M")]
    assert month_range("2024-03", "2024-02") == []
    assert add_months("2024-12-15", 1) == "2025-01"
