"""Chapter 09: what serious violence costs (Home Office unit costs) and where its harm falls
(crime-harm-weighted ward ranks). Figures come from the MPS ward file's borough totals for the
assessment's 12-month window."""

from __future__ import annotations

import pandas as pd

from sna import costs, periods
from sna.safe import md_esc
from sna.sections import wards
from sna.sections.ward_data import WardData
from sna.sections.wards import label

COSTED = ("homicide", "violence_with_injury", "rape", "other_sexual_offences",
          "personal_robbery")
HARM_INDICATORS = ("homicide", "violence_with_injury", "rape", "other_sexual_offences",
                   "personal_robbery", "possession_of_weapons")
COST_SUPPRESS = {"count_cols": ["count"],
                 "dependent": {"count": ["cost_gbp", "estimated_incidents",
                                         "estimated_cost_gbp"]}}
HARM_SUPPRESS = {"count_cols": ["count"], "dependent": {"count": ["harm_days"]}}


def window_counts(wd: WardData, period: str) -> pd.Series:
    """Offences per indicator in the 12 months to ``period`` (all records of the ward file,
    placed in a ward or not)."""
    counts, _ = wards.window_counts(wd.borough, period, ("indicator",))
    return counts.set_index("indicator")["count"]


def cost_table(ch, wd: WardData) -> pd.DataFrame:
    """``tables/cost_of_violence.csv`` for the costed serious violence indicators."""
    path = ch.cfg.costs.get("unit_costs")
    counts = window_counts(wd, ch.period)
    counts = counts[counts.index.isin(COSTED)]
    return costs.cost_of_violence(counts, costs.unit_costs(path), ch.cfg.costs)


def cost_display(table: pd.DataFrame) -> pd.DataFrame:
    """The cost table with plain column names."""
    return pd.DataFrame({
        "Offence": table["indicator"].map(label), "Recorded offences": table["count"],
        "Cost per offence (£)": table["unit_cost_gbp"],
        "Cost of recorded offences (£m)": table["cost_gbp"] / 1e6,
        "All incidents per recorded offence": table["multiplier"],
        "Estimated incidents": table["estimated_incidents"],
        "Cost incl. unrecorded (£m)": table["estimated_cost_gbp"] / 1e6})


COST_FORMATS = {"Recorded offences": ",.0f", "Cost per offence (£)": ",.0f",
                "Cost of recorded offences (£m)": ",.1f",
                "All incidents per recorded offence": ".2f", "Estimated incidents": ",.0f",
                "Cost incl. unrecorded (£m)": ",.1f"}


def cost_text(table: pd.DataFrame, name: str, period: str) -> str:
    """Markdown: the total, the largest part and what is (not) included. ``table`` is the
    published (disclosure-controlled) table: a suppressed offence is left out and named."""
    hidden = table[table["count"].isna()]
    table = table[table["count"].notna()]
    if table.empty:
        return "No costed offence has a count in this window."
    price_year = md_esc(table["price_year"].iloc[0])
    total, est = table["cost_gbp"].sum(), table["estimated_cost_gbp"].sum()
    left_out = ""
    if not hidden.empty:
        left_out = (" (not counting " + ", ".join(md_esc(label(i).lower())
                                                  for i in hidden["indicator"])
                    + ": too few offences to publish)")
    top = table.sort_values("cost_gbp", ascending=False).iloc[0]
    window = periods.window_text(period)
    return (f"In {window} the serious violence the police recorded in {md_esc(name)} cost "
            f"society about **£{total / 1e6:,.0f} million** at {price_year} prices{left_out}; "
            f"{md_esc(label(top['indicator']).lower())} accounts for the largest part "
            f"(£{top['cost_gbp'] / 1e6:,.0f} million). Counting the incidents that are never "
            f"reported to the police, the estimate is about **£{est / 1e6:,.0f} million**. "
            "The unit costs include the cost of anticipating crime (security, insurance), its "
            "consequences (physical and emotional harm to victims, lost output, health "
            "services, property) and the response (police and criminal justice). They do not "
            "include possession of weapons (no unit cost), harm to families and communities "
            "beyond the victim, or the partnership's own prevention spending. These are "
            "national averages per offence, not what was spent in the borough.")


def ward_harm_table(table: pd.DataFrame, weights_path=None) -> pd.DataFrame:
    """Ward counts and harm days from the ward table (12 months), serious violence offences."""
    ward = table[table["indicator"].isin(HARM_INDICATORS)][["ward_code", "ward_name",
                                                            "indicator", "count"]]
    return costs.ward_harm(ward, costs.harm_weights(weights_path))


def harm_display(harm: pd.DataFrame) -> pd.DataFrame:
    """Wards whose harm rank and count rank differ most, with plain column names."""
    d = harm.reindex(harm["rank_shift"].abs().sort_values(ascending=False).index).head(10)
    return pd.DataFrame({"Ward": d["ward_name"], "Offences": d["count"],
                         "Rank by offences": d["count_rank"],
                         "Harm (years of prison-equivalent)": d["harm_days"] / 365,
                         "Rank by harm": d["harm_rank"]})


HARM_FORMATS = {"Offences": ",.0f", "Harm (years of prison-equivalent)": ",.0f"}


def harm_text(harm: pd.DataFrame) -> str:
    """Markdown: where harm and counts rank wards differently."""
    up = harm[harm["rank_shift"] >= 3].sort_values("rank_shift", ascending=False)
    down = harm[harm["rank_shift"] <= -3].sort_values("rank_shift")
    top_h, top_c = harm.sort_values("harm_rank").iloc[0], harm.sort_values("count_rank").iloc[0]
    if top_h["ward_code"] == top_c["ward_code"]:
        text = (f"**{md_esc(top_h['ward_name'])}** ranks first both by harm and by the number "
                "of offences. ")
    else:
        text = (f"Weighted by harm, **{md_esc(top_h['ward_name'])}** ranks first; by the "
                f"number of offences, **{md_esc(top_c['ward_name'])}** does. ")
    if up.empty and down.empty:
        return text + "No ward moves three or more places between the two rankings."
    if not up.empty:
        text += ("Higher on harm than on counts (fewer but more serious offences): "
                 + ", ".join(f"{md_esc(r.ward_name)} ({r.count_rank} -> {r.harm_rank})"
                             for r in up.head(4).itertuples()) + ". ")
    if not down.empty:
        text += ("Lower on harm than on counts: "
                 + ", ".join(f"{md_esc(r.ward_name)} ({r.count_rank} -> {r.harm_rank})"
                             for r in down.head(4).itertuples()) + ".")
    return text


def headline(table: pd.DataFrame) -> str:
    """One sentence: the cost of recorded serious violence (published rows only)."""
    t = table[table["count"].notna()]
    if t.empty:
        return ""
    return (f"Recorded serious violence cost society about £{t['cost_gbp'].sum() / 1e6:,.0f} "
            f"million ({t['price_year'].iloc[0]} prices), about "
            f"£{t['estimated_cost_gbp'].sum() / 1e6:,.0f} million including unreported "
            "incidents.")
