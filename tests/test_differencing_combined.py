"""Suppressed counts that only several published totals together give back.

The single-relation check subtracts within one relation at a time. Here every relation has
several unknown cells, yet the 12 months to December 2025 follow from three published totals:
12 months to March 2026 - 3 months to March 2026 + 3 months to March 2025 (worked by hand).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sna.differencing import leaks
from sna.periods import month_range
from sna.tables import Fact, Relation, TableSpec

SPEC = TableSpec("open", ("count",), facts=(Fact("count"),))
MONTHS = month_range("2025-01", "2026-03")


def _frames(hide_year_earlier: bool) -> dict:
    rng = np.random.default_rng(3)
    x = dict(zip(MONTHS, rng.integers(0, 4, len(MONTHS)).astype(float), strict=True))

    def total(a: str, b: str) -> float:
        return sum(v for m, v in x.items() if a <= m <= b)

    months = pd.DataFrame({"indicator": "rape", "period_start": MONTHS, "period_end": MONTHS,
                           "count": np.nan})  # every month hidden
    windows = pd.DataFrame({
        "indicator": "rape",
        "period_start": ["2025-04", "2026-01", "2025-01", "2025-01"],
        "period_end": ["2026-03", "2026-03", "2025-03", "2025-12"],
        "count": [total("2025-04", "2026-03"), total("2026-01", "2026-03"),
                  np.nan if hide_year_earlier else total("2025-01", "2025-03"), np.nan]})
    assert (windows.loc[0, "count"] - windows.loc[1, "count"]
            + total("2025-01", "2025-03")) == total("2025-01", "2025-12")  # by hand
    return {"months": (months, SPEC), "windows": (windows, SPEC)}


def test_a_total_recovered_only_by_combining_windows_is_reported():
    problems = leaks(_frames(hide_year_earlier=False), 5, 5, relations=(Relation("months"),))
    assert len(problems) == 1, problems
    assert "rape in the borough, 2025-01 to 2025-12" in problems[0]
    assert "combining published totals" in problems[0]
    # each single month stays unknown: 15 months, 3 independent totals


def test_nothing_is_reported_when_the_combination_is_broken():
    assert leaks(_frames(hide_year_earlier=True), 5, 5, relations=(Relation("months"),)) == []
