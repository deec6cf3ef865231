"""One registry per concept, read by everything that needs it.

* **Sources** (:data:`SOURCES`): every ``data:`` key with its loader, whether it is required,
  what it is, publisher, licence, template and where to get it. Config validation
  (:mod:`sna.config`), the loaders map (:mod:`sna.io`), the pre-flight
  (:mod:`sna.report.inputs`), the methodology inventory and the README table all read it.
* **Chapters** (:func:`chapters`): discovered from the notebooks themselves. A notebook
  ``notebooks/NN_topic.ipynb`` with a ``parameters`` cell and notebook metadata
  ``{"sna": {"title": ..., "depends": [...], "components": [...]}}`` is a chapter
  (ARCHITECTURE 8.4). ``depends: ["*"]`` means "every other chapter" (the executive summary):
  it runs last. Run order is dependencies first, then chapter number; reading order is chapter
  number (so ``00_summary`` is shown first).
* **SNA components** (:data:`SNA_COMPONENTS`): the 11 components of the needs assessment;
  each chapter's metadata says which it covers (:func:`components`).
* **Definition-derived constants** (:func:`sv_parts`): read from
  ``sna/definitions/indicators.yaml`` so that changing the definition is one edit there.

This module is a base layer: it imports only :mod:`sna.errors` at module level (the
definitions lazily), so that ``report/``, ``config`` and the chapter API can all read it.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sna.errors import ConfigError

# --- sources -----------------------------------------------------------------------------

OGL3, OGL2 = "Open Government Licence v3.0", "Open Government Licence v2.0"
AGREED = "as agreed with the data owner"
LBB = "{area} council and partners"  # {area} is filled with the area's name
MPS_DS = "Metropolitan Police Service (London Datastore)"


@dataclass(frozen=True)
class SourceSpec:
    """One ``data:`` key of the config.

    Attributes
    ----------
    key : str
        The config key (``data.<key>``).
    loader : str
        ``"module:function"`` parsing the files (see :mod:`sna.io.common` for the contract).
    required : bool
        A config without it is refused.
    what : str
        Plain-English description (data inventory, README).
    publisher, licence : str
        As in ``data/PROVENANCE.md``; ``{area}`` in the publisher is the area's name.
    template : str
        For partner data: the CSV template under ``data/templates/`` ('' for open data).
    docs : str
        Where to get it (README table).
    """

    key: str
    loader: str
    required: bool
    what: str
    publisher: str
    licence: str
    template: str = ""
    docs: str = ""


SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec("mps_ward", "sna.io.mps:load_mps_ward", True, "Recorded crime by ward", MPS_DS,
               OGL2, docs="London Datastore, \"MPS Recorded Crime: Geographic Breakdown\" "
               "(wide CSV as published, or the Parquet re-distributions)"),
    SourceSpec("wards", "sna.io.boundaries:load_wards", True, "Ward boundaries (2022)",
               "Office for National Statistics", OGL3,
               docs="ONS Open Geography Portal (any GDAL format, any CRS)"),
    SourceSpec("population", "sna.io.census:load_population", True,
               "Census 2021 population by age (TS007A)", "Office for National Statistics", OGL3,
               docs="Nomis bulk downloads, Census 2021 TS007A"),
    SourceSpec("mps_borough", "sna.io.mps:load_mps_borough", False,
               "Recorded crime by borough", MPS_DS, OGL2,
               docs="London Datastore, \"MPS Recorded Crime: Geographic Breakdown\""),
    SourceSpec("mps_lsoa", "sna.io.mps:load_mps_lsoa", False, "Recorded crime by LSOA", MPS_DS,
               OGL2, docs="London Datastore, \"MPS Recorded Crime: Geographic Breakdown\""),
    SourceSpec("knife_crime", "sna.io.dashboard:load_mps_dashboard", False,
               "MPS monthly crime dashboard (the older key for mps_dashboard, still accepted)",
               "Metropolitan Police Service", OGL2,
               docs="London Datastore, MPS monthly crime dashboard data"),
    SourceSpec("mps_dashboard", "sna.io.dashboard:load_mps_dashboard", False,
               "MPS monthly crime dashboard: domestic abuse, gun, hate and knife crime, "
               "knife-injury victims aged 1-24, by borough and ward", MPS_DS, OGL2,
               docs="London Datastore, MPS Monthly Crime Dashboard data (any sheet or vintage: "
               "parquet, csv or xlsx as published)"),
    SourceSpec("vawg", "sna.io.vawg:load_vawg", False,
               "Violence against women and girls dashboard data", MPS_DS, OGL2,
               docs="London Datastore, MPS violence against women and girls dashboard data"),
    SourceSpec("public_attitudes", "sna.io.attitudes:load_public_attitudes", False,
               "MOPAC Public Attitude Survey, borough (trust, confidence, 'good job')",
               "Mayor's Office for Policing and Crime (London Datastore)", OGL2 + " (assumed)",
               docs="London Datastore, MOPAC Public Attitude Survey borough dashboard data"),
    SourceSpec("homicide", "sna.io.mps_dashboards:load_homicide", False, "Homicide dashboard",
               "Metropolitan Police Service", OGL2, docs="London Datastore, MPS homicide data"),
    SourceSpec("police_uk", "sna.io.police_uk:load_police_uk", False, "Street-level crime",
               "police.uk (Home Office)", OGL3,
               docs="police.uk open data (file, folder or monthly archive zip)"),
    SourceSpec("stop_search", "sna.io.police_uk:load_stop_search", False, "Stop and search",
               "police.uk (Home Office)", OGL3, docs="police.uk open data"),
    SourceSpec("lsoa", "sna.io.boundaries:load_lsoa", False, "LSOA boundaries (2021)",
               "Office for National Statistics", OGL3, docs="ONS Open Geography Portal"),
    SourceSpec("census", "sna.io.census:load_census", False,
               "Census 2021 tables (deprivation, housing, work, qualifications)",
               "Office for National Statistics", OGL3,
               docs="Nomis bulk downloads, Census 2021 TS003, TS006, TS008, TS011, TS021, TS041, TS044, TS054, TS066, TS067"),
    SourceSpec("lookups", "sna.io.lookups:load_lookups", False, "LSOA to ward lookups",
               "ONS / Greater London Authority", OGL3, docs="ONS Open Geography Portal, GLA"),
    SourceSpec("imd", "sna.io.imd:load_imd", False, "Indices of Deprivation 2019 and 2025",
               "MHCLG", OGL3, docs="MHCLG, English Indices of Deprivation (IoD2019 / IoD2025)"),
    SourceSpec("dfe_lait", "sna.io.dfe:load_dfe_lait", False,
               "Local Authority Interactive Tool (youth justice, exclusions, NEET, CIN)",
               "Department for Education", OGL3, docs="DfE Local Authority Interactive Tool"),
    SourceSpec("neet", "sna.io.dfe:load_neet", False,
               "16-17 year olds not in education, employment or training",
               "Department for Education", OGL3, docs="DfE, NEET 16-17 by local authority"),
    SourceSpec("ambulance", "sna.io.ambulance:load_ambulance", False,
               "London Ambulance Service call-outs", "LAS via London Datastore (GLA)", OGL3,
               docs="London Datastore, LAS call-outs by borough"),
    SourceSpec("clif", "sna.io.census:load_clif", False,
               "Children in low income families by ward", "Department for Work and Pensions",
               OGL3, docs="DWP Stat-Xplore, children in low income families by ward"),
    SourceSpec("ward_profiles", "sna.io.census:load_ward_profiles", False, "Ward profiles",
               "Greater London Authority", OGL3, docs="London Datastore, ward profiles"),
    SourceSpec("partner_indicators", "sna.io.partner:load_partner_indicators", False,
               "Partner indicators (MARAC, IOM, ASB, Prevent...)", LBB, OGL3 + " (assumed)",
               "partner_indicators.csv", "the partnership's own returns"),
    SourceSpec("interventions", "sna.io.partner:load_interventions", False,
               "Interventions register", LBB, OGL3 + " (assumed)",
               "interventions_register.csv", "the partnership's own register"),
    SourceSpec("cctv", "sna.io.partner:load_cctv", False, "CCTV incidents by ward", LBB,
               OGL3 + " (assumed)", "cctv_incidents_by_ward.csv", "the council's CCTV service"),
    SourceSpec("assets", "sna.io.partner:load_assets", False, "Community assets",
               "Local partners", AGREED, "assets.csv", "local partners"),
    SourceSpec("vulnerable_populations", "sna.io.partner:load_vulnerable_populations", False,
               "Vulnerable populations", "Local partners", AGREED,
               "vulnerable_populations.csv", "local partners"),
    SourceSpec("data_sources", "sna.io.partner:load_data_sources", False,
               "The partnership's data-collection status list", LBB, OGL3 + " (assumed)",
               "data_sources.csv", "the partnership's own list"),
    SourceSpec("csp_crime", "sna.io.csp:load_csp_crime", False,
               "Police recorded crime by Community Safety Partnership, England and Wales "
               "(ONS table C2)", "Office for National Statistics (Home Office police recorded "
               "crime)", OGL3, docs="ONS, \"Recorded crime data by Community Safety Partnership "
               "area\" (table C2, xlsx as published)"),
    SourceSpec("comparators", "sna.io.comparators:load_comparators", False,
               "Statistical neighbours (similar areas)", "Department for Education", OGL3,
               docs="DfE, \"Children's services statistical neighbour benchmarking tool\" "
               "(xlsx as published, or its long CSV)"),
    SourceSpec("places", "sna.io.places:load_places", False,
               "Places: schools, stations, bus stops (points)",
               "GLA / DfE Edubase, DfT NaPTAN, TfL", OGL3 + " (TfL: open data terms)",
               docs="any CSV with easting/northing or lat/lon, or any OGR file; one entry per "
               "list: {path: ..., kind: schools}"),
    SourceSpec("police_records", "sna.io.records:load_police_records", False,
               "Police crime records, one row per crime and victim (personal data: only "
               "aggregates after disclosure control are published)",
               "Metropolitan Police Service (partner extract)", AGREED, "police_records.csv",
               "the police, under the partnership's data-sharing agreement"),
    SourceSpec("ae_attendances", "sna.io.records:load_ae_attendances", False,
               "A&E assault attendances, one row per attendance (personal data: only "
               "aggregates after disclosure control are published)",
               "NHS emergency departments (partner extract)", AGREED, "ae_attendances.csv",
               "the NHS trusts' emergency departments (ISTV/ISP returns)"),
)
_BY_KEY = {s.key: s for s in SOURCES}


def source(key: str) -> SourceSpec:
    """The registry entry of ``data.<key>`` (``KeyError`` when there is none)."""
    return _BY_KEY[key]


def source_keys(*, required: bool | None = None) -> tuple[str, ...]:
    """Config keys in registry order; only required (``True``) or optional (``False``) ones."""
    return tuple(s.key for s in SOURCES if required is None or s.required == required)


def loaders() -> dict[str, str]:
    """Config key -> ``"module:function"`` of its loader."""
    return {s.key: s.loader for s in SOURCES}


def sources_markdown() -> str:
    """The README's table of sources (a test checks the README holds exactly this)."""
    lines = ["| Key | Required | What | Publisher | Licence | Where to get it |",
             "|---|---|---|---|---|---|"]
    for s in SOURCES:
        where = s.docs + (f" (template `data/templates/{s.template}`)" if s.template else "")
        lines.append(f"| `{s.key}` | {'yes' if s.required else 'no'} | {s.what} | "
                     f"{s.publisher.replace('{area}', 'the')} | {s.licence} | {where} |")
    return "\n".join(lines)


