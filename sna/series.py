"""Monthly series: 12-month rolling totals, the same month in earlier years, series breaks,
changes of data release (vintage splices) and tests for a level shift at them.

Months are ``YYYY-MM`` strings (:mod:`sna.periods`); the long monthly frames are pivoted with
:func:`sna.metrics.monthly_wide`, so a month absent from the data is never counted as zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sna import periods
from sna.definitions import load_indicators
from sna.metrics import monthly_wide


def _long(wide: pd.DataFrame, value: str) -> pd.DataFrame:
    out = wide.stack(future_stack=True).rename(value).reset_index()
    return out.rename(columns={out.columns[-2]: "month"})


def rolling_12m(monthly: pd.DataFrame, by: Sequence[str] | None = None) -> pd.DataFrame:
    """Add ``rolling_12m``: the total of the 12 months ending at each month, per group.

    NaN for the first 11 months of the data and for any 12 months that include a month absent
    from the data (e.g. an incomplete month the loader dropped). Returns
    ``[*by, month, count, rolling_12m]`` for the months in the data's range.
    """
    wide = monthly_wide(monthly, by)
    rolled = wide.T.rolling(12, min_periods=12).sum().T
    out = _long(wide, "count").merge(_long(rolled, "rolling_12m"),
                                     on=[*wide.index.names, "month"])
    return out.dropna(subset=["count"]).reset_index(drop=True)


def seasonal_context(monthly: pd.DataFrame, period: str,
                     by: Sequence[str] | None = None) -> pd.DataFrame:
    """The period's calendar month in every year of the data up to ``period``.

    Returns
    -------
    pandas.DataFrame
        ``[*by, month, year, count, is_period, previous_mean, previous_min, previous_max]``:
        one row per group and year (e.g. every February), with the mean / min / max of the
        same month in earlier years, to tell a seasonal peak from a real change.
    """
    wide = monthly_wide(monthly, by)
    same = [m for m in wide.columns if m[5:] == period[5:] and m <= period]
    wide = wide[same]
    earlier = wide[[m for m in same if m < period]]
    out = _long(wide, "count").dropna(subset=["count"])
    out["year"] = out["month"].str[:4].astype(int)
    out["is_period"] = out["month"] == period
    stats_ = pd.DataFrame({"previous_mean": earlier.mean(axis=1), "previous_min":
                           earlier.min(axis=1), "previous_max": earlier.max(axis=1)})
    return out.merge(stats_.reset_index(), on=list(wide.index.names)).reset_index(drop=True)


def series_breaks(indicators: Iterable[str] | None = None, meta: Mapping[str, Any] | None = None,
                  months: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Series breaks to footnote on a chart: the indicators' breaks from ``indicators.yaml``
    plus the loader's ``meta['series_breaks']`` (passed through), within ``months`` if given.

    Returns
    -------
    list of dict
        ``{month, indicator, note}`` sorted by month; ``indicator`` is None for loader breaks.
    """
    specs = load_indicators()
    wanted = list(indicators) if indicators is not None else list(specs)
    found = [{"month": str(b["month"]), "indicator": ind, "note": " ".join(str(b["note"]).split())}
             for ind in wanted for b in specs.get(ind, {}).get("series_breaks", [])]
    found += [{"month": str(b["month"]), "indicator": b.get("indicator"), "note": b["note"]}
              for b in (meta or {}).get("series_breaks", [])]
    if months:
        found = [b for b in found if min(months) <= b["month"] <= max(months)]
    return sorted(found, key=lambda b: (b["month"], str(b["indicator"])))


def vintage_splices(meta: Mapping[str, Any] | None, months: Sequence[str] | None = None
                    ) -> list[dict[str, Any]]:
    """Months where the series switches to another data release (``meta['files']`` of an MPS
    loader: each file's first month used, after the earliest file), within ``months``.

    Returns
    -------
    list of dict
        ``{month, file, vintage}`` sorted by month.
    """
    out = []
    for f in (meta or {}).get("files", []):
        used = f.get("months_used") or []
        if used:
            out.append({"month": str(used[0]), "file": Path(str(f.get("path", ""))).name,
                        "vintage": str(f.get("vintage", ""))})
    out = sorted(out, key=lambda b: b["month"])[1:]
    if months:
        out = [b for b in out if min(months) <= b["month"] <= max(months)]
    return out


def level_shift(series: pd.Series, month: str, span: int = 6) -> dict[str, float]:
    """Test for a step in a monthly series at ``month`` (e.g. a change of data release).

    The ratio of the ``span`` months from ``month`` to the ``span`` months before it is
    compared with the same ratio one year earlier (so the season cancels): the log ratio of
    ratios has variance ``phi (1/A + 1/B + 1/C + 1/D)`` with ``phi`` the series' quasi-Poisson
    dispersion (:func:`sna.change.dispersion`); two-sided normal p-value.

    Returns
    -------
    dict
        ``{month, step_pct, p_value}``; NaN when a month is missing or a total is 0.
    """
    from scipy import stats

    from sna.change import dispersion

    s = pd.Series(series, dtype=float)

    def total(start: str, k: int) -> float:
        return float(s.reindex(periods.month_range(start, periods.add_months(start, k - 1)))
                     .sum(skipna=False))

    after, before = total(month, span), total(periods.add_months(month, -span), span)
    last = periods.add_months(month, -12)
    after0, before0 = total(last, span), total(periods.add_months(last, -span), span)
    parts = np.array([after, before, after0, before0])
    if np.isnan(parts).any() or (parts <= 0).any():
        return {"month": month, "step_pct": np.nan, "p_value": np.nan}
    phi = dispersion(s, periods.add_months(month, -1)).phi
    log_rr = np.log(after / before) - np.log(after0 / before0)
    z = log_rr / np.sqrt(phi * np.sum(1 / parts))
    return {"month": month, "step_pct": round(float(np.expm1(log_rr) * 100), 1),
            "p_value": float(2 * stats.norm.sf(abs(z)))}
