"""Chapter 01 profile: who lives here - sex, ethnic group, population density and lone-parent
households (Census 2021 TS008, TS021, TS006, TS003), the area against London.

London is the sum of the 33 London local authorities (``E09*`` LTLA rows). London's density
is its residents divided by its land area, where each authority's area is its residents over
its published density (TS006 gives persons per km2 only).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sna.narrative import md_bullets, md_text
from sna.sections.profile import LONDON_PREFIX, PROFILE_COLUMNS, reading, verdict

ETHNIC_GROUPS = {  # TS021 broad group (a subtotal column) -> short label
    "Asian, Asian British or Asian Welsh": "Asian",
    "Black, Black British, Black Welsh, Caribbean or African": "Black",
    "Mixed or Multiple ethnic groups": "Mixed or multiple",
    "White": "White",
    "Other ethnic group": "Other (including Arab)",
}
LONE_PARENT = "Single family household: Lone parent family: With dependent children"


def _ltla(census: pd.DataFrame, table: str) -> pd.DataFrame:
    return census[(census["table"] == table) & (census["level"] == "ltla")]


def _share(t: pd.DataFrame, category: str, code: str) -> tuple[float, float]:
    """(area %, London %) of ``category`` in the table's total."""
    def pct(rows: pd.DataFrame) -> float:
        total = rows.loc[rows["is_total"], "value"].sum()
        part = rows.loc[rows["category"] == category, "value"].sum()
        return float(part / total * 100) if total else np.nan

    london = t[t["geography_code"].str.startswith(LONDON_PREFIX)]
    return pct(t[t["geography_code"] == code]), pct(london)


def _row(topic: str, indicator: str, area_v: float, london_v: float, unit: str, source: str,
         text: str) -> dict[str, Any]:
    return {"topic": topic, "indicator": indicator, "area_value": round(area_v, 1),
            "london_value": round(london_v, 1), "unit": unit, "source": source,
            "reading": text}


def people_indicators(census: pd.DataFrame, code: str, area: str) -> pd.DataFrame:
    """Profile rows (:data:`PROFILE_COLUMNS`) for the tables present in ``census``."""
    rows = []
    ts008 = _ltla(census, "TS008")
    if not ts008[ts008["geography_code"] == code].empty:
        a, lo = _share(ts008, "Female", code)
        rows.append(_row("People", "Women and girls", a, lo, "% of residents", "Census 2021 TS008",
                         reading(area, a, lo, "of residents are women and girls")))
    ts021 = _ltla(census, "TS021")
    if not ts021[ts021["geography_code"] == code].empty:
        for cat, short in ETHNIC_GROUPS.items():
            a, lo = _share(ts021, cat, code)
            rows.append(_row("People", f"Ethnic group: {short}", a, lo, "% of residents",
                             "Census 2021 TS021",
                             reading(area, a, lo, f"of residents are in the ethnic group "
                                     f"'{short}'")))
    ts006 = _ltla(census, "TS006")
    if not ts006[ts006["geography_code"] == code].empty and not ts008.empty:
        pop = ts008[ts008["is_total"]].set_index("geography_code")["value"]
        dens = ts006.set_index("geography_code")["value"]
        london = [c for c in dens.index if c.startswith(LONDON_PREFIX) and c in pop.index]
        london_d = pop[london].sum() / (pop[london] / dens[london]).sum()
        a = float(dens[code])
        rows.append(_row("People", "Population density", a, float(london_d),
                         "residents per km²", "Census 2021 TS006",
                         f"{area} has {a:,.0f} residents per square kilometre, "
                         f"{verdict(a, london_d)} London ({london_d:,.0f})."))
    ts003 = _ltla(census, "TS003")
    if not ts003[ts003["geography_code"] == code].empty:
        a, lo = _share(ts003, LONE_PARENT, code)
        rows.append(_row("Households", "Lone parents with dependent children", a, lo,
                         "% of households", "Census 2021 TS003",
                         reading(area, a, lo, "of households are lone parents with dependent "
                                 "children")))
    return pd.DataFrame(rows, columns=PROFILE_COLUMNS)


