"""analysis/report.py and analysis/compare.py on small branchsim result files:
the report's figures are real PNGs, its table holds the /summary numbers, the
trade-off figure appears only with exposure metrics, and compare.py prints the
paired (and Welch) differences that numpy computes from /replications."""
import base64
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import scipy.stats

ROOT = Path(__file__).resolve().parent.parent
BRANCHSIM = str((ROOT / os.environ.get("BRANCHSIM", "build/branchsim")).resolve())
REPORT = ROOT / "analysis" / "report.py"
COMPARE = ROOT / "analysis" / "compare.py"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
REPS = 8

sys.path.insert(0, str(ROOT / "analysis"))
from branchsim import results as bsfile  # noqa: E402
import compare  # noqa: E402
import report  # noqa: E402


def run(*args, check=True):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=ROOT)
    if check:
        assert r.returncode == 0, r.stderr
    return r


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Result files: peak-shift (8 replications), the same with another seed and with 12
    replications, and epidemic (8 replications)."""
    d = tmp_path_factory.mktemp("report_runs")
    runs = {"peak": ("peak-shift.yaml", ["-r", REPS]), "peak_seed7": ("peak-shift.yaml", ["-r", REPS, "-s", 7]),
            "peak_r12": ("peak-shift.yaml", ["-r", 12]), "epidemic": ("epidemic.yaml", ["-r", REPS])}
    out = {}
    for name, (scenario, extra) in runs.items():
        out[name] = d / f"{name}.h5"
        run(BRANCHSIM, "run", ROOT / "scenarios" / scenario, *extra, "-q", "-o", out[name])
    return out


@pytest.fixture(scope="module")
def reports(files, tmp_path_factory):
    d = tmp_path_factory.mktemp("reports")
    out = {}
    for name in ("peak", "epidemic"):
        out[name] = d / name
        run(sys.executable, REPORT, files[name], "-o", out[name])
    return out


def summary(path):
    """{metric: {column: array}} from /summary, columns named by attr stats."""
    out = {}
    with h5py.File(path, "r") as f:
        for name, ds in f["summary"].items():
            if "stats" not in ds.attrs:
                continue  # a coordinate: point, stat, a swept key
            cols = [c.decode() if isinstance(c, bytes) else str(c) for c in ds.attrs["stats"]]
            out[name] = {c: ds[()][:, i] for i, c in enumerate(cols)}
    return out


def replications(path, metric):
    with h5py.File(path, "r") as f:
        return f["replications"][metric][()]


def md_table(md, heading):
    """(header, rows) of the first table after the heading line."""
    lines = md[md.index(heading):].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    table = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        table.append([c.strip() for c in line.strip().strip("|").split(" | ")])
    return table[0], table[2:]


def test_every_referenced_png_exists_and_is_a_png(reports):
    for d in reports.values():
        md = (d / "report.md").read_text()
        page = (d / "report.html").read_text()
        in_md = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
        in_html = re.findall(r'<img src="data:image/png;base64,([^"]+)" alt="[^"]*" title="([^"]+)">', page)
        assert in_md and in_md == [name for _, name in in_html]  # the same figures, in the same order
        for name, (data, _) in zip(in_md, in_html):
            png = (d / name).read_bytes()
            assert len(png) > len(PNG_SIGNATURE) and png.startswith(PNG_SIGNATURE), name
            assert base64.b64decode(data) == png  # the page holds the figure itself
        # and no figure is left unreferenced
        assert sorted(p.name for p in d.glob("*.png")) == sorted(in_md)
        for fig in ("timeseries.png", "forest.png", "metric_wait_mean_min.png"):
            assert fig in in_md


def test_report_table_holds_the_summary_means_and_intervals(files, reports):
    for name, d in reports.items():
        s = summary(files[name])
        md = (d / "report.md").read_text()
        page = (d / "report.html").read_text()
        header, rows = md_table(md, "## Summary by point")
        res = report.Result(str(files[name]))
        metrics = report.default_metrics(res, [])
        with h5py.File(files[name], "r") as f:
            keys = [k for k in f["scenarios"] if k != "point"]  # less its coordinate
            key_values = {k: f["scenarios"][k][()] for k in keys}
            n_points = int(f.attrs["n_points"])
        assert len(rows) == n_points
        assert header[0] == "point" and [h.strip("`") for h in header[1:1 + len(keys)]] == keys
        assert header[1 + len(keys)] == "Mean wait \\[min\\]"  # a label with its unit, not the name
        assert "Share waiting over 10 min \\[%\\]" in header
        assert metrics[:5] == report.MAIN_METRICS
        exposure = [m for m in metrics if m.startswith("expected_infections")]
        assert exposure == (report.EXPOSURE_METRICS if name == "epidemic" else [])
        assert len(header) == 1 + len(keys) + len(metrics)
        for p, row in enumerate(rows):
            assert row[0] == (f"{p} (baseline)" if p == 0 else str(p))
            for j, k in enumerate(keys):
                assert row[1 + j] == f"{float(key_values[k][p]):g}"
            for j, m in enumerate(metrics):
                k = 100 if m.startswith("share_") or m.endswith("_utilization") else 1  # shares in %
                mean, low, high = (k * s[m][c][p] for c in ("mean", "ci95_low", "ci95_high"))
                cell = f"{mean:.4g} [{low:.4g}, {high:.4g}]"
                assert row[1 + len(keys) + j] == cell, (name, p, m)
                assert f"<td>{cell}</td>" in page


def test_tradeoff_figure_only_with_exposure_metrics(files, reports):
    assert (reports["epidemic"] / "tradeoff.png").is_file()
    assert "tradeoff.png" in (reports["epidemic"] / "report.md").read_text()
    assert not (reports["peak"] / "tradeoff.png").exists()
    assert "tradeoff.png" not in (reports["peak"] / "report.md").read_text()
    assert not (reports["peak"] / "metric_expected_infections_customers.png").exists()
    # The non-dominated points listed are those of the summary means (lower is better on both).
    s = summary(files["epidemic"])
    w, e = s["wait_mean_min"]["mean"], s["expected_infections_customers"]["mean"]
    expected = {i for i in range(len(w))
                if not any(w[j] <= w[i] and e[j] <= e[i] and (w[j] < w[i] or e[j] < e[i]) for j in range(len(w)))}
    _, rows = md_table((reports["epidemic"] / "report.md").read_text(), "## Waiting against expected infections")
    assert {int(r[0]) for r in rows} == expected
    # The wait traded off is the whole wait: inside + the line outside the cap (there outside > 0).
    inside, outside = s["wait_inside_mean_min"]["mean"], s["wait_outside_mean_min"]["mean"]
    assert np.allclose(w, inside + outside, rtol=1e-9) and np.all(outside > 0)
    for r in rows:
        assert r[-2] == report.fmt(w[int(r[0])])


def test_day_open_is_read_from_simple_yaml():
    assert report.day_open_minutes('day:\n  open: "08:30"   # early\n  hours: 8\n') == 8 * 60 + 30
    assert report.day_open_minutes("name: x\nday: {hours: 8, open: '10:15'}\n") == 10 * 60 + 15
    assert report.day_open_minutes("demand: {customers_per_day: 10}\n") == 9 * 60  # documented default
    # branchsim run --set day.open=10:30 records the setting after the file's text.
    assert report.day_open_minutes("day: {open: '09:00'}\n# branchsim --set, over the keys above:\n"
                                   "# --set day.open=10:30\n") == 10 * 60 + 30
    assert report.day_open_minutes("{day: {open: '07:00'}}") is None  # flow style: not parsed


def parse_table(stdout):
    """{(point, metric): (A, B, diff, low, high, n)} as printed by compare.py's table."""
    out, point = {}, None
    for line in stdout.splitlines():
        m = re.match(r"^point (\d+)", line)
        if m:
            point = int(m.group(1))
            continue
        m = re.match(r"^  (\w+)\s+\S+\s+(\S+)\s+(\S+)\s+(\S+)\s+\[(\S+), (\S+)\]\s+(\S+)\s+\S+\s+(paired|welch)$", line)
        if m and point is not None:
            out[(point, m.group(1))] = m.groups()[1:7]
    return out


