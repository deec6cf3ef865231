"""Chapter 01 (context and borough profile): the Serious Violence Duty's partners and the
serious violence definition used, as tables and sentences for readers (from
``sna/definitions/indicators.yaml`` and the config's ``partnership`` list).
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from sna.definitions import cannot_separate, load_indicators
from sna.narrative import join_and, md_text

SOURCE_LABEL = {"mps": "MPS recorded crime", "knife_crime": "MPS crime dashboard"}


def _categories_text(spec: dict[str, Any]) -> str:
    if spec.get("components"):
        labels = load_indicators()
        return "Sum of: " + ", ".join(labels[c]["label"] for c in spec["components"])
    keys = (("major", "minor") if spec["source"] == "mps"
            else ("crime_subtype", "measure"))
    seen = dict.fromkeys(" / ".join(str(c[k]) for k in keys) for c in spec["categories"])
    return "; ".join(seen)


def definition_table() -> pd.DataFrame:
    """The indicators of ``indicators.yaml`` as a table for readers.

    Returns
    -------
    pandas.DataFrame
        ``Indicator, Source, Published categories (all vintages), What it counts, Part of
        the serious violence total, Caveats`` - one row per indicator, YAML order.
    """
    rows = [{"Indicator": s["label"], "Source": SOURCE_LABEL[s["source"]],
             "Published categories (all vintages)": _categories_text(s),
             "What it counts": " ".join(str(s["description"]).split()),
             "Part of the serious violence total": "yes" if s["sv_component"] else "no",
             "Caveats": _plain(s.get("notes", ""))}
            for s in load_indicators().values()]
    return pd.DataFrame(rows)


def _plain(text: object) -> str:
    """YAML notes for readers: no developer asides in brackets, no backticks."""
    text = re.sub(r"\s*\((?:[^)]*`[^)]*|polarity [a-z_]+)\)", "", " ".join(str(text or "").split()))
    words = {"cannot_separate": "the table below of what cannot be separated",
             "ignored": "the categories deliberately not counted"}
    return re.sub(r"`([^`]*)`", lambda m: words.get(m[1], m[1].replace("_", " ")), text)


def cannot_separate_table() -> pd.DataFrame:
    """What the published categories cannot isolate: ``What, Why not, Data needed``."""
    return pd.DataFrame([{"What": c["item"], "Why not": " ".join(str(c["why"]).split()),
                          "Data needed": " ".join(str(c["source_needed"]).split())}
                         for c in cannot_separate()])


def sv_definition_text() -> str:
    """The serious violence definition, as written in ``indicators.yaml`` (plain text)."""
    spec = load_indicators()["serious_violence"]
    return " ".join(str(spec["description"]).split())


def specified_authorities(partnership: tuple[dict, ...]) -> str:
    """Names of the config's partners of type 'specified authority', as one phrase."""
    names = [str(p.get("name", "")) for p in partnership
             if str(p.get("type", "")).strip().lower() == "specified authority"]
    return join_and(names)


def duty_partners_text(cfg: Any) -> str:
    """Markdown sentence naming the area's specified authorities (from ``partnership``)."""
    names = specified_authorities(cfg.partnership)
    if not names:
        return ("The partnership's members are not listed in the configuration (add "
                "`partnership:` to name them).")
    return (f"In {md_text(cfg.area.name)}, the specified authorities working together under "
            f"the Duty are: {md_text(names)}. Chapter 05 describes the partnership.")