def show_people(ch: Any) -> pd.DataFrame:
    """Sex, ethnic group, density and lone parents: bullets; profile rows (published with the
    profile table by :func:`sna.sections.profile.publish_profile`)."""
    if not ch.has("census"):
        ch.not_supplied("census", "Census 2021 tables TS008 (sex), TS021 (ethnic group), TS006 "
                        "(population density) and TS003 (household composition)")
        return pd.DataFrame(columns=PROFILE_COLUMNS)
    rows = people_indicators(ch.load("census").frame, ch.cfg.area.code, ch.cfg.area.name)
    missing = sorted({"TS008", "TS021", "TS006", "TS003"} - set(rows["source"].str[-5:]))
    if missing:
        ch.note(f"Not in data.census: Census 2021 table(s) {', '.join(missing)} (LTLA file).",
                kind="missing")
    if not rows.empty:
        ch.md(md_bullets([md_text(r) for r in rows["reading"]]))
    return rows


WARD_FACTORS = {"not_white_british_pct": "Residents not White British (%)",
                "lone_parent_pct": "Households: lone parents with dependent children (%)",
                "density_per_km2": "Residents per km² (population density)"}
"""Ward risk-profile factors from Census 2021 LSOA tables (chapter 04 correlations)."""


def ward_factors(census: pd.DataFrame, lookups: pd.DataFrame, ward_codes) -> pd.DataFrame:
    """:data:`WARD_FACTORS` per 2022 ward from the LSOA rows of TS021, TS003 and TS006/TS008,
    through the best-fit LSOA 2021 -> ward lookup (shares are recomputed from summed counts;
    density = summed residents / summed land area, each LSOA's area being residents / density).
    Columns absent when their table has no LSOA rows."""
    lk = lookups[(lookups["lsoa_year"] == 2021) & lookups["ward_code"].isin(set(ward_codes))]
    out = pd.DataFrame({"ward_code": sorted(set(ward_codes))})
    lsoa = census[(census["level"] == "lsoa") & census["geography_code"].isin(set(lk["lsoa_code"]))]
    if lk.empty or lsoa.empty:
        return out
    ward_of = lk.drop_duplicates("lsoa_code").set_index("lsoa_code")["ward_code"]

    def by_ward(table: str, pick) -> pd.Series:
        t = lsoa[lsoa["table"] == table]
        v = t[pick(t)].groupby("geography_code")["value"].sum()
        return v.groupby(v.index.map(ward_of)).sum()

    def total(table: str) -> pd.Series:
        return by_ward(table, lambda t: t["is_total"])

    if (lsoa["table"] == "TS021").any():
        wb = by_ward("TS021", lambda t: t["category"].str.startswith(
            "White: English, Welsh, Scottish, Northern Irish or British"))
        out["not_white_british_pct"] = out["ward_code"].map((1 - wb / total("TS021")) * 100)
    if (lsoa["table"] == "TS003").any():
        lp = by_ward("TS003", lambda t: t["category"] == LONE_PARENT)
        out["lone_parent_pct"] = out["ward_code"].map(lp / total("TS003") * 100)
    if (lsoa["table"] == "TS006").any() and (lsoa["table"] == "TS008").any():
        pop = lsoa[(lsoa["table"] == "TS008") & lsoa["is_total"]].set_index("geography_code")["value"]
        dens = lsoa[lsoa["table"] == "TS006"].set_index("geography_code")["value"]
        area = (pop / dens).dropna()
        wpop = pop[area.index].groupby(area.index.map(ward_of)).sum()
        out["density_per_km2"] = out["ward_code"].map(wpop / area.groupby(area.index.map(ward_of)).sum())
    return out
