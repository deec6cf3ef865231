"""Loaders, one module per source family. See :mod:`sna.io.common` for the loader contract.

``LOADERS`` maps each config key to ``"module:function"``; :func:`get_loader` imports lazily so
that loading one source never imports geopandas unless needed.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

LOADERS: dict[str, str] = {
    "mps_ward": "sna.io.mps:load_mps_ward",
    "mps_borough": "sna.io.mps:load_mps_borough",
    "mps_lsoa": "sna.io.mps:load_mps_lsoa",
    "knife_crime": "sna.io.dashboard:load_mps_dashboard",  # alias of mps_dashboard
    "mps_dashboard": "sna.io.dashboard:load_mps_dashboard",
    "vawg": "sna.io.vawg:load_vawg",
    "public_attitudes": "sna.io.attitudes:load_public_attitudes",
    "homicide": "sna.io.mps_dashboards:load_homicide",
    "police_uk": "sna.io.police_uk:load_police_uk",
    "stop_search": "sna.io.police_uk:load_stop_search",
    "wards": "sna.io.boundaries:load_wards",
    "lsoa": "sna.io.boundaries:load_lsoa",
    "population": "sna.io.census:load_population",
    "census": "sna.io.census:load_census",
    "lookups": "sna.io.boundaries:load_lookups",
    "imd": "sna.io.imd:load_imd",
    "clif": "sna.io.census:load_clif",
    "ward_profiles": "sna.io.census:load_ward_profiles",
    "dfe_lait": "sna.io.dfe:load_dfe_lait",
    "neet": "sna.io.dfe:load_neet",
    "ambulance": "sna.io.ambulance:load_ambulance",
    "partner_indicators": "sna.io.partner:load_partner_indicators",
    "interventions": "sna.io.partner:load_interventions",
    "cctv": "sna.io.partner:load_cctv",
    "assets": "sna.io.partner:load_assets",
    "vulnerable_populations": "sna.io.partner:load_vulnerable_populations",
    "data_sources": "sna.io.partner:load_data_sources",
}


def get_loader(key: str) -> Callable:
    """Return the loader function for a config key."""
    module, func = LOADERS[key].split(":")
    return getattr(importlib.import_module(module), func)
