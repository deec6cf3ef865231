"""MPS Monthly Crime Dashboard data, any sheet and vintage (config keys ``mps_dashboard`` and
its alias ``knife_crime``).

The London Datastore publishes the dashboard as an xlsx (sheet ``MPS_MonthlyCrimeDashboard_
Other`` holds domestic abuse, gun, hate and knife measures); copies circulate as CSV and as
Parquet with lower/snake-cased headers. Every shape loads to one tidy frame
``month, area_type, area_name, area_code, borough, retired, crime_type, crime_subtype,
measure, count`` (:data:`COLUMNS`). Quirks absorbed here (PROVENANCE.md of the shared data):

- headers in any case/spacing (``Month_Year``, ``Area Type``, ``month_year`` ...);
- label variants of one measure (``Domestic Abuse violence with injury`` on Offences rows,
  ``... Violence with Injury`` on Positive Outcomes rows; ``Lethal Barrel Discharge`` under
  its own ``crime_type`` or under ``Gun Crime``; ``Miscalleneous``; ``Hate crime``): rows are
  keyed on the lower-cased sub-type and given one canonical ``crime_type``/``crime_subtype``;
- ward rows labelled ``Borough Ward`` (``Barnet Burnt Oak``): ``borough`` is recovered, join
  on ``area_code``; retired pre-2022 wards (``Colindale (NOT ACTIVE)``) get ``retired``;
- sparse rows (no zero rows): a month a file covers but a row is absent means 0; the months
  each file covers per series are in ``meta['coverage']`` so that a window outside them is
  *missing*, not zero (:func:`series_coverage`);
- revisions between vintages: per series and month the newest file (latest refresh date,
  else latest month) wins; what it replaced is listed in ``meta['overridden']``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sna.config import Source
from sna.errors import SchemaError
from sna.io.common import LoadContext, Loaded, display_path
from sna.io.mps import LONDON_BOROUGHS, RecordProblems, count_block, read_table
from sna.io.mps_dashboards import parse_months
from sna.periods import month_range

COLUMNS = ["month", "area_type", "area_name", "area_code", "borough", "retired", "crime_type",
           "crime_subtype", "measure", "count"]
REQUIRED = ("month_year", "area_type", "area_name", "crime_subtype", "measure", "count")
SHEET_HINT = "MPS_MonthlyCrimeDashboard_Other"
NON_GEOGRAPHIC = {"aviation security (so18)", "aviation security (so18) (legacy only)",
                  "n/k (legacy only)", "non met police force", "unknown", "other / nk", "n/k",
                  "not known", "london heathrow and london city airports"}
_HATE = ("Hate Crime", ["Hate crime", "Racist and Religious Crime", "Racist Crime",
                        "Faith Crime", "AntiSemitic", "Islamophobic Crime", "Homophobic Crime",
                        "Transphobic Crime", "Disability Crime"])
_FAMILIES = {
    "Domestic Abuse": ["Domestic Abuse", "Domestic Abuse Violence with Injury"],
    "Gun Crime": ["Gun Crime", "Gun Crime Personal Robbery", "Lethal Barrel Discharge"],
    "Knife Crime": ["Knife Crime", "Knife Crime with Injury",
                    "Knife Crime with Injury (Personal Robbery)", "Knife Injury Victims (1-24)",
                    "Knife Injury Victims (non DA 1-24)"],
    _HATE[0]: _HATE[1],
    "Miscellaneous": ["Robbery Mobile phone", "TNO Non Victim Based", "TNO Victim Based",
                      "Theft Person - Mobile phone"],
}
_BOROUGHS = {n.lower(): n for n in LONDON_BOROUGHS.values()}


def _key(text: object) -> str:
    return " ".join(str(text).split()).lower()


CANONICAL: dict[str, tuple[str, str]] = {_key(s): (fam, s) for fam, subs in _FAMILIES.items()
                                         for s in subs}
"""Lower-cased sub-type -> (canonical crime_type, canonical crime_subtype)."""


def _keys(values: pd.Series) -> pd.Series:
    """:func:`_key` of a column, computed once per distinct value."""
    return values.map({v: _key(v) for v in pd.unique(values)})


def _header(name: object) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def _read_xlsx(source: Source) -> pd.DataFrame:
    path = Path(source.path)
    sheets = pd.ExcelFile(path, engine="openpyxl").sheet_names
    wanted = source.option("sheet")
    if wanted is not None and wanted not in sheets:
        raise SchemaError(f"{display_path(path)}: no sheet {wanted!r}; the sheets are "
                          f"{', '.join(map(repr, sheets))}. Set `sheet:` to the dashboard data "
                          f"sheet (e.g. {SHEET_HINT!r}).")
    order = [wanted] if wanted else sorted(sheets, key=lambda s: SHEET_HINT.lower() not in s.lower())
    for name in order:
        frame = pd.read_excel(path, sheet_name=name, dtype=object, engine="openpyxl")
        if {_header(c) for c in frame.columns} >= set(REQUIRED):
            return frame.dropna(how="all")
    raise SchemaError(f"{display_path(path)}: no sheet has the dashboard columns "
                      f"({', '.join(REQUIRED)}); sheets: {', '.join(map(repr, sheets))}. "
                      f"Set `sheet:` to the data sheet (e.g. {SHEET_HINT!r}).")


def _read(source: Source) -> tuple[pd.DataFrame, str]:
    if Path(source.path).suffix.lower() in (".xlsx", ".xlsm"):
        frame, unit = _read_xlsx(source), "row"
    else:
        frame, unit = read_table(source)
    frame.columns = [_header(c) for c in frame.columns]
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"{display_path(source.path)}: missing column(s) {', '.join(map(repr, missing))} for "
            f"the MPS monthly crime dashboard. Found: {', '.join(map(repr, frame.columns[:12]))}."
            " Check this is the dashboard data file as published (Month_Year, Area Type, Area "
            "name, Crime Subtype, Measure, Count).")
    return frame.reset_index(drop=True), unit


def per_value(values: pd.Series, fn: Any) -> pd.Series:
    """``fn`` applied once per distinct value (None stays None); same index as ``values``."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.array([*(fn(u) for u in uniques), None], dtype=object)
    return pd.Series(mapped[codes], index=values.index, dtype=object)


