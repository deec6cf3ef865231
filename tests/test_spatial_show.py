"""Chapter 03 as calls (issue 18 item 3, issue 20 item 5): one significance measure for hot
spots in the text, CCTV numbers reconciled with the partner figures, dates stated."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from sna.sections import hotspots as H
from sna.sections import spatial_show as S


def _hot() -> pd.DataFrame:
    return pd.DataFrame({"ward_code": ["E1", "E2"], "ward_name": ["Colindale South", "Hale"],
                         "indicator": "serious_violence", "gi_z": [6.2, -1.0],
                         "gi_p": [0.0332, 0.4], "gi_q": [0.40, 0.6],
                         "hotspot_class": "Not significant", "persistent": False,
                         "windows_compared": 3})


def _table() -> pd.DataFrame:
    return pd.DataFrame({"ward_code": ["E1", "E2"], "ward_name": ["Colindale South", "Hale"],
                         "indicator": "serious_violence", "window": "12m", "count": [200, 50],
                         "population": [20000.0, 10000.0], "eb_rate_per_1000": [10.0, 5.0],
                         "rate_per_1000": [10.0, 5.0]})


def test_hot_spot_text_uses_permutation_p_and_q_not_z():
    md, finding, evidence = H.hotspot_text(_hot(), _table())
    assert "z =" not in md and "6.2" not in md
    assert "permutation p = 0.033" in md and "q = 0.40" in md and "not a statistically" in md
    assert "gi_z" not in evidence and evidence["q_value"] == 0.4
    overview = H.hotspot_overview(_hot())
    assert overview.iloc[0]["Strongest cluster (ward)"] == "Colindale South (p = 0.033, q = 0.40)"


class _Ch(SimpleNamespace):
    def has(self, key):
        return key in self.sources

    def load(self, key):
        return SimpleNamespace(frame=self.sources[key])


def _cctv(count: int) -> pd.DataFrame:
    return pd.DataFrame({"ward_code": ["E1"], "ward_name": ["Burnt Oak"],
                         "name_in_source": ["Burnt Oak"], "match": ["exact"],
                         "incident_type": ["Violent Crime"], "violence_related": [True],
                         "count": [count], "period_start": ["2022-12-01"],
                         "period_end": ["2023-02-28"]})


def test_cctv_sentence_states_dates_and_the_papers_total():
    partner = pd.DataFrame({"indicator": ["cctv_incidents"], "area": ["Barnet"],
                            "period_start": ["2022-12-01"], "period_end": ["2023-02-28"],
                            "value": [381.0]})
    ch = _Ch(sources={"partner_indicators": partner}, period="2026-03",
             cfg=SimpleNamespace(min_count=5, area=SimpleNamespace(name="Barnet")))
    text = S.cctv_sentence(ch, _cctv(382))
    assert "Out of date:** these figures end in February 2023" in text
    assert "sum to 382, but the paper's own total is 381" in text
    same = S.cctv_sentence(ch, _cctv(381))
    assert "paper's own total" not in same
    current = _Ch(sources={}, period="2023-06", cfg=ch.cfg)
    assert "Out of date" not in S.cctv_sentence(current, _cctv(381))


def test_lsoa_hot_sentence_names_places():
    text = S.lsoa_hot_sentence(["Barnet 001A (Burnt Oak)", "Barnet 002B (Hendon)"], 24)
    assert "only 24 wards" in text and "Barnet 001A (Burnt Oak) and Barnet 002B (Hendon) are" \
        in text
