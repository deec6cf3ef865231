"""The page audit reads figures too: alt text and captions (sna.figure_audit)."""

from __future__ import annotations

import pytest

from sna.disclosure import audit_html


def _page(alt: str, caption: str = "") -> str:
    cap = f"<figcaption>{caption}</figcaption>" if caption else ""
    return (f'<h2>Trends</h2><figure><img src="data:image/png;base64,AAAA" alt="{alt}">{cap}'
            "</figure><table data-sensitivity=\"open\"><tr><th>Count</th></tr>"
            "<tr><td>12</td></tr></table>")


SMALL = [
    "Map of 24 wards: CCTV incidents by ward. Shaded by Incidents in 5 classes (darker = "
    "higher). Highest: Burnt Oak (62), Edgware (45); lowest: Mill Hill (3).",
    "Line chart: Homicide in Barnet: offences per month, from Apr 2018 to Mar 2026, highest "
    "4 (Nov 2019), latest 2.",
    "Bar chart: in the last quarter there were 3 offences of possession of weapons.",
    "Ward W1 had 2 recorded offences and 40 in all.",
]


@pytest.mark.parametrize("alt", SMALL)
def test_small_count_in_alt_text_is_flagged_under_open_data_suppress(alt):
    problems = audit_html(_page(alt), 5, open_min=5)
    assert problems and all(p.startswith("figure 1 alt text:") for p in problems)
    # open_data: publish shows open counts as their publisher does
    assert audit_html(_page(alt), 5, open_min=1) == []


def test_small_count_in_a_caption_is_flagged():
    problems = audit_html(_page("A chart.", "Knife offences: 4 victims aged under 18."), 5,
                          open_min=5)
    assert len(problems) == 1 and problems[0].startswith("figure 1 caption:")
    assert "'...Knife offences: 4 victims" in problems[0]


NOT_COUNTS = [
    "Map of 24 wards: CCTV incidents by ward. 3 wards shown as 'Fewer than 5 (suppressed)' "
    "(light grey); 1 area above the limit; 4 maps side by side; 2 line charts.",
    "Line chart: offences in Barnet from 2019 to 2023 (Mar 2024: new data release).",
    "Bar chart: offences by deprivation decile (1 = most deprived); decile 2: 14.0 per 1,000; "
    "rate 8.5 per 1,000 residents.",
    "Grouped bar chart: share of offences: Barnet 3%, London 4.1%; up 3 per cent (+3).",
    "Horizontal bar chart: knife injuries of people aged 1-24; Barnet is 3rd of 32 boroughs.",
    "Map of 24 wards: High violence need. Shaded by Uncovered need flags in 2 classes. "
    "Highest: Burnt Oak (1), Colindale South (1).",
    "Map of 220 LSOAs: offences by LSOA. Highest: 207 (34), 13 (33). Top 3 offence types.",
]


@pytest.mark.parametrize("alt", NOT_COUNTS)
def test_years_percentages_rates_ranks_and_places_are_not_counts(alt):
    assert audit_html(_page(alt, alt), 5, open_min=5) == []


def test_a_hidden_value_next_to_its_indicator_is_flagged_without_printing_it():
    alt = ("Line chart: offence types in Barnet: 12-month totals. Homicide: latest 1. "
           "Possession of weapons: values from Apr 2018 to Mar 2026, lowest 150, latest 168; "
           "Rape: latest 281.")
    hidden = {"Possession of weapons": [168.0], "Homicide": [1.0]}
    problems = audit_html(_page(alt), 5, open_min=1, hidden=hidden)  # even when publishing
    assert len(problems) == 2
    assert any("next to 'Possession of weapons'" in p for p in problems)
    assert any("next to 'Homicide'" in p for p in problems)
    assert not any("168" in p for p in problems)
    # the same number next to another indicator's label is not that indicator's value
    other = alt.replace("latest 168; Rape: latest 281", "latest 170; Rape: latest 168")
    assert audit_html(_page(other), 5, open_min=1,
                      hidden={"Possession of weapons": [168.0]}) == []
    # years and month labels near the label are not values
    dated = "Possession of weapons: from Apr 2018 to Mar 2026."
    assert audit_html(_page(dated), 5, hidden={"Possession of weapons": [2018.0]}) == []


def _sv_breakdown():
    import pandas as pd

    counts = {"homicide": 1, "violence_with_injury": 1790, "personal_robbery": 555,
              "rape": 279, "other_sexual_offences": 505, "possession_of_weapons": 168}
    rows = [{"indicator": "serious_violence", "count": sum(counts.values())}]
    rows += [{"indicator": i, "count": c} for i, c in counts.items()]
    return pd.DataFrame(rows).assign(period_start="2025-04", period_end="2026-03",
                                     previous_count=lambda f: f["count"] + 7,
                                     london_count=lambda f: f["count"] * 30)


def test_run_audit_finds_the_hidden_weapons_count_in_an_alt_text(root, tmp_path):
    """The earlier bug: the dashboard hid the 12-month weapons count (so homicide could not
    be derived from the total) while a figure's alt text printed it (168)."""
    from dataclasses import replace
    from types import SimpleNamespace

    from sna import disclosure
    from sna.chapter import Chapter
    from sna.config import load_config
    from sna.report.publish import audit

    disclosure._HIDDEN.clear()  # what this process hid before belongs to other tests
    cfg = replace(load_config(root / "config" / "barnet.yaml"), open_data="suppress")
    ch = Chapter("02_violence_trends", cfg, "2026-03", tmp_path)
    from sna.sections.trend_data import suppress_sv

    # as chapter 02 does: the components protected within the total, then published
    safe = ch.publish(suppress_sv(_sv_breakdown(), ["count", "previous_count"], 5),
                      "sv_breakdown")
    hidden = safe.loc[safe["count"].isna(), "indicator"].tolist()
    assert hidden == ["homicide", "possession_of_weapons"]  # the smallest other component
    (tmp_path / "chapters").mkdir()
    page = tmp_path / "chapters" / "02_violence_trends.html"
    ctx = SimpleNamespace(work=tmp_path, cfg=cfg, period="2026-03")
    page.write_text(_page("Bar chart: offence types, 12 months. Violence with injury: 1,790; "
                          "Possession of weapons: 168."), encoding="utf-8")
    problems = audit(ctx)
    assert len(problems) == 1 and "next to 'Possession of weapons'" in problems[0]
    assert "168" not in problems[0] and ".declared" not in problems[0]
    # a figure that prints only what the table shows passes
    page.write_text(_page("Bar chart: offence types, 12 months. Violence with injury: 1,790; "
                          "Possession of weapons: hidden."), encoding="utf-8")
    assert audit(ctx) == []