def parse_csv(stdout):
    lines = stdout.strip().splitlines()
    assert lines[0].startswith("point,label,metric")
    out = {}
    for line in lines[1:]:
        point, rest = line.split(",", 1)
        cells = rest.rsplit(",", 10)  # the label may hold commas
        metric, diff, low, high = cells[1], float(cells[5]), float(cells[6]), float(cells[7])
        out[(int(point), metric)] = (diff, low, high)
    return out


def check_paired(out_table, out_csv, a_reps, b_reps, point, metric):
    d = b_reps - a_reps
    d = d[np.isfinite(d)]
    mean = d.mean()
    half = bsfile.t975(d.size - 1) * d.std(ddof=1) / math.sqrt(d.size)
    A, B, diff, low, high, n = out_table[(point, metric)]
    assert diff == f"{mean:.4g}", (point, metric)
    assert int(n) == d.size
    assert float(low) == pytest.approx(mean - half, rel=1e-3, abs=1e-12)
    assert float(high) == pytest.approx(mean + half, rel=1e-3, abs=1e-12)
    c_diff, c_low, c_high = out_csv[(point, metric)]
    assert c_diff == pytest.approx(mean, rel=1e-12, abs=1e-15)
    assert c_low == pytest.approx(mean - half, rel=1e-9, abs=1e-15)
    assert c_high == pytest.approx(mean + half, rel=1e-9, abs=1e-15)


