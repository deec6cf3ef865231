"""Indicator definitions: the crosswalk from MPS offence categories to SNA indicators.

The crosswalk lives in ``indicators.yaml`` next to this module (one entry per indicator id,
with the category names of every MPS vintage, polarity, the Serious Violence definition and
the list of things the published data cannot separate). This module reads it and applies it
to the tidy frames of :mod:`sna.io.mps`:

- recorded crime (``mps_ward`` / ``mps_borough`` / ``mps_lsoa``): columns ``level, area_code,
  area_name, borough, major, minor, month, count``;
- the knife crime dashboard (``knife_crime``): columns ``month, area_type, area_name,
  area_code, crime_type, crime_subtype, measure, count``.

Category names are matched case-insensitively after trimming spaces.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sna.errors import ConfigError, SchemaError

YAML_PATH = Path(__file__).with_name("indicators.yaml")
KEYS = {"mps": ("major", "minor"), "knife_crime": ("crime_type", "crime_subtype", "measure")}
DEFAULT_BY = {"mps": ("area_code", "area_name", "borough"),
              "knife_crime": ("area_type", "area_code", "area_name")}
REQUIRED = ("label", "description", "source", "polarity", "sv_component", "dashboard")
POLARITIES = {"lower_is_better", "higher_is_better", "no_judgement"}

__all__ = [
    "borough_monthly", "cannot_separate", "classify", "dashboard_ids", "indicator_ids",
    "indicator_label", "indicator_monthly", "load_definitions", "load_indicators", "unmapped_categories",
]


@lru_cache(maxsize=4)
def _read(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    _validate(data, path)
    _expand_components(data["indicators"])
    return data


def _validate(data: dict[str, Any], path: str) -> None:
    """Check the YAML's structure; raise :class:`ConfigError` naming the indicator and key."""
    indicators = data.get("indicators") or {}
    if not indicators:
        raise ConfigError(f"{path}: no `indicators` section.")
    for ind, spec in indicators.items():
        missing = [k for k in REQUIRED if k not in spec]
        if missing:
            raise ConfigError(f"{path}: indicator {ind!r} lacks {', '.join(missing)}.")
        if spec["source"] not in KEYS:
            raise ConfigError(f"{path}: indicator {ind!r} has unknown source {spec['source']!r}.")
        if spec["polarity"] not in POLARITIES:
            raise ConfigError(f"{path}: indicator {ind!r}: polarity must be one of "
                              f"{sorted(POLARITIES)}, not {spec['polarity']!r}.")
        if ("categories" in spec) == ("components" in spec):
            raise ConfigError(f"{path}: indicator {ind!r} needs either `categories` or "
                              "`components` (not both).")
        for comp in spec.get("components", []):
            if comp not in indicators or "components" in indicators[comp]:
                raise ConfigError(f"{path}: indicator {ind!r}: component {comp!r} is not a "
                                  "simple indicator.")
    mapped = {_key(c, s["source"]) for s in indicators.values() for c in s.get("categories", [])}
    for source, cats in (data.get("ignored") or {}).items():
        both = mapped & {_key(c, source) for c in cats}
        if both:
            raise ConfigError(f"{path}: categories both mapped and ignored: {sorted(both)}.")


def _key(category: dict[str, Any], source: str) -> tuple[str, ...]:
    return (source,) + tuple(_norm(category[k]) for k in KEYS[source])


def _norm(value: object) -> str:
    return " ".join(str(value).split()).upper()


def _norm_column(values: pd.Series) -> pd.Series:
    """Normalise a column of names (upper case, single spaces), once per distinct value."""
    return values.map({v: _norm(v) for v in pd.unique(values)})


def _expand_components(indicators: dict[str, Any]) -> None:
    for spec in indicators.values():
        if "components" in spec:
            spec["categories"] = [c for comp in spec["components"]
                                  for c in indicators[comp]["categories"]]


def load_definitions(path: str | Path | None = None) -> dict[str, Any]:
    """Return the whole crosswalk (``vintages``, ``indicators``, ``ignored``,
    ``cannot_separate``, ``not_published``) as a fresh dict.

    Composite indicators (with ``components``) get their ``categories`` expanded to the union
    of their components' categories.

    Raises
    ------
    ConfigError
        If the YAML is malformed (missing keys, unknown source, a category both mapped and
        ignored, a component that is not a simple indicator).
    """
    return copy.deepcopy(_read(str(path or YAML_PATH)))


