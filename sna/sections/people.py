"""Chapter 10: who is harmed and when, from the partners' record-level extracts.

Police records (one row per crime x victim) and A&E assault attendances (ARCHITECTURE 8.2).
Everything shown or published here is an aggregate that passed disclosure control: counts of
1 to ``min_count - 1`` are suppressed with secondary suppression, and no row, identifier,
exact time or coordinate leaves the run (the figures are drawn from the suppressed tables).
"""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sna import data as sna_data
from sna import people, periods, plots
from sna.charts import grouped_bars

POLICE_KEY, AE_KEY = "police_records", "ae_attendances"
AGE_SEX = {"count_cols": ["count"],
           "dependent": {"count": ["rate_per_1000", "lower95", "upper95"]},
           "group_cols": ["role", "age_band"]}
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def load_checked(ch: Any, key: str) -> pd.DataFrame:
    """The extract, checked to lie inside the area (raises a DataError naming the rows; the
    run's pre-flight made the same check, a notebook run by hand has none)."""
    frame = ch.load(key).frame
    text = [c for c in frame.columns if isinstance(frame[c].dtype, pd.StringDtype)]
    frame = frame.astype({c: object for c in text})  # the cache reads text as Arrow strings
    sna_data.check_in_area(ch.cfg, key, frame)
    return frame


def _n(value: Any, min_count: int) -> str:
    """A count for prose: hidden ("fewer than N") below the threshold."""
    if value is None or pd.isna(value):
        return f"fewer than {min_count}"
    return f"{int(value):,}"


def heatmap(grid: pd.DataFrame, title: str) -> tuple[Figure, str]:
    """Day x hour heat map of a suppressed ``time_of_week`` table (hidden cells hatched)."""
    wide = grid.pivot(index="day", columns="hour", values="count").reindex(
        index=range(1, 8), columns=range(24))
    values = wide.to_numpy(dtype=float)
    with mpl.rc_context(plots.STYLE):
        fig = Figure(figsize=(8.0, 3.8))
        ax = fig.add_subplot()
        ax.set_facecolor("#FFFFFF")
        img = ax.imshow(np.ma.masked_invalid(values), aspect="auto", cmap=plots.SEQUENTIAL)
        ax.set_yticks(range(7), DAYS)
        ax.set_xticks(range(0, 24, 3), [f"{h:02d}:00" for h in range(0, 24, 3)])
        ax.set_title(title)
        fig.colorbar(img, ax=ax, label="records")
        for y, x in zip(*np.where(np.isnan(values)), strict=True):
            ax.add_patch(mpl.patches.Rectangle((x - 0.5, y - 0.5), 1, 1, fill=False,
                                               hatch="///", edgecolor="#BBBBBB", lw=0))
        fig.tight_layout()
    by_day = np.nansum(values, axis=1)
    by_hour = np.nansum(values, axis=0)
    alt = (f"Heat map of {title.lower()}: days of the week down, hours across; darker cells "
           f"have more records, hatched cells are hidden (fewer than the threshold). Busiest "
           f"day {DAYS[int(np.argmax(by_day))]}, busiest hour {int(np.argmax(by_hour)):02d}:00, "
           f"quietest hour {int(np.argmin(by_hour)):02d}:00.")
    return fig, alt


def grid_figure(cells: pd.DataFrame, outline: Any, cell: float, title: str
                ) -> tuple[Figure, str]:
    """Grid cells (suppressed table) coloured by count over the area's outline."""
    from matplotlib.collections import PatchCollection

    shown = cells.dropna(subset=["count"])
    with mpl.rc_context(plots.STYLE):
        fig = Figure(figsize=(7.5, 6.5))
        ax = fig.add_subplot()
        patches = [mpl.patches.Rectangle((x, y), cell, cell) for x, y in
                   zip(shown["x0"], shown["y0"], strict=True)]
        coll = PatchCollection(patches, cmap=plots.SEQUENTIAL)
        coll.set_array(shown["count"].to_numpy(dtype=float))
        ax.add_collection(coll)
        xs, ys = outline.exterior.xy if outline.geom_type == "Polygon" else \
            max(outline.geoms, key=lambda g: g.area).exterior.xy
        ax.plot(xs, ys, color="#333333", lw=1)
        ax.set_aspect("equal")
        ax.set_axis_off()
        ax.set_title(title)
        fig.colorbar(coll, ax=ax, shrink=0.7, label="records per cell")
        fig.tight_layout()
    top = int(shown["count"].max()) if len(shown) else 0
    alt = (f"Map of {title.lower()}: {len(shown)} grid squares of {cell:.0f} m with at least "
           f"the threshold number of records are coloured, darker = more; the busiest square "
           f"has {top} records. Squares with fewer records are not shown.")
    return fig, alt


