"""Evaluations of interventions: which to run (``evaluations:`` and the interventions
register), their checks against the data, the panels of monthly counts, and the cached results
of :mod:`sna.evaluation` and :mod:`sna.synth`.

Windows: the pre-period is the :data:`PRE_MONTHS` months before ``start`` (at least
:data:`MIN_PRE`); the post-period runs from ``start`` to ``end``, the report period or
:data:`POST_MONTHS` months after ``start``, whichever is first (a straight-line trend projected
further than three years is guesswork).
"""

from __future__ import annotations

import difflib
import hashlib
import math
import re
from collections.abc import Sequence

import pandas as pd

from sna import periods
from sna.config import Evaluation, SnaConfig
from sna.errors import ConfigError

PRE_MONTHS, MIN_PRE, POST_MONTHS, MIN_POST = 48, 24, 36, 6
K_BOROUGHS, K_WARDS, MIN_DONORS = 5, 10, 5
METHODS = {"its": "Interrupted time series", "synthetic_control": "Synthetic control",
           "did": "Difference-in-differences"}
EFFECT_COLUMNS = ["evaluation", "method", "outcome", "where", "start", "effect_pct", "lower95",
                  "upper95", "p_value", "placebo_p", "min_detectable_effect_pct", "end",
                  "pre_period", "post_period", "comparison", "pre_fit_rmspe_pct",
                  "parallel_trends_p", "dispersion", "note"]
_NOT_BOROUGHS = ("Aviation Security (SO18)", "London Heathrow and London City Airports",
                 "Unknown", "Not known", "N/K", "Non MET police force")


def _norm(name: object) -> str:
    return re.sub(r"[^a-z0-9]+", "", str(name).lower().replace("&", " and "))


def where_text(where: str | tuple[str, ...]) -> str:
    """``'borough'`` or ``'Ward A; Ward B'``."""
    return where if isinstance(where, str) else "; ".join(where)


def resolve_wards(ev: Evaluation, wards: pd.DataFrame) -> list[str]:
    """Ward codes of an evaluation's ``where`` (codes or names, names compared without case,
    '&'/'and' or punctuation). Raises :class:`ConfigError` naming the entry and the ward."""
    by_name = {_norm(n): c for c, n in zip(wards["ward_code"], wards["ward_name"], strict=True)}
    codes = set(wards["ward_code"])
    out = []
    for w in ev.where:
        code = w if w in codes else by_name.get(_norm(w))
        if code is None:
            close = difflib.get_close_matches(str(w), list(wards["ward_name"]), n=1)
            hint = (f"Did you mean {close[0]!r}?" if close else
                    f"Use a ward code (e.g. {sorted(codes)[0]}) or a name such as "
                    f"{wards['ward_name'].iloc[0]!r}.")
            raise ConfigError(f"evaluations entry {ev.name!r}: ward {w!r} is not one of the "
                              f"area's 2022 wards (data.wards). {hint}")
        out.append(code)
    return sorted(set(out))


def check_evaluation(ev: Evaluation, months: Sequence[str], wards: pd.DataFrame | None) -> None:
    """Check one entry against the data: wards known, start inside the data with at least
    :data:`MIN_PRE` months before it. Raises :class:`ConfigError` naming the entry."""
    if not months:
        return
    first, last = months[0], months[-1]
    if ev.start > last or ev.start <= first:
        raise ConfigError(f"evaluations entry {ev.name!r}: start {ev.start} is outside the crime "
                          f"data ({first} to {last}). Give the month the intervention began.")
    pre = sum(m < ev.start for m in months)
    if pre < MIN_PRE:
        raise ConfigError(
            f"evaluations entry {ev.name!r}: only {pre} months of data before start {ev.start} "
            f"(the data begin {first}); at least {MIN_PRE} are needed to learn the trend and "
            "season. Supply older data or remove the entry.")
    if not isinstance(ev.where, str) and wards is not None:
        resolve_wards(ev, wards)


