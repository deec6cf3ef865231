"""Pre-flight across sources: do the inputs describe the same area, before anything is written?

Each source can be valid on its own and still be wrong for the config: an area name that is not
in the crime data ("Barnett"), boundaries of 2014 wards against crime data on 2022 wards, a
lookup or population file for another borough, a crime file with no rows (or only zeros) for
the area in the assessment window. :func:`problems` finds these and names the config key, the
file and the fix; :func:`sna.report.inputs.check_sources` reports them as errors (exit 2).

The facts compared (names, codes, window totals: a few kilobytes) are computed once per input
content and kept in ``<cache>/preflight/<key>.json``, the key built from the sha256 of every
input that the pre-flight has already computed: a warm pre-flight reads one small file.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from sna.config import SnaConfig
from sna.report import crosscheck_sources as sources
from sna.report.crosscheck_sources import closest, file_names, sample

CRIME_KEYS = ("mps_ward", "mps_borough", "mps_lsoa")
FACT_KEYS = ("mps_ward", "mps_borough", "mps_lsoa", "knife_crime", "mps_dashboard", "homicide",
             "wards", "lsoa", "population", "lookups", "clif", "vawg", "public_attitudes",
             "police_records", "ae_attendances", *sources.KEYS)
FACTS_VERSION = 3
RECORD_KEYS = ("police_records", "ae_attendances")  # record-level extracts: places in the area


def _window(cfg: SnaConfig, months: list[str]) -> list[str]:
    """The 12 months the run will assess (ending at the configured period or the latest)."""
    from sna.periods import window_months

    end = months[-1] if cfg.period == "latest" or cfg.period not in months else cfg.period
    return window_months(end, "12m")


def _build(cfg: SnaConfig, keys: list[str], window: list[str]) -> dict[str, Any]:
    """Load the sources (through the cache) and keep only what the checks compare."""
    from sna import data as sna_data

    out: dict[str, Any] = {"version": FACTS_VERSION}
    name = cfg.area.name
    for key in keys:
        f = sna_data.load(cfg, key).frame
        if key in CRIME_KEYS:
            mine = f[f["borough"] == name]
            out[key] = {"areas": sorted(map(str, f["borough"].dropna().unique())),
                        "window_total": int(mine.loc[mine["month"].isin(window), "count"].sum()),
                        "codes": sorted(map(str, mine.loc[mine["month"].isin(window),
                                                          "area_code"].unique()))}
        elif key in ("knife_crime", "mps_dashboard"):
            out[key] = {"areas": sorted(map(str, f.loc[f["area_type"].str.lower() == "borough",
                                                       "area_name"].unique()))}
        elif key in ("homicide", "clif", "vawg", "public_attitudes"):
            out[key] = {"areas": sorted(map(str, f["borough"].dropna().unique()))}
        elif key == "wards":
            out[key] = {"codes": sorted(map(str, f["ward_code"]))}
        elif key == "lsoa":
            out[key] = {"codes": sorted(map(str, f["lsoa_code"]))}
        elif key == "population":
            ltla = f[f["level"] == "ltla"].drop_duplicates("geography_code")
            out[key] = {"ltla": dict(zip(ltla["geography_code"].astype(str),
                                         ltla["geography_name"].astype(str), strict=True)),
                        "lsoa": sorted(map(str, f.loc[f["level"] == "lsoa",
                                                      "geography_code"].unique()))}
        elif key == "lookups":
            out[key] = {"lsoa": sorted(map(str, f["lsoa_code"].unique())),
                        "ward": sorted(map(str, f["ward_code"].unique()))}
        elif key in RECORD_KEYS:
            out[key] = {"outside": _records_outside(cfg, key, f)}
        else:
            out[key] = sources.facts(cfg, key, f, keys)
    return out


def _records_outside(cfg: SnaConfig, key: str, frame: Any) -> str:
    """The message naming records placed outside the area ('' when all are inside): ward and
    LSOA codes of the area, coordinates inside its ward boundaries."""
    from sna import data as sna_data
    from sna.errors import DataError

    try:
        sna_data.check_in_area(cfg, key, frame)
    except DataError as exc:
        return str(exc)
    return ""


def _facts(cfg: SnaConfig, reports: list, window: list[str]) -> dict[str, Any]:
    """The facts, from the cache when the same inputs were checked before."""
    from sna.cache import default_cache_dir

    keys = [r.key for r in reports if r.key in FACT_KEYS and not r.error]
    h = hashlib.sha256(f"{FACTS_VERSION}|{cfg.area.name}|{cfg.area.code}|{window[0]}|"
                       f"{window[-1]}".encode())
    h.update(Path(__file__).read_bytes() + Path(sources.__file__).read_bytes())
    for r in reports:
        if r.key in keys:
            h.update(r.key.encode())
            for rec in r.inputs:
                h.update(str(rec.get("sha256", rec.get("path"))).encode())
    path = default_cache_dir(cfg.folder) / "preflight" / f"{h.hexdigest()[:24]}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    facts = _build(cfg, keys, window)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(facts), encoding="utf-8")
    tmp.replace(path)
    return facts


def problems(cfg: SnaConfig, reports: list, months: list[str]) -> list[tuple[str, str]]:
    """``[(config key, message)]`` of every cross-source problem ([] when consistent)."""
    if not months:
        return []
    window = _window(cfg, months)
    facts = _facts(cfg, reports, window)
    name, where, out = cfg.area.name, cfg.path.name, []
    span = f"{window[0]} to {window[-1]}"
    for key in ("mps_ward", "mps_borough", "mps_lsoa", "knife_crime", "mps_dashboard", "homicide",
                "clif", "vawg", "public_attitudes"):
        areas = (facts.get(key) or {}).get("areas")
        if areas and name not in areas:
            out.append((key, f"{file_names(cfg, key)} has no rows for area.name {name!r}."
                        + closest(name, areas) + f" Fix area.name in {where} (it must be "
                        "spelled as in the MPS data), or remove data." + key
                        + " if this file is for another area."))
    ward = facts.get("mps_ward") or {}
    if ward and name in ward.get("areas", []) and ward.get("window_total", 0) == 0:
        out.append(("mps_ward", f"{file_names(cfg, 'mps_ward')}: every count for {name} in the "
                    f"assessment window ({span}) is zero. The file is probably truncated or "
                    "for another area: re-download it, or choose an earlier `period`."))
    police = next((r for r in reports if r.key == "police_uk" and not r.error), None)
    if police is not None and police.rows == 0:
        out.append(("police_uk", f"{file_names(cfg, 'police_uk')}: no record of these police.uk "
                    f"files is in {name}. Download the street-level files of the force that "
                    f"covers {name}, or remove data.police_uk."))
    out += _geography(cfg, facts, span)
    out += sources.problems(cfg, facts, reports)
    for key in RECORD_KEYS:
        outside = (facts.get(key) or {}).get("outside")
        if outside:
            out.append((key, outside + " Records must be of the area's own wards, LSOAs and "
                        "boundary (fix the extract or filter it to the area)."))
    return out


def _geography(cfg: SnaConfig, facts: dict[str, Any], span: str) -> list[tuple[str, str]]:
    """Boundaries, lookups and population against the crime data and each other."""
    out, name, where = [], cfg.area.name, cfg.path.name
    crime = set((facts.get("mps_ward") or {}).get("codes", []))
    wards = set((facts.get("wards") or {}).get("codes", []))
    if crime and wards and len(wards - crime) > len(wards) / 2:
        older = ""
        if {c[:6] for c in wards} != {c[:6] for c in crime}:
            older = (" Ward codes are reissued when ward boundaries change (e.g. 2014 wards "
                     "E05000xxx, 2022 wards E05013xxx): the boundaries look like another ward "
                     f"set than the crime data's ({sample(crime)}).")
        out.append(("wards", f"{file_names(cfg, 'wards')}: {len(wards - crime)} of {len(wards)} "
                    f"ward codes ({sample(wards - crime)}) are not wards of {name} in the "
                    f"crime data for {span}.{older} Supply the boundaries of the wards the "
                    "crime data use (data.wards)."))
    pop = facts.get("population") or {}
    ltla = pop.get("ltla") or {}
    if ltla and cfg.area.code not in ltla:
        by_name = [c for c, n in ltla.items() if n == name]
        hint = (f" The file gives {name!r} the code {by_name[0]}." if by_name else "")
        out.append(("population", f"{file_names(cfg, 'population')}: area.code "
                    f"{cfg.area.code} is not in the population file.{hint} Fix area.code in "
                    f"{where} (the ONS code of {name}) or supply the population of this area."))
    elif ltla and ltla[cfg.area.code] != name:
        out.append(("population", f"{file_names(cfg, 'population')}: area.code {cfg.area.code} "
                    f"is {ltla[cfg.area.code]!r} in the population file, but area.name is "
                    f"{name!r}. Fix area.code or area.name in {where} so they agree."))
    lsoas = set((facts.get("lsoa") or {}).get("codes", []))
    missing_pop = lsoas - set(pop.get("lsoa", [])) if pop.get("lsoa") else set()
    if lsoas and missing_pop:
        out.append(("population", f"{file_names(cfg, 'population')}: no population for "
                    f"{len(missing_pop)} of the {len(lsoas)} LSOAs of data.lsoa "
                    f"({sample(missing_pop)}). Supply the LSOA population file of {name}."))
    look = facts.get("lookups") or {}
    for kind, codes in (("ward", wards), ("lsoa", lsoas)):
        gap = codes - set(look.get(kind, [])) if look else set()
        if gap:
            out.append(("lookups", f"{file_names(cfg, 'lookups')}: {len(gap)} of the {len(codes)} "
                        f"{kind.upper() if kind == 'lsoa' else kind} codes of {name} "
                        f"({sample(gap)}) are not in the lookup. Supply an LSOA-to-ward "
                        f"lookup that covers {name} (its 2021 LSOAs and current wards)."))
    return out

