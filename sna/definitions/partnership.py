"""The partnership's own definition of serious violence (``partnership.yaml``), part by part,
with the measure and source that counts each part, or why it cannot be counted.

It is reported beside the offence-category total (``serious_violence`` in
``indicators.yaml``), never added to it: the parts overlap each other and the total.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sna.errors import ConfigError

YAML_PATH = Path(__file__).with_name("partnership.yaml")
PART_KEYS = ("part", "indicators", "source", "measure", "partner_source")
DASHBOARD_KEYS = ("mps_dashboard", "knife_crime")


@lru_cache(maxsize=4)
def _read(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f) or {}
    from sna.definitions import load_indicators

    known = set(load_indicators())
    for i, part in enumerate(data.get("parts") or []):
        missing = [k for k in PART_KEYS if k not in part]
        if missing:
            raise ConfigError(f"{path}: part {i + 1} lacks {', '.join(missing)}.")
        unknown = [x for x in part["indicators"] if x not in known]
        if unknown:
            raise ConfigError(f"{path}: part {part['part']!r}: unknown indicator(s) "
                              f"{', '.join(unknown)} (not in indicators.yaml).")
    if not data.get("parts"):
        raise ConfigError(f"{path}: no `parts`.")
    return data


def load_partnership(path: str | Path | None = None) -> dict[str, Any]:
    """The definition: ``name``, ``offence_total``, ``parts`` (list of dicts, :data:`PART_KEYS`).

    Raises
    ------
    ConfigError
        A part lacks a key or names an indicator not defined in ``indicators.yaml``.
    """
    return _read(str(path or YAML_PATH))


def _supplied(cfg: Any, source: str) -> bool:
    if source in DASHBOARD_KEYS:
        return any(cfg.has(k) for k in DASHBOARD_KEYS)
    return bool(source) and cfg.has(source)


def partnership_table(cfg: Any | None = None, path: str | Path | None = None) -> pd.DataFrame:
    """One row per part: ``part, counted_by, source, status, partner_source``.

    ``status`` is 'counted' when the part has indicators and (given ``cfg``) their source is
    supplied, 'not supplied (data.<key>)' when it is not, and 'not in the data supplied'
    when no published data count it.
    """
    from sna.definitions import indicator_label

    rows = []
    for p in load_partnership(path)["parts"]:
        labels = ", ".join(indicator_label(i) for i in p["indicators"])
        if not p["indicators"]:
            status = "not in the data supplied"
        elif cfg is None or _supplied(cfg, p["source"]):
            status = "counted"
        else:
            status = f"not supplied (data.{p['source']})"
        rows.append({"part": p["part"], "counted_by": labels or "-",
                     "measure": " ".join(str(p["measure"]).split()),
                     "source": p["source"] or "-", "status": status,
                     "partner_source": p["partner_source"] or "-"})
    return pd.DataFrame(rows)


def partnership_display(cfg: Any | None = None) -> pd.DataFrame:
    """:func:`partnership_table` with plain column headings for the page."""
    t = partnership_table(cfg)
    return pd.DataFrame({"Part of the definition": t["part"], "Counted by": t["counted_by"],
                         "What exactly is counted": t["measure"],
                         "Data key": t["source"], "In this assessment": t["status"],
                         "Partner data that would count it": t["partner_source"]})