def check_evaluations(cfg: SnaConfig, months: Sequence[str]) -> str:
    """Every ``evaluations:`` entry checked (pre-flight); the first problem as a message, or ''."""
    if not cfg.evaluations:
        return ""
    from sna import data as sna_data

    try:
        wards = None
        if any(not isinstance(e.where, str) for e in cfg.evaluations):
            wards = sna_data.load(cfg, "wards").frame
        for ev in cfg.evaluations:
            check_evaluation(ev, list(months), wards)
    except ConfigError as exc:
        return f"{cfg.path.name}: {exc}"
    return ""


def register_evaluations(register: pd.DataFrame | None, taken: Sequence[str],
                         outcome: str = "serious_violence") -> tuple[list[Evaluation], pd.DataFrame]:
    """Evaluations from the interventions register (rows with ``start`` and ``wards``), and
    the entries that cannot be evaluated with the reason.

    Parameters
    ----------
    register : pandas.DataFrame or None
        The loaded register (``intervention, wards, start, end``; dates as datetime64).
    taken : sequence of str
        Names already evaluated from ``evaluations:`` (not repeated).

    Returns
    -------
    (list of Evaluation, pandas.DataFrame)
        The evaluations, and ``intervention, reason`` for rows lacking a start month or wards.
    """
    if register is None or register.empty:
        return [], pd.DataFrame(columns=["intervention", "reason"])
    reg = register.reindex(columns=["intervention", "wards", "start", "end"])
    out, missing = [], []
    for r in reg.itertuples(index=False):
        name = str(r.intervention)
        if name in taken:
            continue
        wards = "" if pd.isna(r.wards) else str(r.wards).strip()
        lacks = [w for w, ok in (("start date", pd.notna(r.start)), ("wards", bool(wards)))
                 if not ok]
        if lacks:
            missing.append({"intervention": name, "reason": "no " + " or ".join(lacks)})
            continue
        where: str | tuple[str, ...] = "borough" if _norm(wards) == "boroughwide" else tuple(
            w.strip() for w in wards.split(";") if w.strip())
        end = None if pd.isna(r.end) else pd.Timestamp(r.end).strftime("%Y-%m")
        out.append(Evaluation(name=name, start=pd.Timestamp(r.start).strftime("%Y-%m"),
                              end=end, where=where, outcome=outcome))
    return out, pd.DataFrame(missing, columns=["intervention", "reason"])


def window(ev: Evaluation, months: Sequence[str], period: str) -> tuple[list[str], str]:
    """The months evaluated (pre then post) and why a post-period is too short ('' if fine)."""
    months = [m for m in months if m <= period]
    pre = [m for m in months if m < ev.start][-PRE_MONTHS:]
    last = min([period, periods.add_months(ev.start, POST_MONTHS - 1), *(
        [ev.end] if ev.end else [])])
    post = [m for m in months if ev.start <= m <= last]
    if ev.start > period:
        return pre + post, f"not started by {period}, the end of this assessment"
    if len(pre) < MIN_PRE:
        return pre + post, f"only {len(pre)} months of data before it started"
    if len(post) < MIN_POST:
        return pre + post, (f"only {len(post)} months since it started by {period} (at least "
                            f"{MIN_POST} are needed)")
    return pre + post, ""


# --- panels ---------------------------------------------------------------------------------

def borough_panel(cfg: SnaConfig, period: str, outcome: str) -> pd.DataFrame:
    """London boroughs x months of ``outcome`` counts (the chapter 02 London frame)."""
    from sna.metrics import LONDON_BOROUGHS
    from sna.sections.trend_data import crime_rows, london_monthly

    monthly, _ = london_monthly(cfg, period)
    rows = crime_rows(monthly)
    rows = rows[(rows["indicator"] == outcome) & rows["borough"].isin(set(LONDON_BOROUGHS))]
    return rows.pivot_table(index="borough", columns="month", values="count", aggfunc="sum")


