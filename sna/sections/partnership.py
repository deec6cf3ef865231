"""Chapter 05: the partnership under the Serious Violence Duty, the interventions register and
reported outputs. The gap analysis (where need is and whether interventions reach it) is in
:mod:`sna.sections.gaps`.

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
EFFECTIVENESS = re.compile(r"^(iom_reoffending_rate|iom_offences_per_case_per_year_\w+|vvap_\w+|"
                           r"victim_satisfaction_pct|\w*progress\w*)$")
STANDING = (  # status_or_period wording -> standing (first match wins); else 'current'
    (re.compile(r"supersed|replaced by|discontinued|\bended\b", re.I), "superseded"),
    (re.compile(r"unsuccessful|unfunded|not funded|no funding", re.I), "unfunded"),
    (re.compile(r"^\s*(?:planned|in development|proposed)", re.I), "planned only"))
PLAN_COUNTS = re.compile(r"^vvap_|_(actions|objectives|strands)(_|$)")  # not people: not suppressed


def _text(value: object) -> str:
    """Text of a cell; missing (None, NaN, NA) -> ''."""
    return "" if value is None or (np.ndim(value) == 0 and pd.isna(value)) else str(value)


def norm_ward_name(name: object) -> str:
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
    return "borough-wide" if norm_ward_name(text) == "boroughwide" else "; ".join(
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


def standing(status: object) -> str:
    """'current', or 'superseded', 'unfunded' or 'planned only' from the register's
    ``status_or_period`` ('superseded by VVAP', 'bid unsuccessful', 'planned 2023')."""
    text = _text(status)
    return next((name for pat, name in STANDING if pat.search(text)), "current")


def current_only(register: pd.DataFrame) -> pd.DataFrame:
    """The register's current entries (all of them when it has no ``standing`` column)."""
    if "standing" not in register or register.empty:
        return register
    return register[register["standing"] == "current"]


def register_table(frame: pd.DataFrame | None, min_count: int = 5) -> pd.DataFrame:
    """The interventions register as published, with the SNA type group and ward coverage.

    Returns
    -------
    pandas.DataFrame
        ``intervention, lead_agency, target_group, sv_strand, strand, type, type_group,
        ward_coverage, status_or_period, standing, reported_output, source_doc`` (``type`` as
        in the register; ``type_group`` one of :data:`GROUPS` via :data:`TYPE_GROUPS`;
        ``standing`` current, superseded, unfunded or planned only, :func:`standing`). Small
        numbers in ``reported_output`` are written 'fewer than 5' (:func:`small_numbers_in_text`).
    """
    cols = ["intervention", "lead_agency", "target_group", "sv_strand", "strand", "type",
            "type_group", "ward_coverage", "status_or_period", "standing", "reported_output",
            "source_doc"]
    if frame is None or frame.empty:
        return pd.DataFrame(columns=cols)
    out = frame.copy()
    out["strand"] = out["sv_strand"].map(lambda s: STRAND_LABELS.get(s, _text(s)))
    out["type_group"] = out["type"].map(lambda t: TYPE_GROUPS.get(t, "Other or not stated"))
    wards = out["wards"] if "wards" in out else pd.Series("", index=out.index)
    out["ward_coverage"] = wards.map(ward_coverage)
    out["standing"] = out["status_or_period"].map(standing)
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
    others = register[register["standing"] != "current"] if "standing" in register else \
        register.iloc[:0]
    register = current_only(register)
    groups = register["type_group"].value_counts()
    top = ", ".join(f"{g.lower()} ({n})" for g, n in groups.items())
    stated = int((register["ward_coverage"] != BOROUGH_WIDE).sum())
    where = (f"{stated} of them say which wards they work in"
             if stated else "none of them says which wards it works in")
    text = (f"The register has {len(register)} current interventions in "
            f"{register['sv_strand'].nunique()} strands of work. By type: {top}. "
            f"{where.capitalize()}.")
    years = sorted({int(y) for d in register.get("source_doc", pd.Series(dtype=str))
                    for y in re.findall(r"\b(20\d\d)\b", _text(d))})
    if years:
        text += (f" The register was compiled from documents dated {years[0]}"
                 + (f" to {years[-1]}" if years[-1] != years[0] else "")
                 + "; services may have started, changed or stopped since.")
    if len(others):
        kinds = others["standing"].value_counts()
        text += (f" A further {len(others)} entries are not counted as current services ("
                 + ", ".join(f"{n} {k}" for k, n in kinds.items()) + "): "
                 + "; ".join(others["intervention"].map(_text)) + ".")
    return text


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


def frame_or_none(cfg, key: str) -> pd.DataFrame | None:
    """The frame of an optional source, or ``None`` when the config does not supply it."""
    from sna.data import loaded_or_none

    loaded = loaded_or_none(cfg, key)
    return None if loaded is None else loaded.frame
