"""The error family of the SNA workbook.

Every error a user can meet subclasses :class:`SnaError` and the builtin it refines, so
``except ValueError`` still works. Messages are written to be read alone: they name the
file, row (1-based, as a spreadsheet counts, header = row 1), column, the offending value
and the next step.
"""

from __future__ import annotations


class SnaError(Exception):
    """Base for every error raised by sna."""

    exit_code = 2


class ConfigError(SnaError, ValueError):
    """The YAML configuration is invalid (unknown key, missing required source, bad value)."""


class DataError(SnaError, ValueError):
    """An input file cannot be used as it is."""


class SchemaError(DataError):
    """An input file does not match its column contract (missing column, bad value)."""


class EncodingError(DataError):
    """An input file cannot be decoded with the expected text encoding."""


class EmptyDataError(DataError):
    """An input file has no data rows."""


class GeometryError(DataError):
    """A boundary file is unusable: no CRS, invalid or empty geometry, not a spatial file."""


class PeriodError(DataError):
    """The requested period is not covered by the data."""


class ChapterError(SnaError, RuntimeError):
    """A chapter notebook failed to execute or export."""

    exit_code = 1


class LockError(SnaError, RuntimeError):
    """Another run holds the lock on the same area and period."""


class MultiDataError(DataError):
    """Several problems found in one file; ``problems`` holds each message."""

    def __init__(self, path: str, problems: list[str], limit: int = 20):
        self.path = path
        self.problems = list(problems)
        shown = self.problems[:limit]
        more = len(self.problems) - len(shown)
        lines = [f"{path}: {len(self.problems)} problem(s) found:"]
        lines += [f"  - {p}" for p in shown]
        if more > 0:
            lines.append(f"  ... and {more} more (fix these first and re-run `sna validate`).")
        super().__init__("\n".join(lines))
