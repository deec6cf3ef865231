"""Pre-flight of the optional sources given by area name or code, LSOA or coordinates (DfE
LAIT and NEET, ambulance, statistical neighbours, IMD, Census tables, ONS CSP crime, police.uk
stop and search): each must cover the area (:mod:`sna.report.crosscheck` calls :func:`facts`
once per input content, caches them, and :func:`problems` on every pre-flight)."""

from __future__ import annotations

import difflib
from typing import Any

from sna.config import SnaConfig

KEYS = ("dfe_lait", "neet", "ambulance", "comparators", "imd", "census", "csp_crime",
        "stop_search")


def file_names(cfg: SnaConfig, key: str) -> str:
    """The names of the data.<key> files."""
    return ", ".join(s.path.name for s in cfg.files(key))


def closest(name: str, names: list[str]) -> str:
    """' Closest names: ...' (or a few of the names) for a message."""
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    if not close:
        close = [n for n in names if name.lower() in n.lower() or n.lower() in name.lower()][:3]
    return (f" Closest names: {', '.join(map(repr, close))}." if close else
            f" Names in the file include {', '.join(map(repr, names[:5]))}.")


def sample(codes: set[str]) -> str:
    """The first three codes, '...' when there are more."""
    return ", ".join(sorted(codes)[:3]) + ("..." if len(codes) > 3 else "")


# Sources matched by the area's name: (column of the name, column of the code, what the file is)
NAMED = {"dfe_lait": ("area_name", None, "DfE LAIT data"),
         "neet": ("la_name", "la_code", "DfE NEET dashboard"),
         "ambulance": ("borough_name", "borough_code", "London Ambulance Service workbook"),
         "comparators": ("la_name", None, "DfE statistical neighbours workbook")}
NORMALISED = ("comparators",)  # matched by sna.national.name_key ('Bristol, City of')


def facts(cfg: SnaConfig, key: str, f: Any, keys: list[str]) -> dict[str, Any]:
    """Facts of an optional source given by area name, LSOA or coordinates."""
    import pandas as pd

    if key in NAMED:
        col, code, _ = NAMED[key]
        if key == "neet":
            f = f[f["geographic_level"] == "Local authority"]
        rows = f.dropna(subset=[col]).drop_duplicates(col)
        areas = sorted(map(str, rows[col]))
        return {"areas": areas, "found": _has_name(key, cfg.area.name, areas),
                "codes": dict(zip(rows[code].astype(str), rows[col].astype(str),
                                  strict=True)) if code else {}}
    if key == "imd":
        return _imd_facts(cfg, f, keys)
    if key == "csp_crime":
        rows = [f[["la_code", "la_name"]].set_axis(["code", "name"], axis=1),
                f[["csp_code", "csp_name"]].set_axis(["code", "name"], axis=1)]
        rows = pd.concat(rows).dropna().drop_duplicates("code")
        return {"codes": dict(zip(rows["code"].astype(str), rows["name"].astype(str),
                                  strict=True))}
    if key == "census":
        return _census_facts(cfg, f, keys)
    return _stops_facts(cfg, f)


def _area_lsoas(cfg: SnaConfig, keys: list[str]) -> dict[int, set[str]]:
    """The area's LSOA codes by LSOA year (2021 from data.lsoa; any year from the lookups'
    LSOAs of the area's wards); years with no list are absent."""
    from sna import data as sna_data

    out: dict[int, set[str]] = {}
    if "lookups" in keys:
        wards = set(sna_data.load(cfg, "wards").frame["ward_code"])
        look = sna_data.load(cfg, "lookups").frame
        mine = look[look["ward_code"].isin(wards)]
        for year, part in mine.groupby("lsoa_year"):
            out[int(year)] = set(map(str, part["lsoa_code"]))
    if "lsoa" in keys:
        out[2021] = set(map(str, sna_data.load(cfg, "lsoa").frame["lsoa_code"]))
    return out


