"""Chapter 05, "Does it work?": each evaluated intervention against what was expected without
it, by three designs (:mod:`sna.evaluation`, :mod:`sna.synth`), with the placebo picture,
power and plain-English limits; and the chapter 06 rules that use the results.

Evaluations come from the config's ``evaluations:`` and from interventions register rows that
give ``start`` and ``wards`` (:func:`sna.evaluation_data.register_evaluations`). Results are
cached by input hash, so a warm run only reads them back and draws the charts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from sna.evaluation_data import METHODS, cached_evaluations, register_evaluations
from sna.periods import month_label as month_text  # 'April 2022'
from sna.periods import month_range


def periods_between(text: str) -> list[str]:
    """The months of ``'2018-04 to 2022-03'``."""
    first, last = (p.strip() for p in text.split(" to "))
    return month_range(first, last)

DESIGNS = pd.DataFrame([
    {"intervention covers": "the whole borough",
     "design to plan for": "Synthetic control from the other London boroughs, with an "
                           "interrupted time series as a check",
     "record before it starts": "start month; outcome indicator; anything else starting at "
                                "the same time"},
    {"intervention covers": "some wards or places",
     "design to plan for": "Difference-in-differences against matched wards elsewhere in "
                           "London (similar trend and deprivation), and a synthetic control",
     "record before it starts": "the wards (2022 names), start month; why these wards "
                                "(chosen for a recent spike means some fall is expected anyway)"},
    {"intervention covers": "named people (a caseload)",
     "design to plan for": "Matched comparison group or waiting-list design with the "
                           "partner's own records; area counts cannot show it",
     "record before it starts": "referral criteria, start dates per person, the outcome "
                                "measure (e.g. reoffending in 12 months)"},
])


def _pct(v: float) -> str:
    return f"{abs(v):.1f}% {'lower' if v < 0 else 'higher'}"


def effect_sentence(row: Mapping[str, Any]) -> str:
    """One method's result in plain words, with interval, p-value and power."""
    what = {"its": "than projected from its own trend and season before",
            "synthetic_control": "than its synthetic control (a weighted mix of similar "
                                 "areas that tracked it before)",
            "did": "relative to matched comparison areas, against the gap before"}[row["method"]]
    eff, lo, hi, p = (float(row[k]) for k in ("effect_pct", "lower95", "upper95", "p_value"))
    found = ("a detectable change" if p < 0.05 and (hi < 0 or lo > 0)
             else "no detectable change")
    text = (f"**{METHODS[row['method']]}**: {_pct(eff)} {what} (95% interval {_pct(lo)} to "
            f"{_pct(hi)}; p = {p:.2f}): {found}.")
    mde = float(row["min_detectable_effect_pct"])
    if math.isfinite(mde):
        text += f" This design could detect a fall of about {mde:.0f}% or more (80% power)."
    if row["method"] == "synthetic_control" and math.isfinite(float(row["placebo_p"])):
        text += (f" Placebo test: {float(row['placebo_p']):.0%} of areas show a break at least "
                 "as large when treated as if they had the intervention.")
    if row["method"] == "did" and math.isfinite(float(row["parallel_trends_p"])):
        ok = float(row["parallel_trends_p"]) >= 0.05
        text += (" Over the whole period before the start, the trend test finds the areas "
                 "moving in parallel." if ok else " Caution: before it started the areas were already "
                 f"diverging (trend difference p = {float(row['parallel_trends_p']):.2f}).")
    return text


