"""The plan report and its figures: what was drawn, what the page says, and that it matches the plan."""

from __future__ import annotations

from collections import defaultdict

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import resopt  # noqa: E402
from resopt import plotting  # noqa: E402
from resopt.errors import InputError  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _lines(ax):
    return {line.get_label(): line for line in ax.get_lines()}


# ---------------------------------------------------------------- savings curve

def _small_curve():
    """A pool whose curve has a service floor above the cost optimum (and an infinite level)."""
    demand = {"pool": ["p"] * 6, "hour": range(6), "demand": [1, 2, 3, 5, 8, 13]}
    prices = {"pool": ["p"], "reserved": [1.0], "on_demand": [2.0], "on_demand_limit": [9.0]}
    result = resopt.size_reservations(demand, prices, service_level=0.8)
    return result, result.curve("p", levels=range(0, 15))


def test_savings_curve_draws_the_curve_and_marks_each_landmark():
    result, curve = _small_curve()
    ax = plotting.savings_curve(curve)
    lines = _lines(ax)
    cost = curve["expected_cost"].to_numpy()
    finite = np.isfinite(cost)
    assert not finite.all()  # level 0..3 cannot meet the peak of 13 with 9 on demand
    line = lines["expected cost"]
    assert np.array_equal(line.get_xdata(), curve["reserve"].to_numpy()[finite])
    assert np.array_equal(line.get_ydata(), cost[finite])
    row = result.reservations.iloc[0]
    # Independent oracle: brute force the cost of each level from the demand and prices.
    demand = np.array([1, 2, 3, 5, 8, 13], dtype=float)
    brute = {r: 1.0 * 6 * r + 2.0 * np.maximum(demand - r, 0).sum() for r in range(4, 15)}
    best = min(brute, key=lambda r: (brute[r], r))
    assert row["cost_optimal_reserve"] == best
    for label, level in (("chosen", row["reserve"]), ("cost optimum", row["cost_optimal_reserve"])):
        mark = lines[f"{label}: {level:g}"]
        assert mark.get_xdata().tolist() == [level]
        assert mark.get_ydata().tolist() == [pytest.approx(brute[int(level)])]
    floor = [name for name in lines if name.startswith("service-level floor: ")]
    assert len(floor) == 1
    assert lines[floor[0]].get_xdata()[0] == row["reserve"] > row["cost_optimal_reserve"]
    knee = curve.loc[curve["knee"], "reserve"].tolist()
    assert [name for name in lines if name.startswith("knee: ")] == [f"knee: {knee[0]:g}"]
    assert ax.get_xlabel() == "new reserved units" and ax.get_ylabel() == "expected cost (USD)"
    assert ax.get_title() == "p: cost against reserved units"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(lines)


def test_savings_curve_uses_the_given_axes_and_leaves_out_absent_marks():
    curve = pd.DataFrame({"reserve": [0.0, 1.0, 2.0], "expected_cost": [3.0, 2.0, 2.5],
                          "optimum": [False, True, False], "cost_optimum": [False, True, False],
                          "service_floor": [False] * 3, "knee": [False] * 3})
    fig, ax = plt.subplots()
    assert plotting.savings_curve(curve, ax=ax) is ax
    assert list(_lines(ax)) == ["expected cost", "chosen: 1", "cost optimum: 1"]
    assert ax.get_title() == ""
    with pytest.raises(InputError, match="the savings curve is missing the required column.*'knee'"):
        plotting.savings_curve(curve.drop(columns="knee"))


# ---------------------------------------------------------------- cost by cloud and mode

