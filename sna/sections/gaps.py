"""Chapter 05: the gap analysis - where violence need is (hot spots, persistent hot spots,
the top tenth of wards by rate), whether interventions of the right strand reach it, and the
risk factors worse than London that no intervention addresses - and the chapter's findings.

Reads the register built by :mod:`sna.sections.partnership` and tables published earlier in
the run by chapter 03 (``ward_indicators``, ``ward_hotspots``) and chapter 04
(``risk_factors``); a missing table gives an empty or partial result rather than a failure.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from sna.definitions import load_indicators
from sna.narrative import join_and
from sna.sections.partnership import BOROUGH_WIDE, STRAND_LABELS, current_only, norm_ward_name

# Which strands of the register answer need measured by each crime indicator.
VIOLENCE_STRANDS = ("general_violence", "youth_violence_exploitation")
DECILE_INDICATORS = ("serious_violence",)  # top-tenth flag: the SV total when published
INDICATOR_STRANDS = {"rape": ("sexual_violence",), "other_sexual_offences": ("sexual_violence",)}
RISK_KEYWORDS = (  # risk-factor wording -> strand (first match wins)
    (r"domestic|abuse|vawg|marac", "domestic_abuse"),
    (r"sexual|rape", "sexual_violence"),
    (r"drug|alcohol|substance", "substance_misuse"),
    (r"young|youth|child|pupil|school|exclu|neet|first.time|reoffend|looked.after|16|17|aged",
     "youth_violence_exploitation"))


def _truthy(values: pd.Series) -> pd.Series:
    """Booleans from a CSV column (True/False, 'True', 'yes', 1)."""
    text = values.astype(str).str.strip().str.lower()
    return text.isin(["true", "1", "1.0", "yes", "y"])


def need_indicators() -> list[str]:
    """Crime indicators that define violence need: the SV components, the SV total and knife
    crime with injury (burglary is not serious violence)."""
    specs = load_indicators()
    return [i for i, s in specs.items()
            if s["sv_component"] or i in ("serious_violence", "knife_crime_with_injury")]


def _rate_column(frame: pd.DataFrame) -> str:
    """The Empirical Bayes rate column of ``ward_indicators`` if published, else the raw rate."""
    for col in ("eb_rate_per_1000", "eb_rate", "rate_eb", "smoothed_rate_per_1000"):
        if col in frame.columns:
            return col
    return next((c for c in frame.columns if c.startswith("eb")), "rate_per_1000")


def _above_top_cut(rates: pd.Series) -> pd.Series:
    """True for the top 10% of values (at least one), strictly above every other value: ties
    at the cut are left out, so equal rates (e.g. fully smoothed rare events) flag nobody."""
    n_top = max(1, int(np.ceil(len(rates) * 0.1)))
    if len(rates) <= n_top:
        return pd.Series(False, index=rates.index)
    cut = np.sort(rates.to_numpy())[len(rates) - n_top - 1]
    return rates > cut


def _top_decile(ward_indicators: pd.DataFrame | None, indicators: list[str]) -> pd.DataFrame:
    """(ward_code, ward_name, indicator) rows in the top tenth of wards by rate (12 months):
    the serious violence total when published, else each need indicator."""
    cols = ["ward_code", "ward_name", "indicator"]
    if ward_indicators is None or ward_indicators.empty:
        return pd.DataFrame(columns=cols)
    wi = ward_indicators
    if "window" in wi.columns:
        wi = wi[wi["window"].astype(str) == "12m"]
    use = [i for i in DECILE_INDICATORS if i in set(wi["indicator"])] or indicators
    rate = _rate_column(wi)
    wi = wi[wi["indicator"].isin(use)]
    wi = wi.assign(_rate=pd.to_numeric(wi[rate], errors="coerce")).dropna(subset=["_rate"])
    top = wi.groupby("indicator", group_keys=False)["_rate"].apply(_above_top_cut)
    return wi.loc[top.reindex(wi.index, fill_value=False).astype(bool), cols]


def need_by_ward(wards: pd.DataFrame, ward_indicators: pd.DataFrame | None,
                 ward_hotspots: pd.DataFrame | None) -> pd.DataFrame:
    """Flag each ward's violence need: hot spot, persistent hot spot, top-decile rate.

    Parameters
    ----------
    wards : pandas.DataFrame
        ``ward_code, ward_name`` of the area's wards.
    ward_indicators, ward_hotspots : pandas.DataFrame or None
        Chapter 03's tables (``None`` when absent: all flags False).

    Returns
    -------
    pandas.DataFrame
        ``ward_code, ward_name, hotspot, persistent, top_decile, need, need_indicators``
        (indicator ids behind the flags, ``;``-separated).
    """
    inds = need_indicators()
    flags: list[pd.DataFrame] = []
    if ward_hotspots is not None and not ward_hotspots.empty:
        hs = ward_hotspots[ward_hotspots["indicator"].isin(inds)]
        hot = hs["hotspot_class"].astype(str).str.lower().str.startswith("hot")
        pers = _truthy(hs["persistent"]) if "persistent" in hs else hot & False
        flags += [hs.loc[hot, ["ward_code", "indicator"]].assign(flag="hotspot"),
                  hs.loc[pers, ["ward_code", "indicator"]].assign(flag="persistent")]
    flags.append(_top_decile(ward_indicators, inds)[["ward_code", "indicator"]]
                 .assign(flag="top_decile"))
    long = pd.concat(flags, ignore_index=True)
    out = wards[["ward_code", "ward_name"]].drop_duplicates("ward_code").reset_index(drop=True)
    for flag in ("hotspot", "persistent", "top_decile"):
        out[flag] = out["ward_code"].isin(long.loc[long["flag"] == flag, "ward_code"])
    out["need"] = out[["hotspot", "persistent", "top_decile"]].any(axis=1)
    which = long.groupby("ward_code")["indicator"].agg(lambda s: ";".join(sorted(set(s))))
    out["need_indicators"] = out["ward_code"].map(which).fillna("")
    return out


def _strands_for(indicators: str) -> set[str]:
    ids = [i for i in indicators.split(";") if i]
    return {s for i in ids for s in INDICATOR_STRANDS.get(i, VIOLENCE_STRANDS)}


def _reach_one(ward_name: str, strands: set[str], register: pd.DataFrame) -> dict:
    rel = register[register["sv_strand"].isin(strands)] if len(register) else register
    cover = rel["ward_coverage"] if len(rel) else pd.Series(dtype=str)
    key = norm_ward_name(ward_name)
    named = cover.map(lambda c: key in {norm_ward_name(w) for w in str(c).split(";")})
    hits = rel[named | (cover == "borough-wide")] if len(rel) else rel
    return {"strands_needed": "; ".join(STRAND_LABELS[s] for s in sorted(strands)),
            "interventions_reaching": len(hits),
            "interventions_unstated": int((cover == BOROUGH_WIDE).sum()),
            "reaching": "; ".join(hits["intervention"]) if len(hits) else ""}


def reach(need: pd.DataFrame, register: pd.DataFrame) -> pd.DataFrame:
    """Which interventions reach each ward, for the strands its need calls for.

    A ward is reached by an intervention of a relevant strand that names the ward in its
    ``wards`` column or says ``borough-wide``. Interventions with no ward information
    (``borough-wide or not stated``) are counted separately: they may or may not reach it.
    Returns ``need`` plus ``strands_needed, interventions_reaching, interventions_unstated,
    reaching`` (intervention names, ``;``-separated).
    """
    rows = [_reach_one(w, _strands_for(i) if n else set(), register)
            for w, i, n in zip(need["ward_name"], need["need_indicators"], need["need"],
                               strict=True)]
    return pd.concat([need, pd.DataFrame(rows, index=need.index)], axis=1)


def unknown_ward_names(register: pd.DataFrame, wards: pd.DataFrame) -> list[str]:
    """Ward names in the register's ``wards`` column that match no ward of the area."""
    known = {norm_ward_name(w) for w in wards["ward_name"]}
    named = {w.strip() for c in register.get("ward_coverage", pd.Series(dtype=str))
             if c not in (BOROUGH_WIDE, "borough-wide") for w in str(c).split(";")}
    return sorted(w for w in named if w and norm_ward_name(w) not in known)


