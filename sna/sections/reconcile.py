"""Chapter 07: the MPS ward file reconciled with the borough file over the months both cover
(issue 20, item 6).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sna.definitions import load_indicators
from sna.periods import add_months, window_months


def ward_borough_reconciliation(ward_rows: pd.DataFrame, borough_rows: pd.DataFrame,
                                windows: int = 3) -> pd.DataFrame:
    """Ward-file totals against the borough file for the same months (issue 20, item 6).

    The two MPS files are published separately; summing the area's ward rows should give the
    borough file's count. Both are compared over the latest ``windows`` 12-month windows that
    both files cover fully, for all offences and for each serious violence indicator.

    Parameters
    ----------
    ward_rows, borough_rows : pandas.DataFrame
        The area's rows of the ward and borough files (``major, minor, month, count``).

    Returns
    -------
    pandas.DataFrame
        ``measure, period_start, period_end, ward_total, borough_total, difference,
        difference_pct, borough_only_categories`` (offence categories with counts in the
        borough file but none in the ward file, e.g. Heathrow's aviation security rows).
        Empty when the files share no full 12-month window.
    """
    from sna.definitions import classify

    cols = ["measure", "period_start", "period_end", "ward_total", "borough_total",
            "difference", "difference_pct", "borough_only_categories"]
    if ward_rows.empty or borough_rows.empty:
        return pd.DataFrame(columns=cols)
    common = sorted(set(ward_rows["month"].unique()) & set(borough_rows["month"].unique()))
    ends = [m for m in reversed(common) if set(window_months(m, "12m")) <= set(common)]
    picked = []
    for end in ends:
        if not picked or end <= add_months(picked[-1], -12):
            picked.append(end)
        if len(picked) == windows:
            break
    used = {m for end in picked for m in window_months(end, "12m")}
    ward_rows = ward_rows[ward_rows["month"].isin(used)]
    borough_rows = borough_rows[borough_rows["month"].isin(used)]
    w_ind, b_ind = classify(ward_rows), classify(borough_rows)
    labels = {i: s["label"] for i, s in load_indicators().items()}
    rows = []
    for end in picked:
        months = set(window_months(end, "12m"))
        w, b = ward_rows[ward_rows["month"].isin(months)], borough_rows[borough_rows["month"]
                                                                         .isin(months)]
        only = sorted(set(b.loc[b["count"] > 0, "minor"]) - set(w.loc[w["count"] > 0, "minor"]))
        parts = [("All offences", w["count"].sum(), b["count"].sum())]
        for ind in ("serious_violence", *[i for i, s in load_indicators().items()
                                          if s["sv_component"]]):
            wi = w_ind[w_ind["month"].isin(months) & (w_ind["indicator"] == ind)]["count"].sum()
            bi = b_ind[b_ind["month"].isin(months) & (b_ind["indicator"] == ind)]["count"].sum()
            parts.append((labels.get(ind, ind), wi, bi))
        first = min(months)
        for name, wt, bt in parts:
            rows.append({"measure": name, "period_start": first, "period_end": end,
                         "ward_total": int(wt), "borough_total": int(bt),
                         "difference": int(wt - bt),
                         "difference_pct": round((wt - bt) / bt * 100, 1) if bt else float("nan"),
                         "borough_only_categories": "; ".join(only)})
    return pd.DataFrame(rows, columns=cols)


def reconciliation_sentence(recon: pd.DataFrame, area: str) -> str:
    """Plain-English summary of :func:`ward_borough_reconciliation`."""
    if recon.empty:
        return ("The ward and borough files share no full 12-month window, so their totals "
                "cannot be reconciled.")
    allr = recon[recon["measure"] == "All offences"]
    lo, hi = allr["difference_pct"].min(), allr["difference_pct"].max()
    span = (f"{abs(lo):.1f}%" if lo == hi else f"{min(abs(lo), abs(hi)):.1f}-"
            f"{max(abs(lo), abs(hi)):.1f}%")
    side = "below" if hi <= 0 else "above" if lo >= 0 else "different from"
    text = (f"Summed over {area}'s wards, the ward file's count of all offences is {span} "
            f"{side} the borough file's in the {len(allr)} 12-month windows both cover "
            f"({allr['period_start'].min()} to {allr['period_end'].max()}). The two files are "
            "published separately and are revised at different times; the ward file is used "
            "for wards and the borough file for London comparisons, so small differences "
            "between chapters 02 and 03 come from here, not from the analysis.")
    only = {c for v in recon["borough_only_categories"] for c in str(v).split("; ") if c}
    if only:
        text += (" Offence categories in the borough file only: " + ", ".join(sorted(only))
                 + ".")
    return text


def reconcile_run(ch: Any) -> pd.DataFrame | None:
    """:func:`ward_borough_reconciliation` for the chapter's area, cached on disk by the
    inputs (``sna.data.derived``); ``None`` when the borough file is not supplied."""
    if not ch.has("mps_borough"):
        return None
    from sna import data as sna_data

    codes = tuple(sorted(ch.load("wards").frame["ward_code"]))
    return sna_data.derived(ch.cfg, "ward_borough_reconciliation",
                            ("mps_ward", "mps_borough", "wards"), _reconcile, ch.cfg, codes)


def _reconcile(cfg: Any, codes: tuple[str, ...]) -> pd.DataFrame:
    from sna import data as sna_data
    from sna.sections.ward_data import area_ward_rows

    rows = sna_data.derived(cfg, "area_ward_rows", ("mps_ward", "wards"), area_ward_rows,
                            cfg, codes)
    boro = sna_data.load(cfg, "mps_borough").frame
    return ward_borough_reconciliation(rows, boro[boro["borough"] == cfg.area.name])
