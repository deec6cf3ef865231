"""Chapter 09: the area against England and Wales, similar areas and London, from police
recorded crime by Community Safety Partnership (ONS table C2).

Functions return frames, ``(fig, alt)`` tuples or Markdown with data-derived words escaped;
the notebook publishes through ``ch.publish``/``ch.table``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sna import national
from sna.narrative import ordinal
from sna.periods import month_label as month_text  # chapter 09 calls it by this name
from sna.safe import md_esc

INDICATORS = ("violence_with_injury", "homicide", "robbery", "sexual_offences",
              "possession_of_weapons", "violence_against_the_person", "total_recorded_crime")
LABELS = {"violence_with_injury": "Violence with injury", "homicide": "Homicide",
          "robbery": "Robbery (personal and business)", "sexual_offences": "Sexual offences",
          "possession_of_weapons": "Possession of weapons",
          "violence_against_the_person": "Violence against the person (all)",
          "total_recorded_crime": "All recorded crime (excluding fraud)",
          "violence_without_injury": "Violence without injury",
          "stalking_and_harassment": "Stalking and harassment",
          "residential_burglary": "Residential burglary",
          "non_residential_burglary": "Non-residential burglary",
          "public_order_offences": "Public order offences"}
MAIN = "violence_with_injury"
SUPPRESS = {"count_cols": ["count"],
            "dependent": {"count": ["rate_per_1000", "lower95", "upper95", "rank",
                                    "rank_lower95", "rank_upper95"]}}
"""Disclosure arguments for ``national_comparison`` (open ONS statistics; counts 1-4 of a
small area are still hidden until the sensitivity policy marks the table as open)."""


@dataclass
class NationalData:
    """The comparison: areas of England and Wales, the similar group and the window."""

    areas: pd.DataFrame
    table: pd.DataFrame
    similar: dict[str, str]
    similar_source: str
    unmatched: list[str]
    period_start: str
    period_end: str
    notes: list[str] = field(default_factory=list)


def _similar(ch, areas: pd.DataFrame) -> tuple[dict[str, str], str, list[str]]:
    """Comparator names -> codes from ``area.similar`` or the DfE workbook."""
    cfg = ch.cfg
    if cfg.area.similar:
        found, missing = national.match_areas(cfg.area.similar, areas)
        return found, "the areas listed in the configuration (area.similar)", missing
    if ch.has("comparators"):
        sn = national.dfe_similar(ch.load("comparators").frame, cfg.area.name)
        found, missing = national.match_areas(sn["sn_la_name"], areas)
        return found, ("the Department for Education's statistical neighbours (children's "
                       "services, May 2025 edition)"), missing
    return {}, "", []


def _rank_intervals(table: pd.DataFrame) -> pd.DataFrame:
    """``rank_lower95, rank_upper95`` from :func:`sna.ranks.rank_interval` when that module
    is present, else empty columns (filled when it lands)."""
    table = table.assign(rank_lower95=np.nan, rank_upper95=np.nan)
    try:
        from sna.ranks import rank_interval
    except ImportError:
        return table
    for _, idx in table[table["rate_per_1000"].notna()].groupby(["group", "indicator"]).groups.items():
        part = table.loc[idx]
        ri = rank_interval(part["count"].astype(float).to_numpy(),
                           part["population"].to_numpy(dtype=float), sims=1000, seed=12345,
                           ascending=True)
        table.loc[idx, "rank_lower95"] = np.asarray(ri["lower95"], dtype=float)
        table.loc[idx, "rank_upper95"] = np.asarray(ri["upper95"], dtype=float)
    return table


def load_national(ch) -> NationalData | None:
    """Build the comparison (None when ``csp_crime`` is not supplied)."""
    if not ch.has("csp_crime"):
        return None
    csp = ch.load("csp_crime").frame
    end = csp["period_end"].max()
    csp = csp[csp["period_end"] == end]
    pops = national.ltla_populations(ch.load("population").frame)
    areas = national.csp_areas(csp, pops)
    areas = areas[areas["indicator"].isin(INDICATORS)]
    similar, source, missing = _similar(ch, areas)
    table = national.national_comparison(areas, similar.values(), ch.cfg.area.code)
    table = _rank_intervals(table)
    notes = []
    if ch.cfg.area.code not in set(areas["area_code"]):
        notes.append(f"{ch.cfg.area.name} ({ch.cfg.area.code}) is not a local authority of "
                     "table C2, so it has no row in the comparison.")
    return NationalData(areas, table, similar, source, missing, csp["period_start"].iloc[0],
                        end, notes)


def _row(nd: NationalData, code: str, group: str, indicator: str) -> pd.Series | None:
    t = nd.table
    r = t[(t["area_code"] == code) & (t["group"] == group) & (t["indicator"] == indicator)]
    return None if r.empty else r.iloc[0]


def pooled_rate(nd: NationalData, indicator: str) -> float:
    """Rate per 1,000 of England and Wales (all offences of the areas with a population over
    their residents; from the unsuppressed areas)."""
    t = nd.areas[nd.areas["indicator"] == indicator]
    t = t[t["count"].notna() & t["population"].notna()]
    return float(t["count"].sum() / t["population"].sum() * 1000)


def rank_words(row: pd.Series) -> str:
    """``'12th lowest of 305'``, ``'37th highest of 305'`` (from the nearer end; ties share
    the lower rank) or ``'not ranked'``."""
    if row is None:
        return "not ranked"
    if pd.isna(row.get("count", 0)):
        return "not shown (small number)"
    if pd.isna(row["rank"]):
        return "not ranked"
    rank, n = int(row["rank"]), int(row["areas"])
    if rank == 1:
        return f"lowest of {n}"
    if rank == n:
        return f"highest of {n}"
    if rank > (n + 1) / 2:
        return f"{ordinal(n - rank + 1)} highest of {n}"
    return f"{ordinal(rank)} lowest of {n}"


def summary(nd: NationalData, code: str, name: str, indicator: str = MAIN) -> str:
    """Markdown: the area's count, rate and ranks for ``indicator`` in the three groups."""
    ew = _row(nd, code, "england_wales", indicator)
    if ew is None:
        return f"{md_esc(name)} has no figure for {LABELS[indicator].lower()} in table C2."
    if pd.isna(ew["count"]):
        return (f"{LABELS[indicator]}: too few offences in {md_esc(name)} to publish "
                "(disclosure control).")
    avg = pooled_rate(nd, indicator)
    where = "higher than" if ew["lower95"] > avg else (
        "lower than" if ew["upper95"] < avg else "not clearly different from")
    text = (f"**{LABELS[indicator]}**: the police recorded **{int(ew['count']):,}** offences in "
            f"{md_esc(name)} in the year to {pd.Period(nd.period_end, 'M').strftime('%B %Y')}, "
            f"**{ew['rate_per_1000']:.1f} per 1,000 residents** (95% confidence interval "
            f"{ew['lower95']:.1f} to {ew['upper95']:.1f}), {where} the rate of England and "
            f"Wales as a whole ({avg:.1f}). Ranked from the lowest rate: "
            f"**{rank_words(ew)}** areas of England and Wales")
    lon = _row(nd, code, "london", indicator)
    if lon is not None:
        text += f", {rank_words(lon)} in London"
    sim = _row(nd, code, "similar", indicator)
    if sim is not None and nd.similar:
        text += f" and {rank_words(sim)} in its group of similar areas"
    return text + "."


