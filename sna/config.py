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

from sna import registry
from sna.errors import ConfigError
from sna.periods import parse_period

# The source keys come from the one source registry (sna/registry.py); kept here by name
# because other modules import them from sna.config.
REQUIRED_SOURCES = registry.source_keys(required=True)
OPTIONAL_SOURCES = registry.source_keys(required=False)
SOURCE_KEYS = REQUIRED_SOURCES + OPTIONAL_SOURCES
SOURCE_OPTIONS = {"path", "crs", "encoding", "sheet", "level", "id_field", "name_field", "kind"}
TOP_KEYS = {"area", "period", "data", "disclosure", "partnership", "targets",
            "recommendations", "plan", "report", "costs", "evaluations"}
AREA_KEYS = {"name", "code", "bcu", "neighbours", "slug", "population_denominator", "similar"}
COSTS_KEYS = {"price_uplift", "price_year", "unit_costs", "harm_weights"}
DISCLOSURE_KEYS = {"min_count", "open_data"}
OPEN_DATA = ("publish", "suppress")
REPORT_KEYS = {"title", "author", "contact", "demo"}
EVALUATION_KEYS = {"name", "start", "end", "where", "outcome"}
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
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
    similar: tuple[str, ...] = ()


@dataclass(frozen=True)
class Evaluation:
    """One intervention to evaluate (``evaluations:``; months ``YYYY-MM``).

    ``where`` is ``'borough'`` or a tuple of ward codes/names (checked against the ward
    boundaries before a run, :func:`sna.evaluation_data.check_evaluations`).
    """

    name: str
    start: str
    outcome: str = "serious_violence"
    where: str | tuple[str, ...] = "borough"
    end: str | None = None


@dataclass(frozen=True)
class SnaConfig:
    """A validated configuration. Build it with :func:`load_config`."""

    path: Path
    area: Area
    period: str
    sources: dict[str, tuple[Source, ...]]
    min_count: int = 5
    open_data: str = "publish"
    partnership: tuple[dict, ...] = ()
    targets: dict[str, Any] = field(default_factory=dict)
    recommendations: Path | None = None
    plan: Path | None = None
    report: dict[str, Any] = field(default_factory=dict)
    costs: dict[str, Any] = field(default_factory=dict)
    evaluations: tuple[Evaluation, ...] = ()

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

    def threshold(self, sensitivity: str) -> int:
        """The smallest count published for a table of ``sensitivity`` (``open``, ``partner``
        or ``mixed``): ``min_count`` for partner data about people, always; for open published
        statistics 1 (shown as their publisher shows them) unless ``open_data: suppress``."""
        if sensitivity == "open" and self.open_data == "publish":
            return 1
        return self.min_count


