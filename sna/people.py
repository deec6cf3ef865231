"""Who and when, from the record-level partner extracts (police records, A&E attendances).

Every function takes the loaded record frame and returns an **aggregate** (never rows, ids,
timestamps or coordinates); chapters publish them through disclosure control. Counts are of
serious-violence records (``serious_violence`` True: the definition's offence categories, from
``sna/definitions/indicators.yaml``) recorded in the 12-month window ending at the period,
unless a function says otherwise.

Denominators
------------
Rates are per 1,000 residents (Census 2021). Census TS007A gives five-year age bands; the
age bands used here (0-9, 10-17, 18-24, ...) cut through 15-19, so each five-year band is
spread evenly over its single years (an assumption: within a five-year band, age is close to
uniform). Census gives no age by sex in the shipped tables, so rates are given for ``sex =
all`` only. Ethnicity rates use TS021's five broad groups: residents, whereas victims may live
elsewhere (a visitor-heavy town centre inflates every rate), and ethnicity is recorded by the
police officer or self-declared, with blanks excluded from the group rates (their number is
shown).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from sna import periods
from sna.metrics import rate_ci
from sna.proportions import wilson

AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("0-9", 0, 9), ("10-17", 10, 17), ("18-24", 18, 24), ("25-34", 25, 34),
    ("35-44", 35, 44), ("45-54", 45, 54), ("55-64", 55, 64), ("65+", 65, 120),
)
"""Age bands of ``victims_by_age_sex.csv`` (contract, ARCHITECTURE 8.3); ``unknown`` besides."""
SEX_LABELS = ("M", "F", "X", "unknown")
ETHNIC_GROUPS = ("Asian", "Black", "Mixed", "White", "Other")
_TS021_GROUP = {
    "Asian": "Asian, Asian British or Asian Welsh", "Black": "Black, Black British, Black Welsh",
    "Mixed": "Mixed or Multiple ethnic groups", "White": "White", "Other": "Other ethnic group",
}


def window(frame: pd.DataFrame, period: str, months: int = 12, *,
           column: str = "recorded_date") -> pd.DataFrame:
    """Rows whose ``column`` falls in the ``months``-month window ending at ``period``."""
    wanted = periods.window_months(period, months)
    month = frame[column].dt.strftime("%Y-%m")
    return frame[month.isin(wanted)]


def sv_window(records: pd.DataFrame, period: str, months: int = 12) -> pd.DataFrame:
    """Serious-violence records recorded in the window ending at ``period``."""
    return window(records[records["serious_violence"]], period, months)


def age_band(age: pd.Series) -> pd.Series:
    """Ages in years -> the contract's age bands; NaN -> ``unknown``."""
    edges = [b[1] for b in AGE_BANDS] + [1000]
    labels = [b[0] for b in AGE_BANDS]
    out = pd.cut(age, bins=edges, right=False, labels=labels).astype(object)
    return out.where(age.notna(), "unknown")


def band_population(population: pd.DataFrame, area_code: str) -> pd.Series:
    """Residents of the area per age band (five-year Census bands spread over single years).

    Parameters
    ----------
    population : pandas.DataFrame
        The ``population`` source (TS007A: ``geography_code, age_min, age_max, population``).
    area_code : str
        The area's LTLA code.
    """
    rows = population[population["geography_code"] == area_code]
    years = np.zeros(121)
    for lo, hi, pop in rows[["age_min", "age_max", "population"]].itertuples(index=False):
        hi = min(int(hi), 100)
        years[int(lo):hi + 1] += pop / (hi - int(lo) + 1)
    return pd.Series({label: years[lo:min(hi, 120) + 1].sum() for label, lo, hi in AGE_BANDS})


def victims_by_age_sex(records: pd.DataFrame, population: pd.Series,
                       roles: Sequence[str] = ("victim", "suspect")) -> pd.DataFrame:
    """Counts by role x age band x sex, and rates per 1,000 for ``sex = all``.

    Parameters
    ----------
    records : pandas.DataFrame
        Serious-violence records of the window (one row per crime x victim).
    population : pandas.Series
        Residents per age band (:func:`band_population`).

    Returns
    -------
    pandas.DataFrame
        ``role, age_band, sex, count`` and, on ``sex = all`` rows of known age,
        ``population, rate_per_1000, lower95, upper95``. Victims are counted per record (a
        victim of two crimes counts twice); suspects once per crime and suspect.
    """
    bands = [b[0] for b in AGE_BANDS] + ["unknown"]
    parts = []
    for role in roles:
        frame = records
        if role == "suspect":
            frame = records[records["suspect_id"].notna() | records["suspect_age"].notna()]
            frame = frame.drop_duplicates(["crime_ref", "suspect_id"])
        band = age_band(frame[f"{role}_age"])
        sex = frame[f"{role}_sex"].fillna("unknown")
        grid = pd.crosstab(band.rename("age_band"), sex.rename("sex")).reindex(index=bands, columns=list(SEX_LABELS),
                                              fill_value=0)
        long = grid.stack().rename("count").reset_index()
        long.columns = ["age_band", "sex", "count"]
        total = grid.sum(axis=1).rename("count").reset_index().rename(
            columns={"index": "age_band"})
        total.columns = ["age_band", "count"]
        total["sex"] = "all"
        parts.append(pd.concat([long, total], ignore_index=True).assign(role=role))
    out = pd.concat(parts, ignore_index=True)[["role", "age_band", "sex", "count"]]
    out["count"] = out["count"].astype("int64")
    pop = out["age_band"].map(population).where(out["sex"] == "all")
    rate, lo, hi = rate_ci(out["count"], pop)
    out["population"] = pop.round(0)
    out["rate_per_1000"], out["lower95"], out["upper95"] = rate, lo, hi
    return out


