"""Load and validate the area configuration (YAML) into a frozen dataclass.

Paths in the YAML are relative to the YAML file's own folder. Unknown keys are errors (they
are usually typos), a missing required source is an error naming the key, and an optional
source that is absent is simply ``None`` (chapters then say "not supplied").
"""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sna.errors import ConfigError

REQUIRED_SOURCES = ("mps_ward", "wards", "population")
OPTIONAL_SOURCES = (
    "mps_borough", "mps_lsoa", "knife_crime", "mps_dashboard", "vawg", "public_attitudes",
    "homicide", "police_uk", "stop_search",
    "lsoa", "census", "lookups", "imd", "dfe_lait", "neet", "ambulance",
    "clif", "ward_profiles", "partner_indicators", "interventions", "cctv", "assets",
    "vulnerable_populations",
    "data_sources",
)
SOURCE_KEYS = REQUIRED_SOURCES + OPTIONAL_SOURCES
SOURCE_OPTIONS = {"path", "crs", "encoding", "sheet", "level", "id_field", "name_field"}
TOP_KEYS = {"area", "period", "data", "disclosure", "partnership", "targets",
            "recommendations", "plan", "report"}
AREA_KEYS = {"name", "code", "bcu", "neighbours", "slug", "population_denominator"}
DISCLOSURE_KEYS = {"min_count"}
REPORT_KEYS = {"title", "author", "contact"}
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Source:
    """One input file with its reading options."""

    key: str
    path: Path
    options: tuple[tuple[str, Any], ...] = ()

    def option(self, name: str, default: Any = None) -> Any:
        """Return a reading option (``crs``, ``encoding``, ``sheet``...) or ``default``."""
        return dict(self.options).get(name, default)


@dataclass(frozen=True)
class Area:
    """The local authority assessed."""

    name: str
    code: str
    slug: str
    bcu: tuple[str, ...] = ()
    neighbours: tuple[str, ...] = ()


@dataclass(frozen=True)
class SnaConfig:
    """A validated configuration. Build it with :func:`load_config`."""

    path: Path
    area: Area
    period: str
    sources: dict[str, tuple[Source, ...]]
    min_count: int = 5
    partnership: tuple[dict, ...] = ()
    targets: dict[str, Any] = field(default_factory=dict)
    recommendations: Path | None = None
    plan: Path | None = None
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        """Folder of the YAML file (paths are relative to it)."""
        return self.path.parent

    def files(self, key: str) -> tuple[Source, ...]:
        """The files configured for ``key`` (empty tuple when not supplied)."""
        return self.sources.get(key, ())

    def has(self, key: str) -> bool:
        """True if the optional source ``key`` is supplied."""
        return bool(self.sources.get(key))


def slugify(name: str) -> str:
    """``'Barking and Dagenham'`` -> ``'barking-and-dagenham'``."""
    return _SLUG.sub("-", name.lower()).strip("-")


def _check_keys(section: dict, allowed: set[str], where: str, path: Path) -> None:
    unknown = sorted(set(section) - allowed)
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) {', '.join(map(repr, unknown))} in {where}. "
            f"Allowed: {', '.join(sorted(allowed))}. Check the spelling (see README, Configuration)."
        )


def _resolve_entry(key: str, entry: Any, folder: Path, path: Path) -> tuple[Source, ...]:
    items = entry if isinstance(entry, list) else [entry]
    out: list[Source] = []
    for item in items:
        options: dict[str, Any] = {}
        if isinstance(item, dict):
            _check_keys(item, SOURCE_OPTIONS, f"data.{key}", path)
            if "path" not in item:
                raise ConfigError(f"{path}: data.{key} is a mapping without `path:`; add one.")
            options = {k: v for k, v in item.items() if k != "path"}
            item = item["path"]
        if not isinstance(item, str) or not item.strip():
            raise ConfigError(f"{path}: data.{key} must be a path, a glob or a list; got {item!r}.")
        pattern = str(folder / item)
        matches = sorted(glob.glob(pattern)) if glob.has_magic(item) else [pattern]
        matches = [m for m in matches if Path(m).exists()]
        if not matches:
            raise ConfigError(
                f"{path}: data.{key}: no file found at {item!r} (looked in {folder}). "
                "Fix the path (relative to the YAML file) or remove the key if you have no such data."
            )
        for m in matches:
            resolved = Path(m).resolve()
            out.append(Source(key, resolved, tuple(sorted(options.items()))))
    return tuple(out)