def test_t_quantiles_are_exact():
    """compare.py's Welch dof are fractional: the quantile is exact there too
    (a table rounded the dof down)."""
    assert compare.results is bsfile
    assert bsfile.t975(7) == pytest.approx(2.3646242510102993, rel=1e-12)
    assert bsfile.t975(7.9) == pytest.approx(float(scipy.stats.t.ppf(0.975, 7.9)), rel=1e-12)
    assert bsfile.t975(7.9) < bsfile.t975(7)
    assert bsfile.t975(49) == pytest.approx(2.009575234489209, rel=1e-12)
    assert bsfile.t975(1e7) == pytest.approx(1.959964, rel=1e-6)
    assert math.isnan(bsfile.t975(0))


def test_compare_points_within_one_file_is_paired_by_replication(files):
    path = files["epidemic"]
    metrics = ",".join(report.MAIN_METRICS + report.EXPOSURE_METRICS)
    table = parse_table(run(sys.executable, COMPARE, path, "--points", 0, 5, "--metrics", metrics).stdout)
    csv = parse_csv(run(sys.executable, COMPARE, path, "--points", 0, 5, "--metrics", metrics, "--csv").stdout)
    with h5py.File(path, "r") as f:
        stats = [c.decode() if isinstance(c, bytes) else str(c) for c in f["compare"]["wait_mean_min"].attrs["stats"]]
        baseline = int(f["compare"].attrs["baseline"])
        in_file = {m: f["compare"][m][()] for m in metrics.split(",")}
    assert baseline == 0
    for m in metrics.split(","):
        reps = replications(path, m)
        check_paired(table, csv, reps[0], reps[5], 5, m)
        # the same as the file's own /compare (point 5 minus the baseline)
        assert csv[(5, m)][0] == pytest.approx(in_file[m][5][stats.index("mean")], rel=1e-9, abs=1e-15)
        assert csv[(5, m)][1] == pytest.approx(in_file[m][5][stats.index("ci95_low")], rel=1e-4, abs=1e-12)