def verdict(rows: pd.DataFrame) -> str:
    """The overall reading of the three designs for one evaluation."""
    sig = rows[(rows["p_value"] < 0.05) & ((rows["upper95"] < 0) | (rows["lower95"] > 0))]
    mde = float(rows["min_detectable_effect_pct"].min())
    if sig.empty:
        return (f"No design detects a change. The data could only reveal a fall of about "
                f"{mde:.0f}% or more, so a smaller effect cannot be ruled out: 'no detectable "
                "change' is not proof of no effect.")
    falls = sig["effect_pct"] < 0
    if len(rows) == 1:
        return (f"The interrupted time series, the only design possible here, detects a "
                f"{'fall' if falls.all() else 'rise'}. Without comparison areas a London-wide "
                "change at the same time cannot be told apart from an effect.")
    if len(sig) == len(rows):
        way = "fall" if falls.all() else "change"
        return (f"All {len(rows)} designs detect a {way}. Agreement across designs with different "
                "assumptions makes chance or a London-wide trend an unlikely explanation, but "
                "other things that changed at the same time cannot be excluded.")
    verb = "detects" if len(sig) == 1 else "detect"
    return (f"The designs disagree: {' and '.join(METHODS[m].lower() for m in sig['method'])} "
            f"{verb} a change, the others do not. Treat this as weak evidence: read the chart "
            "and each design's checks before drawing a conclusion.")


def pretrend_caution(events: pd.DataFrame) -> str:
    """A sentence when a year before the start differs from the comparison areas (95%
    interval of the event study excluding 0), else ''."""
    pre = events[(events["year"] < -1) & ((events["lower95"] > 0) | (events["upper95"] < 0))]
    if pre.empty:
        return ""
    years = ", ".join(f"{-int(y)} years before" for y in pre["year"])
    return (f"Check the parallel-trends chart: {years} the start the area differed from its "
            "comparison areas by more than chance, so the difference-in-differences result "
            "depends on the year chosen as reference and is less secure than its interval "
            "suggests.")


LIMITS = ("What this can show: whether the outcome departed from what similar areas and the "
          "area's own past predicted, by more than chance would explain. What it cannot show: "
          "that the intervention caused the change (anything else starting at the same time "
          "would look the same), effects smaller than the detectable change, or effects on "
          "people that recorded crime does not capture (under-reporting, displacement to "
          "other areas).")


def effect_chart(series: pd.DataFrame, placebos: pd.DataFrame, events: pd.DataFrame,
                 name: str, start: str, label: str) -> tuple[Any, str]:
    """Observed against counterfactuals, the placebo gaps and the event study for one
    evaluation. Returns ``(figure, alt text)``."""
    import matplotlib as mpl
    from matplotlib.figure import Figure

    from sna.plots import HIGHLIGHT, MUTED, OKABE_ITO, STYLE

    with mpl.rc_context(STYLE):
        full = not placebos.empty and not events.empty
        fig = Figure(figsize=(10, 7.5 if full else 4.5), layout="constrained")
        axes = fig.subplot_mosaic([["main", "main"], ["placebo", "event"]] if full
                                  else [["main"]], height_ratios=[1.2, 1] if full else None)
        ax = axes["main"]
        s = series.pivot(index="month", columns="method", values=["observed", "expected"])
        x = pd.to_datetime(s.index)
        ax.plot(x, s[("observed", "its")].rolling(3).mean(), color="black", lw=2,
                label="Recorded (3-month average)")
        for i, m in enumerate(METHODS):
            if ("expected", m) in s:
                ax.plot(x, s[("expected", m)].rolling(3).mean(), color=OKABE_ITO[i], lw=1.5,
                        ls="--", label=f"Expected: {METHODS[m].lower()}")
        ax.axvline(pd.Timestamp(start), color=MUTED, lw=1)
        ax.set_title(f"{name}: {label} per month, recorded and expected")
        ax.set_ylim(bottom=0)
        ax.legend(loc="lower left", ncols=2)
    last = series[series["method"] == "its"]
    alt = (f"Monthly {label} for {name} from {last['month'].iloc[0]} to "
           f"{last['month'].iloc[-1]}, recorded against the counts expected by "
           f"{' and '.join(METHODS[m].lower() for m in series['method'].unique())}, with a "
           f"line at {start}.")
    if not full:
        return fig, alt
    with mpl.rc_context(STYLE):
        left, right = axes["placebo"], axes["event"]
        gaps = placebos.pivot(index="month", columns="area", values="gap_pct").rolling(3).mean()
        treated = placebos.loc[placebos["treated"].astype(bool), "area"].iloc[0]
        gx = pd.to_datetime(gaps.index)
        left.plot(gx, gaps.drop(columns=treated), color=MUTED, lw=0.6)
        left.plot(gx, gaps[treated], color=HIGHLIGHT, lw=2)
        left.axvline(pd.Timestamp(start), color="grey", lw=1)
        left.axhline(0, color="grey", lw=0.5)
        left.set_title("Placebo test: gap from synthetic control")
        left.set_ylabel("% of pre-period level (3-month avg)")
        ev = events.sort_values("year")
        right.errorbar(ev["year"], ev["effect_pct"], yerr=[ev["effect_pct"] - ev["lower95"],
                       ev["upper95"] - ev["effect_pct"]], fmt="o", color=OKABE_ITO[2])
        right.axhline(0, color="grey", lw=0.5)
        right.axvline(-0.5, color=MUTED, lw=1)
        right.set_title("Parallel trends: gap by year")
        right.set_xlabel("Years from start (-1 = reference)")
        right.set_ylabel("% vs comparison areas")
    return fig, (f"Three charts. Top: {alt[0].lower()}{alt[1:]} Bottom left: the area's gap "
                 f"from its synthetic control (highlighted) among {gaps.shape[1] - 1} placebo "
                 "areas. Bottom right: the difference from comparison areas by year before "
                 "and after the start, with 95% intervals.")


