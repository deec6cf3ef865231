"""England and Wales comparison from police recorded crime by Community Safety Partnership.

Decisions
---------
* Unit compared: the **local authority** (current LA code of ONS table C2). CSPs of old
  districts that share one LA code (BCP, North/West Northamptonshire, East Suffolk,
  Buckinghamshire) are summed to their LA; a **combined CSP** (LA code "Combined Local
  Authorities") is one area under its CSP code. Force totals and "Unassigned" rows are left
  out (they are not areas).
* Population: Census 2021 usual residents (TS007A, LTLA) of the LA; an area whose code is not
  a 2021 LTLA (a combined CSP, or a unitary authority created in 2023) sums its districts as
  listed in ``sna/definitions/csp_areas.csv`` (editable). Every area's population source is
  stated in ``population_source``; an area with no population gets no rate and no rank.
* Rate per 1,000 residents with exact/Byar 95% intervals (:func:`sna.metrics.rate_ci`); rank
  1 = the lowest rate (as ``london_rank``), ``areas`` = how many areas were ranked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from sna.metrics import rate_ci

MEMBERS_PATH = Path(__file__).parent / "definitions" / "csp_areas.csv"
CENSUS = "Census 2021 usual residents (ONS TS007A, LTLA)"
GROUPS = ("england_wales", "similar", "london")
COLUMNS = ["group", "area_code", "area_name", "indicator", "period_start", "period_end",
           "count", "population", "rate_per_1000", "rank", "areas"]


def area_members(path: Path = MEMBERS_PATH) -> pd.DataFrame:
    """The editable list of areas made of several 2021 districts (``area_code, area_name,
    lad_code, lad_name, kind``)."""
    return pd.read_csv(path, dtype=str)


def ltla_populations(population: pd.DataFrame) -> pd.Series:
    """Residents of each LTLA (code -> people) from the ``population`` loader's frame."""
    p = population[population["level"] == "ltla"]
    return p.groupby("geography_code")["population"].sum()


def csp_areas(csp: pd.DataFrame, populations: pd.Series,
              members: pd.DataFrame | None = None) -> pd.DataFrame:
    """Counts, populations and rates per area and indicator (one C2 window).

    Parameters
    ----------
    csp : DataFrame
        ``load_csp_crime`` frame (one ``period_end``).
    populations : Series
        LTLA code -> residents (:func:`ltla_populations`).
    members : DataFrame, optional
        :func:`area_members` (default: the shipped file).

    Returns
    -------
    DataFrame
        ``area_code, area_name, force_name, csps, indicator, period_start, period_end,
        count, population, population_source, rate_per_1000, lower95, upper95``.
    """
    members = area_members() if members is None else members
    rows = csp[csp["row_kind"] == "csp"].copy()
    combined = ~rows["la_code"].str.fullmatch(r"[EW]\d{8}")
    rows["area_code"] = rows["la_code"].where(~combined, rows["csp_code"])
    rows["area_name"] = rows["la_name"].where(~combined & (rows["la_name"] != ""),
                                              rows["csp_name"])
    keys = ["area_code", "indicator", "period_start", "period_end"]
    out = rows.groupby(keys, as_index=False).agg(
        area_name=("area_name", "first"), force_name=("force_name", "first"),
        csps=("csp_code", "nunique"), count=("count", lambda s: s.sum(min_count=1)))
    summed = members.assign(pop=members["lad_code"].map(populations)).groupby("area_code").agg(
        pop=("pop", lambda s: s.sum(min_count=len(s))), names=("lad_name", "; ".join))
    direct = out["area_code"].map(populations)
    via = out["area_code"].map(summed["pop"])
    out["population"] = direct.fillna(via)
    out["population_source"] = np.where(
        direct.notna(), CENSUS,
        np.where(via.notna(), CENSUS + ", sum of " + out["area_code"].map(summed["names"])
                 .fillna(""), "not available"))
    out["count"] = out["count"].astype("Float64")
    rate, lo, hi = rate_ci(out["count"].astype(float), out["population"], per=1000)
    out["rate_per_1000"], out["lower95"], out["upper95"] = (np.round(v, 4) for v in (rate, lo, hi))
    out["population"] = out["population"].round().astype("Int64")
    lead = ["area_code", "area_name", "force_name", "csps", "indicator", "period_start",
            "period_end", "count", "population", "population_source", "rate_per_1000",
            "lower95", "upper95"]
    return out[lead].sort_values(["indicator", "area_code"], ignore_index=True)