def _imd_facts(cfg: SnaConfig, f: Any, keys: list[str]) -> dict[str, Any]:
    """Per edition: the area's LSOAs missing from any domain (when the area's LSOAs of that
    LSOA year are known) or, else, whether any LSOA has the area's authority code."""
    mine = _area_lsoas(cfg, keys)
    out = {}
    for edition, part in f.groupby("edition"):
        year = int(part["lsoa_year"].iloc[0])
        fact: dict[str, Any] = {"year": year, "lads": sorted(map(str, part["lad_code"]
                                                                  .dropna().unique()))[:5]}
        if year in mine:
            gaps = {d: mine[year] - set(g["lsoa_code"]) for d, g in part.groupby("domain")}
            fact.update(total=len(mine[year]),
                        missing=sorted(set().union(*gaps.values())),
                        domains=sorted(d for d, gap in gaps.items() if gap))
        else:
            fact["has_code"] = (bool((part["lad_code"] == cfg.area.code).any())
                                if fact["lads"] else None)
        out[str(edition)] = fact
    return out


def _census_facts(cfg: SnaConfig, f: Any, keys: list[str]) -> dict[str, Any]:
    """Per Census table: whether its LTLA rows have area.code, and the area's 2021 LSOAs that
    its LSOA rows lack (each None when the table has no rows of that level)."""
    lsoas = _area_lsoas(cfg, keys).get(2021)
    out = {}
    for table, part in f.groupby("table"):
        ltla = set(part.loc[part["level"] == "ltla", "geography_code"].astype(str))
        lsoa = set(part.loc[part["level"] == "lsoa", "geography_code"].astype(str))
        out[str(table)] = {"ltla": cfg.area.code in ltla if ltla else None,
                           "missing": sorted(lsoas - lsoa) if lsoa and lsoas else [],
                           "total": len(lsoas or ())}
    return out


def _stops_facts(cfg: SnaConfig, f: Any) -> dict[str, Any]:
    """Stops (with coordinates) inside the area's ward boundaries, of all stops."""
    import numpy as np
    from pyproj import Transformer
    from shapely import contains_xy

    from sna import data as sna_data

    outline = sna_data.area_places(cfg)[2]
    lat, lon = f["latitude"].to_numpy(float), f["longitude"].to_numpy(float)
    has = ~(np.isnan(lat) | np.isnan(lon))
    x, y = Transformer.from_crs(4326, 27700, always_xy=True).transform(lon[has], lat[has])
    return {"rows": len(f), "placed": int(has.sum()),
            "inside": int(contains_xy(outline, x, y).sum())}


def _files_where(cfg: SnaConfig, reports: list, key: str, field: str, value: str,
                 level: str | None = None) -> str:
    """The data.<key> files whose loader entry has ``field == value`` (and ``level`` in its
    ``levels``; the loader lists the files in config order), else all of them."""
    rep = next(r for r in reports if r.key == key)
    given, read = cfg.files(key), rep.meta.get("files", [])
    if len(given) != len(read):
        return file_names(cfg, key)
    names = [s.path.name for s, x in zip(given, read, strict=True)
             if x.get(field) == value and (level is None or level in x.get("levels", []))]
    return ", ".join(names) or file_names(cfg, key)