def under_25_share(records: pd.DataFrame) -> dict[str, float]:
    """Victims under 25 among victims of known age: count, known, share % with a Wilson CI
    (:func:`sna.proportions.wilson`)."""
    known = records["victim_age"].notna()
    young = int((records.loc[known, "victim_age"] < 25).sum())
    n = int(known.sum())
    if n == 0:
        return {"under_25": 0, "known_age": 0, "share_pct": np.nan, "lower95": np.nan,
                "upper95": np.nan}
    lo, hi = wilson(young, n)
    return {"under_25": young, "known_age": n, "share_pct": 100 * young / n,
            "lower95": lo, "upper95": hi}


def time_of_week(records: pd.DataFrame) -> pd.DataFrame:
    """Counts by day (1 = Monday ... 7 = Sunday) x hour (0-23) of records with a known time."""
    known = records[records["time_known"]]
    when = known["committed_from"]
    grid = pd.crosstab((when.dt.dayofweek + 1).rename("day"), when.dt.hour.rename("hour")).reindex(
        index=range(1, 8), columns=range(24), fill_value=0)
    out = grid.stack().rename("count").reset_index()
    out.columns = ["day", "hour", "count"]
    out["count"] = out["count"].astype("int64")
    return out


def ethnicity_population(census: pd.DataFrame, area_code: str) -> pd.Series:
    """Residents per broad ethnic group from Census TS021 (the five broad aggregates only)."""
    rows = census[(census["table"].str.upper() == "TS021")
                  & (census["geography_code"] == area_code)]
    out = {}
    for group, label in _TS021_GROUP.items():
        hit = rows[rows["category"].str.strip().str.lower() == label.lower()]
        if len(hit):
            out[group] = float(hit["value"].iloc[0])
    return pd.Series(out, dtype=float)


def ethnicity_rates(records: pd.DataFrame, population: pd.Series,
                    roles: Sequence[str] = ("victim", "suspect")) -> pd.DataFrame:
    """Rates per 1,000 residents by broad ethnic group and the ratio to the whole population.

    The ratio compares the group's rate with the rate of all residents (counts of known
    ethnicity over all residents of known group); its 95% interval uses the log method for a
    group nested in the total, ``var(log RR) = 1/a - 1/A`` (a: the group's count, A: the
    total), which is 0-width only when the group is the whole population.

    Returns
    -------
    pandas.DataFrame
        ``role, ethnicity, count, population, rate_per_1000, lower95, upper95, rate_ratio,
        ratio_lower95, ratio_upper95``; ethnicity ``unknown`` carries only its count.
    """
    rows = []
    z = stats.norm.ppf(0.975)
    for role in roles:
        frame = records if role == "victim" else records.drop_duplicates(
            ["crime_ref", "suspect_id"])[lambda f: f["suspect_id"].notna()
                                         | f["suspect_ethnicity"].notna()]
        counts = frame[f"{role}_ethnicity"].value_counts()
        groups = [g for g in ETHNIC_GROUPS if g in population.index]
        a_total = float(sum(counts.get(g, 0) for g in groups))
        n_total = float(population[groups].sum()) if groups else np.nan
        base = a_total / n_total if n_total else np.nan
        for g in groups:
            a, n = float(counts.get(g, 0)), float(population[g])
            rate, lo, hi = (float(v) for v in rate_ci(a, n))
            rr = (a / n) / base if base and a > 0 else np.nan
            se = np.sqrt(max(1 / a - 1 / a_total, 0)) if a > 0 else np.nan
            rows.append({"role": role, "ethnicity": g, "count": int(a), "population": n,
                         "rate_per_1000": rate, "lower95": lo, "upper95": hi,
                         "rate_ratio": rr, "ratio_lower95": rr * np.exp(-z * se),
                         "ratio_upper95": rr * np.exp(z * se)})
        rows.append({"role": role, "ethnicity": "unknown",
                     "count": int(frame[f"{role}_ethnicity"].isna().sum())})
    return pd.DataFrame(rows, columns=["role", "ethnicity", "count", "population",
                                       "rate_per_1000", "lower95", "upper95", "rate_ratio",
                                       "ratio_lower95", "ratio_upper95"])