def test_cost_by_cloud_mode_stacks_each_mode_on_the_previous_ones():
    rows = [("gcp", "spot", 5.0), ("aws", "reserved", 60.0), ("aws", "on_demand", 40.0),
            ("gcp", "reserved", 10.0), ("aws", "on_demand", 2.5), ("azure", "shortfall", 1.0),
            ("azure", "credits", 4.0)]
    table = pd.DataFrame(rows, columns=["cloud", "mode", "cost"])
    ax = plotting.cost_by_cloud_mode(table)
    totals: dict[tuple[str, str], float] = defaultdict(float)
    for cloud, mode, cost in rows:
        totals[cloud, mode] += cost
    clouds = ["aws", "azure", "gcp"]
    assert [t.get_text() for t in ax.get_xticklabels()] == clouds
    assert [c.get_label() for c in ax.containers] == ["reserved", "on demand", "spot", "shortfall", "credits"]
    order = ["reserved", "on_demand", "spot", "shortfall", "credits"]
    for pos, cloud in enumerate(clouds):
        stacked = 0.0
        for container, mode in zip(ax.containers, order):
            bar = container[pos]
            assert bar.get_y() == pytest.approx(stacked)
            assert bar.get_height() == pytest.approx(totals.get((cloud, mode), 0.0))
            stacked += bar.get_height()
        assert stacked == pytest.approx(sum(v for (c, _), v in totals.items() if c == cloud))
    assert [t.get_text() for t in ax.texts] == ["102", "5", "15"]
    assert ax.containers[0].patches[0].get_facecolor() == matplotlib.colors.to_rgba(plotting.MODE_COLORS["reserved"])


def test_cost_by_cloud_mode_takes_the_summary_records_and_an_axes():
    fig, ax = plt.subplots()
    records = [{"cloud": "aws", "mode": "reserved", "cost": 1.0}]
    assert plotting.cost_by_cloud_mode(records, ax=ax) is ax
    assert [b.get_height() for b in ax.containers[0]] == [1.0]
    with pytest.raises(InputError, match="the cost table is missing the required column.*'mode'"):
        plotting.cost_by_cloud_mode([{"cloud": "aws", "cost": 1.0}])


# ---------------------------------------------------------------- coverage and utilization