def london_ward_monthly(cfg: SnaConfig) -> pd.DataFrame:
    """Every London ward x indicator x month (``area_code, area_name, borough, indicator,
    month, count``; a ward published under two spellings has two rows a month, to be summed),
    from the MPS ward file; cached on disk by :func:`sna.data.derived`."""
    from sna import data as sna_data
    from sna.definitions import indicator_monthly

    def build() -> pd.DataFrame:
        frame = sna_data.load(cfg, "mps_ward").frame
        frame = frame[~frame["borough"].isin(_NOT_BOROUGHS)]
        return indicator_monthly(frame, by=("area_code", "area_name", "borough"))

    return sna_data.derived(cfg, "london_ward_monthly", ("mps_ward",), build)


def ward_panel(cfg: SnaConfig, outcome: str, treated: Sequence[str]) -> pd.DataFrame:
    """London wards outside the area, plus the treated wards summed as one row
    (``'treated'``), x months of ``outcome`` counts. Wards of the area not treated are left
    out: borough-wide work and displacement reach them too."""
    rows = london_ward_monthly(cfg)
    rows = rows[rows["indicator"] == outcome]
    wide = rows.pivot_table(index="area_code", columns="month", values="count", aggfunc="sum")
    inside = set(rows.loc[rows["borough"] == cfg.area.name, "area_code"])
    panel = wide.drop(index=[c for c in wide.index if c in inside])
    panel.loc["treated"] = wide.loc[wide.index.isin(treated)].sum()
    return panel


def ward_labels(cfg: SnaConfig) -> dict[str, str]:
    """Ward code -> 'Name (Borough)' for London wards, to name comparison wards."""
    rows = london_ward_monthly(cfg)
    first = rows.drop_duplicates("area_code")
    return {c: f"{n} ({b})" for c, n, b in zip(first["area_code"], first["area_name"],
                                              first["borough"], strict=True)}


def borough_deprivation(cfg: SnaConfig) -> pd.Series | None:
    """Mean IMD rank of each London borough's LSOAs (1 = most deprived), by borough name."""
    from sna.io.mps import LONDON_BOROUGHS as CODES

    if not cfg.has("imd"):
        return None
    from sna import data as sna_data

    imd = sna_data.load(cfg, "imd").frame
    imd = imd[(imd["domain"] == "imd") & (imd["edition"] == imd["edition"].min())]
    return imd.groupby(imd["lad_code"].map(CODES))["rank"].mean()


def ward_deprivation(cfg: SnaConfig) -> pd.Series | None:
    """Mean IMD rank of each ward's 2021 LSOAs (best-fit lookup), by ward code."""
    if not (cfg.has("imd") and cfg.has("lookups")):
        return None
    from sna import data as sna_data

    imd = sna_data.load(cfg, "imd").frame
    imd = imd[(imd["domain"] == "imd") & (imd["lsoa_year"] == 2021)]
    lk = sna_data.load(cfg, "lookups").frame
    lk = lk[lk["lsoa_year"] == 2021]
    if imd.empty or lk.empty:
        return None
    joined = lk.merge(imd[["lsoa_code", "rank"]], on="lsoa_code")
    return joined.groupby("ward_code")["rank"].mean()


# --- running --------------------------------------------------------------------------------