def test_compare_two_files_paired_by_replication(files):
    a, b = files["peak"], files["peak_seed7"]
    r = run(sys.executable, COMPARE, a, b)
    assert "paired by replication" in r.stdout
    table = parse_table(r.stdout)
    csv = parse_csv(run(sys.executable, COMPARE, a, b, "--csv").stdout)
    n_points = len(replications(a, "wait_mean_min"))
    assert {p for p, _ in table} == set(range(n_points))
    for m in report.MAIN_METRICS:
        ra, rb = replications(a, m), replications(b, m)
        for p in range(n_points):
            check_paired(table, csv, ra[p], rb[p], p, m)
    assert not any(m.startswith("expected_infections") for _, m in table)  # NaN without exposure


def test_compare_two_files_with_different_replications_is_welch(files):
    a, b = files["peak"], files["peak_r12"]
    r = run(sys.executable, COMPARE, a, b, "--metrics", "wait_mean_min,abandoned")
    assert "Welch" in r.stdout
    table = parse_table(r.stdout)
    sa, sb = summary(a), summary(b)
    for m in ("wait_mean_min", "abandoned"):
        for p in range(len(sa[m]["mean"])):
            ma, va, na = sa[m]["mean"][p], sa[m]["sd"][p] ** 2 / sa[m]["n"][p], sa[m]["n"][p]
            mb, vb, nb = sb[m]["mean"][p], sb[m]["sd"][p] ** 2 / sb[m]["n"][p], sb[m]["n"][p]
            diff = mb - ma
            dof = (va + vb) ** 2 / (va ** 2 / (na - 1) + vb ** 2 / (nb - 1))
            half = bsfile.t975(dof) * math.sqrt(va + vb)
            _, _, d, low, high, n = table[(p, m)]
            assert d == f"{diff:.4g}"
            assert n == f"{int(na)}+{int(nb)}"
            assert float(low) == pytest.approx(diff - half, rel=1e-3, abs=1e-12)
            assert float(high) == pytest.approx(diff + half, rel=1e-3, abs=1e-12)


def test_bad_usage_exits_2(files):
    assert run(sys.executable, COMPARE, files["peak"], check=False).returncode == 2
    assert run(sys.executable, COMPARE, files["peak"], "--points", 0, 99, check=False).returncode == 2
    assert run(sys.executable, COMPARE, files["peak"], files["peak_r12"], "--metrics", "nope",
               check=False).returncode == 2


def test_report_replaces_planted_links_never_follows_them(files, tmp_path):
    out, victim = tmp_path / "rep", tmp_path / "victim.txt"
    out.mkdir()
    victim.write_text("precious\n")
    (out / "report.md").symlink_to(victim)
    (out / "forest.png").symlink_to(tmp_path / "created.png")
    run(sys.executable, REPORT, files["peak"], "-o", out)
    assert victim.read_text() == "precious\n"
    assert not (tmp_path / "created.png").exists()
    for name in ("report.md", "forest.png"):
        assert (out / name).is_file() and not (out / name).is_symlink()
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []  # no temporary directory left


def test_report_bad_output_or_dpi_exits_2_in_one_line(files, tmp_path):
    (tmp_path / "afile").write_text("x\n")
    for args in (["-o", tmp_path / "afile"], ["-o", tmp_path / "rep", "--dpi", "0"],
                 ["-o", tmp_path / "rep", "--dpi", "100000"]):
        r = run(sys.executable, REPORT, files["peak"], *args, check=False)
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert not (tmp_path / "rep").exists() or list((tmp_path / "rep").iterdir()) == []