# --- SNA components ----------------------------------------------------------------------

SNA_COMPONENTS: tuple[str, ...] = (
    "Serious Violence", "Methodology", "Demographic and Socioeconomic Context",
    "Serious Violence Data and Trends", "Risk Factors and Vulnerable Populations",
    "Protective Factors and Assets", "Stakeholder Engagement and Partnerships",
    "Current Interventions and Programs", "Recommendations", "Implementation Plan",
    "Monitoring and Evaluation")


# --- chapters ----------------------------------------------------------------------------

CHAPTER_ID = re.compile(r"^\d{2}_[a-z0-9_]+$")
ALL = "*"
# Temporary entries for a notebook that has no ``sna`` metadata yet: id -> title / depends.
# Metadata always wins; prefer adding metadata to the notebook (docs/CONTRIBUTING.md).
LEGACY_TITLES: dict[str, str] = {}
LEGACY_DEPENDS: dict[str, list[str]] = {}


@dataclass(frozen=True)
class ChapterSpec:
    """A chapter notebook as its metadata describes it.

    Attributes
    ----------
    id : str
        ``NN_topic`` (the notebook's file name without ``.ipynb``).
    title : str
        Shown in the index, the page navigation and the summary.
    depends : tuple of str
        Chapters that must finish first (``*`` already expanded to every other chapter).
    components : tuple of (str, str)
        SNA components covered, each with the section heading that covers it.
    path : pathlib.Path
        The notebook.
    reads_all : bool
        ``depends: ["*"]``: runs after every other chapter (the executive summary).
    """

    id: str
    title: str
    depends: tuple[str, ...]
    components: tuple[tuple[str, str], ...]
    path: Path
    reads_all: bool = False


