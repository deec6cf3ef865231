"""Sentences from numbers, in the partnership's phrasing.

Every sentence applies the disclosure rule itself: a count from 1 to ``min_count - 1`` is
written "fewer than 5" and no percentage change is given next to it (the change would reveal
the hidden count). Numbers use thousands separators; percentages one decimal.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from sna.periods import month_label
from sna.safe import md_esc

RANK_NOTE = "(1 = lowest rate)"


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(math.isnan(float(value)))
    except (TypeError, ValueError):
        return True


def ordinal(n: int) -> str:
    """``1 -> '1st'``, ``2 -> '2nd'``, ``3 -> '3rd'``, ``11 -> '11th'``, ``22 -> '22nd'``."""
    n = int(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def md_text(text: object) -> str:
    """Plain text made safe and inert for Markdown (HTML-escaped without numeric entities,
    so apostrophes survive; Markdown punctuation neutralised): :func:`sna.safe.md_esc` of
    ``str(text)``, so ``None`` and NaN are written as text, not dropped."""
    return md_esc(str(text))


def join_and(items: Iterable[object]) -> str:
    """Items as one phrase: ``['a'] -> 'a'``, ``['a', 'b', 'c'] -> 'a, b and c'``, '' for
    none (each item as ``str``; no escaping: escape before or after as the text needs)."""
    names = [str(i) for i in items]
    if len(names) < 2:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def md_bullets(sentences: Sequence[str]) -> str:
    """A Markdown bullet list, one plain-text sentence (made inert by :func:`md_text`) each."""
    return "\n".join(f"- {md_text(s)}" for s in sentences)


def window_phrase(window: str | int, period: str) -> str:
    """``('12m', '2026-02') -> 'the 12 months to February 2026'`` (``1`` -> 'February 2026')."""
    n = int(str(window).rstrip("m"))
    return month_label(period) if n == 1 else f"the {n} months to {month_label(period)}"


def format_count(value: Any, min_count: int = 5) -> str:
    """A count for prose: ``'1,234'``, ``'none'`` for 0, ``'fewer than 5'`` for 1 to
    ``min_count - 1``, ``'an unknown number'`` when missing."""
    if _missing(value):
        return "an unknown number"
    v = float(value)
    if v == 0:
        return "none"
    if v < min_count:
        return f"fewer than {min_count}"
    return f"{round(v):,}"


def format_rate(value: float) -> str:
    """A rate with sensible precision: 1 decimal from 10, 2 from 0.1, else 3."""
    v = float(value)
    return f"{v:.1f}" if v >= 10 else f"{v:.2f}" if v >= 0.1 else f"{v:.3f}"


def mid_sentence(text: object) -> str:
    """Text for use mid-sentence: the first letter lower-cased unless it starts an acronym
    (``'Violence with injury' -> 'violence with injury'``, ``'IOM cohort'`` unchanged)."""
    text = str(text)
    return text if text[:2].isupper() else text[:1].lower() + text[1:]


SMALL_NUMBERS = 10
"""Below this many in both periods a percentage change is not described (1 vs 2 is not a
50% fall): the sentence gives the two counts and says they are too small to compare."""


def _main_clause(label: str, count: float, previous: float, change_pct: Any, wl: str,
                 min_count: int, unit: str) -> tuple[str, bool]:
    """The first clause and whether a significance statement may follow it."""
    if _missing(count) or _missing(previous):
        return (f"{label}: there is not enough data to compare {wl} with the same period "
                "a year earlier"), False
    if previous == 0 and count == 0:
        return f"{label}: none recorded in {wl} or in the same period a year earlier", False
    if count == 1 and min_count <= 1 and unit.endswith("s"):
        unit = unit[:-1]  # "1 offence"
    if (0 < count < min_count or 0 < previous < min_count
            or max(count, previous) < SMALL_NUMBERS):
        return (f"{label}: {format_count(count, min_count)} {unit} in {wl}, compared with "
                f"{format_count(previous, min_count)} a year earlier; the numbers are too small "
                "to describe a change"), False
    if previous == 0 and count == 0:
        return f"{label}: none recorded in {wl} or in the same period a year earlier", False
    if previous == 0:
        return (f"{label}: {format_count(count, min_count)} {unit} in {wl}, up from none a year "
                "earlier"), True
    pct = float(change_pct) if not _missing(change_pct) else round((count - previous)
                                                                   / previous * 100, 1)
    numbers = f"({format_count(count, min_count)} vs {format_count(previous, min_count)})"
    if round(pct, 1) == 0:
        how = "was unchanged" if count == previous else "was virtually unchanged"
        return f"{label} {how} in {wl} {numbers}", count != previous
    verb = "rose" if pct > 0 else "fell"
    return f"{label} {verb} {abs(pct):.1f}% in {wl} {numbers}", True


def change_sentence(
    label: str,
    count: Any,
    previous: Any,
    change_pct: Any,
    significant: Any,
    window_label: str,
    rank: Any = None,
    n_areas: Any = None,
    area: str | None = None,
    *,
    min_count: int = 5,
    unit: str = "offences",
    rank_group: str = "London boroughs",
) -> str:
    """One sentence describing a change against the same period a year earlier.

    Parameters
    ----------
    label : str
        Indicator label, e.g. ``'Personal robbery'`` (starts the sentence).
    count, previous : number
        Counts in the window and in the same window a year earlier (unsuppressed: the sentence
        applies the small-count rule itself). NaN/None = not available.
    change_pct : number
        Percentage change (:func:`sna.metrics.change_pct`); recomputed if NaN while both counts
        are positive.
    significant : bool or None
        Result of :func:`sna.metrics.change_significant`; None/NA adds nothing.
    window_label : str
        e.g. ``'the 12 months to February 2026'`` (:func:`window_phrase`).
    rank, n_areas, area : optional
        Adds "Barnet ranks 3rd of 32 London boroughs (1 = lowest rate)" when all are given.
    min_count : int
        Disclosure threshold (counts 1 to ``min_count - 1`` become "fewer than 5").
    unit : str
        Noun for the counts (``'offences'``, ``'victims'``).
    rank_group : str
        What the rank is among.

    Examples
    --------
    >>> change_sentence("Personal robbery", 412, 351, 17.4, True,
    ...                 "the 12 months to February 2026", 3, 32, "Barnet")
    'Personal robbery rose 17.4% in the 12 months to February 2026 (412 vs 351); the change is \
statistically significant; Barnet ranks 3rd of 32 London boroughs (1 = lowest rate).'
    """
    c = None if _missing(count) else float(count)
    p = None if _missing(previous) else float(previous)
    main, can_test = _main_clause(label, c, p, change_pct, window_label, min_count, unit)
    parts = [main]
    if can_test and not _missing(significant):
        parts.append("the change is statistically significant" if bool(significant)
                     else "the change is not statistically significant")
    if not _missing(rank) and not _missing(n_areas) and area:
        parts.append(f"{area} ranks {ordinal(rank)} of {int(n_areas)} {rank_group} {RANK_NOTE}")
    return "; ".join(parts) + "."


def rate_comparison_sentence(
    area_rate: Any,
    london_rate: Any,
    lower: Any,
    upper: Any,
    *,
    area: str = "the area",
    label: str | None = None,
    per: int = 1000,
    comparator: str = "London",
) -> str:
    """Compare an area's rate with London's using the area's 95% confidence interval.

    Higher when the lower limit is above the London rate, lower when the upper limit is below
    it, otherwise similar (no statistically significant difference).

    Examples
    --------
    >>> rate_comparison_sentence(4.6, 5.1, 4.39, 4.82, area="Barnet")
    'The rate in Barnet (4.60 per 1,000 residents; 95% CI 4.39 to 4.82) is significantly \
lower than the London rate (5.10 per 1,000).'
    """
    what = f"The {mid_sentence(label)} rate" if label else "The rate"
    if any(_missing(v) for v in (area_rate, london_rate, lower, upper)):
        return f"{what} in {area} cannot be compared with {comparator} (not enough data)."
    if float(lower) > float(london_rate):
        verdict = "is significantly higher than"
    elif float(upper) < float(london_rate):
        verdict = "is significantly lower than"
    else:
        verdict = "is similar to"
    return (f"{what} in {area} ({format_rate(area_rate)} per {per:,} residents; 95% CI "
            f"{format_rate(lower)} to {format_rate(upper)}) {verdict} the {comparator} rate "
            f"({format_rate(london_rate)} per {per:,}).")


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def _pct_words(pct: Any, significant: Any) -> str:
    if _missing(pct):
        return "not available"
    sig = ("significant" if bool(significant) else "not significant") if not _missing(
        significant) else "not tested"
    return f"{float(pct):+.1f}% ({sig})"


def robustness_sentence(checks: Any, min_count: int = 5, hidden: Sequence[str] = ()) -> str:
    """The robustness checks of one indicator and window in plain words, with a conclusion.

    ``checks`` are the rows of :func:`sna.change.robustness` for one indicator and window
    (``window, check, period_end, count, comparison, change_pct, significant``). A check whose
    counts are below ``min_count`` is not described; checks in ``hidden`` are described
    without numbers (significant or not only).

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"window": "12m", "check": ["year_earlier", "one_month_earlier",
    ...     "three_year_average"], "period_end": ["2026-03", "2026-02", "2026-03"],
    ...     "count": [3298, 3211, 3298], "comparison": [3118, 3159, 3573.0],
    ...     "change_pct": [5.8, 1.6, -7.7], "significant": [True, False, True]})
    >>> robustness_sentence(rows)
    'Checks: a month earlier (12 months to February 2026) the change was +1.6% (not \
significant); against the average of the same months in the three earlier years (3,573) it \
is -7.7% (significant). Conclusion: not a robust change.'
    """
    rows = {r["check"]: r for _, r in checks.iterrows()}
    head = rows.get("year_earlier")
    if head is None or _missing(head["significant"]):
        return ""
    parts, agree = [], True
    sign = _sign(float(head["count"]) - float(head["comparison"]))
    for check, r in rows.items():
        if check == "year_earlier":
            continue
        ok = (not _missing(r["significant"]) and bool(r["significant"])
              and _sign(float(r["count"]) - float(r["comparison"])) == sign)
        agree = agree and ok
        if _missing(r["count"]) or float(r["count"]) < min_count:
            continue
        words = _pct_words(r["change_pct"], r["significant"])
        base = "" if check in hidden else f" ({float(r['comparison']):,.0f})"
        if check in hidden:  # numbers not published: say only what the test found
            words = ("significant" if ok else "not significant" if _missing(r["significant"])
                     or not bool(r["significant"]) else "significant in the other direction")
        if check == "one_month_earlier":
            parts.append(f"a month earlier ({window_phrase(r['window'], r['period_end'])[4:]}) the "
                         f"change was {words}")
        elif check == "three_year_average":
            parts.append("against the average of the same months in the three earlier years"
                         f"{base} it is {words}")
        else:
            parts.append(f"without possession of weapons (mostly police activity) it is {words}")
    robust = bool(head["significant"]) and agree
    verdict = ("a robust change" if robust else "not a robust change" if
               bool(head["significant"]) else "no robust change")
    return ("Checks: " + "; ".join(parts) + ". " if parts else "") + f"Conclusion: {verdict}."
