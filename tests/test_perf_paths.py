"""The fast paths added for speed give exactly what the plain computation gives.

``monthly_wide(..., months=...)`` pivots only a window of months; the reference is the whole
pivot reindexed to that window (the code path used before), on random frames with gaps,
groups seen only outside the window, months outside the data and absent months per indicator.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sna import periods
from sna.change import monthly_wide
from sna.metrics import window_total


def _frame(seed: int, with_indicator: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    months = periods.month_range("2023-01", "2025-12")
    rows = []
    for b in ["Barnet", "Brent", "Camden"]:
        for ind in ["robbery", "vwi", "knife"]:
            for m in months:
                if rng.random() < 0.2:  # a missing (group, month) row: 0 or NaN by coverage
                    continue
                rows.append((b, ind, m, int(rng.poisson(3))))
    frame = pd.DataFrame(rows, columns=["borough", "indicator", "month", "count"])
    # an indicator absent for three months (NaN there, never 0); a group seen only in 2023
    frame = frame[~((frame["indicator"] == "knife") & frame["month"].isin(
        ["2025-02", "2025-03", "2025-04"]))]
    frame = pd.concat([frame, pd.DataFrame([("Ealing", "robbery", "2023-03", 4)],
                                           columns=frame.columns)], ignore_index=True)
    if not with_indicator:
        frame = frame.rename(columns={"indicator": "offence"})
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("with_indicator", [True, False])
@pytest.mark.parametrize("window", [
    periods.window_months("2025-06", "12m"),  # inside the data, across the absent months
    periods.window_months("2026-02", "3m"),  # partly after the data ends
    periods.window_months("2022-11", "3m"),  # partly before it starts
    periods.window_months("2030-03", "3m"),  # wholly outside: every cell NaN
])
def test_window_pivot_equals_whole_pivot_reindexed(seed, with_indicator, window):
    frame = _frame(seed, with_indicator)
    for by in (["borough", "indicator" if with_indicator else "offence"], ["borough"]):
        data = frame[[*by, "month", "count"]]
        expected = monthly_wide(data, by).reindex(columns=window)
        got = monthly_wide(data, by, window)
        pd.testing.assert_frame_equal(got, expected, check_names=False)
        assert list(got.index.names) == list(expected.index.names)


def test_window_pivot_keeps_zero_and_absent_apart():
    # hand-made: Ealing has no row in the window but the months are in the data (0, not NaN);
    # knife is absent in 2025-03 for every borough (NaN, not 0)
    frame = pd.DataFrame({
        "borough": ["Barnet", "Barnet", "Barnet", "Ealing", "Barnet"],
        "indicator": ["robbery", "robbery", "knife", "robbery", "knife"],
        "month": ["2025-02", "2025-03", "2025-02", "2024-01", "2025-01"],
        "count": [5, 7, 2, 9, 1],
    })
    got = monthly_wide(frame, ["borough", "indicator"], ["2025-02", "2025-03"])
    assert got.loc[("Barnet", "robbery")].tolist() == [5.0, 7.0]
    assert got.loc[("Barnet", "knife"), "2025-02"] == 2.0
    assert np.isnan(got.loc[("Barnet", "knife"), "2025-03"])
    assert got.loc[("Ealing", "robbery")].tolist() == [0.0, 0.0]
    total = window_total(frame, "2025-03", 2, by=["borough", "indicator"]).set_index(
        ["borough", "indicator"])["count"]
    assert total[("Barnet", "robbery")] == 12 and total[("Ealing", "robbery")] == 0
    assert np.isnan(total[("Barnet", "knife")])  # never a partial total


def test_png_keeps_every_pixel_and_drops_only_an_opaque_alpha():
    import io

    from PIL import Image

    from sna.chapter import figure_png, png_bytes
    from sna.plots import new_figure

    rng = np.random.default_rng(0)
    opaque = rng.integers(0, 256, size=(37, 53, 4), dtype=np.uint8)
    opaque[..., 3] = 255
    img = Image.open(io.BytesIO(png_bytes(opaque)))
    assert img.mode == "RGB"
    assert np.array_equal(np.asarray(img.convert("RGBA")), opaque)  # every pixel kept
    seethrough = opaque.copy()
    seethrough[5, 7, 3] = 128  # one half-transparent pixel: the alpha channel stays
    img = Image.open(io.BytesIO(png_bytes(seethrough)))
    assert img.mode == "RGBA" and np.array_equal(np.asarray(img), seethrough)

    fig, ax = new_figure(figsize=(3, 2))  # the house style is opaque
    ax.plot([0, 1, 2], [2, 0, 1])
    assert Image.open(io.BytesIO(figure_png(fig))).mode == "RGB"
