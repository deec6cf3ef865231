"""Differencing through 12-month rolling totals (``monthly_series.rolling_12m``).

``rolling(t) - rolling(t-1) = x(t) - x(t-12)``: a hidden month comes back when the rolling
totals around it are published, and a hidden rolling total comes back from its 12 months.
The audit states each rolling value as a fact (the 12 months ending at that month); the
suppression (:func:`sna.declared.suppress_series`) must leave nothing recoverable, which is
checked here by an independent linear-algebra oracle, not by the audit itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.linalg import null_space

from sna.periods import month_range

MONTHS = month_range("2024-04", "2026-03")


def _one_indicator(values: list[float], indicator: str = "rape") -> pd.DataFrame:
    """A published monthly_series of one indicator with its true rolling totals."""
    x = np.asarray(values, float)
    rolling = [x[i - 11:i + 1].sum() if i >= 11 else np.nan for i in range(len(x))]
    return pd.DataFrame({"indicator": indicator, "label": indicator, "month": MONTHS,
                         "count": x, "rolling_12m": rolling})


def _leaks(series: pd.DataFrame, **extra: pd.DataFrame) -> list[str]:
    from sna.differencing import leaks
    from sna.tables import TABLES

    frames = {"monthly_series": (series, TABLES["monthly_series"])}
    frames |= {name: (frame, TABLES[name]) for name, frame in extra.items()}
    return leaks(frames, 5, 5, period=MONTHS[-1])


def test_a_hidden_month_comes_back_from_published_rolling_totals():
    # 24 months; 2025-06 (3 offences) hidden, every rolling total published
    values = [10, 12, 9, 11, 14, 8, 10, 13, 9, 12, 11, 10,
              12, 9, 3, 11, 10, 12, 8, 14, 9, 10, 11, 13]
    series = _one_indicator(values)
    hidden = series["month"] == "2025-06"
    # by hand: rolling(2025-06) - rolling(2025-05) + x(2024-06) = x(2025-06)
    r = series.set_index("month")["rolling_12m"]
    assert r["2025-06"] - r["2025-05"] + values[2] == 3
    series.loc[hidden, "count"] = np.nan
    problems = _leaks(series)
    assert any("rape in the borough, 2025-06 can be recovered" in p for p in problems)
    # the rolling totals whose 12 months hold the hidden month hidden as well: safe
    window = series["month"].between("2025-06", "2026-05")
    series.loc[window, "rolling_12m"] = np.nan
    assert _leaks(series) == []


def test_a_hidden_rolling_total_comes_back_from_its_12_published_months():
    series = _one_indicator([3] * 24)  # every rolling total is 36
    series.loc[series["month"] == "2025-09", "rolling_12m"] = np.nan
    problems = _leaks(series)
    assert len(problems) == 1
    assert "rape in the borough, 2024-10 to 2025-09 can be recovered" in problems[0]


# --- the suppression -------------------------------------------------------------------------

def _synthetic(seed: int) -> tuple[pd.DataFrame, list[str]]:
    """Serious violence, its components and a small non-SV indicator over 24 months."""
    from sna.tables import sv_relation

    rel = sv_relation()
    rng = np.random.default_rng(seed)
    means = {"homicide": 0.3, "possession_of_weapons": 6, "rape": 4,
             "other_sexual_offences": 9, "personal_robbery": 40, "violence_with_injury": 150}
    parts = {p: rng.poisson(means.get(p, 20), len(MONTHS)) for p in rel.parts}
    frames = [_one_indicator(list(v), p) for p, v in parts.items()]
    frames.append(_one_indicator(list(sum(parts.values())), rel.total))
    frames.append(_one_indicator(list(rng.poisson(1.5, len(MONTHS))), "knife_small"))
    return pd.concat(frames, ignore_index=True), [*rel.parts, rel.total]


def _determined(true: pd.DataFrame, safe: pd.DataFrame, sv: list[str],
                external: list[tuple[str, str, str]]) -> list[str]:
    """Hidden cells fixed by the published numbers, by linear algebra: every rolling total
    is the sum of its 12 months, serious violence the sum of its parts (months and rolling
    totals), and each ``external`` (indicator, first, last month) total is published (a
    12-month one is that month's rolling total: known, not a recovered secret)."""
    cells = [(i, m, c) for i, m in zip(true["indicator"], true["month"], strict=True)
             for c in ("count", "rolling_12m")]
    truth = {(i, m, c): v for (i, m), v in zip(
        zip(true["indicator"], true["month"], strict=True),
        true[["count", "rolling_12m"]].itertuples(index=False), strict=True)
        for c, v in zip(("count", "rolling_12m"), v, strict=True)}
    shown = {(i, m, c): v for (i, m), v in zip(
        zip(safe["indicator"], safe["month"], strict=True),
        safe[["count", "rolling_12m"]].astype(float).itertuples(index=False), strict=True)
        for c, v in zip(("count", "rolling_12m"), v, strict=True)}
    elsewhere = {(i, last, "rolling_12m") for i, first, last in external
                 if len(month_range(first, last)) == 12}  # a 12-month total shown elsewhere
    unknown = [k for k in cells if pd.notna(truth[k]) and pd.isna(shown[k])
               and k not in elsewhere]
    col = {k: n for n, k in enumerate(unknown)}
    rows = []

    def equation(plus: list, minus: list) -> None:
        row = np.zeros(len(unknown))
        for sign, keys in ((1, plus), (-1, minus)):
            for k in keys:
                if k in col:
                    row[col[k]] += sign
        if row.any():
            rows.append(row)

    for i, m, c in cells:
        if c == "rolling_12m" and pd.notna(truth[(i, m, c)]):
            first = MONTHS.index(m) - 11
            equation([(i, m, c)], [(i, mm, "count") for mm in MONTHS[first:MONTHS.index(m) + 1]])
    for m in MONTHS:
        for c in ("count", "rolling_12m"):
            if pd.notna(truth[(sv[-1], m, c)]):
                equation([(sv[-1], m, c)], [(p, m, c) for p in sv[:-1]])
    for ind, first, last in external:
        equation([], [(ind, mm, "count") for mm in month_range(first, last)])
    if not unknown or not rows:
        return list(unknown) if not rows else []
    free = null_space(np.vstack(rows))
    fixed = np.all(np.abs(free) < 1e-9, axis=1) if free.size else np.ones(len(unknown), bool)
    return [unknown[j] for j in np.flatnonzero(fixed)]


def _at_risk(found: list, alone: list, true: pd.DataFrame) -> list:
    """Cells fixed beyond what the other tables give alone that are months or small."""
    value = true.set_index(["indicator", "month"])
    return [k for k in set(found) - set(alone)
            if k[2] == "count" or value.loc[(k[0], k[1]), k[2]] < 5]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_suppressed_series_leaves_nothing_recoverable(seed):
    from sna.declared import suppress_series
    from sna.disclosure import small_mask

    true, sv = _synthetic(seed)
    safe = suppress_series(true, 5)
    for col in ("count", "rolling_12m"):
        assert not small_mask(safe[col], 5).any()
    # the knife_small totals the dashboard and change_robustness would show: 12 and 3
    # months to the period and to the month before, and a year earlier
    shown = []
    for first, last in (("2025-04", "2026-03"), ("2026-01", "2026-03"),
                        ("2024-04", "2025-03"), ("2025-01", "2025-03"),
                        ("2025-03", "2026-02"), ("2025-12", "2026-02"),
                        ("2024-12", "2025-02")):
        rows = true[(true["indicator"] == "knife_small") & true["month"].between(first, last)]
        if rows["count"].sum() >= 5:
            shown.append(("knife_small", first, last))
    # what the series adds to what the other tables give on their own (the dashboard's 12
    # months, 3 months and 3 months a year earlier fix the 12 months to December anyway)
    alone = _determined(true, true.assign(count=np.nan, rolling_12m=np.nan), sv, shown)
    # nothing the series adds may fix a month or a small number (a hidden 12-month total
    # of 22 pinned down by published totals and a published zero month discloses nothing)
    assert _at_risk(_determined(true, safe, sv, shown), alone, true) == []
    # the old suppression (components within each month only) leaves cells recoverable
    from sna.sections.trend_data import suppress_sv

    old = suppress_sv(true, ["count", "rolling_12m"], 5, ["month"])
    assert _at_risk(_determined(true, old, sv, shown), alone, true) != []
    # big series are not hidden to protect small ones
    vwi = safe[safe["indicator"] == "violence_with_injury"]
    assert vwi["count"].notna().all() and vwi["rolling_12m"].notna().sum() == 13


def test_the_audit_finds_nothing_in_a_suppressed_series_and_publish_mode_hides_nothing():
    from sna.declared import suppress_series

    true, _ = _synthetic(4)
    assert _leaks(suppress_series(true, 5)) == []
    shown = suppress_series(true, 1)  # open_data: publish
    assert not shown["suppressed"].any()
    assert shown["count"].astype(float).equals(true["count"].astype(float))


def test_change_robustness_windows_are_facts_and_a_recovered_zero_is_no_leak():
    import pandas as pd

    values = [10] * 24
    values[-2] = 3  # 2026-02
    series = _one_indicator(values).drop(columns="rolling_12m")
    series.loc[series["month"] == "2026-02", "count"] = np.nan
    robust = pd.DataFrame([{"indicator": "rape", "window": "3m", "check": "one_month_earlier",
                            "period_start": "2025-12", "period_end": "2026-02", "count": 23,
                            "comparison": 30.0}])
    problems = _leaks(series, change_robustness=robust)
    assert len(problems) == 1 and "rape in the borough, 2026-02" in problems[0]
    # a row that is not the indicator's own count (serious violence without weapons) is not
    robust["check"] = "without_possession_of_weapons"
    assert _leaks(series, change_robustness=robust) == []
    # a hidden zero given back by a published zero total reveals nothing
    zeros = _one_indicator([0] * 24).drop(columns="rolling_12m")
    zeros.loc[zeros["month"] == "2026-02", "count"] = np.nan
    robust = robust.assign(check="year_earlier", count=0)
    assert _leaks(zeros, change_robustness=robust) == []