def overview(nd: NationalData, code: str) -> pd.DataFrame:
    """Display table: one row per indicator with the area's rate and its three ranks."""
    rows = []
    for ind in INDICATORS:
        ew = _row(nd, code, "england_wales", ind)
        if ew is None:
            continue
        lon, sim = _row(nd, code, "london", ind), _row(nd, code, "similar", ind)
        rows.append({"Offence group": LABELS[ind], "Offences": ew["count"],
                     "Rate per 1,000": ew["rate_per_1000"],
                     "England and Wales rate": pooled_rate(nd, ind),
                     "Rank in England and Wales": rank_words(ew),
                     "Rank in London": rank_words(lon) if lon is not None else "-",
                     "Rank among similar areas": rank_words(sim) if sim is not None
                     and nd.similar else "-"})
    return pd.DataFrame(rows)


OVERVIEW_FORMATS = {"Offences": ",.0f", "Rate per 1,000": ".1f",
                    "England and Wales rate": ".1f"}


def similar_table(nd: NationalData, indicator: str = MAIN) -> pd.DataFrame:
    """Display table of the similar group for ``indicator``, lowest rate first."""
    t = nd.table[(nd.table["group"] == "similar") & (nd.table["indicator"] == indicator)]
    t = t.sort_values("rank")
    return pd.DataFrame({"Area": t["area_name"], "Offences": t["count"],
                         "Residents": t["population"], "Rate per 1,000": t["rate_per_1000"],
                         "Rank (1 = lowest)": t["rank"]})