def test_report_markdown_escapes_text_from_the_file(files, tmp_path):
    forged = tmp_path / "forged.h5"
    forged.write_bytes(files["peak"].read_bytes())
    with h5py.File(forged, "a") as f:
        f.attrs["scenario_name"] = "<img src=x onerror=alert(1)>\n# forged\n[click](javascript:alert(2)) `x` *y*"
        f.attrs["scenario_file"] = "a`<script>b`.yaml"
    out = tmp_path / "rep"
    run(sys.executable, REPORT, forged, "-o", out)
    md, page = (out / "report.md").read_text(), (out / "report.html").read_text()
    assert not re.search(r"(?<!\\)<img", md) and not re.search(r"(?<!\\)\]\(javascript", md)
    assert not any(line.startswith("# forged") for line in md.splitlines())
    assert "scenario file `a'<script>b'.yaml`" in md  # in one code span, where Markdown takes it literally
    assert "\\<img src=x onerror=alert\\(1\\)\\>" in md.splitlines()[0]  # shown, escaped
    assert "<img src=x" not in page and "<script" not in page
    assert "\x0e" not in md + page and "\x0f" not in md + page


def test_report_takes_dollar_signs_in_names_as_text(tmp_path):
    scenario = tmp_path / "dollar.yaml"
    scenario.write_text((ROOT / "scenarios" / "mmc.yaml").read_text()
                        + 'sweep:\n  transactions.0.name: ["$\\\\undefinedcmd$", "$5 or $10"]\n')
    out = tmp_path / "dollar.h5"
    run(BRANCHSIM, "run", scenario, "-r", 2, "-q", "-o", out)
    run(sys.executable, REPORT, out, "-o", tmp_path / "rep")
    assert "$5 or $10" in (tmp_path / "rep" / "report.md").read_text()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_report_says_in_one_line_that_stdout_is_full(files, tmp_path):
    with open("/dev/full", "w") as full:
        r = subprocess.run([sys.executable, str(REPORT), str(files["peak"]), "-o", str(tmp_path / "rep")],
                           stdout=full, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "report: cannot write to standard output: No space left on device" in r.stderr
    assert (tmp_path / "rep" / "report.md").is_file()


def test_report_of_a_large_sweep_leaves_out_the_forest_plot(tmp_path):
    """A row per point: 2000 points made a figure past matplotlib's 2^16-pixel limit (traceback)."""
    scenario = tmp_path / "large.yaml"
    scenario.write_text("name: large\nreplications: 2\nday: {hours: 0.25}\ndemand: {customers_per_day: 5}\n"
                        "transactions: [{name: t, share: 1, service_min: {dist: exponential, mean: 1}}]\n"
                        "counters: [{role: general, count: 1}]\n"
                        "sweep:\n  counters.0.count: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]\n"
                        "  demand.customers_per_day: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]\n")
    out = tmp_path / "large.h5"
    run(BRANCHSIM, "run", scenario, "-q", "-o", out)
    run(sys.executable, REPORT, out, "-o", tmp_path / "rep")
    md = (tmp_path / "rep" / "report.md").read_text()
    assert 131 > report.FOREST_MAX_ROWS and "No forest plot: 131 points" in md
    assert not (tmp_path / "rep" / "forest.png").exists()
    _, rows = md_table(md, "## Differences from the baseline")
    assert len(rows) == 131  # every difference is still in the table
    # the tallest forest plot (7 metrics in 2 rows of panels) at the highest --dpi stays under the limit
    assert (0.8 + 2 * (0.9 + 0.28 * report.FOREST_MAX_ROWS)) * 600 < 2 ** 16


# --- planner-grade figures, summary and the HTML page ----------------------------------------

TINY = ("name: tiny\nreplications: 6\nday: {hours: 2}\ndemand: {customers_per_day: 100}\n"
        "transactions: [{name: t, share: 1, service_min: {dist: exponential, mean: 4}}]\n"
        "counters: [{role: general, count: 3}]\n")
PLAN_METRICS = ["wait_mean_min", "share_wait_over_10min", "abandoned"]


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    """A one-key plan (counters 2 to 7, two targets: 5 counters is the answer, 4
    fails the mean wait only) and its report through the CLI with --metrics."""
    d = tmp_path_factory.mktemp("plan")
    (d / "tiny.yaml").write_text(TINY)
    h5 = d / "tiny-plan.h5"
    run(BRANCHSIM, "plan", d / "tiny.yaml", "--vary", "counters.0.count", "--range", "2:7", "--target",
        "wait_mean_min<=2", "--target", "share_wait_over_10min<=0.1", "-q", "-o", h5)
    r = run(sys.executable, REPORT, h5, "-o", d / "rep", "--metrics", ",".join(PLAN_METRICS), "--dpi", 60)
    return {"h5": h5, "dir": d / "rep", "stdout": r.stdout}


def png_info(path):
    """(width, height, {keyword: text}) of a PNG, its pixels decoded (a broken one raises)."""
    import matplotlib.image
    data = Path(path).read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    pixels = matplotlib.image.imread(str(path))
    texts, pos = {}, 8
    while pos < len(data):
        n, kind = int.from_bytes(data[pos:pos + 4], "big"), data[pos + 4:pos + 8]
        if kind == b"tEXt":
            key, _, value = data[pos + 8:pos + 8 + n].partition(b"\0")
            texts[key.decode("latin-1")] = value.decode("latin-1")
        pos += 12 + n
    return pixels.shape[1], pixels.shape[0], texts


def test_metrics_choose_the_figures_and_their_titles(plan):
    md = (plan["dir"] / "report.md").read_text()
    in_md = re.findall(r"!\[([^\]]*)\]\(([^)]+)\)", md)
    assert [f for _, f in in_md] == [f"metric_{m}.png" for m in PLAN_METRICS]  # those, and only those
    assert sorted(p.name for p in plan["dir"].glob("*.png")) == sorted(f"metric_{m}.png" for m in PLAN_METRICS)
    titles = ["Mean wait against Counters (general)", "Share waiting over 10 min against Counters (general)",
              "Customers abandoned against Counters (general)"]  # the file's long_name
    for (_, name), title in zip(in_md, titles):
        width, height, texts = png_info(plan["dir"] / name)
        assert width > 250 and height > 150  # 6.4 x 4 in at 60 dpi
        assert texts["Title"] == title


def test_plan_figures_draw_the_targets_and_mark_the_answer(plan):
    res = report.Result(str(plan["h5"]))
    doc = report.build(res, str(plan["dir"].parent), metrics=PLAN_METRICS, dpi=40)
    figs = {b[1]: b[3] for b in doc if b[0] == "img"}
    assert figs["metric_wait_mean_min.png"]["target_lines"] == [2.0]
    assert figs["metric_share_wait_over_10min.png"]["target_lines"] == [10.0]  # 0.1 of customers, in %
    assert figs["metric_abandoned.png"]["target_lines"] == []
    assert all(f["answer"] for f in figs.values())
    assert report.words.answer_point(res) == 3  # counters.0.count=5
    for f in figs.values():  # an integer key: a tick at each count, none between
        assert f["xticks"] == [2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    _, rows = md_table(report.to_markdown(doc), "## Summary by point")
    assert [r[0] for r in rows][:4] == ["0 (baseline)", "1", "2", "3 (plan answer)"]


def test_plan_summary_states_the_answer_and_the_failing_point_with_intervals(plan):
    s = summary(plan["h5"])
    para = plan["stdout"].splitlines()[0]
    w, sh = s["wait_mean_min"], s["share_wait_over_10min"]
    # the one-sided upper bound plan compares with the target, beside the two-sided interval
    upper = w["mean"] + scipy.stats.t.ppf(0.95, w["n"] - 1) * w["sd"] / np.sqrt(w["n"])
    assert upper[3] <= 2 < upper[2]
    expect = (f"Counters (general) = 5, the plan's answer, meets every target at 95 % confidence: "
              f"Mean wait {w['mean'][3]:.3g} min [{w['ci95_low'][3]:.3g}, {w['ci95_high'][3]:.3g}] "
              f"(upper 95 % bound {upper[3]:.3g} min, target ≤ 2 min); "
              f"Share waiting over 10 min {100 * sh['mean'][3]:.3g} %")
    assert para.startswith(expect), para
    # 4 counters fail the mean wait's bound only: it alone is named
    assert para.endswith(f"Counters (general) = 4 does not: Mean wait {w['mean'][2]:.3g} min "
                         f"[{w['ci95_low'][2]:.3g}, {w['ci95_high'][2]:.3g}] (upper 95 % bound {upper[2]:.3g} min)."), para
    assert para in (plan["dir"] / "report.md").read_text().replace("\\", "")


def test_sweep_summary_names_the_best_and_worst_points_with_intervals(files, reports):
    s = summary(files["peak"])["wait_mean_min"]
    res = report.Result(str(files["peak"]))
    label = report.key_label(res.keys[0], None)
    para = (reports["peak"] / "report.md").read_text().split("\n\n")[1].replace("\\", "")
    best, worst = int(np.argmin(s["mean"])), int(np.argmax(s["mean"]))
    for p, word in ((best, "best"), (worst, "worst")):
        value = f"{res.values[res.keys[0]][p]:g}"
        assert (f"the {word} is {label} = {value}: Mean wait {s['mean'][p]:.3g} min [{s['ci95_low'][p]:.3g}, "
                f"{s['ci95_high'][p]:.3g}]") in para, para
    assert "The baseline, the scenario's own point (sweep.baseline), is" in para


def test_a_two_key_sweep_is_drawn_as_facets(tmp_path):
    scenario = tmp_path / "two.yaml"
    scenario.write_text(TINY.replace("replications: 6", "replications: 2")
                        + "sweep:\n  counters.0.count: [3, 4, 5]\n  demand.customers_per_day: [80, 120]\n")
    run(BRANCHSIM, "run", scenario, "-q", "-o", tmp_path / "two.h5")
    doc = report.build(report.Result(str(tmp_path / "two.h5")), str(tmp_path), metrics=["wait_mean_min"], dpi=40)
    (info,) = [b[3] for b in doc if b[0] == "img"]
    assert info["panels"] == 2 and not info.get("heatmap")  # one panel per demand, counters along x
    assert info["xticks"] == [3.0, 4.0, 5.0]
    assert info["title"] == "Mean wait against Counters (general)"


def test_the_panel_titles_of_a_three_key_grid_do_not_overlap(tmp_path):
    """Each panel names two keys with long labels ("Dist
    (transactions.0.service_min) = exponential"): one line of both ran
    into the next panel's title, unreadable."""
    scenario = tmp_path / "three.yaml"
    scenario.write_text(TINY.replace("replications: 6", "replications: 2")
                        + "sweep:\n  counters.0.count: [3, 4]\n  transactions.0.service_min.dist: [exponential, constant]"
                        "\n  demand.customers_per_day: [80, 120]\n")
    run(BRANCHSIM, "run", scenario, "-q", "-o", tmp_path / "three.h5")
    doc = report.build(report.Result(str(tmp_path / "three.h5")), str(tmp_path), metrics=["wait_mean_min"], dpi=40)
    (info,) = [b[3] for b in doc if b[0] == "img"]
    assert info["panels"] == 4
    assert info["titles_overlap"] is False
    # the day's profiles: four points named by three keys each, the legend within the figure
    res = report.Result(str(tmp_path / "three.h5"))
    res.klabels = {k: report.key_label(k, None) for k in res.keys}
    day = report.day_section(res, report.figs.Ctx(res, res.klabels), str(tmp_path), 40)
    (info,) = [b[3] for b in day if b[0] == "img"]
    assert info["lines"] == 4 and info["legend_inside"] is True


def test_unknown_metric_exits_2_naming_the_nearest(plan, tmp_path, capsys):
    assert report.main([str(plan["h5"]), "-o", str(tmp_path / "r"), "--metrics", "wait_mean_min,wait_men_min"]) == 2
    err = capsys.readouterr().err
    assert err == f"report: no metric 'wait_men_min' in {plan['h5']} (did you mean wait_mean_min?)\n"
    assert not (tmp_path / "r").exists()


def test_the_html_page_renders_in_headless_chromium(plan, tmp_path):
    """One self-contained page: no scripts, no URLs; Chromium draws it (a
    screenshot of many colours) without a console error."""
    page = plan["dir"] / "report.html"
    text = page.read_text()
    assert "<script" not in text and "http://" not in text and "https://" not in text
    assert text.count("<table>") >= 1 and text.count('src="data:image/png;base64,') == len(PLAN_METRICS)
    assert "counters.0.count" in text and "<pre>" in text  # the scenario's text
    # provenance: the command line the file records (its one-line history says no more)
    assert re.search(r"command line: <code>\S*branchsim plan \S*tiny.yaml --vary counters.0.count", text)
    assert "history:" not in text
    shot = tmp_path / "shot.png"
    r = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
                        "--v=0", f"--screenshot={shot}", "--window-size=1200,2000", page.as_uri()],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "Uncaught" not in r.stderr and "CONSOLE" not in r.stderr, r.stderr
    width, height, _ = png_info(shot)
    assert (width, height) == (1200, 2000)
    import matplotlib.image
    rgb = (matplotlib.image.imread(str(shot))[:, :, :3] * 255).astype(np.uint32)
    colours = np.unique(rgb[:, :, 0] << 16 | rgb[:, :, 1] << 8 | rgb[:, :, 2])
    assert colours.size > 50  # text, tables and figures, not a blank page


def test_appointments_and_standards_are_reported_where_the_file_has_them(tmp_path):
    """The appointments scenario with a standard of its own: the slot metrics, the
    standard's share within (in %, from /breakdown_summary) and the per-slot figure."""
    scenario = tmp_path / "appstd.yaml"
    scenario.write_text((ROOT / "scenarios" / "appointments.yaml").read_text() + "standards:\n  - {name: elderly_wait, "
                        "quantity: wait_min, within_min: 5, segments: [elderly], share: 0.95}\n")
    h5 = tmp_path / "appstd.h5"
    run(BRANCHSIM, "run", scenario, "-r", 2, "-q", "-o", h5)
    res = report.Result(str(h5))
    metrics = report.default_metrics(res, [])
    spec = "standards/share_within[elderly_wait]"
    assert metrics[5:] == report.APPOINTMENT_METRICS + [spec]
    with h5py.File(h5, "r") as f:
        ds = f["breakdown_summary/standards/share_within"]
        stats = [c.decode() if isinstance(c, bytes) else str(c) for c in ds.attrs["stats"]]
        col = [c.decode() if isinstance(c, bytes) else str(c) for c in f["standards"].attrs["standards"]]
        within = ds[()][:, col.index("elderly_wait"), :]
    _, rows = md_table(report.to_markdown([report.summary_table(res, [spec], None)]), "|")
    for p, row in enumerate(rows):
        mean, low, high = (100 * within[p, stats.index(c)] for c in ("mean", "ci95_low", "ci95_high"))
        assert row[-1] == f"{mean:.4g} [{low:.4g}, {high:.4g}]"
    res.klabels = {k: k for k in res.keys}
    (_, _, (_, name, _, info)) = report.slots_section(res, report.figs.Ctx(res, res.klabels), str(tmp_path), 40)
    assert name == "slots.png" and info["panels"] == 3 and 2 <= info["lines"] <= 4  # requested, booked, refused
    assert png_info(tmp_path / name)[2]["Title"] == "Appointments per slot"