def evaluate_panel(panel: pd.DataFrame, treated: str, ev: Evaluation, months: list[str],
                   deprivation: pd.Series | None, k: int) -> dict:
    """All three methods on one panel (areas x months). ``deprivation`` (optional) is indexed
    like the panel, the treated area included. Returns ``{method: result dict}``."""
    from sna.evaluation import did_effect, its_effect, match_comparisons
    from sna.synth import synthetic_control

    panel = panel.reindex(columns=months).dropna()
    pre = panel[[m for m in months if m < ev.start]]
    y = panel.loc[treated].to_numpy(float)
    out = {"its": its_effect(y, months, ev.start)}
    if (pre.drop(index=treated).mean(axis=1) > 0).sum() < MIN_DONORS:
        return out  # too few comparison areas in the data for the comparison designs
    comp = match_comparisons(pre, treated, k, deprivation)
    did = did_effect(y, panel.loc[comp].sum().to_numpy(float), months, ev.start)
    did["comparison"] = ", ".join(comp)
    return {**out, "synthetic_control": synthetic_control(panel, treated, ev.start), "did": did}


def _named(res: dict, labels: dict[str, str]) -> dict:
    """Comparison wards named instead of coded (placebo areas stay codes)."""
    res["did"]["comparison"] = ", ".join(labels.get(c, c) for c in
                                         res["did"]["comparison"].split(", "))
    donors = res["synthetic_control"]["donors"]
    res["synthetic_control"]["donors"] = donors.assign(area=donors["area"].map(
        lambda c: labels.get(c, c)))
    return res


def why_not(panel: pd.DataFrame, treated: str, months: list[str], start: str) -> str:
    """Why an evaluation cannot run on this panel ('' when it can)."""
    if treated not in panel.index:
        return "the area is not in the crime data used for comparisons"
    pre = panel.loc[treated, [m for m in months if m < start]]
    if pre.mean() < 1:
        return (f"too rare to evaluate: {pre.sum():.0f} offences in the {len(pre)} months "
                "before it started (fewer than one a month)")
    return ""


def _panel(cfg: SnaConfig, period: str, ev: Evaluation, wards: pd.DataFrame | None
           ) -> tuple[pd.DataFrame, str, pd.Series | None, int]:
    if isinstance(ev.where, str):
        return (borough_panel(cfg, period, ev.outcome), cfg.area.name, borough_deprivation(cfg),
                K_BOROUGHS)
    codes = resolve_wards(ev, wards)
    dep = ward_deprivation(cfg)
    if dep is not None:
        dep = pd.concat([dep, pd.Series({"treated": dep.reindex(codes).mean()})])
    return ward_panel(cfg, ev.outcome, codes), "treated", dep, K_WARDS


def _rows(ev: Evaluation, res: dict, months: list[str], matched_on_deprivation: bool
          ) -> list[dict]:
    base = {"evaluation": ev.name, "outcome": ev.outcome, "where": where_text(ev.where),
            "start": ev.start, "end": ev.end or "",
            "pre_period": f"{months[0]} to {periods.add_months(ev.start, -1)}",
            "post_period": f"{ev.start} to {months[-1]}"}
    sc, did = res.get("synthetic_control"), res.get("did")
    notes = {"its": "own trend and season projected; no comparison area" + (
                 "" if sc else f"; fewer than {MIN_DONORS} comparison areas in the data, so "
                 "no synthetic control or difference-in-differences"),
             "synthetic_control": f"{sc['n_donors']} donor areas" if sc else "",
             "did": "comparison areas matched on pre-period trend" + (
                 " and deprivation" if matched_on_deprivation else "")}
    comparison = {"its": "", "synthetic_control": donor_list(sc["donors"]) if sc else "",
                  "did": did["comparison"] if did else ""}
    return [{**base, "method": m, **{k: r.get(k, math.nan) for k in (
        "effect_pct", "lower95", "upper95", "p_value", "placebo_p", "min_detectable_effect_pct",
        "parallel_trends_p", "dispersion")}, "pre_fit_rmspe_pct": r.get("pre_rmspe_pct", math.nan),
        "comparison": comparison[m], "note": notes[m]}
        for m, r in res.items()]


def donor_list(donors: pd.DataFrame, top: int = 5) -> str:
    """'Enfield 34%; Brent 21%' for the largest synthetic-control weights."""
    return "; ".join(f"{a} {w:.0%}" for a, w in donors.head(top).itertuples(index=False))