SIMILAR_FORMATS = {"Offences": ",.0f", "Residents": ",.0f", "Rate per 1,000": ".1f"}


def similar_text(nd: NationalData, name: str) -> str:
    """Markdown: who the similar areas are, and which could not be matched."""
    if not nd.similar:
        return ("No similar areas are configured: add `data.comparators` (the DfE statistical "
                "neighbours workbook) or `area.similar` (names or ONS codes).")
    names = ", ".join(md_esc(n) for n in nd.similar)
    text = (f"The similar areas are {md_esc(nd.similar_source)}: {names}. They are compared "
            "through the England and Wales figures, so areas outside London are included.")
    if nd.unmatched:
        text += (" Not found among the local authorities of table C2 (county councils are "
                 "split into districts there): " + ", ".join(md_esc(n) for n in nd.unmatched)
                 + ".")
    return text


def funnel_position(nd: NationalData, indicator: str = MAIN) -> pd.DataFrame:
    """Each area against England and Wales: ``area_code, area_name, rate_per_1000,
    population, poisson`` and ``overdispersed`` (``'above'``, ``'below'`` or ``'within'`` the
    99.8% limits), plus ``phi`` and ``tau2`` (:func:`sna.funnel.rate_overdispersion`)."""
    from sna import funnel

    t = nd.areas[nd.areas["indicator"] == indicator]
    t = t[t["rate_per_1000"].notna()].copy()
    target = pooled_rate(nd, indicator) / 1000
    phi, tau2 = funnel.rate_overdispersion(t["count"].astype(float), t["population"], target)
    lo, hi = funnel.funnel_count_limits(target * t["population"].to_numpy(float), 0.998)
    count = t["count"].astype(float).to_numpy()
    t["poisson"] = np.where(count > hi, "above", np.where(count < lo, "below", "within"))
    rlo, rhi = funnel.rate_random_effects_limits(t["population"], target, tau2, z=3.090232)
    rate = count / t["population"].to_numpy(float)
    t["overdispersed"] = np.where(rate > rhi, "above", np.where(rate < rlo, "below", "within"))
    return t.assign(phi=phi, tau2=tau2)


def funnel_figure(nd: NationalData, code: str, name: str, indicator: str = MAIN):
    """Funnel plot of every area of England and Wales (log population axis): exact Poisson
    99.8% limits and 95%/99.8% limits allowing for overdispersion, similar areas marked."""
    from matplotlib import ticker

    from sna import funnel, plots

    pos = funnel_position(nd, indicator)
    target = pooled_rate(nd, indicator)
    grid = np.geomspace(pos["population"].min() * 0.8, pos["population"].max() * 1.2, 120)
    pois = funnel.funnel_limits(grid, target, levels=(0.998,))
    tau2 = float(pos["tau2"].iloc[0])
    with plots.styled():
        fig, ax = plots.new_figure()
        ax.plot(grid, pois["upper99_8"], color="#888888", ls=":", lw=1.2,
                label="99.8% limits, chance alone (Poisson)")
        ax.plot(grid, pois["lower99_8"], color="#888888", ls=":", lw=1.2)
        for zv, ls, lab in ((1.959964, "--", "95%"), (3.090232, "-", "99.8%")):
            lo, hi = funnel.rate_random_effects_limits(grid, target / 1000, tau2, z=zv)
            ax.plot(grid, hi * 1000, color="#333333", ls=ls, lw=1.2,
                    label=f"{lab} limits allowing for differences between areas")
            ax.plot(grid, lo * 1000, color="#333333", ls=ls, lw=1.2)
        ax.axhline(target, color=plots.OKABE_ITO[0], lw=1.4,
                   label=f"England and Wales ({target:.1f})")
        sim = pos["area_code"].isin(set(nd.similar.values()))
        me = pos["area_code"] == code
        ax.scatter(pos.loc[~sim & ~me, "population"], pos.loc[~sim & ~me, "rate_per_1000"],
                   s=14, color=plots.MUTED, edgecolor="none", label="Other areas", zorder=2)
        if sim.any():
            ax.scatter(pos.loc[sim & ~me, "population"], pos.loc[sim & ~me, "rate_per_1000"],
                       s=30, color=plots.OKABE_ITO[2], label="Similar areas", zorder=3)
        ax.scatter(pos.loc[me, "population"], pos.loc[me, "rate_per_1000"], s=70,
                   color=plots.HIGHLIGHT, label=name, zorder=4)
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda x, _: f"{x:,.0f}"))
        ax.set(xlabel="Residents (log scale)", ylabel="Offences per 1,000 residents",
               title=f"{LABELS[indicator]}, year to "
                     f"{pd.Period(nd.period_end, 'M').strftime('%b %Y')}: local authorities "
                     "of England and Wales")
        ax.legend(fontsize=7, loc="upper right")
    n_out = int((pos["overdispersed"] != "within").sum())
    n_pois = int((pos["poisson"] != "within").sum())
    alt = (f"Funnel plot of {len(pos)} areas of England and Wales: {LABELS[indicator].lower()} "
           f"per 1,000 residents against residents, around the England and Wales rate of "
           f"{target:.1f}. {n_pois} areas lie outside the 99.8% limits expected from chance "
           f"alone, {n_out} outside the wider limits that allow for real differences between "
           "areas.")
    mine = pos[me]
    if not mine.empty:
        r = mine.iloc[0]
        alt += (f" {name}: {r['rate_per_1000']:.1f} per 1,000, {r['overdispersed']} the wider "
                f"99.8% limits, {r['poisson']} the chance-alone limits.")
    return fig, alt


def funnel_text(nd: NationalData, code: str, name: str, indicator: str = MAIN) -> str:
    """Markdown: what the funnel shows, both kinds of limits said plainly."""
    pos = funnel_position(nd, indicator)
    mine = pos[pos["area_code"] == code]
    n, n_pois = len(pos), int((pos["poisson"] != "within").sum())
    n_od = int((pos["overdispersed"] != "within").sum())
    text = (f"If every area had the same underlying rate, about 1 in 500 areas would fall "
            f"outside the dotted 99.8% limits by chance. In fact {n_pois} of {n} do: real "
            "differences between areas (in population, town centres, deprivation, recording) "
            "are much larger than chance. The solid limits allow for those differences "
            f"(random-effects overdispersion, Spiegelhalter 2005); {n_od} areas lie outside "
            "them, and these are the areas that are unusual even among very different places.")
    if not mine.empty:
        r = mine.iloc[0]
        text += (f" {md_esc(name)} is **{r['overdispersed']}** the wider 99.8% limits "
                 f"({r['poisson']} the chance-alone ones).")
    return text


def window_sentence(nd: NationalData, period: str) -> str:
    """The comparison window, and a warning when it differs from the assessment's."""
    from sna import periods

    start = periods.window_months(period, 12)[0]
    note = national.window_note(nd.period_start, nd.period_end, start, period)
    return note or (f"The England and Wales figures cover the same 12 months as the rest of "
                    f"this assessment (year to {month_text(nd.period_end)}).")


def headline(nd: NationalData | None, code: str, name: str, indicator: str = MAIN) -> str:
    """One plain sentence for the summary ('' without the national data)."""
    if nd is None:
        return ""
    ew = _row(nd, code, "england_wales", indicator)
    if ew is None or pd.isna(ew["rate_per_1000"]):
        return ""
    return (f"{name}'s rate of {LABELS[indicator].lower()} ({ew['rate_per_1000']:.1f} per "
            f"1,000 residents, year to {month_text(nd.period_end)}) is {rank_words(ew)} areas "
            f"of England and Wales (average {pooled_rate(nd, indicator):.1f}).")