def _optional_path(raw: dict, key: str, folder: Path, path: Path) -> Path | None:
    if raw.get(key) is None:
        return None
    p = (folder / str(raw[key])).resolve()
    if not p.exists():
        raise ConfigError(f"{path}: {key}: file {raw[key]!r} not found (looked in {folder}).")
    return p


def load_config(path: str | Path, *, period: str | None = None) -> SnaConfig:
    """Read and validate an area YAML.

    Parameters
    ----------
    path : str or Path
        The YAML file.
    period : str, optional
        Overrides the ``period`` key (``'latest'`` or ``YYYY-MM``).

    Raises
    ------
    ConfigError
        Unknown key, missing required key or source, file not found, malformed YAML.
    """
    path = Path(path).resolve()
    if not path.is_file():
        raise ConfigError(f"Config file {path} not found. Pass --config PATH to a YAML file.")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc}). Fix the syntax and retry.") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the YAML must be a mapping with `area:` and `data:` keys.")
    _check_keys(raw, TOP_KEYS, "the top level", path)
    area_raw = raw.get("area")
    if not isinstance(area_raw, dict) or not area_raw.get("name") or not area_raw.get("code"):
        raise ConfigError(f"{path}: `area:` needs at least `name:` and `code:` (ONS code, e.g. E09000003).")
    _check_keys(area_raw, AREA_KEYS, "area", path)
    code = str(area_raw["code"]).strip()
    if not re.fullmatch(r"[EWSN]\d{8}", code):
        raise ConfigError(f"{path}: area.code {code!r} is not an ONS area code like 'E09000003'.")
    name = str(area_raw["name"]).strip()
    slug = slugify(str(area_raw.get("slug") or name))
    if not slug:
        raise ConfigError(f"{path}: area.slug/name {name!r} gives an empty folder name.")
    area = Area(name=name, code=code, slug=slug,
                bcu=tuple(map(str, area_raw.get("bcu") or ())),
                neighbours=tuple(map(str, area_raw.get("neighbours") or ())))
    data = raw.get("data")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: `data:` must map source keys to files (see README).")
    _check_keys(data, set(SOURCE_KEYS), "data", path)
    missing = [k for k in REQUIRED_SOURCES if not data.get(k)]
    if missing:
        raise ConfigError(
            f"{path}: required data source(s) missing: {', '.join('data.' + k for k in missing)}. "
            "Point each at its file(s) (see README, Configuration)."
        )
    folder = path.parent
    sources = {k: _resolve_entry(k, v, folder, path) for k, v in data.items() if v}
    disclosure = raw.get("disclosure") or {}
    _check_keys(disclosure, DISCLOSURE_KEYS, "disclosure", path)
    min_count = disclosure.get("min_count", 5)
    if not isinstance(min_count, int) or isinstance(min_count, bool) or not 1 <= min_count <= 100:
        raise ConfigError(f"{path}: disclosure.min_count must be a whole number 1-100, got {min_count!r}.")
    report = raw.get("report") or {}
    _check_keys(report, REPORT_KEYS, "report", path)
    partnership = raw.get("partnership") or []
    if not isinstance(partnership, list) or not all(isinstance(p, dict) for p in partnership):
        raise ConfigError(f"{path}: `partnership:` must be a list of mappings (name, type, role, data_shared).")
    targets = raw.get("targets") or {}
    if not isinstance(targets, dict):
        raise ConfigError(f"{path}: `targets:` must map indicator ids to a target change in %.")
    return SnaConfig(
        path=path, area=area, period=str(period or raw.get("period") or "latest"),
        sources=sources, min_count=min_count, partnership=tuple(partnership),
        targets=dict(targets), recommendations=_optional_path(raw, "recommendations", folder, path),
        plan=_optional_path(raw, "plan", folder, path), report=dict(report),
    )
