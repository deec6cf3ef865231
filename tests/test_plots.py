"""Tests for sna.plots: every function returns a Figure and alt text with the key numbers."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import geopandas as gpd  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from shapely.geometry import box  # noqa: E402

from sna import charts, maps, plots  # noqa: E402

WARDS = (
    Path(__file__).resolve().parents[1]
    / "data"
    / "raw"
    / "boundaries"
    / "barnet_wards_2022.geojson"
)


@pytest.fixture(autouse=True)
def _no_show(monkeypatch):
    def fail(*_a, **_k):
        raise AssertionError("plt.show() must never be called")

    monkeypatch.setattr(plt, "show", fail)


@pytest.fixture()
def grid() -> gpd.GeoDataFrame:
    """3 x 3 squares (EPSG:27700, 1 km), values 1..9 with one NaN."""
    cells = [(r, c) for r in range(3) for c in range(3)]
    values = [float(i + 1) for i in range(9)]
    values[4] = np.nan
    return gpd.GeoDataFrame(
        {
            "ward_code": [f"W{i}" for i in range(9)],
            "ward_name": [f"Ward {i}" for i in range(9)],
            "rate": values,
            "change": [-3.0, -1.0, 0.0, 2.0, np.nan, 5.5, 1.0, -2.0, 4.0],
        },
        geometry=[box(c * 1000, r * 1000, c * 1000 + 1000, r * 1000 + 1000) for r, c in cells],
        crs="EPSG:27700",
    )


@pytest.fixture(scope="module")
def barnet() -> gpd.GeoDataFrame:
    g = gpd.read_file(WARDS).rename(columns={"WD22CD": "ward_code", "WD22NM": "ward_name"})
    return g.assign(rate=np.linspace(2.0, 14.2, len(g)))


def _check(result) -> str:
    fig, alt = result
    assert isinstance(fig, Figure)
    assert isinstance(alt, str) and alt.strip() and "nan" not in alt.lower()
    fig.canvas.draw()  # layout and rendering run without error
    return alt


def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_fmt():
    assert plots.fmt_number(389344) == "389,344" and plots.fmt_number(14.23) == "14.2"
    assert plots.fmt_number(8.0) == "8.0" and plots.fmt_number(8.0, integer=True) == "8"
    assert plots.fmt_number(0.347) == "0.35" and plots.fmt_number(np.nan) == "no data"


def test_apply_style_sets_readable_fonts():
    with matplotlib.rc_context():
        plots.apply_style()
        assert matplotlib.rcParams["font.size"] >= 10
        assert matplotlib.rcParams["xtick.labelsize"] >= 10


def test_choropleth_real_barnet_24_labelled_polygons(barnet):
    fig, alt = maps.choropleth(
        barnet, "rate", "Violence with injury per 1,000 residents", legend_title="Rate per 1,000"
    )
    _check((fig, alt))
    ax = fig.axes[0]
    assert set(barnet["ward_name"]) <= {t.replace("\n", " ") for t in _texts(fig)}
    assert sum(len(c.get_paths()) for c in ax.collections) == 24
    top = barnet.loc[barnet["rate"].idxmax(), "ward_name"]
    assert f"{top} (14.2)" in alt and "24 wards" in alt
    assert any("km" in t.get_text() for a in ax.artists for t in a.findobj(matplotlib.text.Text))
    assert not ax.axison


def test_choropleth_nan_and_no_crs(grid):
    alt = _check(maps.choropleth(grid, "rate", "Test map", k=3, scheme="Quantiles"))
    assert "Ward 8 (9)" in alt and "1 ward with no data" in alt
    fig, alt = maps.choropleth(grid.set_crs(None, allow_override=True), "rate", "No CRS")
    assert any("coordinate system unknown" in t for t in _texts(fig))
    _check(maps.choropleth(grid.assign(rate=np.nan), "rate", "All missing"))


def test_small_multiples(grid):
    alt = _check(
        maps.small_multiples(
            grid, {"rate": "Rate", "change": "Change"}, suptitle="Two maps", legend_title="Value"
        )
    )
    assert "2 maps of 9 wards" in alt and "Ward 8 (9)" in alt
    _check(maps.small_multiples(grid.assign(empty=np.nan), {"empty": "Nothing", "rate": "Rate"}))


def test_change_map(grid):
    alt = _check(maps.change_map(grid, "change", "Change on last year", legend_title="% change"))
    assert "Ward 5 (+5.5)" in alt and "Ward 0 (-3.0)" in alt and "4 increased" in alt


def test_hotspot_map_fixed_legend(grid):
    classes = ["Hot spot (99%)", "Hot spot (95%)"] + ["Not significant"] * 6 + ["Cold spot (95%)"]
    fig, alt = maps.hotspot_map(grid.assign(hotspot_class=classes))
    _check((fig, alt))
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert [lab.rsplit(" (", 1)[0] for lab in labels] == list(plots.HOTSPOT_COLOURS)
    assert "Ward 0 (99%)" in alt and "Ward 8 (95%)" in alt and "6 wards not significant" in alt
    classes[3] = None
    _check(maps.hotspot_map(grid.assign(hotspot_class=classes), label_col=None))


def _monthly(n=36, seed=0):
    months = pd.period_range("2023-04", periods=n, freq="M").astype(str)
    values = np.random.default_rng(seed).poisson(100, n).astype(float)
    return pd.DataFrame({"month": months, "value": values})


def test_line_trend_with_break_and_nan():
    m = _monthly()
    m.loc[3, "value"] = np.nan
    m.loc[10, "value"] = 250.0
    fig, alt = plots.line_trend(
        m,
        "Violence with injury",
        "Offences",
        breaks=[{"month": "2024-04", "note": "Recording change"}],
    )
    _check((fig, alt))
    assert "highest 250 (Feb 2024)" in alt and "Apr 2024 (Recording change)" in alt
    assert any("Recording change" in t for t in _texts(fig))


def test_line_trend_series_and_no_rolling():
    m = pd.concat([_monthly().assign(series="A"), _monthly(seed=1).assign(series="B")])
    alt = _check(plots.line_trend(m, "Two series", "Count", rolling=False, breaks=["2024-01"]))
    assert alt.count("monthly values") == 2 and "12-month average" not in alt


def test_bar_compare_highlight():
    frame = pd.DataFrame({"borough": ["A", "Barnet", "C", "D"], "rate": [9.0, 7.5, np.nan, 3.2]})
    fig, alt = charts.bar_compare(frame, "borough", "rate", "Barnet", title="Rates")
    _check((fig, alt))
    assert "Barnet (highlighted) is 2nd highest of 3 at 7.5" in alt and "1 area without" in alt
    bars = fig.axes[0].patches
    assert sum(matplotlib.colors.same_color(b.get_facecolor(), plots.HIGHLIGHT) for b in bars) == 1


def _limits(rate=8.0):
    pop = np.linspace(1e5, 5e5, 50)
    se = np.sqrt(rate / pop * 1000)
    return pd.DataFrame(
        {
            "population": pop,
            "lower95": rate - 1.96 * se,
            "upper95": rate + 1.96 * se,
            "lower998": rate - 3.09 * se,
            "upper998": rate + 3.09 * se,
        }
    )


def test_funnel_plot():
    frame = pd.DataFrame(
        {
            "area": ["Barnet", "B", "C", "D"],
            "population": [389_344, 2e5, 3e5, 4e5],
            "rate": [12.0, 8.1, 4.0, np.nan],
        }
    )
    alt = _check(charts.funnel_plot(frame, _limits(), 8.0, "Barnet", title="VWI"))
    assert "Barnet (rate 12.0, population 389,344)" in alt
    assert "above the upper 99.8% limit" in alt and "1 area above" in alt


def test_pyramid_butterfly_and_sex():
    bands = ["0-4", "5-9", "10-14", "15-19"]
    shares = pd.DataFrame(
        {
            "age_band": bands,
            "area_share": [0.3, 0.2, 0.25, 0.25],
            "london_share": [0.2, 0.2, 0.3, 0.3],
        }
    )
    alt = _check(charts.pyramid(shares, left_label="Barnet"))
    assert "0-4: Barnet 30.0% vs London 20.0%" in alt
    sexes = pd.DataFrame(
        {"age_band": bands, "male": [10, 20, np.nan, 30], "female": [10, 20, 5, 5]}
    )
    alt = _check(charts.pyramid(sexes))
    assert "Population pyramid" in alt and "Male" in alt
    with pytest.raises(ValueError, match="male/female"):
        charts.pyramid(pd.DataFrame({"age_band": bands}))


def test_decile_bars_with_gaps():
    frame = pd.DataFrame(
        {
            "decile": [1, 2, 3, 10],
            "rate_per_1000": [12.3, 9.0, np.nan, 3.1],
            "lower95": [11.0, 8.0, np.nan, 2.5],
            "upper95": [13.7, 10.0, np.nan, 3.8],
        }
    )
    alt = _check(charts.decile_bars(frame))
    assert "decile 1: 12.3 (95% CI 11.0 to 13.7)" in alt and "decile 10: 3.1" in alt
    assert "No data for decile(s) 3, 4, 5, 6, 7, 8, 9" in alt


def test_figures_are_not_registered_with_pyplot(grid):
    before = plt.get_fignums()
    maps.choropleth(grid, "rate", "x")
    plots.line_trend(_monthly(), "x", "y")
    assert plt.get_fignums() == before


def test_figure_png_matches_tight_saving_and_keeps_what_sticks_out():
    import io

    from matplotlib.figure import Figure
    from PIL import Image

    from sna.chapter import figure_png

    fig = Figure(figsize=(4, 3), dpi=72)
    ax = fig.add_subplot()
    ax.plot([0, 1, 2], [3, 1, 2])
    ax.set_title("inside")
    tight = io.BytesIO()
    fig.savefig(tight, format="png", dpi=110, bbox_inches="tight")
    once = Image.open(io.BytesIO(figure_png(fig)))
    ref = Image.open(tight)
    # the same crop (content plus the 0.1 in pad) to within rounding of a pixel or two
    assert abs(once.size[0] - ref.size[0]) <= 3 and abs(once.size[1] - ref.size[1]) <= 3
    assert fig.dpi == 72  # the figure is left as it was

    fig2 = Figure(figsize=(4, 3))
    ax2 = fig2.add_subplot()
    ax2.plot([0, 1], [0, 1], label="a long legend entry placed outside the axes")
    ax2.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
    wide = Image.open(io.BytesIO(figure_png(fig2)))
    assert wide.size[0] > 4 * 110  # wider than the canvas: the legend is not cut off