def risk_strand(factor: str) -> str:
    """The register strand a risk factor's wording points to (default general violence)."""
    text = str(factor).lower()
    return next((s for pat, s in RISK_KEYWORDS if re.search(pat, text)), "general_violence")


def risk_coverage(risk_factors: pd.DataFrame | None, register: pd.DataFrame) -> pd.DataFrame:
    """Risk factors worse than London against the interventions of the matching strand.

    Returns
    -------
    pandas.DataFrame
        ``factor, area_value, london_value, unit, strand, interventions, gap`` (``gap`` 'yes'
        when no intervention of that strand is in the register).
    """
    cols = ["factor", "area_value", "london_value", "unit", "strand", "interventions", "gap"]
    if risk_factors is None or risk_factors.empty:
        return pd.DataFrame(columns=cols)
    worse = risk_factors[risk_factors["comparison"].astype(str).str.lower()
                         == "worse than london"].copy()
    strands = worse["factor"].map(risk_strand)
    counts = register["sv_strand"].value_counts() if len(register) else pd.Series(dtype=int)
    worse["strand"] = strands.map(STRAND_LABELS)
    worse["interventions"] = strands.map(lambda s: int(counts.get(s, 0)))
    worse["gap"] = np.where(worse["interventions"] == 0, "yes", "no")
    return worse.reindex(columns=cols).reset_index(drop=True)


