"""Comparator areas: the DfE children's services statistical neighbours workbook.

``load_comparators`` reads the DfE LAIT statistical neighbours sheet as published ("LA SN
Groups": two rows of column letters/numbers above the header, duplicate ``SNP`` columns, an
"Old SNs:" block of pre-reorganisation LAs after a blank row) or its long CSV form
(``la_num, la_name, sn_rank, sn_la_num[, sn_la_name, closeness]``).

Frame: ``la_num, la_name, go_region, sn_rank`` (1-10), ``sn_la_num, sn_la_name, closeness``
(as published), ``block`` (``current`` | ``old``). DfE LA numbers are not ONS codes: names are
matched to the national data by :func:`sna.national.match_areas`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sna.config import Source
from sna.errors import SchemaError
from sna.io.common import LoadContext, Loaded, Problems, display_path, read_csv_text

LONG_COLUMNS = ["la_num", "la_name", "sn_rank", "sn_la_num"]


def _header_index(raw: pd.DataFrame, path: Path) -> int:
    for i in range(min(len(raw), 15)):
        cells = [str(v).strip() for v in raw.iloc[i].tolist()]
        if "LA num" in cells and "SN1" in cells:
            return i
    raise SchemaError(f"{display_path(path)}: no header row with 'LA num' and 'SN1' in the "
                      "first 15 rows. data.comparators needs the DfE statistical neighbours "
                      "workbook (sheet 'LA SN Groups') as published, or its long CSV.")


def _from_workbook(path: Path, sheet) -> pd.DataFrame:
    try:
        raw = pd.read_excel(path, sheet_name=sheet, header=None, dtype=str)
    except ValueError as exc:
        raise SchemaError(f"{display_path(path)}: cannot read sheet {sheet!r} ({exc}); give "
                          "the statistical neighbours sheet as `sheet:`.") from exc
    h = _header_index(raw, path)
    header = [str(v).strip() for v in raw.iloc[h].tolist()]
    body = raw.iloc[h + 1:]
    col = {name: header.index(name) for name in ("LA num", "LA Name")}
    region = header.index("GOReg") if "GOReg" in header else None
    problems = Problems(path)
    rows, block = [], "current"
    for idx, r in body.iterrows():
        first, name = r.iloc[col["LA num"]], r.iloc[col["LA Name"]]
        if pd.isna(first) and isinstance(name, str) and name.strip().lower().startswith("old"):
            block = "old"
            continue
        if pd.isna(first) and pd.isna(name):
            continue
        if not str(first).strip().isdigit():
            problems.add(idx + 1, "LA num", first, "not a DfE LA number (3 digits)")
            continue
        for k in range(1, 11):
            if f"SN{k}" not in header:
                problems.add(h + 1, f"SN{k}", None, "column missing from the header row")
                break
            j = header.index(f"SN{k}")
            sn = r.iloc[j]
            if pd.isna(sn):
                continue
            if not str(sn).strip().isdigit():
                problems.add(idx + 1, f"SN{k}", sn, "not a DfE LA number (3 digits)")
                continue
            rows.append({"la_num": str(first).strip(), "la_name": str(name).strip(),
                         "go_region": None if region is None else r.iloc[region],
                         "sn_rank": k, "sn_la_num": str(sn).strip(),
                         "closeness": r.iloc[j + 1] if j + 1 < len(r) else None,
                         "block": block})
    problems.raise_if_any()
    out = pd.DataFrame(rows)
    names = out.drop_duplicates("la_num").set_index("la_num")["la_name"]
    out["sn_la_name"] = out["sn_la_num"].map(names)
    return out


def _from_long(path: Path, source: Source) -> pd.DataFrame:
    frame = read_csv_text(path, encoding=source.option("encoding", "utf-8-sig"))
    missing = [c for c in LONG_COLUMNS if c not in frame.columns]
    if missing:
        raise SchemaError(f"{display_path(path)}: missing column(s) {', '.join(missing)}; a "
                          f"long comparators CSV needs {', '.join(LONG_COLUMNS)}.")
    problems = Problems(path)
    for idx, v in frame["sn_rank"].items():
        if not str(v).strip().isdigit():
            problems.add(idx + 2, "sn_rank", v, "not a whole number 1-10")
    problems.raise_if_any()
    frame["sn_rank"] = frame["sn_rank"].astype(int)
    names = frame.drop_duplicates("la_num").set_index("la_num")["la_name"]
    if "sn_la_name" not in frame:
        frame["sn_la_name"] = frame["sn_la_num"].map(names)
    for c in ("go_region", "closeness", "block"):
        if c not in frame:
            frame[c] = None
    return frame


def load_comparators(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """DfE statistical neighbours (workbook or long CSV) -> the frame in the module doc."""
    del ctx
    parts, files = [], []
    for source in sources:
        path = Path(source.path)
        if path.suffix.lower() in {".xlsx", ".xls", ".xlsm", ".ods"}:
            part = _from_workbook(path, source.option("sheet", 0))
        else:
            part = _from_long(path, source)
        parts.append(part)
        files.append({"path": str(path), "rows": int(len(part)),
                      "areas": int(part["la_num"].nunique())})
    frame = pd.concat(parts, ignore_index=True).drop_duplicates(["la_num", "sn_rank"])
    cols = ["la_num", "la_name", "go_region", "sn_rank", "sn_la_num", "sn_la_name",
            "closeness", "block"]
    return Loaded(frame[cols].reset_index(drop=True), {"source": "comparators", "files": files})