def project_root() -> Path:
    """The folder holding ``notebooks/`` (``SNA_PROJECT_ROOT``, else the repository root)."""
    env = os.environ.get("SNA_PROJECT_ROOT")
    return Path(env) if env else Path(__file__).resolve().parents[1]


def notebooks_dir() -> Path:
    """The chapter notebooks' folder (``SNA_NOTEBOOKS_DIR``, else ``<project>/notebooks``)."""
    env = os.environ.get("SNA_NOTEBOOKS_DIR")
    return Path(env) if env else project_root() / "notebooks"


def _bad(path: Path, what: str) -> ConfigError:
    return ConfigError(f"{path}: {what} See docs/CONTRIBUTING.md, 'Add a chapter'.")


def _components(path: Path, raw: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, list):
        raise _bad(path, f"metadata sna.components must be a list, got {raw!r}.")
    out = []
    for item in raw:
        name, section = (item, "") if isinstance(item, str) else (
            (item.get("component"), item.get("section", "")) if isinstance(item, dict)
            else (None, ""))
        if name not in SNA_COMPONENTS:
            raise _bad(path, f"metadata sna.components has {item!r}; each entry is one of "
                       f"{', '.join(SNA_COMPONENTS)} (or {{'component': ..., 'section': ...}}).")
        out.append((str(name), str(section)))
    return tuple(out)