def problems(cfg: SnaConfig, facts: dict[str, Any], reports: list) -> list[tuple[str, str]]:
    """DfE LAIT, NEET, ambulance, IMD and stop and search against the area."""
    out, name, where = [], cfg.area.name, cfg.path.name
    for key, (col, _, what) in NAMED.items():
        fact = facts.get(key) or {}
        if fact.get("areas") and not fact["found"]:
            known = fact["codes"].get(cfg.area.code)
            hint = (f" The file calls area.code {cfg.area.code} {known!r}." if known else "")
            other = (f" This file is for {', '.join(map(repr, fact['areas']))};"
                     if len(fact["areas"]) <= 3 else "")
            out.append((key, f"{file_names(cfg, key)} has no rows for area.name {name!r} (looked "
                        f"for in its '{col}' names)." + closest(name, fact["areas"]) + hint
                        + f"{other} Supply the {what} that covers {name} (or fix area.name in "
                        f"{where} if the file spells it differently), or remove data.{key}."))
    for edition, fact in (facts.get("imd") or {}).items():
        files = _files_where(cfg, reports, "imd", "vintage", edition)
        if fact.get("missing"):
            gap = set(fact["missing"])
            out.append(("imd", f"{files}: {len(gap)} of the {fact['total']} LSOAs of {name} "
                        f"(LSOA {fact['year']} codes: {sample(gap)}) have no {edition} rank "
                        f"({', '.join(fact['domains'])}). This file is for another area: "
                        f"supply the {edition} file that covers {name} (the England file as "
                        "published), or remove it from data.imd."))
        elif fact.get("has_code") is False:
            out.append(("imd", f"{files}: no LSOA has the {edition} 'Local Authority District "
                        f"code' area.code {cfg.area.code} (codes in the file include "
                        f"{', '.join(fact['lads'])}). This file is for another area: supply "
                        f"the {edition} file that covers {name} (the England file as "
                        "published), or remove it from data.imd."))
    out += _national(cfg, facts, reports)
    stops = facts.get("stop_search") or {}
    if stops.get("placed") and not stops.get("inside"):
        out.append(("stop_search", f"{file_names(cfg, 'stop_search')}: none of the "
                    f"{stops['placed']:,} stops with a location is inside the wards of {name} "
                    "(data.wards). These files are for another force or area: download the "
                    f"police.uk stop and search files of the force that covers {name}, or "
                    "remove data.stop_search."))
    return out


def _has_name(key: str, name: str, names: list[str]) -> bool:
    """Is ``name`` among ``names`` as the chapters match it (computed with the cached facts:
    sna.national imports scipy)?"""
    if key not in NORMALISED:
        return name in names
    from sna.national import name_key

    return name_key(name) in {name_key(n) for n in names}


def _national(cfg: SnaConfig, facts: dict[str, Any], reports: list) -> list[tuple[str, str]]:
    """ONS CSP table C2 (area.code as LA or CSP code) and the Census tables (area.code, LSOAs)."""
    out, name, where, code = [], cfg.area.name, cfg.path.name, cfg.area.code
    codes = (facts.get("csp_crime") or {}).get("codes") or {}
    # districts (E07) and Welsh authorities (W06) may be part of a combined CSP, without a row
    # of their own: the chapter says so; London boroughs, unitaries and metropolitan districts
    # each have one
    if codes and code not in codes and not code.startswith(("E07", "W06")):
        by_name = [c for c, n in codes.items() if n == name]
        hint = f" The file gives {name!r} the code {by_name[0]}." if by_name else ""
        out.append(("csp_crime", f"{file_names(cfg, 'csp_crime')} has no row for area.code {code} "
                    "(looked for in its LA and CSP codes)." + closest(name, sorted(
                        set(codes.values()))) + hint + f" Fix area.code in {where} (the ONS "
                    f"code of {name}), or supply ONS table C2 for England and Wales as "
                    "published, or remove data.csp_crime."))
    for table, fact in (facts.get("census") or {}).items():
        if fact["ltla"] is False:
            files = _files_where(cfg, reports, "census", "table", table, "ltla")
            out.append(("census", f"{files}: the {table} table has no row for "
                        f"area.code {code} ({name}). Supply the {table} file that covers "
                        f"{name} (the LTLA file for England and Wales as published), or remove "
                        "it from data.census."))
        if fact["missing"]:
            gap = set(fact["missing"])
            files = _files_where(cfg, reports, "census", "table", table, "lsoa")
            out.append(("census", f"{files}: the {table} table has no row "
                        f"for {len(gap)} of the {fact['total']} LSOAs of {name} "
                        f"({sample(gap)}). Supply the {table} LSOA file that covers {name}, "
                        "or remove it from data.census."))
    return out