def _text(values: pd.Series) -> pd.Series:
    return per_value(values, lambda v: str(v).strip())


def fast_months(values: pd.Series, problems: RecordProblems, unit: str,
                column: str = "month_year") -> pd.Series:
    """:func:`parse_months` computed on the distinct values (fast on 500,000 rows)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    first = pd.Series(np.arange(len(values))).groupby(codes).first()
    parsed = parse_months(pd.Series(list(uniques)), column, QuietProblems(), unit)
    bad = parsed.isna().to_numpy()
    for u in np.flatnonzero(bad)[:10]:
        pos = int(first[u])
        problems.add(pos + (2 if unit == "row" else 1), column, values.iloc[pos],
                     "not a month (expected e.g. 2024-03-01, 2024-03 or Jan-24)")
    for pos in np.flatnonzero(codes < 0)[:10]:
        problems.add(int(pos) + (2 if unit == "row" else 1), column, None, "empty month")
    return pd.Series(np.array([*parsed.to_numpy(dtype=object), None], dtype=object)[codes],
                     index=values.index)


class QuietProblems(RecordProblems):
    """Problems collector that ignores everything (problems are re-reported by row)."""

    def __init__(self) -> None:
        super().__init__("-")

    def add(self, *args: Any, **kwargs: Any) -> None:  # noqa: D401
        return None


def _borough_of(area_type: pd.Series, name: pd.Series, snt: pd.Series) -> pd.Series:
    """Borough of each row: the name itself for borough rows; for ward rows the London
    borough that ``Borough_SNT`` starts with (``'Barnet Burnt Oak'`` -> ``'Barnet'``), else
    None. MPS spelling."""
    def prefix(text: object) -> str | None:
        key = _key(text)
        hits = [b for b in _BOROUGHS if key == b or key.startswith(b + " ")]
        return _BOROUGHS[max(hits, key=len)] if hits else None

    is_b = area_type.str.lower().eq("borough")
    own = name.where(is_b, None).map(lambda v: _BOROUGHS.get(_key(v), v) if v else v)
    stems = {v: prefix(v) for v in pd.unique(snt.dropna())}
    return own.where(is_b, snt.map(stems))


def _check_areas(frame: pd.DataFrame, problems: RecordProblems, offset: int) -> None:
    """Borough rows must name a London borough or a known non-geographic MPS unit."""
    is_b = frame["area_type"].str.lower().eq("borough")
    known = per_value(frame["area_name"], lambda v: _key(v) in _BOROUGHS
                       or _key(v) in NON_GEOGRAPHIC).map(lambda v: v is not False)
    for pos in np.flatnonzero((is_b & ~known).to_numpy())[:10]:
        problems.add(int(pos) + offset, "area_name", frame["area_name"].iloc[pos],
                     "not a London borough or MPS unit; check the file is the MPS dashboard "
                     "and the name is spelt as the MPS publishes it")
    bad_type = ~frame["area_type"].str.lower().isin(["borough", "safer neighbourhood teams"])
    for pos in np.flatnonzero(bad_type.to_numpy())[:10]:
        problems.add(int(pos) + offset, "area_type", frame["area_type"].iloc[pos],
                     "expected 'Borough' or 'Safer Neighbourhood Teams'")


def _tidy(source: Source) -> tuple[pd.DataFrame, str | None, list[str]]:
    """One file -> (tidy frame, vintage, label variants changed)."""
    frame, unit = _read(source)
    problems = RecordProblems(source.path, unit)
    offset = 2 if unit == "row" else 1
    out = pd.DataFrame({c: _text(frame[c]) for c in ("area_type", "area_name")})
    out["area_type"] = out["area_type"].fillna("")
    out["area_code"] = _text(frame["area_code"]) if "area_code" in frame else None
    snt = _text(frame["borough_snt"]) if "borough_snt" in frame else pd.Series(None, index=frame.index)
    _check_areas(out, problems, offset)
    out["month"] = fast_months(frame["month_year"], problems, unit)
    out["count"] = count_block(frame, ["count"], problems, unit)[:, 0]
    problems.raise_if_any()
    out["borough"] = _borough_of(out["area_type"], out["area_name"], snt)
    out["retired"] = out["area_name"].fillna("").str.endswith("(NOT ACTIVE)")
    out["area_name"] = out["area_name"].fillna("Not known")
    sub = _text(frame["crime_subtype"]).fillna("")
    ctype = _text(frame["crime_type"]).fillna("") if "crime_type" in frame else sub
    pairs = pd.DataFrame({"t": ctype, "s": sub})
    codes = pairs.groupby(["t", "s"], sort=False).ngroup().to_numpy()
    uniq = pairs.drop_duplicates().reset_index(drop=True)
    canon = [CANONICAL.get(_key(s_), (t, s_)) for t, s_ in zip(uniq["t"], uniq["s"], strict=True)]
    out["crime_type"] = np.array([c[0] for c in canon], dtype=object)[codes]
    out["crime_subtype"] = np.array([c[1] for c in canon], dtype=object)[codes]
    measures = _text(frame["measure"]).fillna("")
    out["measure"] = measures.map({m: " ".join(m.split()).title() for m in pd.unique(measures)})
    changed = sorted({f"{t} / {s_}" for t, s_, c in zip(uniq["t"], uniq["s"], canon, strict=True)
                      if (t, s_) != c})
    vintage = None
    if "refresh_date" in frame:
        refresh = pd.to_datetime(frame["refresh_date"], errors="coerce", dayfirst=True)
        if refresh.notna().any():
            vintage = refresh.max().strftime("%Y-%m-%d")
    return out[COLUMNS], vintage, changed


def _revisions(old: pd.DataFrame, new: pd.DataFrame, source: Source) -> dict[str, Any]:
    """How the borough counts of an older file differ from the newer vintage that replaced
    them (same series, borough and month; a missing row is 0)."""
    keys = ["area_name", "_series", "month"]

    def boroughs(f: pd.DataFrame) -> pd.Series:
        f = f[f["area_type"].str.lower().eq("borough")]
        return f.groupby(keys)["count"].sum()

    o = boroughs(old)
    n = boroughs(new[new["_series"].isin(set(old["_series"]))
                     & new["month"].isin(set(old["month"]))])
    both = pd.concat([o.rename("old"), n.rename("new")], axis=1).fillna(0)
    diff = both["new"] - both["old"]
    return {"file": display_path(source.path), "borough_cells": int(len(both)),
            "revised_cells": int((diff != 0).sum()), "net_change": int(diff.sum())}


def series_key(subtype: object, measure: object) -> str:
    """``'domestic abuse violence with injury|offences'``: a series of the dashboard."""
    return f"{_key(subtype)}|{_key(measure)}"


def load_mps_dashboard(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """MPS Monthly Crime Dashboard data (Parquet, CSV or xlsx; any vintage) -> tidy frame.

    Returns
    -------
    Loaded
        Frame :data:`COLUMNS` (``count`` int64, months ``YYYY-MM``). Meta: ``files`` (path,
        rows, months, vintage), ``months``, ``coverage_by_place`` (series key -> place
        'borough|<name>' / 'ward|<name>' -> month spans of the files holding the series that
        have rows for the place), ``coverage`` (series key -> months covered by a
        file holding that series: inside it a missing row is 0), ``overridden`` (file, series,
        months replaced by a newer vintage), ``revisions`` (per replaced file: borough cells
        compared, cells revised, net change), ``label_variants`` and ``warnings``.

    Raises
    ------
    SchemaError
        Missing column, no data sheet / wrong ``sheet:``, text in ``count``, a month that is not
        one, an area that is not a London borough or MPS unit (file, row, column and value
        named).
    """
    parts = []
    for source in sources:
        frame, vintage, changed = _tidy(source)
        first, last = frame["month"].min(), frame["month"].max()
        frame["_series"] = (_keys(frame["crime_subtype"]) + "|" + _keys(frame["measure"]))
        parts.append({"source": source, "frame": frame, "vintage": vintage or last,
                      "span": month_range(first, last), "changed": changed,
                      "scope": _scope(frame)})
    parts.sort(key=lambda p: (p["vintage"], p["span"][-1]), reverse=True)
    claimed: dict[str, set[str]] = {}
    kept, files, overridden, coverage, variants, revisions = [], [], [], {}, set(), []
    scope: dict[str, dict[str, list[list[str]]]] = {}
    for p in parts:
        frame, span = p["frame"], p["span"]
        lost = np.zeros(len(frame), dtype=bool)
        for series, idx in frame.groupby("_series").groups.items():
            taken = claimed.setdefault(series, set())
            mask = frame.loc[idx, "month"].isin(taken).to_numpy()
            lost[frame.index.get_indexer(idx)] = mask
            if mask.any():
                overridden.append({"file": display_path(p["source"].path), "series": series,
                                   "months": sorted(set(frame.loc[idx[mask], "month"]))})
            coverage.setdefault(series, set()).update(span)
            for place in p["scope"]:
                scope.setdefault(series, {}).setdefault(place, []).append([span[0], span[-1]])
            taken.update(span)
        if lost.any() and kept:
            revisions.append(_revisions(frame[lost], pd.concat(kept), p["source"]))
        kept.append(frame[~lost])
        variants.update(p["changed"])
        files.append({"path": str(p["source"].path), "rows": int(len(frame)),
                      "months": [span[0], span[-1]], "vintage": p["vintage"]})
    out = pd.concat(kept, ignore_index=True)
    meta: dict[str, Any] = {
        "source": sources[0].key if sources else "mps_dashboard", "files": files, "months": sorted(out["month"].unique()),
        "coverage": {k: sorted(v) for k, v in sorted(coverage.items())},
        "coverage_by_place": {k: dict(sorted(v.items())) for k, v in sorted(scope.items())},
        "overridden": overridden, "revisions": revisions, "label_variants": sorted(variants),
        "incomplete_months": [], "series_breaks": [], "unmapped": [],
        "warnings": ([f"mps_dashboard: publisher labels read as one measure: "
                      f"{'; '.join(sorted(variants))}."] if variants else []),
    }
    return Loaded(out[COLUMNS].reset_index(drop=True), meta)


def _scope(frame: pd.DataFrame) -> set[str]:
    """Where a file's rows are: ``'borough|Barnet'`` for a borough row, ``'ward|Barnet'`` for a
    ward row. A file covers a series only where it has rows at all (an extract cut to one
    borough's wards does not say the other boroughs' wards had none)."""
    level = np.where(frame["area_type"].str.lower().eq("borough"), "borough", "ward")
    pairs = pd.DataFrame({"l": level, "b": frame["borough"].fillna("")}).drop_duplicates()
    return {f"{lvl}|{b}" for lvl, b in zip(pairs["l"], pairs["b"], strict=True) if b}


def place_coverage(meta: dict[str, Any], categories: list[dict[str, Any]]
                   ) -> dict[str, set[str]] | None:
    """Place (``'borough|<name>'`` / ``'ward|<name>'``) -> months covered for an indicator:
    the spans of the files that hold one of its series *and* have rows for that place. None
    when the meta has no ``coverage_by_place`` (no restriction by place)."""
    by_place = meta.get("coverage_by_place")
    if by_place is None:
        return None
    out: dict[str, set[str]] = {}
    for c in categories:
        for place, spans in by_place.get(series_key(c["crime_subtype"], c["measure"]), {}).items():
            months = out.setdefault(place, set())
            for first, last in spans:
                months.update(month_range(first, last))
    return out


def series_coverage(meta: dict[str, Any], categories: list[dict[str, Any]]) -> set[str]:
    """Months covered for an indicator: the union of its categories' series coverage."""
    cov = meta.get("coverage") or {}
    return {m for c in categories for m in cov.get(series_key(c["crime_subtype"],
                                                              c["measure"]), [])}