class _StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key given twice in one mapping (PyYAML keeps the
    last silently, which can drop a data file or a setting)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if isinstance(key, list | dict | set):
                continue  # unhashable: let PyYAML report it
            if key in seen:
                raise ConfigError(
                    f"{key_node.start_mark.name}, line {line}: key {key!r} is given twice (first "
                    f"on line {seen[key]}); YAML would keep only the last. Merge the two entries "
                    "(a source with several files takes a list: `key: [file1, file2]`).")
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file safely (no Python tags), refusing duplicate keys with file and line.

    Raises
    ------
    ConfigError
        Malformed YAML, a duplicate key, or a file that is not UTF-8 text.
    """
    try:
        text = path.read_text(encoding="utf-8")
        loader = _StrictLoader(text)
        loader.name = str(path)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc}). Fix the syntax and retry.") from exc


def _period(raw: dict, override: str | None, path: Path) -> str:
    """The configured period, normalised (``latest`` or ``YYYY-MM``); strict forms only."""
    text = str(override or raw.get("period") or "latest").strip()
    if text.lower() == "latest":
        return "latest"
    try:
        return parse_period(text)
    except ValueError as exc:
        where = "--period" if override else f"{path}: period"
        raise ConfigError(f"{where}: {exc}") from None


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


def _month(value: Any, what: str, path: Path) -> str:
    text = str(value).strip()
    if not _MONTH.match(text):
        raise ConfigError(f"{path}: {what} {value!r} is not a month; write YYYY-MM, e.g. 2022-04.")
    return text


def parse_evaluations(raw: Any, path: Path) -> tuple[Evaluation, ...]:
    """Check the ``evaluations:`` list (keys, months, ``where``, outcome id) without the data.

    Raises
    ------
    ConfigError
        Naming the entry and the key: not a list of mappings, unknown key, missing name or
        start, a month not written ``YYYY-MM``, end before start, an outcome that is not a
        recorded-crime indicator id, ``where`` neither ``borough`` nor a list of wards.
    """
    from sna.definitions import load_indicators

    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
        raise ConfigError(f"{path}: `evaluations:` must be a list of mappings (name, start, "
                          "end, where, outcome).")
    outcomes = sorted(i for i, s in load_indicators().items() if s["source"] == "mps")
    out, names = [], set()
    for n, e in enumerate(raw, start=1):
        label = f"evaluations entry {n} ({e.get('name')!r})"
        _check_keys(e, EVALUATION_KEYS, label, path)
        name = str(e.get("name") or "").strip()
        if not name or name in names:
            raise ConfigError(f"{path}: {label} needs a `name:` not used by another entry.")
        names.add(name)
        if e.get("start") is None:
            raise ConfigError(f"{path}: {label} needs `start:` (month it began, YYYY-MM).")
        start = _month(e["start"], f"{label}: start", path)
        end = None if e.get("end") is None else _month(e["end"], f"{label}: end", path)
        if end is not None and end < start:
            raise ConfigError(f"{path}: {label}: end {end} is before start {start}.")
        outcome = str(e.get("outcome") or "serious_violence").strip()
        if outcome not in outcomes:
            raise ConfigError(f"{path}: {label}: outcome {outcome!r} is not an indicator id. "
                              f"Choose one of: {', '.join(outcomes)}.")
        where = e.get("where", "borough")
        if isinstance(where, str) and where.strip().lower() in ("borough", "borough-wide"):
            where = "borough"
        elif isinstance(where, str | list) and where and all(
                isinstance(w, str | int) and str(w).strip()
                for w in ([where] if isinstance(where, str) else where)):
            where = tuple(str(w).strip() for w in ([where] if isinstance(where, str) else where))
        else:
            raise ConfigError(f"{path}: {label}: where {where!r} must be `borough` or a list of "
                              "2022 ward codes or names.")
        out.append(Evaluation(name=name, start=start, end=end, where=where, outcome=outcome))
    return tuple(out)


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
    raw = read_yaml(path)
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
                neighbours=tuple(map(str, area_raw.get("neighbours") or ())),
                similar=tuple(map(str, area_raw.get("similar") or ())))
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
    open_data = disclosure.get("open_data", "publish")
    if open_data not in OPEN_DATA:
        raise ConfigError(f"{path}: disclosure.open_data must be 'publish' (open statistics shown "
                          f"as published) or 'suppress' (every count 1-{min_count - 1} hidden), "
                          f"got {open_data!r}.")
    report = raw.get("report") or {}
    _check_keys(report, REPORT_KEYS, "report", path)
    partnership = raw.get("partnership") or []
    if not isinstance(partnership, list) or not all(isinstance(p, dict) for p in partnership):
        raise ConfigError(f"{path}: `partnership:` must be a list of mappings (name, type, role, data_shared).")
    targets = raw.get("targets") or {}
    if not isinstance(targets, dict):
        raise ConfigError(f"{path}: `targets:` must map indicator ids to a target change in %.")
    costs = _costs(raw.get("costs"), folder, path)
    return SnaConfig(
        path=path, area=area, period=_period(raw, period, path),
        sources=sources, min_count=min_count, open_data=open_data, partnership=tuple(partnership),
        targets=dict(targets), recommendations=_optional_path(raw, "recommendations", folder, path),
        plan=_optional_path(raw, "plan", folder, path), report=dict(report), costs=costs,
        evaluations=parse_evaluations(raw.get("evaluations"), path),
    )


def _costs(raw: Any, folder: Path, path: Path) -> dict[str, Any]:
    """Validate ``costs:`` (uplift to current prices, own unit-cost or harm-weight files)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: `costs:` must be a mapping (price_uplift, price_year, "
                          "unit_costs, harm_weights).")
    _check_keys(raw, COSTS_KEYS, "costs", path)
    out = dict(raw)
    uplift = raw.get("price_uplift")
    if uplift is not None and (isinstance(uplift, bool) or not isinstance(uplift, int | float)
                               or not 0.5 <= uplift <= 5):
        raise ConfigError(f"{path}: costs.price_uplift must be a number between 0.5 and 5 (the "
                          f"factor from 2019/20 prices to today's, e.g. 1.25); got {uplift!r}.")
    if uplift is not None and not raw.get("price_year"):
        raise ConfigError(f"{path}: costs.price_uplift needs costs.price_year (e.g. '2024/25'), "
                          "the price year the uplift brings the costs to.")
    for key in ("unit_costs", "harm_weights"):
        if raw.get(key) is not None:
            out[key] = _optional_path(raw, key, folder, path)
    return out