def repeat_victimisation(records: pd.DataFrame) -> pd.DataFrame:
    """Victims (known id) with two or more serious-violence records in the window."""
    per = records["victim_id"].dropna().value_counts()
    victims, repeat = int(len(per)), int((per >= 2).sum())
    share = 100 * repeat / victims if victims else np.nan
    return pd.DataFrame([{"victims": victims, "repeat_victims": repeat,
                          "repeat_share_pct": share}])


def repeat_places(records: pd.DataFrame, *, level: str = "lsoa_code", top: int = 10
                  ) -> pd.DataFrame:
    """Places (LSOAs by default) with the most records: ``place, count, share_pct``."""
    counts = records[level].dropna().value_counts()
    out = counts.head(top).rename_axis("place").reset_index(name="count")
    out["share_pct"] = 100 * out["count"] / max(int(counts.sum()), 1)
    return out


def by_category(records: pd.DataFrame, column: str, *, label: str) -> pd.DataFrame:
    """Counts and shares of one category column (blank -> ``not recorded``)."""
    values = records[column].fillna("not recorded")
    out = values.value_counts().rename_axis(label).reset_index(name="count")
    out["share_pct"] = 100 * out["count"] / max(len(records), 1)
    return out


def flag_shares(records: pd.DataFrame) -> pd.DataFrame:
    """Records flagged domestic abuse, knife, gun, hate, alcohol: ``flag, count, share_pct``."""
    names = {"flag_da": "domestic abuse", "flag_knife": "knife", "flag_gun": "gun",
             "flag_hate": "hate", "flag_alcohol": "alcohol"}
    rows = [{"flag": label, "count": int(records[col].sum())} for col, label in names.items()]
    out = pd.DataFrame(rows)
    out["share_pct"] = 100 * out["count"] / max(len(records), 1)
    return out


def grid_counts(records: pd.DataFrame, cell: float = 250.0) -> pd.DataFrame:
    """Records per square grid cell of ``cell`` metres (British National Grid).

    Returns the cell's lower-left corner (``x0, y0``, multiples of ``cell``) and ``count``:
    an area, never a point. Cells below the disclosure threshold are suppressed by the caller.
    """
    has = records[records["easting"].notna() & records["northing"].notna()]
    x0 = (np.floor(has["easting"] / cell) * cell).astype(int)
    y0 = (np.floor(has["northing"] / cell) * cell).astype(int)
    out = pd.DataFrame({"x0": x0, "y0": y0}).value_counts().rename("count").reset_index()
    return out.sort_values(["y0", "x0"]).reset_index(drop=True)


def monthly_counts(dates: pd.Series, months: Sequence[str]) -> pd.Series:
    """Counts per ``YYYY-MM`` month for ``months`` (absent months are 0)."""
    return dates.dt.strftime("%Y-%m").value_counts().reindex(list(months), fill_value=0)


def ae_summary(ae: pd.DataFrame, column: str, *, label: str) -> pd.DataFrame:
    """A&E attendances by one column (age bands for ``age``): ``label, count, share_pct``."""
    values = age_band(ae["age"]) if column == "age" else ae[column].fillna("not recorded")
    out = values.value_counts().rename_axis(label).reset_index(name="count")
    out["share_pct"] = 100 * out["count"] / max(len(ae), 1)
    return out


def night_share(when: pd.Series, known: pd.Series) -> float:
    """Share (%) of events with a known time between 20:00 and 03:59."""
    hours = when[known].dt.hour
    return float(100 * ((hours >= 20) | (hours < 4)).mean()) if len(hours) else np.nan


def parts_by_age(records: pd.DataFrame) -> pd.DataFrame:
    """Records per part of the serious-violence definition (the offence groups of
    ``indicators.yaml``) by victim age: ``part, victim_age, count`` with ``victim_age`` one of
    ``under 25``, ``25 and over``, ``unknown``, ``all``.
    """
    from sna.definitions import indicator_label, load_indicators

    parts = load_indicators()["serious_violence"].get("components") or []
    rows = []
    for part in parts:
        hit = records[records["indicators"].str.split(";").map(lambda v, p=part: p in v)]
        age = hit["victim_age"]
        label = indicator_label(part)
        for group, n in (("under 25", (age < 25).sum()), ("25 and over", (age >= 25).sum()),
                         ("unknown", age.isna().sum()), ("all", len(hit))):
            rows.append({"part": label, "victim_age": group, "count": int(n)})
    return pd.DataFrame(rows, columns=["part", "victim_age", "count"])