def read_chapter(path: Path) -> tuple[str, list[str], tuple[tuple[str, str], ...]] | None:
    """``(title, depends, components)`` from a notebook's ``sna`` metadata, ``None`` when it
    has none; a clear :class:`ConfigError` naming the notebook when it is malformed or has no
    ``parameters`` cell."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _bad(path, f"is not a readable notebook ({exc}).") from exc
    meta = (nb.get("metadata") or {}).get("sna") if isinstance(nb, dict) else None
    if meta is None:
        return None
    if not isinstance(meta, dict) or not isinstance(meta.get("title"), str) \
            or not meta["title"].strip():
        raise _bad(path, "notebook metadata `sna` needs a non-empty string `title`.")
    unknown = sorted(set(meta) - {"title", "depends", "components"})
    if unknown:
        raise _bad(path, f"unknown key(s) {', '.join(unknown)} in metadata `sna` "
                   "(allowed: title, depends, components).")
    depends = meta.get("depends", [])
    if not isinstance(depends, list) or not all(isinstance(d, str) for d in depends):
        raise _bad(path, f"metadata sna.depends must be a list of chapter ids, got {depends!r}.")
    tags = [c.get("metadata", {}).get("tags", []) for c in nb.get("cells", [])
            if c.get("cell_type") == "code"]
    if not any("parameters" in t for t in tags):
        raise _bad(path, "has no code cell tagged `parameters` (config_path, period, "
                   "output_dir).")
    return meta["title"].strip(), depends, _components(path, meta.get("components", []))


def _stamp(folder: Path) -> tuple:
    try:
        return tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size)
                            for p in folder.glob("*.ipynb")))
    except OSError:
        return ()


def chapters(folder: Path | None = None) -> dict[str, ChapterSpec]:
    """Every chapter in ``folder`` (default :func:`notebooks_dir`), in run order.

    Raises
    ------
    ConfigError
        A notebook's metadata is malformed, names an unknown dependency or a cycle.
    """
    folder = Path(folder) if folder is not None else notebooks_dir()
    found = _discover(str(folder.resolve()), _stamp(folder))
    if not found:
        raise ConfigError(f"{folder}: no chapter notebooks (NN_topic.ipynb) found. Check "
                          "SNA_PROJECT_ROOT / SNA_NOTEBOOKS_DIR, or run from the project.")
    return found


@lru_cache(maxsize=8)
def _discover(folder: str, stamp: tuple) -> dict[str, ChapterSpec]:
    found: dict[str, tuple] = {}
    for path in sorted(Path(folder).glob("*.ipynb")):
        cid = path.stem
        if not CHAPTER_ID.match(cid):
            continue
        meta = read_chapter(path)
        if meta is None:
            if cid not in LEGACY_TITLES:
                raise _bad(path, 'has no notebook metadata "sna" ({"title": ..., "depends": '
                           '[...], "components": [...]}); a chapter notebook needs it.')
            meta = (LEGACY_TITLES[cid], list(LEGACY_DEPENDS.get(cid, [])), ())
        found[cid] = (path, *meta)
    specs = {}
    for cid, (path, title, deps, comps) in found.items():
        reads_all = ALL in deps
        if reads_all:
            deps = [c for c in found if c != cid and ALL not in found[c][2]]
        missing = [d for d in deps if d not in found]
        if missing:
            raise _bad(path, f"metadata sna.depends names {', '.join(missing)}, which is not a "
                       f"chapter in {folder}.")
        specs[cid] = ChapterSpec(cid, title, tuple(deps), comps, path, reads_all)
    return {cid: specs[cid] for cid in _topological(specs)}


def _topological(specs: dict[str, ChapterSpec]) -> list[str]:
    """Dependencies first; among chapters ready together, the lower number first."""
    done: list[str] = []
    left = dict(specs)
    while left:
        ready = sorted(c for c, s in left.items() if all(d in done for d in s.depends))
        if not ready:
            raise _bad(next(iter(left.values())).path,
                       f"chapters {', '.join(sorted(left))} depend on each other in a circle.")
        done.append(ready[0])
        del left[ready[0]]
    return done


def chapter_titles(folder: Path | None = None) -> dict[str, str]:
    """Chapter id -> title, in run order (``sna.chapter.CHAPTERS``)."""
    return {c: s.title for c, s in chapters(folder).items()}


def run_order(folder: Path | None = None) -> list[str]:
    """Chapter ids in run order (dependencies first)."""
    return list(chapters(folder))


def reading_order(folder: Path | None = None) -> list[str]:
    """Chapter ids in reading order (by number: the summary, 00, first)."""
    return sorted(chapters(folder))


def depends(folder: Path | None = None) -> dict[str, list[str]]:
    """Chapter id -> the chapters it waits for (only chapters with dependencies)."""
    return {c: list(s.depends) for c, s in chapters(folder).items() if s.depends}


def components(folder: Path | None = None) -> list[tuple[int, str, str, str]]:
    """``(number, component, chapter id, section)`` for the 11 SNA components: the first
    chapter in reading order that claims a component covers it (chapter '' when none does)."""
    specs = chapters(folder)
    out = []
    for n, name in enumerate(SNA_COMPONENTS, 1):
        hit = next(((c, sec) for c in sorted(specs) for comp, sec in specs[c].components
                    if comp == name), ("", ""))
        out.append((n, name, hit[0], hit[1]))
    return out


def components_by_chapter(folder: Path | None = None) -> dict[str, list[str]]:
    """Chapter id -> names of the components it covers (with its section when it has one)."""
    return {c: [f"{name} ({sec})" if sec else name for name, sec in s.components]
            for c, s in chapters(folder).items() if s.components}


# --- the definition ----------------------------------------------------------------------

def sv_parts(level: str | None = None, composite: str = "serious_violence") -> tuple[str, ...]:
    """The indicators the serious-violence composite adds up (``indicators.yaml``), without
    those the data do not publish at ``level`` (``not_published``, e.g. sexual offences at
    LSOA level)."""
    from sna.definitions import load_definitions

    defs = load_definitions()
    hidden = set((defs.get("not_published") or {}).get(level, [])) if level else set()
    return tuple(c for c in defs["indicators"][composite]["components"] if c not in hidden)


def sv_parts_text(level: str | None = None) -> str:
    """The parts of :func:`sv_parts` in words for prose, e.g. 'homicide, violence with injury,
    personal robbery and possession of weapons' (labels from ``indicators.yaml``)."""
    from sna.definitions import indicator_label

    words = [(lab[:1].lower() + lab[1:]) for lab in map(indicator_label, sv_parts(level))]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
