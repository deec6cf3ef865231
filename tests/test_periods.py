"""Months and windows, checked by hand."""

from __future__ import annotations

import pytest

from sna.errors import PeriodError
from sna.periods import (
    add_months,
    month_label,
    parse_month,
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
