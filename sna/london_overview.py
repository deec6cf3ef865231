"""London overview for the Violence Reduction Unit: every borough's serious violence headline.

Reads each borough's published ``tables/performance_dashboard.csv`` (the serious violence row
of the 12-month window) from ``<out>/<slug>/<period>/`` and writes
``<out>/london/<period>/index.html`` (self-contained: its own small stylesheet, the map as an
embedded image) and ``london_overview.csv``. A borough whose SNA is
missing or whose run had a failed chapter is listed as such, never left out silently.
"""

from __future__ import annotations

import base64
import io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from sna.london import borough_shapes, boroughs
from sna.periods import month_label
from sna.safe import esc

COLUMNS = ["code", "borough", "bcu", "status", "period_start", "period_end", "count",
           "previous_count", "change_pct", "rate_per_1000", "rate_lower95", "rate_upper95",
           "london_rank", "london_areas", "rank_lower95", "rank_upper95",
           "change_significant", "change_robust", "link"]
SIMS, SEED = 2000, 12345
CSS = """body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;
max-width:72rem;padding:1rem;line-height:1.5;color:#1a1a1a}
table{border-collapse:collapse;width:100%;font-size:.9rem}caption{text-align:left;
font-weight:600;padding:.5rem 0}th,td{border-bottom:1px solid #ccc;padding:.3rem .5rem;
text-align:left}td{font-variant-numeric:tabular-nums}thead th{background:#f0f0f0}
a{color:#0b57d0}a:focus{outline:3px solid #ffbf47}img{max-width:100%;height:auto}
figure{margin:1rem 0}figcaption{font-size:.85rem;color:#444}"""


