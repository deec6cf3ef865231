"""Chapter 05: the partnership under the Serious Violence Duty, the interventions register,
reported outputs and the gap analysis (where need is and whether interventions reach it).

Inputs are the config's ``partnership`` list, the ``interventions`` and ``partner_indicators``
sources, and tables published earlier in the run by chapter 03 (``ward_indicators``,
``ward_hotspots``) and chapter 04 (``risk_factors``). Every function accepts ``None`` or an
empty frame for a missing input and returns an empty result rather than failing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from sna.definitions import load_indicators

STRAND_LABELS = {
    "general_violence": "General violence", "domestic_abuse": "Domestic abuse",
    "sexual_violence": "Sexual violence",
    "youth_violence_exploitation": "Youth violence and exploitation",
    "substance_misuse": "Substance misuse",
    "prevention": "Prevention, anti-social behaviour and community safety", "other": "Other"}
GROUPS = ("Prevention", "Early intervention", "Enforcement", "Victim support",
          "Offender management", "Other or not stated")
TYPE_GROUPS = {  # register `type` (as published) -> one of the five SNA groups
    "prevention": "Prevention", "early_intervention": "Early intervention",
    "enforcement": "Enforcement", "victim_support": "Victim support",
    "offender_management": "Offender management",
    "partnership": "Prevention", "treatment": "Early intervention",
    "other": "Other or not stated"}
TYPE_REASONS = {
    "partnership": "multi-agency arrangements (action plans, MARACs, incident meetings, "
                   "reviews) that coordinate work to stop violence happening or recurring",
    "treatment": "treatment tackles a risk factor (substance misuse) in people already affected"}
BOROUGH_WIDE = "borough-wide or not stated"
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
EFFECTIVENESS = re.compile(r"^(iom_reoffending_rate|iom_offences_per_case_per_year_\w+|vvap_\w+|"
                           r"victim_satisfaction_pct|\w*progress\w*)$")
PLAN_COUNTS = re.compile(r"^vvap_|_(actions|objectives|strands)(_|$)")  # not people: not suppressed


def _text(value: object) -> str:
    """Text of a cell; missing (None, NaN, NA) -> ''."""
    return "" if value is None or (np.ndim(value) == 0 and pd.isna(value)) else str(value)


def _truthy(values: pd.Series) -> pd.Series:
    """Booleans from a CSV column (True/False, 'True', 'yes', 1)."""
    text = values.astype(str).str.strip().str.lower()
    return text.isin(["true", "1", "1.0", "yes", "y"])


def _norm_name(name: object) -> str:
    """Ward names compared without case, '&'/'and' or punctuation."""
    text = _text(name).lower().replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", "", text)


# --- partnership ---------------------------------------------------------------------------

def partnership_table(partnership: Sequence[dict]) -> pd.DataFrame:
    """The partnership list from the config as a table.

    Parameters
    ----------
    partnership : sequence of dict
        ``cfg.partnership``: mappings with ``name``, ``type``, ``role``, ``data_shared``.

    Returns
    -------
    pandas.DataFrame
        Columns ``organisation, type, role, data_shared`` (empty frame when none is listed).
    """
    rows = [{"organisation": _text(p.get("name")), "type": _text(p.get("type")),
             "role": _text(p.get("role")), "data_shared": _text(p.get("data_shared"))}
            for p in partnership]
    return pd.DataFrame(rows, columns=["organisation", "type", "role", "data_shared"])


def partnership_problems(partnership: Sequence[dict]) -> list[str]:
    """Entries with keys other than name/type/role/data_shared (usually an unquoted comma in a
    YAML flow mapping, which splits the value), as sentences for a warning."""
    allowed = {"name", "type", "role", "data_shared"}
    return [f"Partnership entry {_text(p.get('name'))!r} has unexpected key(s) "
            f"{', '.join(map(repr, sorted(set(map(str, p)) - allowed)))}: a comma inside an "
            "unquoted value splits it; put the value in quotes in the area YAML."
            for p in partnership if set(map(str, p)) - allowed]


def partnership_sentence(table: pd.DataFrame, area: str) -> str:
    """One plain-English sentence on who is in the partnership and who shares data."""
    if table.empty:
        return ""
    kinds = table["type"].str.lower()
    not_sharing = table[table["data_shared"].str.contains(r"not (?:yet )?shared|^$|^none",
                                                          case=False, regex=True)]
    text = (f"The {area} partnership lists {len(table)} organisations: "
            f"{int(kinds.str.contains('specified').sum())} specified authorities under the Duty "
            f"and {int((~kinds.str.contains('specified')).sum())} relevant authorities or "
            "partners.")
    if len(not_sharing):
        text += (f" {len(not_sharing)} do not yet share data for this assessment: "
                 f"{', '.join(not_sharing['organisation'])}.")
    return text


# --- interventions register ----------------------------------------------------------------

def ward_coverage(value: object) -> str:
    """The ``wards`` cell as shown: ward names, 'borough-wide', or 'borough-wide or not stated'."""
    text = _text(value).strip()
    if not text:
        return BOROUGH_WIDE
    return "borough-wide" if _norm_name(text) == "boroughwide" else "; ".join(
        w.strip() for w in text.split(";") if w.strip())


def small_numbers_in_text(text: object, min_count: int = 5) -> str:
    """Write whole numbers from 1 to ``min_count - 1`` in free text as 'fewer than 5'
    ('2 reoffended' -> 'fewer than 5 reoffended'); decimals, percentages, dates and labels
    such as 'Q4' are left alone."""
    pattern = (r"(?<![\w.,/£$-])(?<!year )(?<!Year )(?<!phase )(?<!tier )(?<!level )"
               r"([1-9]\d*)(?![\w.,%:/-]|\s*%)")

    def swap(m: re.Match) -> str:
        return f"fewer than {min_count}" if int(m.group(1)) < min_count else m.group(1)

    return re.sub(pattern, swap, _text(text))


def register_table(frame: pd.DataFrame | None, min_count: int = 5) -> pd.DataFrame:
    """The interventions register as published, with the SNA type group and ward coverage.

    Returns
    -------
    pandas.DataFrame
        ``intervention, lead_agency, target_group, sv_strand, strand, type, type_group,
        ward_coverage, status_or_period, reported_output, source_doc`` (``type`` as in the
        register; ``type_group`` one of :data:`GROUPS` via :data:`TYPE_GROUPS`). Small
        numbers in ``reported_output`` are written 'fewer than 5' (:func:`small_numbers_in_text`).
    """
    cols = ["intervention", "lead_agency", "target_group", "sv_strand", "strand", "type",
            "type_group", "ward_coverage", "status_or_period", "reported_output", "source_doc"]
    if frame is None or frame.empty:
        return pd.DataFrame(columns=cols)
    out = frame.copy()
    out["strand"] = out["sv_strand"].map(lambda s: STRAND_LABELS.get(s, _text(s)))
    out["type_group"] = out["type"].map(lambda t: TYPE_GROUPS.get(t, "Other or not stated"))
    wards = out["wards"] if "wards" in out else pd.Series("", index=out.index)
    out["ward_coverage"] = wards.map(ward_coverage)
    out["reported_output"] = out["reported_output"].map(
        lambda t: small_numbers_in_text(t, min_count))
    return out.reindex(columns=cols).fillna("")


def register_display(register: pd.DataFrame) -> pd.DataFrame:
    """The register for reading: the main columns, plain-English headings."""
    show = pd.DataFrame({
        "Intervention": register["intervention"], "Lead": register["lead_agency"],
        "Strand": register["strand"], "Type (as published)": register["type"].str.replace(
            "_", " "), "Counted as": register["type_group"], "For whom": register["target_group"],
        "Wards": register["ward_coverage"]})
    return show if (register["ward_coverage"] != BOROUGH_WIDE).any() else show.drop(
        columns="Wards")


def type_mapping(register: pd.DataFrame) -> pd.DataFrame:
    """How each published ``type`` maps to the five SNA groups, with the number of entries."""
    if register.empty:
        return pd.DataFrame(columns=["type_in_register", "sna_group", "interventions", "why"])
    n = register.groupby("type").size()
    rows = [{"type_in_register": t.replace("_", " "), "sna_group": TYPE_GROUPS.get(t, GROUPS[-1]),
             "interventions": int(n[t]),
             "why": TYPE_REASONS.get(t, "same category" if t in TYPE_GROUPS else "not listed")}
            for t in n.sort_values(ascending=False).index]
    return pd.DataFrame(rows)


def strand_by_group(register: pd.DataFrame) -> pd.DataFrame:
    """Interventions by strand (rows) and SNA type group (columns), with totals."""
    if register.empty:
        return pd.DataFrame(columns=["Strand", *GROUPS, "All types"])
    table = pd.crosstab(register["strand"], register["type_group"])
    table = table.reindex(columns=[g for g in GROUPS if g in table.columns], fill_value=0)
    table["All types"] = table.sum(axis=1)
    table = table.sort_values("All types", ascending=False)
    table.loc["All strands"] = table.sum()
    return table.rename_axis(index="Strand", columns=None).reset_index()


def register_sentence(register: pd.DataFrame) -> str:
    """What the register holds, in one or two sentences."""
    if register.empty:
        return "The interventions register is empty."
    groups = register["type_group"].value_counts()
    top = ", ".join(f"{g.lower()} ({n})" for g, n in groups.items())
    stated = int((register["ward_coverage"] != BOROUGH_WIDE).sum())
    where = (f"{stated} of them say which wards they work in"
             if stated else "none of them says which wards it works in")
    return (f"The register has {len(register)} interventions in "
            f"{register['sv_strand'].nunique()} strands of work. By type: {top}. "
            f"{where.capitalize()}.")


def reported_outputs(register: pd.DataFrame) -> pd.DataFrame:
    """Interventions that report an output (as published), by strand."""
    cols = ["intervention", "strand", "type_group", "reported_output", "source_doc"]
    if register.empty:
        return pd.DataFrame(columns=cols)
    has = register[register["reported_output"].astype(str).str.strip() != ""]
    return has[cols].sort_values(["strand", "intervention"]).reset_index(drop=True)


# --- partner indicators: effectiveness -----------------------------------------------------

def _measure_label(indicator: str) -> str:
    words = indicator.replace("_pct", "_%").split("_")
    caps = {"iom": "IOM", "vvap": "VVAP", "vru": "VRU", "cifa": "CIFA", "%": "(%)"}
    text = " ".join(caps.get(w, w) for w in words)
    return text[:1].upper() + text[1:]


def _period(start: object, end: object) -> str:
    if pd.isna(start) and pd.isna(end):
        return "not stated"
    s, e = pd.Timestamp(start) if pd.notna(start) else None, pd.Timestamp(end)
    if s is None or s == e:
        return f"at {e:%d %b %Y}"
    return f"{s:%b %Y} to {e:%b %Y}"


def effectiveness_table(frame: pd.DataFrame | None, areas: Iterable[str],
                        min_count: int = 5) -> pd.DataFrame:
    """Outcome and progress figures from partner indicators (IOM reoffending, VVAP actions...).

    Parameters
    ----------
    frame : pandas.DataFrame or None
        The ``partner_indicators`` frame.
    areas : iterable of str
        Areas to keep (the borough, London, BCU partners).
    min_count : int
        Values with unit ``count`` from 1 to ``min_count - 1`` are blanked (disclosure rule),
        except counts of a plan's actions, objectives or strands (:data:`PLAN_COUNTS`).

    Returns
    -------
    pandas.DataFrame
        ``measure, area, period, value, unit, source_doc`` for indicators matching
        :data:`EFFECTIVENESS`; ``value`` as text as published ('' when suppressed).
    """
    cols = ["measure", "area", "period", "value", "unit", "source_doc"]
    if frame is None or frame.empty:
        return pd.DataFrame(columns=cols)
    keep = frame[frame["indicator"].astype(str).str.match(EFFECTIVENESS)
                 & frame["area"].isin(list(areas))].copy()
    small = ((keep["unit"] == "count") & keep["value"].between(1, min_count - 1e-9)
             & ~keep["indicator"].str.match(PLAN_COUNTS))
    keep.loc[small, "value"] = np.nan
    keep["measure"] = keep["indicator"].map(_measure_label)
    keep["unit"] = keep["unit"].astype(str).str.replace("_", " ")
    keep["period"] = [_period(s, e) for s, e in zip(keep["period_start"], keep["period_end"],
                                                    strict=True)]
    keep = keep.sort_values(["indicator", "period_end", "area"], na_position="first")
    keep["value"] = keep["value"].map(lambda v: "" if pd.isna(v) else f"{v:,.10g}")
    return keep[cols].reset_index(drop=True)


def iom_sentence(frame: pd.DataFrame | None, area: str) -> str:
    """IOM cohort reoffending rate in the area against London, when both are reported."""
    if frame is None or frame.empty:
        return ""
    rows = frame[frame["indicator"] == "iom_reoffending_rate"].sort_values("period_end")
    local, london = rows[rows["area"] == area], rows[rows["area"] == "London"]
    if local.empty or london.empty:
        return ""
    a, b = local.iloc[-1], london[london["period_end"] == local.iloc[-1]["period_end"]]
    if b.empty:
        return ""
    word = "lower than" if a["value"] < b.iloc[0]["value"] else (
        "higher than" if a["value"] > b.iloc[0]["value"] else "the same as")
    return (f"Integrated Offender Management: {a['value']:g}% of {area}'s IOM cohort reoffended "
            f"({_period(a['period_start'], a['period_end'])}), {word} London "
            f"({b.iloc[0]['value']:g}%). This is a single quarter's published figure, without a "
            "confidence interval, so treat the comparison with care.")


# --- gap analysis --------------------------------------------------------------------------

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
    key = _norm_name(ward_name)
    named = cover.map(lambda c: key in {_norm_name(w) for w in str(c).split(";")})
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
    known = {_norm_name(w) for w in wards["ward_name"]}
    named = {w.strip() for c in register.get("ward_coverage", pd.Series(dtype=str))
             if c not in (BOROUGH_WIDE, "borough-wide") for w in str(c).split(";")}
    return sorted(w for w in named if w and _norm_name(w) not in known)


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
                 "work. Recording the wards each intervention covers would answer this.")
    if not len(yes) and not len(unknown):
        text += " Every one is reached by at least one intervention of the relevant strand."
    return text


# --- chapter helpers -----------------------------------------------------------------------

def frame_or_none(cfg, key: str) -> pd.DataFrame | None:
    """The frame of an optional source, or ``None`` when the config does not supply it."""
    from sna.data import loaded_or_none

    loaded = loaded_or_none(cfg, key)
    return None if loaded is None else loaded.frame


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
    """Choropleth of need without a known intervention (``sna.plots.choropleth``), legend
    relabelled to whole numbers of need flags; ``None`` when no ward has uncovered need."""
    from sna.plots import choropleth

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
    parts = [f"{len(register)} interventions in the register" if len(register)
             else "No interventions register supplied"]
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
            text += f", and for {unknown} the register does not say where services work"
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
    risks = risk_coverage(tables.get("risk_factors"), register)
    wi, wh = tables.get("ward_indicators"), tables.get("ward_hotspots")
    if wi is None and wh is None:
        return None, risks
    need = need_by_ward(wards, wi, wh)
    return gap_analysis(reach(need, register), risks), risks


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
               interventions=len(register))
    if gap is not None:
        for _, r in gap[gap["gap"].isin(["yes", "unknown"])].head(5).iterrows():
            how = ("no intervention of the right kind reaches it" if r["gap"] == "yes"
                   else "the register does not show any intervention working there")
            ch.finding(f"{r['ward_name']} has high violence need and {how}.", kind="gap",
                       anchor="Gap-analysis", ward_code=r["ward_code"], gap=r["gap"])
    for _, r in risks[risks["gap"] == "yes"].head(3).iterrows():
        ch.finding(f"{r['factor']} is worse than London and no intervention in the register "
                   f"addresses {str(r['strand']).lower()}.", kind="gap",
                   anchor="Risk-factors-against-interventions", factor=r["factor"])
