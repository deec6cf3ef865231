"""Comparisons of an area's value with London's that need a denominator and an interval.

A proportion whose numerator and denominator are known gets a Wilson 95% interval (Newcombe
1998, *Stat Med* 17:857) and a two-proportion z-test against London; a rate with its 95%
interval is compared by whether the interval contains the London value. Without either the
difference "cannot be judged" (no rule of thumb such as "more than 10% different").
"""

from __future__ import annotations

import numpy as np
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

SMALL = 50
"""A numerator (people, events) below this is labelled a small number: one or two people
move a percentage by several points."""

NO_COHORT = ("the publisher gives no cohort size (number of people), so whether the "
             "difference is more than chance cannot be judged")
COMPARISONS = ("worse than London", "better than London", "similar", "cannot be judged",
               "no comparison")
"""Values of the ``comparison`` column of ``risk_factors`` and ``young_people``."""


def compare(area: float, london: float, higher_is_worse: bool = True, lower: float = np.nan,
            upper: float = np.nan) -> tuple[str, str]:
    """``('worse than London'|'better than London'|'similar'|'cannot be judged', basis)``.

    With a 95% CI of the area value (``lower``, ``upper``) the London value must lie outside
    it; without one the difference cannot be judged (no >10% rule).
    """
    if not (np.isfinite(area) and np.isfinite(london)):
        return "no comparison", "no London value"
    if not (np.isfinite(lower) and np.isfinite(upper)):
        return "cannot be judged", NO_COHORT
    basis = "whether the London value is inside the area's 95% confidence interval"
    if lower <= london <= upper:
        return "similar", basis
    return ("worse than London" if (area > london) == higher_is_worse
            else "better than London"), basis


def wilson(k: float, n: float) -> tuple[float, float]:
    """Wilson score 95% interval of a proportion ``k / n``, in % (statsmodels
    ``proportion_confint(method='wilson')``; Newcombe 1998); NaN when ``n`` is not positive."""
    if not (np.isfinite(k) and np.isfinite(n) and n > 0):
        return np.nan, np.nan
    lo, hi = proportion_confint(round(k), round(n), alpha=0.05, method="wilson")
    return float(lo) * 100, float(hi) * 100


def compare_proportion(k: float, n: float, k_london: float, n_london: float,
                       higher_is_worse: bool = True, alpha: float = 0.05) -> dict:
    """The area's proportion against London's with a Wilson interval and a two-proportion
    z-test (statsmodels ``proportions_ztest``, pooled): 'worse' / 'better than London' only
    when ``p < alpha``.

    Returns
    -------
    dict
        ``comparison, basis, area_lower, area_upper, p_value, denominator, small_numbers_flag``
        (interval in %).
    """
    lo, hi = wilson(k, n)
    if not all(np.isfinite(v) and v >= 0 for v in (k, n, k_london, n_london)) or min(
            n, n_london) <= 0:
        comparison, basis, p = "cannot be judged", NO_COHORT, np.nan
    else:
        _, p = proportions_ztest([round(k), round(k_london)], [round(n), round(n_london)])
        p = float(p)
        basis = (f"two-proportion test against London (p = {p:.2g}; {round(k):,} of "
                 f"{round(n):,} in the area)")
        if not np.isfinite(p) or p >= alpha:
            comparison = "similar"
        else:
            comparison = ("worse than London" if (k / n > k_london / n_london) == higher_is_worse
                          else "better than London")
    return {"comparison": comparison, "basis": basis, "area_lower": lo, "area_upper": hi,
            "p_value": p, "denominator": n, "small_numbers_flag": bool(np.isfinite(k) and k < SMALL)}