def demo_note(ch: Any) -> None:
    """A warning box when the run is a demonstration on synthetic partner extracts."""
    if ch.cfg.report.get("demo"):
        ch.note("Demonstration: the police and A&E extracts in this chapter are SYNTHETIC "
                "(made by `make demo`), not records of real people. Do not quote these figures.",
                kind="warning")


# --------------------------------------------------------------------------- police records
def show_police(ch: Any) -> None:
    """The police-records section: age and sex, ethnicity, time of week, places, flags,
    repeat victimisation, grid hot spots. Says what to supply when the key is absent."""
    if not ch.has(POLICE_KEY):
        ch.not_supplied(POLICE_KEY, "the police record-level extract (one row per crime and "
                        "victim, template `data/templates/police_records.csv`): with it this "
                        "chapter shows victims and suspects by age, sex and ethnicity with rates, "
                        "the time of week, places, domestic abuse, knife and gun flags and "
                        "repeat victims")
        ch.finding("Who is harmed and when cannot be profiled yet: the police record-level "
                   "extract is not supplied (template data/templates/police_records.csv).",
                   kind="headline", anchor="Victims-and-suspects-police-records")
        return
    demo_note(ch)
    mc = ch.cfg.min_count
    records = load_checked(ch, POLICE_KEY)
    sv = people.sv_window(records, ch.period)
    window = periods.window_text(ch.period)
    ch.md(f"### Serious violence records, {window}\n\nThe police extract holds "
          f"**{_n(len(sv) if len(sv) >= mc else None, mc)}** serious violence records "
          f"(crime x victim) recorded in {window}. Counts of 1 to {mc - 1} are hidden in every "
          "table and figure, with further cells hidden where a hidden count could be worked out "
          "from a total.")
    _age_sex(ch, records, sv)
    _ethnicity(ch, sv)
    _time_of_week(ch, sv)
    _places_flags(ch, sv)
    _parts(ch, sv)


def _parts(ch: Any, sv: pd.DataFrame) -> None:
    """Each part of the definition (offence group): victims under 25, 25 and over."""
    table = people.parts_by_age(sv)
    safe = ch.publish(table, "sv_parts_by_age", count_cols=["count"], group_cols=["part"])
    wide = safe.pivot(index="part", columns="victim_age", values="count").reindex(
        columns=["under 25", "25 and over", "unknown", "all"]).reset_index()
    ch.table(wide, None, "Serious violence records by part of the definition and victim age, "
             "12 months ('-' = hidden)")


def _age_sex(ch: Any, records: pd.DataFrame, sv: pd.DataFrame) -> None:
    pop = people.band_population(ch.load("population").frame, ch.cfg.area.code)
    table = people.victims_by_age_sex(sv, pop)
    safe = ch.publish(table, "victims_by_age_sex", **AGE_SEX)
    for role in ("victim", "suspect"):
        ch.table(age_sex_display(safe, role), None, f"Serious violence {role}s by age and sex, "
                 "12 months, with the rate per 1,000 residents of that age (all sexes) and its "
                 "95% confidence interval; '-' = hidden (fewer than "
                 f"{ch.cfg.min_count}) or not applicable", formats={"Rate per 1,000": ".1f"})
    rates = safe[(safe["sex"] == "all") & (safe["age_band"] != "unknown")]
    wide = rates.pivot(index="age_band", columns="role", values="rate_per_1000").reindex(
        [b[0] for b in people.AGE_BANDS]).reset_index()
    fig, alt = grouped_bars(wide, "age_band", [c for c in ("victim", "suspect") if c in wide],
                            title="Serious violence per 1,000 residents by age",
                            ylabel="per 1,000 residents of that age", names=None)
    ch.figure(fig, alt, "Victims and suspects per 1,000 residents of each age band.")
    young = people.under_25_share(sv)
    if young["under_25"] >= ch.cfg.min_count and young["known_age"] - young["under_25"] >= \
            ch.cfg.min_count:
        text = (f"Victims under 25 were {young['share_pct']:.0f}% of victims of known age "
                f"(95% CI {young['lower95']:.0f}-{young['upper95']:.0f}%); under-25s are "
                f"{100 * pop[['0-9', '10-17', '18-24']].sum() / pop.sum():.0f}% of residents.")
        ch.md(text)
        ch.finding(text, kind="people", under_25_share_pct=round(young["share_pct"], 1))
    peak = rates.dropna(subset=["rate_per_1000"])
    peak = peak[peak["role"] == "victim"].sort_values("rate_per_1000", ascending=False).head(1)
    if len(peak):
        r = peak.iloc[0]
        ch.md(f"The victim rate is highest at ages **{r['age_band']}**: {r['rate_per_1000']:.1f} "
              f"per 1,000 residents of that age (95% CI {r['lower95']:.1f}-{r['upper95']:.1f}).")


def age_sex_display(safe: pd.DataFrame, role: str) -> pd.DataFrame:
    """One row per age band: counts by sex, all, the rate and its interval (display only)."""
    rows = safe[safe["role"] == role]
    wide = rows.pivot(index="age_band", columns="sex", values="count")
    order = [b[0] for b in people.AGE_BANDS] + ["unknown"]
    wide = wide.reindex(index=order, columns=["F", "M", "X", "unknown", "all"])
    wide.columns = ["Female", "Male", "Other (X)", "Sex not recorded", "All"]
    rate = rows[rows["sex"] == "all"].set_index("age_band").reindex(order)
    wide["Rate per 1,000"] = rate["rate_per_1000"]
    wide["95% CI"] = [f"{lo:.1f}-{hi:.1f}" if pd.notna(lo) else "" for lo, hi in
                      zip(rate["lower95"], rate["upper95"], strict=True)]
    return wide.rename_axis("Age").reset_index()


def _ethnicity(ch: Any, sv: pd.DataFrame) -> None:
    census = ch.load("census").frame if ch.has("census") else None
    pop = (people.ethnicity_population(census, ch.cfg.area.code) if census is not None
           else pd.Series(dtype=float))
    if pop.empty:
        ch.note("Ethnicity rates need Census 2021 TS021 (ethnic group) for the area among the "
                "`data.census` files (Nomis bulk table census2021-ts021-ltla.csv); it is not "
                "there, so this section is left out.", kind="missing")
        return
    table = people.ethnicity_rates(sv, pop)
    safe = ch.table(table, "ethnicity_rates", "Serious violence victims and suspects per 1,000 "
                    "residents by ethnic group (Census 2021 TS021), with the ratio to all "
                    "residents", count_cols=["count"],
                    dependent={"count": ["rate_per_1000", "lower95", "upper95", "rate_ratio",
                                         "ratio_lower95", "ratio_upper95"]},
                    group_cols=["role"],
                    formats={c: ".2f" for c in ("rate_per_1000", "lower95", "upper95",
                                                "rate_ratio", "ratio_lower95", "ratio_upper95")})
    high = safe[(safe["role"] == "victim") & (safe["ratio_lower95"] > 1)]
    if len(high):
        names = ", ".join(f"{r.ethnicity} ({r.rate_ratio:.1f} times)" for r in high.itertuples())
        ch.md(f"Victimisation rates higher than the whole population's, beyond chance: {names}.")
    ch.note("Ethnicity is recorded by officers or declared by the person and is blank for some "
            "records (counted as unknown); rates divide by residents, so places that draw "
            "visitors raise every group's rate. A ratio says where to look, not why.")


def _time_of_week(ch: Any, sv: pd.DataFrame) -> None:
    grid = people.time_of_week(sv)
    safe = ch.publish(grid, "time_of_week", count_cols=["count"], group_cols=["day"])
    fig, alt = heatmap(safe, "Serious violence by day and hour")
    unknown = int((~sv["time_known"]).sum())
    shown = _n(unknown if unknown >= ch.cfg.min_count else None, ch.cfg.min_count)
    ch.figure(fig, alt, f"Records with a known time of offence; {shown} records had a date "
              "only and are not in the heat map.")
    share = people.night_share(sv["committed_from"], sv["time_known"])
    if not np.isnan(share):
        ch.md(f"{share:.0f}% of records with a known time were committed between 8 pm and 4 am "
              "(a third of the day's hours).")


