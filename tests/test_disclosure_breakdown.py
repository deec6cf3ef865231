"""Partner breakdowns: a hidden part cannot be worked out from its total and the other parts
(issue 19: IOM cohort 105 = 101 men + 4 women published the 4 by subtraction)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sna.config import load_config
from sna.data import load
from sna.declared import suppress_declared
from sna.sections import victims
from sna.tables import spec_for

ROOT = Path(__file__).resolve().parents[1]


def _row(indicator, value, unit="count"):
    return {"group": "g", "indicator": indicator, "label": indicator, "area": "Barnet",
            "period_start": "2023-01-01", "period_end": "2023-03-31", "value": value,
            "unit": unit, "source_doc": "", "notes": "", "source": "partner_indicators"}


def _publish(table: pd.DataFrame) -> pd.DataFrame:
    table = table.assign(breakdown=victims.breakdown_keys(table))
    return suppress_declared(table, spec_for("vulnerable_populations"), 5, 1)


def test_breakdown_keys_by_dimension():
    t = pd.DataFrame([_row("iom", 105), _row("iom_male", 101), _row("iom_female", 4),
                      _row("iom_ethnicity_asian", 16), _row("iom_ethnicity_other", 3),
                      _row("iom_share", 40, unit="percent"), _row("marac", 20)])
    assert list(victims.breakdown_keys(t)) == [
        "iom", "iom:sex", "iom:sex", "iom:ethnicity", "iom:ethnicity", "iom_share", "marac"]


def test_hidden_part_is_not_recoverable_from_total_and_other_parts():
    t = pd.DataFrame([_row("iom", 105), _row("iom_male", 101), _row("iom_female", 4),
                      _row("iom_ethnicity_white", 53), _row("iom_ethnicity_black", 33),
                      _row("iom_ethnicity_asian", 16), _row("iom_ethnicity_other", 3)])
    safe = _publish(t).set_index("indicator")["value"]
    assert safe["iom"] == 105  # the total stays
    assert pd.isna(safe["iom_female"]) and pd.isna(safe["iom_male"])  # 105 - 101 = 4 no more
    hidden = safe[["iom_ethnicity_white", "iom_ethnicity_black", "iom_ethnicity_asian",
                   "iom_ethnicity_other"]].isna()
    assert hidden.sum() >= 2 and hidden["iom_ethnicity_other"]


def test_shipped_partner_figures_leave_no_single_hidden_part():
    cfg = load_config(ROOT / "config" / "barnet.yaml")
    t = victims.vulnerable_table(load(cfg, "partner_indicators").frame, None)
    safe = _publish(t)
    t = t.assign(breakdown=victims.breakdown_keys(t))
    counts = (t["unit"] == "count")
    for key, idx in t[counts & t["breakdown"].str.contains(":")].groupby("breakdown").groups.items():
        hidden = safe.loc[idx, "value"].isna() & t.loc[idx, "value"].notna()
        if len(idx) > 1:  # one hidden part beside shown siblings would be total - the rest
            assert hidden.sum() != 1, key
    small = counts & t["value"].between(1, 4)
    assert safe.loc[small, "value"].isna().all()