def compute_evaluations(cfg: SnaConfig, period: str, specs: Sequence[Evaluation]
                        ) -> dict[str, pd.DataFrame]:
    """Run every evaluation. Returns frames ``effects`` (:data:`EFFECT_COLUMNS`), ``series``
    (``evaluation, method, month, observed, expected``), ``placebos`` (``evaluation, area,
    month, gap_pct, treated``), ``events`` (``evaluation, year, effect_pct, lower95,
    upper95``). An entry that cannot be evaluated gets one row, method ``none``, with the
    reason in ``note``."""
    from sna import data as sna_data

    all_months = list(sna_data.load_meta(cfg, "mps_ward")["months"])
    wards = (sna_data.load(cfg, "wards").frame[["ward_code", "ward_name"]]
             if any(not isinstance(e.where, str) for e in specs) else None)
    effects, series, placebos, events = [], [], [], []
    for ev in specs:
        panel, treated, dep, k = _panel(cfg, period, ev, wards)
        months, why = window(ev, [m for m in all_months if m in panel.columns], period)
        why = why or why_not(panel, treated, months, ev.start)
        if why:
            effects.append({"evaluation": ev.name, "method": "none", "outcome": ev.outcome,
                            "where": where_text(ev.where), "start": ev.start,
                            "note": f"not evaluated: {why}"})
            continue
        res = evaluate_panel(panel, treated, ev, months, dep, k)
        if not isinstance(ev.where, str) and "did" in res:
            res = _named(res, ward_labels(cfg))
        effects += _rows(ev, res, months, dep is not None)
        series += [r["series"][["month", "observed", "expected"]].assign(evaluation=ev.name,
                                                                         method=m)
                   for m, r in res.items()]
        if "synthetic_control" in res:
            pl = res["synthetic_control"]["placebos"]
            placebos.append(pl.assign(evaluation=ev.name, treated=pl["area"] == treated))
            events.append(res["did"]["event_study"].assign(evaluation=ev.name))
    return {
        "effects": pd.DataFrame(effects).reindex(columns=EFFECT_COLUMNS),
        "series": _frame(series, ["evaluation", "method", "month", "observed", "expected"]),
        "placebos": _frame(placebos, ["evaluation", "area", "month", "gap_pct", "treated"]),
        "events": _frame(events, ["evaluation", "year", "effect_pct", "lower95", "upper95"])}


def _frame(parts: list[pd.DataFrame], cols: list[str]) -> pd.DataFrame:
    return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)


def cached_evaluations(cfg: SnaConfig, period: str, specs: Sequence[Evaluation]
                       ) -> dict[str, pd.DataFrame]:
    """:func:`compute_evaluations` through the on-disk cache (:func:`sna.data.derived`), keyed
    by the input files' hashes, the specs, the period and the methods' code."""
    from sna import data as sna_data

    memo: dict[str, pd.DataFrame] = {}

    def build(name: str, _key: str) -> pd.DataFrame:
        if not memo:
            memo.update(compute_evaluations(cfg, period, specs))
        return memo[name]

    key = repr((period, tuple(specs), code_version()))
    keys = ("mps_ward", "mps_borough", "wards", "imd", "lookups")
    return {n: sna_data.derived(cfg, f"evaluation_{n}", keys, build, n, key)
            for n in ("effects", "series", "placebos", "events")}


def code_version() -> str:
    """Hash of the methods' source, the indicator definitions and the London frame's builder
    (part of the cache key), read from the files so a warm run imports no statistics
    package."""
    from pathlib import Path

    here = Path(__file__).resolve().parent
    files = ("evaluation.py", "synth.py", "definitions/indicators.yaml",
             "sections/trend_data.py")
    text = b"".join((here / f).read_bytes() for f in files)
    return hashlib.sha256(text).hexdigest()[:16]


def _nan(value: object) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan
