"""How current each source is: the last period it covers and whether it is out of date
(more than 12 months before the assessment period). Used by the data inventory (chapter 07),
the recommendation rules (chapter 06) and the sections that show old sources.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from sna.config import SnaConfig
from sna.periods import STALE_MONTHS, is_stale, month_label  # noqa: F401 - re-exported


def latest_period(months: str, meta: Mapping[str, Any]) -> str:
    """The last month a source covers (``YYYY-MM``) from its months ('2010-04 to 2026-03') or
    its ``period`` (first and last date); else its latest vintage or edition as published
    ('2021', 'IoD2025'), or '' when the source has no date (boundaries, lookups)."""
    if months:
        return str(months).split(" to ")[-1].strip()[:7]
    if meta.get("period"):
        return str(list(meta["period"])[-1])[:7]
    files = meta.get("files") or []
    vintages = [str(f["vintage"]) for f in files if isinstance(f, dict) and f.get("vintage")]
    years = [str(y) for y in meta.get("years") or []]
    for values in (vintages, years, [str(e) for e in meta.get("editions") or []]):
        if values:
            return max(values)
    return ""


def source_dates(manifest: Mapping[str, Any] | None, cfg: SnaConfig,
                 period: str) -> dict[str, tuple[str, bool]]:
    """Source key -> (latest period, out of date?) for every configured source, from the
    run's manifest, else from each source's cached metadata (a notebook run by hand)."""
    from sna import data as sna_data

    out = {}
    if manifest is not None:
        for e in manifest.get("inputs", []):
            last = latest_period(e.get("months") or "", e.get("meta") or {})
            out[e["key"]] = (last, is_stale(last, period))
        return out
    for key in cfg.sources:
        try:
            meta = sna_data.load_meta(cfg, key)
        except Exception:  # noqa: BLE001 - a source that cannot be read has no date here
            continue
        months = list(meta.get("months") or [])
        last = latest_period(f"{months[0]} to {months[-1]}" if months else "", meta)
        out[key] = (last, is_stale(last, period))
    return out


def stale_sentence(inventory: pd.DataFrame, period: str) -> str:
    """Names the sources that end more than 12 months before the period ('' when none)."""
    old = inventory[inventory["stale"].fillna(False).astype(bool)]
    if old.empty:
        return ""
    items = "; ".join(f"{d} (to {month_label(str(m))})" for d, m in
                      zip(old["description"], old["latest_period"], strict=True))
    return (f"**Out of date:** {len(old)} sources end more than {STALE_MONTHS} months before "
            f"{month_label(period)}, so they describe an earlier time and are not used as "
            f"current evidence: {items}.")