def _places_flags(ch: Any, sv: pd.DataFrame) -> None:
    cat = {"count_cols": ["count"], "dependent": {"count": ["share_pct"]}}
    ch.table(people.by_category(sv, "location_type", label="location_type"),
             "sv_location_types", "Serious violence records by type of location", **cat,
             formats={"share_pct": ".1f"})
    ch.table(people.flag_shares(sv), "sv_flags", "Serious violence records flagged domestic "
             "abuse, knife, gun, hate or alcohol (a record can carry several flags)", **cat,
             formats={"share_pct": ".1f"})
    ch.table(people.repeat_victimisation(sv), "repeat_victimisation", "Victims with two or "
             "more serious violence records in 12 months", count_cols=["victims",
                                                                      "repeat_victims"],
             dependent={"repeat_victims": ["repeat_share_pct"]},
             formats={"repeat_share_pct": ".1f"})
    places = people.repeat_places(sv)
    if ch.has("lookups"):
        look = ch.load("lookups").frame.drop_duplicates("lsoa_code").set_index("lsoa_code")
        places.insert(1, "ward", places["place"].map(look["ward_name"]))
    ch.table(places, "sv_repeat_places", "LSOAs with the most serious violence records "
             "(repeat places) and the ward each lies in", **cat, formats={"share_pct": ".1f"})
    cell = 250.0
    cells = people.grid_counts(sv, cell)
    if len(cells):
        cells = cells.assign(area=ch.cfg.area.slug)  # one group: secondary suppression
        safe = ch.publish(cells, "sv_grid_cells", count_cols=["count"], group_cols=["area"])
        _, _, outline = sna_data.area_places(ch.cfg)
        fig, alt = grid_figure(safe, outline, cell, "Serious violence by 250 m grid square")
        ch.figure(fig, alt, "Street-level concentration on a regular grid (no point is ever "
                  "shown; squares below the threshold are left blank).")


# --------------------------------------------------------------------------- A&E
def show_ae(ch: Any) -> None:
    """A&E assault attendances: by month, age, mechanism and place; against police violence
    with injury month by month; the night-time pattern."""
    if not ch.has(AE_KEY):
        ch.not_supplied(AE_KEY, "A&E assault attendances (template "
                        "`data/templates/ae_attendances.csv`): with them this chapter shows the "
                        "violence that never reaches police records")
        return
    ae = load_checked(ch, AE_KEY)
    months = periods.window_months(ch.period, 12)
    ae12 = people.window(ae, ch.period, column="attended")
    cat = {"count_cols": ["count"], "dependent": {"count": ["share_pct"]}}
    for column, label, caption in (("age", "age_band", "age"), ("mechanism", "mechanism",
                                                                "mechanism of injury"),
                                   ("location_type", "location_type", "type of place")):
        ch.table(people.ae_summary(ae12, column, label=label), f"ae_by_{label}",
                 f"A&E assault attendances by {caption}, 12 months", **cat,
                 formats={"share_pct": ".1f"})
    monthly = pd.DataFrame({"month": months,
                            "ae_attendances": people.monthly_counts(ae12["attended"],
                                                                    months).to_numpy()})
    if ch.has(POLICE_KEY):
        pol = ch.load(POLICE_KEY).frame
        vwi = pol[pol["offence"] == "VIOLENCE WITH INJURY"]
        monthly["police_violence_with_injury"] = people.monthly_counts(
            vwi["recorded_date"], months).to_numpy()
    counts = [c for c in monthly.columns if c != "month"]
    safe = ch.table(monthly, "ae_vs_police_monthly", "A&E assault attendances and "
                    "police-recorded violence with injury by month", count_cols=counts)
    names = {"ae_attendances": "A&E assault attendances",
             "police_violence_with_injury": "Police-recorded violence with injury"}
    long = safe.melt("month", counts, var_name="series").assign(
        series=lambda f: f["series"].map(names))
    fig, alt = plots.multi_line(long, "A&E assault attendances and police-recorded violence "
                                "with injury, by month", "per month")
    ch.figure(fig, alt, "Month by month: hospital attendances for assault beside the violence "
              "with injury the police recorded.")
    if len(counts) == 2 and safe[counts].notna().all().all():
        ratio = safe["ae_attendances"].sum() / max(safe["police_violence_with_injury"].sum(), 1)
        ch.md(f"Over 12 months A&E saw **{int(safe['ae_attendances'].sum()):,}** assault "
              f"attendances against **{int(safe['police_violence_with_injury'].sum()):,}** "
              f"police-recorded violence with injury offences ({ratio:.2f} attendances per "
              "offence). The two overlap but are not the same events: many A&E assaults are "
              "never reported to the police, and many recorded injuries need no hospital.")
    grid = people.time_of_week(ae12.rename(columns={"attended": "committed_from"}))
    safe_grid = ch.publish(grid, "ae_time_of_week", count_cols=["count"], group_cols=["day"])
    fig, alt = heatmap(safe_grid, "A&E assault attendances by day and hour")
    ch.figure(fig, alt, "Attendances with a known time of arrival (hatched: hidden).")
    share = people.night_share(ae12["attended"], ae12["time_known"])
    if not np.isnan(share):
        ch.md(f"{share:.0f}% of attendances with a known time were between 8 pm and 4 am "
              "(a third of the day's hours): the night-time economy pattern.")
