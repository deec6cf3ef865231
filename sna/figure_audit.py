"""Disclosure audit of the text of figures: alt text and captions print numbers too.

A figure's alt text describes what it draws ("Highest: Burnt Oak (62)", "latest 168"), so a
count hidden in every table can still be read there. Two rules, applied to the alt text and
the caption of every ``<figure>`` of a page by :func:`sna.disclosure.audit_html`:

1. **Small counts.** A whole number from 1 to ``min_count - 1`` written as a count is a
   problem. A number is *written as a count* when

   - the word after it names people or events (``4 offences``, ``2 victims``,
     ``3 recorded incidents``: :data:`COUNT_NOUNS`, one word may come between), or
   - the figure draws counts (its text names people or events and states no rate,
     percentage, share, ratio or score: :data:`RATE_MARKS`) and the number is a value,
     not a label: not followed by a word for places, groups or time (``3 wards``,
     ``5 classes``, ``24 months``: :data:`NOT_COUNTED`) nor by a parenthesised value
     (an LSOA number such as ``13 (33.2)`` is a name).

   Never a count: decimals (``8.5``), percentages, signed changes (``+3``), ranges and
   ages (``1-24``, ``aged 16``), ordinals (``3rd``), times, years and other numbers of four
   or more digits next to a month name, numbers inside a code (``024G``) and numbers after
   ``decile``, ``band``, ``quarter``, ``rank``... (:data:`LABEL_WORDS`; after ``top``,
   ``of``, ``than``... only when a count noun follows: :data:`WEAK_LABELS`).
   So "3 wards shown as 'Fewer than 5'", "2023", "47.0%" and "rate 8.5 per 1,000" pass.

2. **Hidden values next to their indicator.** Given ``hidden`` (``{indicator label: true
   values of the cells hidden in the published tables}``), a number in the clause that
   follows the indicator's label (up to the next ``;``, sentence end or other label), written
   as a value (rule 1's exclusions: not ``12 months``, a year, a percentage...), equal to one
   of those values is a problem: the figure prints what the tables hide (the
   12-month possession of weapons count in a chart's alt text while the dashboard hides it).
   The value itself is never printed in the message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

COUNT_NOUNS = frozenset({
    "offence", "offences", "crime", "crimes", "incident", "incidents", "victim", "victims",
    "suspect", "suspects", "offender", "offenders", "people", "person", "persons", "record",
    "records", "case", "cases", "attendance", "attendances", "homicide", "homicides",
    "killing", "killings", "stabbing", "stabbings", "injury", "injuries", "referral",
    "referrals", "arrest", "arrests", "call-out", "call-outs", "callouts", "admission",
    "admissions", "assault", "assaults", "robberies", "burglaries", "children", "pupils",
    "residents", "members", "patients", "events", "searches", "stops", "exclusions",
    "entrants"})
RATE_MARKS = re.compile(r"\bper\s+[\d,]+|\brates?\b|%|\bper cent\b|\bpercentage\b|\bshare\b|"
                        r"\bratio\b|\bscores?\b|\bz-scores?\b|\bproportion\b", re.I)
NOT_COUNTED = frozenset({
    "ward", "wards", "area", "areas", "lsoa", "lsoas", "borough", "boroughs", "authority",
    "authorities", "category", "categories", "class", "classes", "map", "maps", "chart",
    "charts", "panel", "panels", "line", "lines", "year", "years", "month", "months",
    "quarter", "quarters", "week", "weeks", "day", "days", "hour", "hours", "decile",
    "deciles", "time", "times", "dimension", "dimensions", "point", "points", "place",
    "places", "design", "designs", "indicator", "indicators", "group", "groups", "band",
    "bands", "colour", "colours", "limit", "limits", "of", "in", "and", "to", "or", "jan",
    "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec", "january",
    "february", "march", "april", "june", "july", "august", "september", "october",
    "november", "december", "flag", "flags", "neighbours", "partners", "sources"})
LABEL_WORDS = frozenset({
    "decile", "deciles", "band", "bands", "aged", "age", "ages", "quarter", "q", "wave",
    "rank", "ranked", "step", "phase", "tier", "table", "chapter", "section", "figure",
    "version", "class", "classes", "ward", "lsoa"})
WEAK_LABELS = frozenset({
    "of", "than", "under", "over", "below", "above", "least", "most", "every", "each", "top",
    "bottom", "year", "years", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep",
    "oct", "nov", "dec"})
_NUMBER = re.compile(r"(?<![\w.,£$+\-−–/:])(\d{1,3}(?:,\d{3})+|\d+)(?![\w%]|[.,:/]\d|-\d|–\d)")
_WORD = re.compile(r"[A-Za-z][A-Za-z\-']*")


def _next_words(text: str, end: int, n: int = 2) -> list[str]:
    return [w.lower() for w in _WORD.findall(text[end:end + 40])[:n]]


def _previous_word(text: str, start: int) -> str:
    words = _WORD.findall(text[max(0, start - 30):start])
    return words[-1].lower() if words else ""


def _is_value(text: str, start: int, end: int, count_figure: bool) -> bool:
    """Whether the number at ``text[start:end]`` is written as a count (module docstring)."""
    after = text[end:end + 30]
    if re.match(r"\s*(%|per cent|st\b|nd\b|rd\b|th\b)", after, re.I):
        return False
    prev = _previous_word(text, start)
    if prev in LABEL_WORDS:
        return False
    words = _next_words(text, end, 3)
    spaced = re.match(r"\s+[A-Za-z][A-Za-z\-']*(\s+[A-Za-z][A-Za-z\-']*)?", after)
    if spaced and words and (words[0] in COUNT_NOUNS or len(words) > 1 and spaced.group(1)
                             and words[1] in COUNT_NOUNS and words[0] not in NOT_COUNTED):
        kind = (words[1:] if words[0] in COUNT_NOUNS else words[2:]) or [""]
        return kind[0] not in {"type", "types", "group", "groups", "category", "categories"}
    if prev in WEAK_LABELS and not re.search(r"[:;(]\s*$", text[max(0, start - 3):start]):
        return False
    if not count_figure or re.match(r"\s*\(\s*[\d.,]+\s*\)", after):
        return False
    return not (spaced and words and words[0] in NOT_COUNTED)


def _numbers(text: str) -> Iterable[tuple[int, int, int]]:
    """``(value, start, end)`` of every whole number of ``text`` that is not in a code,
    a decimal, a range or a year next to a month (module docstring)."""
    for match in _NUMBER.finditer(text):
        digits = match.group(1)
        prev = _previous_word(text, match.start())
        if len(digits.replace(",", "")) == 4 and "," not in digits and (
                prev[:3] in {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep",
                             "oct", "nov", "dec"} or 1900 <= int(digits) <= 2100):
            continue
        yield int(digits.replace(",", "")), match.start(), match.end()


def small_count_problems(text: str, min_count: int) -> list[tuple[int, str]]:
    """``(value, snippet)`` of each count from 1 to ``min_count - 1`` written as a count."""
    if min_count <= 1:
        return []
    count_figure = bool({w.lower() for w in _WORD.findall(text)} & COUNT_NOUNS) and \
        not RATE_MARKS.search(text)
    return [(value, " ".join(text[max(0, s - 40):e + 20].split()))
            for value, s, e in _numbers(text)
            if 0 < value < min_count and _is_value(text, s, e, count_figure)]


def hidden_value_problems(text: str, hidden: Mapping[str, Iterable[float]]) -> list[str]:
    """Labels next to which the text prints a true value hidden in the tables."""
    lower = text.lower()
    starts = sorted((m.start(), m.end(), label) for label in hidden
                    for m in re.finditer(re.escape(label.lower()), lower))
    found = []
    for n, (_, end, label) in enumerate(starts):
        stop = min([len(text), *[s for s, _, _ in starts[n + 1:] if s >= end]])
        clause = re.split(r";|\.\s|\.$", text[end:stop])[0]
        values = {float(v) for v in hidden[label] if v and v > 0}
        if label not in found and any(v in values and _is_value(clause, s, e, True)
                                      for v, s, e in _numbers(clause)):
            found.append(label)
    return found


def figure_problems(number: int, figure: Mapping[str, str], min_count: int,
                    hidden: Mapping[str, Iterable[float]] | None = None) -> list[str]:
    """Problems of one figure's alt text and caption (rules 1 and 2 of the module)."""
    out = []
    for part in ("alt", "caption"):
        text = " ".join(str(figure.get(part) or "").split())
        if not text:
            continue
        where = f"figure {number} {'alt text' if part == 'alt' else 'caption'}"
        out += [f"{where}: {value} in '...{snippet}...' is a count below the disclosure "
                f"threshold ({min_count}); leave it out or write 'fewer than {min_count}'."
                for value, snippet in small_count_problems(text, min_count)]
        out += [f"{where}: a number next to '{label}' equals a count hidden in the tables; "
                "print the figure's numbers from the suppressed table."
                for label in hidden_value_problems(text, hidden or {})]
    return out