def gap_analysis(reached: pd.DataFrame, risks: pd.DataFrame) -> pd.DataFrame:
    """The published gap table, one row per ward.

    ``gap`` is 'yes' (need, and no intervention of the needed strands reaches the ward nor has
    unstated coverage), 'unknown' (need, none known to reach it, but some interventions do not
    say where they work), 'no' (need and reached) or 'no priority need'. ``risk_flags`` lists
    the borough's risk factors worse than London that bear on the ward's strands.
    """
    out = reached.copy()
    gap = np.select([~out["need"], out["interventions_reaching"] > 0,
                     out["interventions_unstated"] > 0], ["no priority need", "no", "unknown"],
                    "yes")
    out["gap"] = gap
    by_strand = risks.groupby("strand")["factor"].agg(list) if len(risks) else {}
    out["risk_flags"] = [
        "; ".join(f for s, fs in dict(by_strand).items() if s in strands for f in fs)
        if need else "" for strands, need in zip(out["strands_needed"], out["need"], strict=True)]
    cols = ["ward_code", "ward_name", "hotspot", "persistent", "top_decile", "need",
            "need_indicators", "risk_flags", "strands_needed", "interventions_reaching",
            "interventions_unstated", "gap", "reaching"]
    order = {"yes": 0, "unknown": 1, "no": 2, "no priority need": 3}
    return out[cols].sort_values(["gap", "ward_name"], key=lambda s: s.map(order)
                                 if s.name == "gap" else s).reset_index(drop=True)


def uncovered_need(gap: pd.DataFrame) -> pd.Series:
    """Need flags (0-3) of wards without a known intervention; 0 elsewhere (for the map)."""
    flags = gap[["hotspot", "persistent", "top_decile"]].sum(axis=1)
    return flags.where(gap["gap"].isin(["yes", "unknown"]), 0).astype(float)


def gap_sentence(gap: pd.DataFrame, area: str) -> str:
    """Plain-English summary of the gap table."""
    need = gap[gap["need"]]
    if need.empty:
        return (f"No ward of {area} is flagged as a hot spot, a persistent hot spot or in the "
                "top tenth of wards by violence rate, so no ward-level gap can be shown.")
    text = f"{len(need)} of {len(gap)} wards have high violence need ({', '.join(need['ward_name'])})."
    yes, unknown = need[need["gap"] == "yes"], need[need["gap"] == "unknown"]
    if len(yes):
        text += f" No intervention of the right kind reaches {', '.join(yes['ward_name'])}."
    if len(unknown):
        text += (f" For {len(unknown)} of them the register cannot tell: no intervention names "
                 "the ward or says it is borough-wide, and some entries do not say where they "
                 "work. That is a gap in what the register records, not evidence that no "
                 "service works there; recording the wards each intervention covers would "
                 "answer it.")
    if not len(yes) and not len(unknown):
        text += " Every one is reached by at least one intervention of the relevant strand."
    return text


def register_gap_sentence(wards: list[str]) -> str:
    """High-need wards where the register records no service: a gap in the register."""
    return (f"The interventions register records no service working in {join_and(wards)}, where "
            "violence need is high; this is a gap in what the register records, not evidence "
            "that no service works there.")


def missing_chapter_tables(tables: dict[str, pd.DataFrame | None]) -> str:
    """A sentence naming the chapter tables the gap analysis lacks ('' when all present)."""
    where = {"ward_indicators": "03", "ward_hotspots": "03", "risk_factors": "04"}
    gone = [f"{name} (chapter {where.get(name, '?')})" for name, t in tables.items() if t is None]
    if not gone:
        return ""
    return ("These tables were not produced in this run, so the gap analysis works without "
            f"them: {', '.join(gone)}. The chapter may have failed or not been run; see the "
            "contents page.")


def gap_map(wards_gdf, gap: pd.DataFrame):
    """Choropleth of need without a known intervention (``sna.maps.choropleth``), legend
    relabelled to whole numbers of need flags; ``None`` when no ward has uncovered need."""
    from sna.maps import choropleth

    values = uncovered_need(gap)
    if not (values > 0).any():
        return None
    g = wards_gdf.merge(gap[["ward_code"]].assign(uncovered_need=values.to_numpy()),
                        on="ward_code", how="left")
    fig, alt = choropleth(g, "uncovered_need", "High violence need, no known intervention",
                          k=4, cmap="Oranges",
                          legend_title="Uncovered need flags")
    for text in fig.legends[0].get_texts():  # one whole number per class: "0 – 1 (10)" -> "1"
        label = text.get_text()
        top, _, n = label.partition(" (")
        top = top.split("–")[-1].strip()
        text.set_text(top + (f" ({n}" if n else ""))
    return fig, alt