def display_table(effects: pd.DataFrame) -> pd.DataFrame:
    """The effects table for reading."""
    ok = effects[effects["method"] != "none"]
    return pd.DataFrame({
        "Evaluation": ok["evaluation"], "Design": ok["method"].map(METHODS),
        "Effect": ok["effect_pct"].map(lambda v: f"{v:+.1f}%"),
        "95% interval": [f"{lo:+.1f}% to {hi:+.1f}%" for lo, hi in
                         zip(ok["lower95"], ok["upper95"], strict=True)],
        "p-value": ok["p_value"].map(lambda v: f"{v:.2f}"),
        "Placebo p": ok["placebo_p"].map(lambda v: "" if pd.isna(v) else f"{v:.2f}"),
        "Smallest detectable fall": ok["min_detectable_effect_pct"].map(lambda v: f"{v:.0f}%")})


def checked_register(cfg: Any, specs: list) -> tuple[list, pd.DataFrame]:
    """Register evaluations that pass :func:`sna.evaluation_data.check_evaluation`, and the
    others (``intervention, reason``): a bad register row is reported, never fatal."""
    from sna import data as sna_data
    from sna.errors import ConfigError
    from sna.evaluation_data import check_evaluation

    if not specs:
        return [], pd.DataFrame(columns=["intervention", "reason"])
    months = list(sna_data.load_meta(cfg, "mps_ward")["months"])
    wards = sna_data.load(cfg, "wards").frame[["ward_code", "ward_name"]]
    ok, bad = [], []
    for ev in specs:
        try:
            check_evaluation(ev, months, wards)
        except ConfigError as exc:
            bad.append({"intervention": ev.name, "reason": str(exc).split(": ", 1)[-1]})
        else:
            ok.append(ev)
    return ok, pd.DataFrame(bad, columns=["intervention", "reason"])