def load_indicators(path: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """Indicator id -> spec (label, description, source, polarity, sv_component, dashboard,
    categories, optional components, series_breaks, notes), in YAML order."""
    return load_definitions(path)["indicators"]


def _shared() -> dict[str, Any]:
    """The cached crosswalk itself, for read-only use inside this module (no copy)."""
    return _read(str(YAML_PATH))


@lru_cache(maxsize=4)
def _labels(path: str) -> dict[str, str]:
    return {i: spec.get("label", i) for i, spec in _read(path)["indicators"].items()}


def indicator_label(indicator: str, path: str | Path | None = None) -> str:
    """The plain-English label of an indicator id (the id itself when unknown). Cheap: called
    once per table cell, so it does not copy the crosswalk as :func:`load_indicators` does."""
    return _labels(str(path or YAML_PATH)).get(indicator, indicator)


def indicator_ids(include_knife: bool = True, *, source: str | None = None) -> list[str]:
    """All indicator ids in YAML order; knife-dashboard ones only if ``include_knife``."""
    specs = _shared()["indicators"]
    return [i for i, s in specs.items()
            if (include_knife or s["source"] != "knife_crime")
            and (source is None or s["source"] == source)]


def dashboard_ids(include_knife: bool = True) -> list[str]:
    """Ids of the rows of ``tables/performance_dashboard.csv`` (ARCHITECTURE.md section 4)."""
    specs = _shared()["indicators"]
    return [i for i in indicator_ids(include_knife) if specs[i]["dashboard"]]


def cannot_separate() -> list[dict[str, str]]:
    """What the published categories cannot isolate: [{item, why, source_needed}]."""
    return load_definitions()["cannot_separate"]


def frame_source(frame: pd.DataFrame) -> str:
    """``'mps'`` or ``'knife_crime'`` from the frame's columns.

    Raises
    ------
    SchemaError
        If the frame has neither ``major``/``minor`` nor ``crime_subtype``/``measure``.
    """
    for source, cols in KEYS.items():
        if set(cols) <= set(frame.columns):
            return source
    raise SchemaError(
        "frame has neither `major`, `minor` (MPS recorded crime) nor `crime_type`, "
        f"`crime_subtype`, `measure` (knife crime dashboard) columns: got {list(frame.columns)}. "
        "Load it with sna.io.mps first."
    )


def _crosswalk(source: str) -> pd.DataFrame:
    """Normalised keys -> indicator for one source (one row per category x indicator)."""
    cols = KEYS[source]
    rows = [dict(zip(cols, _key(c, source)[1:], strict=True), indicator=ind)
            for ind, spec in _shared()["indicators"].items() if spec["source"] == source
            for c in spec["categories"]]
    return pd.DataFrame(rows, columns=[*cols, "indicator"]).drop_duplicates()


def _not_published(frame: pd.DataFrame) -> set[str]:
    """Indicators not published at the frame's level (and composites that need them)."""
    if "level" not in frame.columns or frame.empty:
        return set()
    rules = _shared().get("not_published") or {}
    out = {i for lvl in frame["level"].dropna().unique() for i in rules.get(str(lvl), [])}
    for ind, spec in _shared()["indicators"].items():
        if out & set(spec.get("components", [])):
            out.add(ind)
    return out


def classify(frame: pd.DataFrame) -> pd.DataFrame:
    """Attach the indicator(s) each record counts in.

    Parameters
    ----------
    frame : pandas.DataFrame
        A tidy MPS recorded-crime frame (``major``, ``minor``, ...) or knife-dashboard frame
        (``crime_type``, ``crime_subtype``, ``measure``, ...).

    Returns
    -------
    pandas.DataFrame
        Long frame: the input columns plus ``indicator``, one row per (record, indicator). A
        record in no indicator is dropped (see :func:`unmapped_categories`); a record in
        several (e.g. personal robbery, also in ``serious_violence``) appears once per
        indicator. Indicators not published at the frame's ``level`` (rape and other sexual
        offences at LSOA level, hence ``serious_violence`` too) are dropped rather than
        understated.
    """
    source = frame_source(frame)
    cols = list(KEYS[source])
    keys = pd.DataFrame({c: _norm_column(frame[c]) for c in cols})
    crosswalk = _crosswalk(source)
    crosswalk = crosswalk[~crosswalk["indicator"].isin(_not_published(frame))]
    matched = keys.reset_index(drop=True).reset_index().merge(crosswalk, on=cols)
    out = frame.iloc[matched["index"].to_numpy()].reset_index(drop=True)
    out["indicator"] = matched["indicator"].to_numpy()
    return out


def _indicators_for(frame: pd.DataFrame, source: str) -> list[str]:
    dropped = _not_published(frame)
    return [i for i in indicator_ids(source=source) if i not in dropped]


def indicator_monthly(
    frame: pd.DataFrame,
    by: Sequence[str] | None = None,
    *,
    months: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Monthly counts per area and indicator, with explicit zeros.

    Parameters
    ----------
    frame : pandas.DataFrame
        Tidy MPS or knife-dashboard frame (see :func:`classify`).
    by : sequence of str, optional
        Grouping columns. Default ``("area_code", "area_name", "borough")`` for recorded crime,
        ``("area_type", "area_code", "area_name")`` for the knife dashboard.
    months : sequence of str, optional
        Months to report. Default: the months present in ``frame``. Months absent from the
        frame (e.g. an incomplete month the loader dropped) are *not* filled with zeros.

    Returns
    -------
    pandas.DataFrame
        Columns ``[*by, indicator, month, count]`` (``count`` int64): every group of ``by`` in
        the frame x every indicator of the frame's source published at its level x every month,
        0 where no record. Sorted by ``by``, indicator (YAML order), month.
    """
    source = frame_source(frame)
    by = list(by if by is not None else DEFAULT_BY[source])
    months = sorted(set(months if months is not None else frame["month"].astype(str)))
    ids = _indicators_for(frame, source)
    groups, group_codes = _groups(frame, by)
    month_codes = pd.Index(months).get_indexer(frame["month"].astype(str))
    members = _membership(frame, source, ids)
    n_g, n_m = len(groups), len(months)
    dense = np.zeros((n_g, len(ids), n_m), dtype="int64")
    counts = pd.to_numeric(frame["count"], errors="coerce").fillna(0).to_numpy(dtype=float)
    for i, rows in enumerate(members):
        keep = rows & (month_codes >= 0)
        flat = group_codes[keep] * n_m + month_codes[keep]
        dense[:, i, :] = np.rint(np.bincount(flat, weights=counts[keep], minlength=n_g * n_m)
                                 ).astype("int64").reshape(n_g, n_m)
    out = groups.loc[groups.index.repeat(len(ids) * n_m)].reset_index(drop=True)
    out["indicator"] = np.tile(np.repeat(np.array(ids, dtype=object), n_m), n_g)
    out["month"] = np.tile(np.array(months, dtype=object), n_g * len(ids))
    out["count"] = dense.ravel()
    return out


def _groups(frame: pd.DataFrame, by: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """Distinct rows of ``frame[by]`` sorted, and each frame row's position among them."""
    codes = frame.groupby(by, dropna=False, sort=True).ngroup().to_numpy()
    first = pd.Series(np.arange(len(frame))).groupby(codes).first().to_numpy()
    groups = frame[by].iloc[first].reset_index(drop=True)
    return groups, codes


def _membership(frame: pd.DataFrame, source: str, ids: list[str]) -> list[np.ndarray]:
    """For each indicator, a boolean mask of the frame rows that count in it."""
    cols = list(KEYS[source])
    pairs = frame.groupby(cols, dropna=False, sort=False).ngroup().to_numpy()
    first = pd.Series(np.arange(len(frame))).groupby(pairs).first().to_numpy()
    distinct = frame[cols].iloc[first].reset_index(drop=True)
    distinct = pd.DataFrame({c: _norm_column(distinct[c]) for c in cols})
    crosswalk = _crosswalk(source)
    matched = distinct.reset_index().merge(crosswalk, on=cols)
    return [np.isin(pairs, matched.loc[matched["indicator"] == ind, "index"].to_numpy())
            for ind in ids]


def borough_monthly(frame: pd.DataFrame, *, months: Sequence[str] | None = None) -> pd.DataFrame:
    """Monthly counts per borough and indicator: ``[borough, indicator, month, count]``.

    Recorded-crime frames (any level) are summed to the ``borough`` column; knife-dashboard
    frames keep the rows with ``area_type == 'Borough'`` (their Safer Neighbourhood Team rows
    would double count) and take ``area_name`` as the borough. This is the input of
    :func:`sna.metrics.performance_dashboard`; concatenate the two when knife data is supplied.
    """
    if frame_source(frame) == "mps":
        return indicator_monthly(frame, by=("borough",), months=months)
    boroughs = frame[frame["area_type"].astype(str).str.strip().str.lower() == "borough"]
    out = indicator_monthly(boroughs, by=("area_name",), months=months)
    return out.rename(columns={"area_name": "borough"})


def unmapped_categories(frame: pd.DataFrame) -> list[tuple[str, ...]]:
    """Categories of the frame that are in no indicator and not in the YAML's ``ignored`` list.

    Returns
    -------
    list of tuple
        Sorted ``(major, minor)`` (recorded crime) or ``(crime_type, crime_subtype, measure)``
        (knife dashboard) pairs as they appear in the frame. Empty when every category is known;
        anything returned is a new MPS category to add to ``indicators.yaml``.
    """
    source = frame_source(frame)
    cols = list(KEYS[source])
    defs = load_definitions()
    known = {_key(c, source) for s in defs["indicators"].values() if s["source"] == source
             for c in s["categories"]}
    known |= {_key(c, source) for c in (defs.get("ignored") or {}).get(source, [])}
    seen = frame[cols].drop_duplicates().itertuples(index=False, name=None)
    return sorted({tuple(str(v) for v in row) for row in seen
                   if (source, *(_norm(v) for v in row)) not in known})