def test_coverage_utilization_draws_two_bars_per_pool_in_percent():
    pools = [{"pool": "a", "coverage": 0.25, "reserved_utilization": 0.9},
             {"pool": "b", "coverage": 0.5, "reserved_utilization": None}]
    ax = plotting.coverage_utilization(pools)
    coverage, utilization = ax.containers
    assert coverage.get_label() == "coverage" and utilization.get_label() == "reserved utilization"
    assert [b.get_width() for b in coverage] == [25.0, 50.0]
    assert [b.get_width() for b in utilization] == [90.0, 0.0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    # pool "a" is drawn on top
    assert coverage[0].get_y() < coverage[1].get_y() and ax.get_ylim()[0] > ax.get_ylim()[1]
    assert ax.get_xlim() == (0.0, 100.0)
    assert coverage[0].get_y() + coverage[0].get_height() == pytest.approx(utilization[0].get_y(), abs=1e-12)


# ---------------------------------------------------------------- forecast fan with the reserved level

def test_forecast_fan_draws_the_reserved_level_across_history_and_forecast():
    hist = pd.DataFrame({"timestamp": range(5), "used": [1.0, 2, 3, 2, 1], "filled": [False] * 5})
    q = pd.DataFrame({"timestamp": [5, 6], "p05": [0.5, 0.5], "p50": [1.0, 1.5], "p95": [2.0, 2.5]})
    ax = plotting.forecast_fan(hist, q, reserved=2.5)
    line = _lines(ax)["reserved: 2.5"]
    assert list(line.get_ydata()) == [2.5, 2.5]
    assert list(line.get_xdata()) == [0, 1]  # axes coordinates: the whole width
    assert "reserved: 2.5" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert not [name for name in _lines(plotting.forecast_fan(hist, q)) if name.startswith("reserved")]


# ---------------------------------------------------------------- the report page

import html  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
from html.parser import HTMLParser  # noqa: E402

from resopt.examples import weekly_example, write_weekly_inputs  # noqa: E402
from resopt.planning.inputs import read_plan_inputs  # noqa: E402


class Page(HTMLParser):
    """What a test reads back from a report: numbers with their summary keys, ids, figures, links."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.numbers: list[tuple[str, str, str]] = []  # (data-key, data-value, text shown)
        self.ids: set[str] = set()
        self.svgs: list[dict[str, str]] = []
        self.titles: dict[str, str] = {}
        self.links: list[str] = []
        self.island = ""
        self._open: list[list] = []
        self._title: str | None = None
        self._script: str | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            assert a["id"] not in self.ids, f"duplicate id {a['id']}"
            self.ids.add(a["id"])
        self.links += [v for k, v in attrs if k in ("href", "src", "xlink:href", "action") and v is not None]
        if tag == "svg":
            self.svgs.append(a)
        if tag == "title" and "id" in a:
            self._title = a["id"]
            self.titles[a["id"]] = ""
        if tag == "script":
            self._script = a.get("id", "")
        if "data-key" in a:
            self._open.append([a["data-key"], a["data-value"], ""])

    def handle_endtag(self, tag):
        if tag == "title":
            self._title = None
        if tag == "script":
            self._script = None
        if tag == "span" and self._open:
            self.numbers.append(tuple(self._open.pop()))

    def handle_data(self, data):
        if self._title:
            self.titles[self._title] += data
        if self._script == "plan-summary":
            self.island += data
        for entry in self._open:
            entry[2] += data


def _lookup(summary: dict, key: str):
    value = summary
    for part in key.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The bundled example, planned and written like ``resopt plan --example --out``."""
    folder = tmp_path_factory.mktemp("example")
    plan = resopt.plan_week(weekly_example(), out=folder / "plan", db=folder / "history.sqlite")
    return plan, folder / "plan"


def test_report_numbers_equal_summary_json(example):
    plan, out = example
    text = (out / "report.html").read_text()
    summary = json.loads((out / "summary.json").read_text())
    page = Page(text)
    assert json.loads(page.island) == summary
    assert len(page.numbers) > 12 * 8
    keys = {key for key, _, _ in page.numbers}
    assert {"totals.expected_cost", "totals.savings", "totals.savings_pct", "totals.all_on_demand_cost"} <= keys
    assert {f"pools.{i}.coverage" for i in range(12)} | {f"pools.{i}.reserve" for i in range(12)} <= keys
    assert {f"by_cloud_mode.{i}.cost" for i in range(len(summary["by_cloud_mode"]))} <= keys
    for key, raw, shown in page.numbers:
        value = _lookup(summary, key)
        if value is None:
            assert raw == "" and shown == "—", key
            continue
        assert float(raw) == value, key
        # the text shown is the value, rounded for reading
        digits = float(re.sub(r"[^0-9.\-+]", "", shown))
        if key.endswith("savings_pct"):  # already a percentage, shown to 0.1
            assert shown == f"{value:.1f}%" and digits == pytest.approx(value, abs=0.05), key
        elif shown.endswith("%"):  # a share, shown as a percentage to 0.1
            assert digits == pytest.approx(100 * value, abs=0.05), key
        else:  # USD to the cent, units as they are
            assert digits == pytest.approx(value, abs=0.0051), key


def test_report_is_self_contained_with_alt_text_on_every_figure(example):
    plan, out = example
    text = (out / "report.html").read_text()
    page = Page(text)
    assert not re.search(r"(?i)(https?:|ftp:)?//[a-z0-9]", text.replace("<!--", "")), "an external URL"
    assert not re.search(r"url\((?!#)", text) and "@import" not in text and "<img" not in text
    assert all(link.startswith("#") for link in page.links), [link for link in page.links if not link.startswith("#")]
    assert {"headline", "costs", "pools", "placement", "unplaced", "diff", "trace", "plan-summary"} <= page.ids
    assert {f"pool-{i}" for i in range(12)} <= page.ids
    # one fan and one savings curve per pool, the cost bars and the coverage bars
    figures = [svg for svg in page.svgs if "data-figure" in svg]
    assert sorted(svg["data-figure"] for svg in figures) == sorted(
        ["costs", "coverage"] + [f"fan-{i}" for i in range(12)] + [f"curve-{i}" for i in range(12)])
    for svg in figures:
        assert svg["role"] == "img" and "viewbox" in svg and "width" not in svg
        alt = page.titles[svg["aria-labelledby"]]
        assert len(alt) > 40, alt
    first = plan.summary["pools"][0]
    assert page.titles["fig-fan-0-title"].startswith(f"Pool {first['pool']}: hourly usage")
    assert f"reserved level, {first['total_reserved']:g} units" in page.titles["fig-fan-0-title"]
    assert f"chosen {first['reserve']:g}" in page.titles["fig-curve-0-title"]
    # every warning of the summary is on the page, in words
    for warning in plan.summary["warnings"]:
        assert warning in html.unescape(text)
    assert "<th scope=\"col\"><button type=\"button\">cost (USD)</button></th>" in text
    assert len(text.encode()) < 2_000_000


def test_report_placement_table_is_the_placement(example):
    plan, out = example
    text = (out / "report.html").read_text()
    table = text.split('id="placement-table"')[1].split("</table>")[0]
    rows = re.findall(r"<tr><td>(.*?)</td><td data-sort=\"(\d+)\">.*?</td>(.*?)</tr>", table)
    placed = pd.read_csv(out / "placement.csv")
    assert len(rows) == len(placed) == plan.summary["placement"]["replicas_placed"]
    costs = [float(re.findall(r'data-sort="([^"]+)">[^<]*</td>$', rest)[0]) for _, _, rest in rows]
    assert [w for w, _, _ in rows] == placed["workload"].tolist()
    assert np.allclose(costs, placed["cost"], rtol=1e-9)


def _small(tmp_path):
    """Three pools on three weeks of history and five workloads, as tables to edit."""
    return read_plan_inputs(write_weekly_inputs(tmp_path / "in", pools=3, workloads=5, weeks=3, seed=11))


def test_report_of_an_infeasible_plan_shows_the_diagnosis(tmp_path):
    inputs = _small(tmp_path)
    huge = inputs.workloads.iloc[[0]].copy()
    huge["workload"] = "too-big"
    huge["gpus"] = 100_000
    huge["replicas"] = 1
    if "unplaced_penalty" in huge.columns:
        huge["unplaced_penalty"] = np.nan
    inputs.workloads = pd.concat([inputs.workloads, huge], ignore_index=True)
    plan = resopt.plan_week(inputs, policy={"scenarios": 30})
    assert str(plan.status) == "infeasible"
    text = plan.report_html()
    page = Page(text)
    assert "diagnosis" in page.ids
    section = text.split('id="diagnosis"')[1].split("</section>")[0]
    assert "Placement is infeasible." in section
    reasons = plan.placement.diagnosis.reasons
    assert reasons and all(r in html.unescape(section) for r in reasons)
    assert "status-infeasible" in text and "placement-table" not in page.ids
    assert json.loads(page.island)["status"] == "infeasible"


def test_report_lists_unplaced_workloads_with_the_reason(tmp_path):
    inputs = _small(tmp_path)
    penalty = np.full(len(inputs.workloads), np.nan)
    penalty[0] = 0.01  # cheaper to leave unplaced than to place
    inputs.workloads = inputs.workloads.assign(unplaced_penalty=penalty)
    plan = resopt.plan_week(inputs, policy={"scenarios": 30})
    unplaced = plan.placement.unplaced
    name = inputs.workloads["workload"].iloc[0]
    assert set(unplaced["workload"]) == {name}
    text = plan.report_html()
    section = text.split('id="unplaced"')[1].split("</section>")[0]
    assert section.count(f"<tr><td>{name}</td>") == len(unplaced) == int(inputs.workloads["replicas"].iloc[0])
    assert "Placing it would raise the plan's cost by at least its penalty of 0.01 USD" in html.unescape(section)


def test_report_shows_the_change_since_the_previous_run(tmp_path):
    inputs = _small(tmp_path)
    db = tmp_path / "history.sqlite"
    first = resopt.plan_week(inputs, policy={"scenarios": 30}, db=db)
    assert "No previous run in the history" in first.report_html()
    second = resopt.plan_week(inputs, policy={"scenarios": 30, "service_level": 0.9}, db=db)
    previous = second.summary["previous"]
    assert previous["run_id"] == first.run_id
    text = second.report_html()
    page = Page(text)
    shown = {key: (raw, text) for key, raw, text in page.numbers}
    assert float(shown["previous.change"][0]) == pytest.approx(
        second.summary["totals"]["expected_cost"] - first.summary["totals"]["expected_cost"])
    change = second.summary["previous"]["change"]
    assert shown["previous.change"][1] == f"{change:+,.2f}"
    section = text.split('id="diff"')[1].split("</section>")[0]
    assert first.run_id in section
    before = {p["pool"]: p["reserve"] for p in first.summary["pools"]}
    after = {p["pool"]: p["reserve"] for p in second.summary["pools"]}
    changed = [pool for pool in before if before[pool] != after[pool]]
    assert changed
    for pool in changed:
        row = f"<tr><td>{pool}</td><td>{before[pool]:g}</td><td>{after[pool]:g}</td><td>{after[pool] - before[pool]:+g}</td>"
        assert row in section, pool
    assert f"{len(changed)} pool(s) changed, {len(before) - len(changed)} unchanged." in section


def test_figures_drawn_on_a_reused_figure_are_the_figures_drawn_fresh(example):
    from resopt import report

    plan, _ = example
    entries = list(enumerate(plan.summary["pools"]))[:3]
    sketchbook = report.Sketchbook()
    reused = [report._pool_section(plan, i, p, sketchbook) for i, p in entries]
    fresh = [report._pool_section(plan, i, p) for i, p in entries]
    for a, b in zip(reused, fresh):
        for kind in ("fan", "curve"):
            assert a[kind].svg == b[kind].svg and a[kind].alt == b[kind].alt


def _luminance(colour: str) -> float:
    rgb = [int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_report_text_colours_have_sufficient_contrast():
    """WCAG AA (4.5:1) for every text colour of the stylesheet on the background it sits on."""
    from importlib.resources import files

    css = files("resopt.report").joinpath("templates/report.html.j2").read_text().split("<style>")[1]
    css = css.split("</style>")[0]
    var = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", css))
    pairs = [(var["ink"], "#ffffff"), (var["muted"], "#ffffff"), (var["muted"], var["bg-soft"]),
             (var["accent"], "#ffffff"), (var["ink"], var["bg-soft"])]
    for rule in re.findall(r"\{([^}]*)\}", css):
        fg = re.search(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{6})", rule)
        bg = re.search(r"background:\s*(#[0-9a-fA-F]{6})", rule)
        if fg and bg:
            pairs.append((fg.group(1), bg.group(1)))
        elif bg:  # text in a box without its own colour is the page's ink
            pairs.append((var["ink"], bg.group(1)))
    assert len(pairs) >= 10
    for fg, bg in pairs:
        assert _contrast(fg, bg) >= 4.5, (fg, bg, round(_contrast(fg, bg), 2))


def test_report_of_a_reservations_only_plan(tmp_path):
    inputs = _small(tmp_path)
    inputs.workloads = inputs.offerings = None
    plan = resopt.plan_week(inputs, policy={"scenarios": 30})
    assert plan.placement is None and plan.success
    text = plan.report_html()
    page = Page(text)
    assert "No workloads were given: the plan sizes reservations only." in text
    assert "placement-table" not in page.ids and "unplaced" not in page.ids
    assert sorted(svg["data-figure"] for svg in page.svgs if "data-figure" in svg) == sorted(
        ["costs", "coverage", "fan-0", "fan-1", "fan-2", "curve-0", "curve-1", "curve-2"])
    assert json.loads(page.island) == json.loads(json.dumps(plan.summary))


def test_report_of_plan_whose_reservations_are_infeasible(tmp_path):
    inputs = _small(tmp_path)
    pools = inputs.pools.copy()
    capped = pools["pool"].iloc[0]
    pools["reserve_limit"] = np.nan
    pools["on_demand_limit"] = np.nan
    pools.loc[pools.index[0], ["reserve_limit", "on_demand_limit"]] = [0.0, 0.0]  # no way to serve its demand
    if "spot_limit" in pools.columns:
        pools.loc[pools.index[0], "spot_limit"] = 0.0
    inputs.pools = pools
    plan = resopt.plan_week(inputs, policy={"scenarios": 30})
    assert str(plan.reservations.status) == "infeasible"
    text = plan.report_html()
    page = Page(text)
    section = html.unescape(text.split('id="diagnosis"')[1].split("</section>")[0])
    assert f"Reservations are infeasible: {plan.reservations.message}".rstrip() in section
    assert f"Pools without a feasible reservation: {capped}." in section
    assert "No cost curve: this pool has no feasible reservation." in text
    assert json.loads(page.island)["status"] == "infeasible"
    assert "totals.expected_cost" not in {key for key, _, _ in page.numbers}  # no cost shown for no plan
    assert "no plan: see the diagnosis below" in text