def show_evaluation(ch: Any, ev: Any, res: dict[str, pd.DataFrame]) -> None:
    """One evaluation: what and when, each design in words, the reading, the chart, a finding."""
    from sna.definitions import indicator_label

    rows = res["effects"][res["effects"]["evaluation"] == ev.name]
    ch.md("#### {name}", name=ev.name)
    if (rows["method"] == "none").all():
        ch.note(f"{ev.name} is {rows['note'].iloc[0]}.", kind="info")
        return
    label = indicator_label(ev.outcome).lower()
    where = "the whole borough" if ev.where == "borough" else "; ".join(ev.where)
    first, last = (p.strip() for p in rows["post_period"].iloc[0].split(" to "))
    ch.md("Started in {start} in {where}. Outcome: {label}, recorded by the police, from "
          "{first} to {last}, compared with the {n} months before.",
          start=month_text(ev.start), where=where, label=label, first=month_text(first),
          last=month_text(last), n=len(periods_between(rows["pre_period"].iloc[0])))
    pick = {k: res[k][res[k]["evaluation"] == ev.name] for k in ("series", "placebos", "events")}
    ch.md("\n\n".join([*(effect_sentence(r) for _, r in rows.iterrows()),
                        pretrend_caution(pick["events"])]))
    ch.md("**Reading**: {v}", v=verdict(rows))
    fig, alt = effect_chart(pick["series"], pick["placebos"], pick["events"], ev.name,
                            ev.start, label)
    ch.figure(fig, alt=alt, caption="Dashed lines: what each design expected without the "
              "intervention. Grey lines: other areas given the same test; a real effect "
              "stands out from them after the start.")
    ch.finding(f"{ev.name}: {verdict(rows)}", anchor="Effects-of-the-evaluated-interventions",
               effect_pct=round(float(rows["effect_pct"].median()), 1))


def show_register(ch: Any, specs: list, missing: pd.DataFrame, from_register: int) -> None:
    """Publish which register entries can be evaluated and say why the others cannot."""
    evaluability = pd.concat([pd.DataFrame({"intervention": [e.name for e in specs],
                                            "evaluable": "yes", "reason": ""}),
                              missing.assign(evaluable="no")], ignore_index=True)
    ch.publish(evaluability, "intervention_evaluability")
    if len(missing):
        reasons = "; ".join(f"{r} ({k})" for r, k in missing["reason"].value_counts().items())
        ch.md("{n} of {m} interventions in the register cannot be evaluated: {reasons}. Give "
              "each its `wards` (or `borough-wide`) and `start` date in the register to "
              "include it; the list is in `tables/intervention_evaluability.csv`.",
              n=len(missing), m=len(missing) + from_register, reasons=reasons)


def does_it_work(ch: Any) -> pd.DataFrame:
    """Evaluate every intervention of the config and the register and show the section.

    Publishes ``tables/intervention_effects.csv`` (ARCHITECTURE 8.3; no counts: open police
    data, percentages only; header only when nothing is evaluated),
    ``tables/intervention_evaluability.csv`` (register entries and why each could or could not
    be evaluated) and ``tables/evaluation_designs.csv`` (the design each new intervention
    should plan for, for the M&E framework of chapter 06). Returns the effects.
    """
    from sna.evaluation_data import EFFECT_COLUMNS
    from sna.sections.partnership import frame_or_none

    register = frame_or_none(ch.cfg, "interventions")
    extra, missing = register_evaluations(register, [e.name for e in ch.cfg.evaluations])
    extra, unusable = checked_register(ch.cfg, extra)
    missing = pd.concat([missing, unusable], ignore_index=True)
    specs = [*ch.cfg.evaluations, *extra]
    effects = pd.DataFrame(columns=EFFECT_COLUMNS)
    if specs:
        res = cached_evaluations(ch.cfg, ch.period, specs)
        effects = res["effects"]
        for ev in specs:
            show_evaluation(ch, ev, res)
        ch.md(LIMITS)
        if (effects["method"] != "none").any():
            ch.table(display_table(effects), None, "Effects of the evaluated interventions")
    else:
        ch.note("No intervention can be evaluated: add an `evaluations:` entry to the area YAML "
                "or `start` and `wards` columns to the interventions register.", kind="missing")
    ch.publish(effects, "intervention_effects")
    show_register(ch, specs, missing, len(extra))
    ch.md("#### Which design each new intervention should plan for")
    ch.table(DESIGNS, "evaluation_designs", "Evaluation design by what an intervention covers",
             show=DESIGNS.rename(columns=str.capitalize))
    return effects