def rank_group(areas: pd.DataFrame, codes: Iterable[str] | None, group: str) -> pd.DataFrame:
    """Rows of ``areas`` in ``codes`` (all when None) ranked per indicator by rate.

    Rank 1 = lowest rate (ties share the lowest rank, ``method='min'``); ``areas`` = areas
    with a rate. Areas without a rate keep an empty rank.
    """
    d = areas if codes is None else areas[areas["area_code"].isin(set(codes))]
    d = d.copy()
    d["group"] = group
    d["rank"] = d.groupby("indicator")["rate_per_1000"].rank(method="min").astype("Int64")
    d["areas"] = d.groupby("indicator")["rate_per_1000"].transform("count").astype("Int64")
    return d


def national_comparison(areas: pd.DataFrame, similar: Iterable[str],
                        area_code: str) -> pd.DataFrame:
    """``tables/national_comparison.csv`` (ARCHITECTURE 8.3): the three groups, each ranked.

    ``similar`` are the comparator area codes; the assessed area is added to that group.
    London = codes ``E09*`` (the 33 London local authorities, City of London included).
    """
    london = areas.loc[areas["area_code"].str.startswith("E09"), "area_code"]
    similar = list(dict.fromkeys([area_code, *similar]))
    parts = [rank_group(areas, None, "england_wales"), rank_group(areas, similar, "similar"),
             rank_group(areas, london, "london")]
    out = pd.concat(parts, ignore_index=True)
    extra = [c for c in out.columns if c not in COLUMNS and c != "csps"]
    return out[COLUMNS + extra]


def name_key(name: str) -> str:
    """A name for matching across publishers: ``'Bristol, City of'`` -> ``'bristol'``,
    ``'Bedford Borough'`` -> ``'bedford'``, ``'St. Helens'`` -> ``'st helens'``."""
    s = re.sub(r"\[note\s*\d+\]|\(pre lg\)", "", str(name).lower())
    s = s.replace("&", " and ")
    s = re.sub(r"\b(city of|county of|borough|council|city)\b", " ", s)
    s = re.sub(r"[^a-z0-9 ]+", " ", s)
    return " ".join(s.split())


def match_areas(names: Iterable[str], areas: pd.DataFrame) -> tuple[dict[str, str], list[str]]:
    """Match names (or ONS codes) to ``areas`` codes; returns ``({name: code}, unmatched)``."""
    lookup = {}
    for code, nm in areas[["area_code", "area_name"]].drop_duplicates().itertuples(index=False):
        lookup[name_key(nm)] = code
        lookup[code.lower()] = code
    found, missing = {}, []
    for n in names:
        key = str(n).strip().lower() if re.fullmatch(r"[EWew]\d{8}", str(n).strip()) \
            else name_key(n)
        if key in lookup:
            found[str(n)] = lookup[key]
        else:
            missing.append(str(n))
    return found, missing


def dfe_similar(neighbours: pd.DataFrame, area_name: str) -> pd.DataFrame:
    """The DfE statistical neighbours of ``area_name`` (rows of the ``comparators`` frame,
    ``sn_rank`` order); empty when the area is not in the workbook."""
    rows = neighbours[neighbours["la_name"].map(name_key) == name_key(area_name)]
    return rows.sort_values("sn_rank").reset_index(drop=True)


def window_note(c2_start: str, c2_end: str, start: str, end: str) -> str:
    """A sentence when the C2 window differs from the assessment window ('' when equal)."""
    from sna import periods

    if (c2_start, c2_end) == (start, end):
        return ""
    c2 = periods.window_text(c2_end)
    own = periods.window_text(end)
    return (f"The England and Wales figures are for {c2} (the latest year ONS publishes by "
            f"Community Safety Partnership), not the assessment's window {own}; the two are "
            "compared only as orders of magnitude.")