def rank_intervals(counts: np.ndarray, populations: np.ndarray, *, sims: int = SIMS,
                   seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """95% intervals of each area's rank by rate (1 = lowest), by Poisson simulation.

    Each area's count is redrawn ``sims`` times from a Poisson distribution with its observed
    count as mean (the usual model of chance variation in recorded crime), rates are ranked in
    every draw and the 2.5th and 97.5th percentiles of each area's ranks are returned (rounded
    outwards). Seeded: the same inputs give the same intervals.
    """
    rng = np.random.default_rng(seed)
    draws = rng.poisson(np.asarray(counts, dtype=float), size=(sims, len(counts)))
    ranks = rankdata(draws / np.asarray(populations, dtype=float), axis=1)
    return (np.floor(np.percentile(ranks, 2.5, axis=0)),
            np.ceil(np.percentile(ranks, 97.5, axis=0)))


def _london_ranks(out_root: Path, period: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Rank intervals of all boroughs from the first produced borough's ``london_comparison``
    (every borough's table holds all 32 boroughs' serious violence counts and residents)."""
    for slug in frame["link"].str.split("/").str[2]:
        table = Path(out_root) / slug / period / "tables" / "london_comparison.csv"
        if not table.is_file():
            continue
        comp = pd.read_csv(table)
        comp = comp[(comp["indicator"] == "serious_violence") & comp["count"].notna()
                    & comp["population"].notna()]
        if len(comp):
            lower, upper = rank_intervals(comp["count"].to_numpy(), comp["population"].to_numpy())
            ranks = pd.DataFrame({"rank_lower95": lower, "rank_upper95": upper},
                                 index=comp["borough"].to_numpy())
            out = frame.drop(columns=["rank_lower95", "rank_upper95"]).join(ranks, on="borough")
            own = pd.to_numeric(out["count"], errors="coerce").notna()  # its own dashboard
            out.loc[~own, ["rank_lower95", "rank_upper95"]] = np.nan
            return out
    return frame


def _status(folder: Path) -> str:
    """'ok', 'chapter failed' (from the run's manifest) or 'not produced'."""
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        return "not produced"
    chapters = json.loads(manifest.read_text(encoding="utf-8")).get("chapters", [])
    return "ok" if all(c.get("status") == "ok" for c in chapters) else "chapter failed"


def collect(out_root: Path, period: str) -> pd.DataFrame:
    """One row per MPS borough: its serious violence 12-month headline as its SNA published it.

    Columns :data:`COLUMNS`; numbers are blank when the borough's table is missing.
    """
    rows = []
    for b in boroughs():
        folder = Path(out_root) / b.slug / period
        row = {"code": b.code, "borough": b.name, "bcu": b.bcu, "status": _status(folder),
               "link": f"../../{b.slug}/{period}/index.html"}
        table = folder / "tables" / "performance_dashboard.csv"
        if table.is_file():
            dash = pd.read_csv(table)
            sv = dash[(dash["indicator"] == "serious_violence") & (dash["window"] == "12m")]
            if len(sv):
                row.update({c: sv.iloc[0][c] for c in COLUMNS if c in sv.columns})
            elif row["status"] == "ok":
                row["status"] = "no serious violence row"
        rows.append(row)
    frame = pd.DataFrame(rows).reindex(columns=COLUMNS)
    frame = _london_ranks(out_root, period, frame).reindex(columns=COLUMNS)
    whole = ["count", "previous_count", "london_rank", "london_areas", "rank_lower95",
             "rank_upper95"]
    frame[whole] = frame[whole].apply(pd.to_numeric, errors="coerce").round().astype("Int64")
    return frame.sort_values(["london_rank", "borough"], ascending=[False, True],
                             na_position="last").reset_index(drop=True)


def _num(value: object, fmt: str) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return ""
    return "" if math.isnan(v) else format(v, fmt)


def _rank_range(row: pd.Series) -> str:
    lo, hi = _num(row["rank_lower95"], ".0f"), _num(row["rank_upper95"], ".0f")
    return "" if not lo else (lo if lo == hi else f"{lo}-{hi}")


def _change_words(row: pd.Series) -> str:
    if pd.isna(row["change_pct"]):
        return ""
    if str(row["change_robust"]) == "True":
        return "robust " + ("rise" if row["change_pct"] > 0 else "fall")
    if str(row["change_significant"]) == "True":
        return "significant, but not robust to the checks"
    return "no detectable change"


def borough_map(frame: pd.DataFrame, period: str) -> str:
    """The boroughs shaded by serious violence rate, as an embedded PNG with alt text."""
    import matplotlib.pyplot as plt

    from sna.maps import choropleth

    shapes = borough_shapes().reset_index()
    g = shapes.merge(frame[["code", "borough", "rate_per_1000"]], left_on="LAD22CD",
                     right_on="code")  # the City of London (no MPS data) is left out
    values = pd.to_numeric(g["rate_per_1000"], errors="coerce")
    if values.nunique() < 2:
        return "<p>The map needs at least two boroughs' SNAs for this period.</p>"
    g["rate_per_1000"] = values
    fig, alt = choropleth(g, "rate_per_1000", f"Serious violence per 1,000 residents, 12 "
                          f"months to {month_label(period)}", k=min(5, values.nunique()),
                          label_col="borough", legend_title="Rate per 1,000",
                          area_noun="boroughs", missing_label="No SNA for this period")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{esc(alt)}">'
            f"<figcaption>{esc(alt)}</figcaption></figure>")


def overview_html(frame: pd.DataFrame, period: str) -> str:
    """A self-contained, accessible page: the table with a caption, links and caveats."""
    body = []
    for _, r in frame.iterrows():
        interval = (f"{_num(r['rate_per_1000'], '.2f')} ({_num(r['rate_lower95'], '.2f')}-"
                    f"{_num(r['rate_upper95'], '.2f')})" if _num(r["rate_per_1000"], ".2f")
                    else "")
        name = (f'<a href="{esc(r["link"])}">{esc(r["borough"])}</a>'
                if r["status"] != "not produced" else esc(r["borough"]))
        body.append(
            f"<tr><th scope=\"row\">{name}</th><td>{esc(r['bcu'])}</td>"
            f"<td>{esc(r['status'])}</td><td>{_num(r['count'], ',.0f')}</td>"
            f"<td>{_num(r['previous_count'], ',.0f')}</td><td>{_num(r['change_pct'], '+.1f')}"
            f"</td><td>{esc(_change_words(r))}</td><td>{interval}</td>"
            f"<td>{_num(r['london_rank'], '.0f')}</td><td>{_rank_range(r)}</td></tr>")
    problems = frame[frame["status"] != "ok"]
    missing = ("<p>Every borough's SNA was produced without a failed chapter.</p>"
               if problems.empty else "<p><strong>Not complete:</strong> " + "; ".join(
                   f"{esc(r.borough)} ({esc(r.status)})" for r in problems.itertuples()) + "</p>")
    label = month_label(period)
    head = ("Borough", "BCU", "SNA status", "Serious violence offences, 12 months",
            "Previous 12 months", "Change %", "Is the change real?",
            "Rate per 1,000 residents (95% interval)", "London rank (1 = lowest rate)",
            "Rank, 95% interval")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>London overview - serious violence by borough, 12 months to {esc(label)}</title>
<style>{CSS}</style></head><body><main id="main">
<h1>London overview: serious violence by borough, 12 months to {esc(label)}</h1>
<p>For the Violence Reduction Unit. Each row is taken from that borough's own SNA (its
performance dashboard), so the numbers here are the ones its partnership reads. Serious
violence is the workbook's definition (homicide, violence with injury, rape, other sexual
offences, personal robbery, weapon possession; MPS recorded crime). Rates use Census 2021
residents; the London rank is among the 32 MPS boroughs, 1 being the lowest rate, and its
95% interval shows how far chance variation in the counts could move it (boroughs whose
intervals overlap cannot be told apart). "Is the
change real?" compares with the previous 12 months allowing for the usual month-to-month
variation; "no detectable change" is a finding, not a gap.</p>
{missing}
<p>Caveats: Westminster's (and central boroughs') rates per resident are inflated by visitors
and workers. The MPS publishes Heathrow airport's crimes (Heathrow Villages ward) under
"Aviation Security (SO18)", not Hillingdon: they are in Hillingdon's ward tables and maps but
not in its borough figures here. The City of London is policed by the City of London Police
and is not included.</p>
{borough_map(frame, period)}
<table><caption>Serious violence by London borough, highest rate first, 12 months to
{esc(label)}</caption>
<thead><tr>{''.join(f'<th scope="col">{h}</th>' for h in head)}</tr></thead>
<tbody>
{chr(10).join(body)}
</tbody></table>
<footer>Contains public sector information licensed under the Open Government Licence v2.0
(Metropolitan Police Service) and v3.0 (Office for National Statistics).</footer>
</main></body></html>
"""


def write_overview(out_root: Path, period: str) -> tuple[Path, pd.DataFrame]:
    """Write ``<out_root>/london/<period>/index.html`` and ``london_overview.csv``."""
    frame = collect(out_root, period)
    folder = Path(out_root) / "london" / period
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / "london_overview.csv", index=False)
    (folder / "index.html").write_text(overview_html(frame, period), encoding="utf-8")
    return folder / "index.html", frame