# --- chapter 06 rules (same signature as sna.sections.rules selectors) ---------------------

def no_effect_with_power(ctx: Any, params: Mapping[str, Any]) -> list[dict]:
    """Evaluations whose adequately powered designs all find no detectable change.

    A design is adequately powered when its smallest detectable fall is at most
    ``params['expected_effect_pct']`` (default 10). Reads ``intervention_effects``.
    """
    df = ctx.tables.get("intervention_effects")
    if df is None or df.empty:
        return []
    limit = float(params.get("expected_effect_pct", 10))
    df = df[df["method"] != "none"]
    out = []
    for name, rows in df.groupby("evaluation", sort=False):
        powered = rows[pd.to_numeric(rows["min_detectable_effect_pct"]) <= limit]
        p = pd.to_numeric(powered["p_value"])
        if len(powered) and (p >= 0.05).all():
            best = powered.loc[pd.to_numeric(powered["min_detectable_effect_pct"]).idxmin()]
            out.append({"key": name, "intervention": name,
                        "mde": f"{float(best['min_detectable_effect_pct']):.0f}%",
                        "effect": f"{float(best['effect_pct']):+.1f}%",
                        "design": METHODS.get(best["method"], best["method"]).lower()})
    return out


def cannot_evaluate(ctx: Any, params: Mapping[str, Any]) -> list[dict]:
    """One match when register entries lack wards or a start date
    (``intervention_evaluability``), naming up to ``params['show']`` (5) of them."""
    df = ctx.tables.get("intervention_evaluability")
    if df is None or df.empty:
        return []
    no = df[df["evaluable"].astype(str) == "no"]
    if no.empty:
        return []
    show = int(params.get("show", 5))
    names = list(no["intervention"].astype(str))
    more = f" and {len(names) - show} more" if len(names) > show else ""
    return [{"key": "register", "n": len(names), "total": len(df),
             "interventions": ", ".join(names[:show]) + more}]



# How chapter 06 registers these rules (sna/sections/rules.py is owned by the rules engine):
# ``SELECTORS.update(effectiveness.SELECTORS)``, ``TESTS.update(effectiveness.TESTS)``, read
# the tables of :data:`RULE_TABLES` in ``context_for`` (``ch.read_table``), map them in
# ``rule_outcomes``' ``source``, and add :data:`RULES_YAML` to the rules file.
SELECTORS = {"no_effect_with_power": no_effect_with_power, "cannot_evaluate": cannot_evaluate}
TESTS = {"no_effect_with_power": "evaluated with adequate power, no detectable effect",
         "cannot_evaluate": "interventions that cannot be evaluated"}
RULE_TABLES = {"no_effect_with_power": "intervention_effects",
               "cannot_evaluate": "intervention_evaluability"}
RULES_YAML = """\
  - id: no_detectable_effect
    when: no_effect_with_power
    params: {expected_effect_pct: 10}
    priority: high
    theme: Does it work?
    text: >-
      Review {intervention}: the evaluation could detect a fall of {mde} in the outcome and
      found none. Check that it reaches the people and places it is meant to, and decide
      whether to change, re-target or replace it.
    evidence: "Effect {effect} by {design}; smallest detectable fall {mde} (80% power)"
    link: 05_partnership_interventions.html#Effects-of-the-evaluated-interventions
  - id: record_to_evaluate
    when: cannot_evaluate
    priority: medium
    theme: Does it work?
    text: >-
      Record the wards and start date of every intervention in the register, so the next
      assessment can tell whether it works ({n} of {total} cannot be evaluated now).
    evidence: "No wards or start date: {interventions}"
    link: 05_partnership_interventions.html#Effects-of-the-evaluated-interventions
"""