def headline(register: pd.DataFrame, gap: pd.DataFrame | None, area: str) -> str:
    """The chapter's one-line headline for the index and the summary."""
    current = current_only(register)
    parts = [f"{len(current)} current interventions in the register" if len(register)
             else "No interventions register supplied"]
    if len(current) < len(register):
        parts[0] += (f" ({len(register) - len(current)} more are superseded, unfunded or "
                     "planned only)")
    if gap is not None and gap["need"].any():
        need = gap[gap["need"]]
        names = ", ".join(need["ward_name"]) if len(need) <= 4 else f"{len(need)} wards"
        yes, unknown = int((need["gap"] == "yes").sum()), int((need["gap"] == "unknown").sum())
        reached = len(need) - yes - unknown
        count = "none is" if reached == 0 else f"{reached} is" if reached == 1 else \
            f"{reached} are"
        text = f"of the wards with the highest violence need ({names}), {count} known to be " \
            "reached by a service"
        if yes:
            text += f", {yes} not reached"
        if unknown:
            text += (f", and for {unknown} the register does not record where services work "
                     "(a gap in the register, not evidence of no service)")
        parts.append(text)
    return "; ".join(parts) + "."


def gap_tables(ch) -> dict[str, pd.DataFrame | None]:
    """Chapter 03 and 04 tables the gap analysis reads (``None`` for each one absent)."""
    return {name: ch.read_table(name)
            for name in ("ward_indicators", "ward_hotspots", "risk_factors")}


def build_gap(wards: pd.DataFrame, register: pd.DataFrame,
              tables: dict[str, pd.DataFrame | None]) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """``(gap_analysis, risk_factor_coverage)``; the first is ``None`` when neither ward table
    of chapter 03 is available (ward need cannot be assessed)."""
    register = current_only(register)  # superseded, unfunded or planned reach nobody
    risks = risk_coverage(tables.get("risk_factors"), register)
    wi, wh = tables.get("ward_indicators"), tables.get("ward_hotspots")
    if wi is None and wh is None:
        return None, risks
    need = need_by_ward(wards, wi, wh)
    return gap_analysis(reach(need, register), risks), risks


def gap_caption(period: str) -> str:
    """Caption of the gap table, with the period its need flags cover."""
    from sna.periods import window_label, window_months

    return ("Wards with high violence need (hot spots and rates for the 12 months "
            f"{window_label(window_months(period, '12m'))}, chapter 03) and the interventions "
            "the register records as reaching them")


def gap_display(gap: pd.DataFrame) -> pd.DataFrame:
    """The gap table for reading: wards with need first, yes/no words, short column names."""
    yn = {True: "yes", False: ""}
    show = gap[gap["need"]] if gap["need"].any() else gap
    return pd.DataFrame({
        "Ward": show["ward_name"], "Hot spot": show["hotspot"].map(yn),
        "Persistent hot spot": show["persistent"].map(yn),
        "Top tenth by rate": show["top_decile"].map(yn),
        "Strands needed": show["strands_needed"],
        "Interventions reaching it": show["interventions_reaching"],
        "Interventions not saying where they work": show["interventions_unstated"],
        "Gap": show["gap"].map({"yes": "Yes", "unknown": "Cannot tell", "no": "No",
                                "no priority need": "No priority need"})})


def record_findings(ch, register: pd.DataFrame, gap: pd.DataFrame | None,
                    risks: pd.DataFrame) -> None:
    """Write the chapter's findings: one headline, then gaps (wards, risk factors)."""
    area = ch.cfg.area.name
    ch.finding(headline(register, gap, area), kind="headline", anchor="Gap-analysis",
               interventions=len(current_only(register)), register_entries=len(register))
    if gap is not None:
        for _, r in gap[gap["gap"] == "yes"].head(5).iterrows():
            ch.finding(f"{r['ward_name']} has high violence need and no intervention of the "
                       "right kind reaches it.", kind="gap", anchor="Gap-analysis",
                       ward_code=r["ward_code"], gap=r["gap"])
        unknown = gap[gap["need"] & (gap["gap"] == "unknown")]
        if len(unknown):
            ch.finding(register_gap_sentence(list(unknown["ward_name"])), kind="data_gap",
                       anchor="Gap-analysis", wards=list(unknown["ward_name"]))
    for _, r in risks[risks["gap"] == "yes"].head(3).iterrows():
        ch.finding(f"{r['factor']} is worse than London and no intervention in the register "
                   f"addresses {str(r['strand']).lower()}.", kind="gap",
                   anchor="Risk-factors-against-interventions", factor=r["factor"])
