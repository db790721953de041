#!/usr/bin/python3
"""A report with figures of one branchsim result file.

    report.py OUT.h5 [-o DIR] [--x KEY]

writes DIR/report.md and DIR/report.html (the same content; the HTML needs
nothing but the PNGs beside it) and the figures:

  metric_<name>.png  each main metric (mean with its 95 % CI band from
                     /summary) against the first swept key, one line per value
                     of the other swept keys;
  tradeoff.png       mean wait against expected infections of customers per
                     point, non-dominated points marked (files with exposure
                     metrics only);
  timeseries.png     arrivals, occupancy, line length and open counters over
                     the day (/timeseries, one line per point; clock time from
                     the scenario's day.open);
  forest.png         paired differences of every point from the baseline
                     (/compare), mean and 95 % CI.

The tables give, per point, the swept keys' values and each main metric's mean
[ci95_low, ci95_high], numbers printed with 4 significant digits (as
`branchsim describe` does). Only the documented HDF5 layout is read: /scenarios,
/summary (columns named by its attr stats), /compare (attr baseline),
/timeseries, /bin and the root attributes. Runs under Debian's /usr/bin/python3
(python3-h5py, -numpy, -scipy, -matplotlib).

A foreign or damaged file (not HDF5, truncated, a group, dataset or attribute missing or of the
wrong shape or type) is one line on stderr, `SCRIPT: FILE: what is wrong`, and exit status 2;
so is an unknown metric name, with the nearest name in the file (branchsim/results.py does the checks).
"""
import argparse
import errno
import html
import math
import os
import re
import shutil
import sys
import tempfile

from branchsim import results as bsfile  # first: it keeps libhdf5 from loading plugins a file names
import numpy as np

MAIN_METRICS = ["wait_mean_min", "wait_p90_min", "share_wait_over_10min", "counter_utilization", "abandoned"]
EXPOSURE_METRICS = ["expected_infections_customers", "expected_infections_staff"]
TIMESERIES = ["arrivals", "occupancy", "queue_length", "counters_open"]
DEFAULT_DAY_OPEN = "09:00"  # docs/scenario-keys.md: the default of day.open
# A row of the forest plot is 0.28 in: at 600 dpi, 120 rows stay under matplotlib's
# 2^16-pixel limit (a 2000-point sweep ended in a traceback).
FOREST_MAX_ROWS = 120


text = bsfile.text


# Text from the result file, marked in the document so that each format
# escapes it as its own: raw in Markdown it would pass HTML, links and
# headings through. Control characters show as \xNN, backquotes as '.
_RAW, _END = "\x0e", "\x0f"


def ff(v):
    """A text from the file as one marked line of printable characters."""
    s = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}"
                for c in text(v))
    return _RAW + s.replace("`", "'") + _END


def fmt(x):
    """A number as the report prints it: 4 significant digits, n/a when not finite."""
    try:
        x = float(x)
    except (TypeError, ValueError):
        return "n/a"
    return f"{x:.4g}" if math.isfinite(x) else "n/a"


def fmt_ci(mean, low, high):
    return f"{fmt(mean)} [{fmt(low)}, {fmt(high)}]"


def fmt_value(v):
    """A swept key's value: numbers with %g, text as written (shortened)."""
    if isinstance(v, (float, np.floating, int, np.integer)):
        return f"{float(v):g}"
    s = " ".join(text(v).split())
    return s if len(s) <= 40 else s[:37] + "..."


def ff_value(v):
    """fmt_value, marked when it is text from the file."""
    s = fmt_value(v)
    return s if isinstance(v, (float, np.floating, int, np.integer)) else ff(s)


class Result(bsfile.Results):
    """What the report needs from one result file: the root, /summary, /compare
    and /timeseries (bsfile.Results); raises bsfile.BadFile on a foreign or damaged one."""

    def __init__(self, path):
        super().__init__(path, groups=("summary", "compare", "timeseries"))

    def finite(self, metric):
        s = self.summary.get(metric)
        return s is not None and "mean" in s and bool(np.isfinite(s["mean"]).any())

    def main_metrics(self):
        names = [m for m in MAIN_METRICS if m in self.summary]
        names += [m for m in EXPOSURE_METRICS if self.finite(m)]
        return names

    def label(self, p, keys=None):
        keys = self.keys if keys is None else keys
        return ", ".join(f"{k}={fmt_value(self.values[k][p])}" for k in keys) or f"point {p}"

    def short_label(self, p):
        return ", ".join(fmt_value(self.values[k][p]) for k in self.keys) or f"point {p}"


# --- clock time -----------------------------------------------------------------------------

def _hhmm(s):
    m = re.fullmatch(r"""\s*["']?(\d{1,2}):(\d{2})["']?\s*""", s)
    if not m or int(m.group(1)) > 24 or int(m.group(2)) > 59:
        return None
    return 60 * int(m.group(1)) + int(m.group(2))


def day_open_minutes(yaml_text):
    """Opening time (minutes after midnight) from the scenario text: `day: {open: "09:00"}` or a
    block `day:` with an indented `open:` line; the documented default 09:00 when the file names
    none; None when the text is not that simple. A `--set day.open=...` (recorded after the text as
    a comment line) wins."""
    sets = re.findall(r"^# --set day\.open=(.*)$", yaml_text, re.M)
    if sets:
        return _hhmm(sets[-1].strip().strip("'\""))
    lines = yaml_text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^day\s*:(.*)$", line)
        if not m:
            continue
        rest = re.sub(r"\s+#.*$", "", m.group(1)).strip()
        if rest.startswith("{"):
            mm = re.search(r"""[{,]\s*open\s*:\s*([^,}]+)""", rest)
            return _hhmm(mm.group(1)) if mm else _hhmm(DEFAULT_DAY_OPEN)
        if rest:
            return None
        indent = None
        for nxt in lines[i + 1:]:
            if not nxt.strip() or nxt.lstrip().startswith("#"):
                continue
            if not nxt[0].isspace():
                break
            ind = len(nxt) - len(nxt.lstrip())
            indent = ind if indent is None else indent
            if ind != indent:
                continue
            mm = re.match(r"^\s+open\s*:(.*)$", nxt)
            if mm:
                return _hhmm(re.sub(r"\s+#.*$", "", mm.group(1)))
        return _hhmm(DEFAULT_DAY_OPEN)
    if re.search(r"^\s*[{\[]", yaml_text, re.M) and not re.search(r"^\w", yaml_text, re.M):
        return None  # the whole file in flow style: not parsed here
    return _hhmm(DEFAULT_DAY_OPEN)


def clock(minutes):
    minutes = int(round(minutes))
    return f"{(minutes // 60) % 24:02d}:{minutes % 60:02d}"


# --- figures --------------------------------------------------------------------------------

def _plt():
    import matplotlib
    matplotlib.use("Agg")
    matplotlib.rcParams["text.parse_math"] = False  # a "$" in a name is a dollar sign, not TeX
    import matplotlib.pyplot as plt
    return plt


def _groups(res, xkey):
    """Points grouped by the values of the swept keys other than xkey: [(label, [points])]."""
    others = [k for k in res.keys if k != xkey]
    groups = {}
    for p in range(res.n_points):
        lab = ", ".join(f"{k}={fmt_value(res.values[k][p])}" for k in others)
        groups.setdefault(lab, []).append(p)
    return list(groups.items())


def _x_positions(res, xkey):
    """x value per point and tick labels (None for a numeric key)."""
    if xkey is None:
        return np.arange(res.n_points, dtype=float), None
    if res.numeric(xkey):
        return np.array(res.values[xkey], dtype=float), None
    cats = list(dict.fromkeys(fmt_value(v) for v in res.values[xkey]))
    return np.array([cats.index(fmt_value(v)) for v in res.values[xkey]], dtype=float), cats


def fig_metric(res, metric, xkey, path, dpi):
    plt = _plt()
    s = res.summary[metric]
    xs, cats = _x_positions(res, xkey)
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    groups = _groups(res, xkey) if xkey else [("", list(range(res.n_points)))]
    for lab, pts in groups:
        pts = sorted(pts, key=lambda p: xs[p])
        x = xs[pts]
        mean, lo, hi = s["mean"][pts], s["ci95_low"][pts], s["ci95_high"][pts]
        line, = ax.plot(x, mean, marker="o", label=lab or None)
        ok = np.isfinite(lo) & np.isfinite(hi)
        if ok.sum() > 1:
            ax.fill_between(x[ok], lo[ok], hi[ok], color=line.get_color(), alpha=0.2, linewidth=0)
        if ok.any():  # also as error bars, so that single points show their interval
            ax.errorbar(x[ok], mean[ok], yerr=[mean[ok] - lo[ok], hi[ok] - mean[ok]], fmt="none",
                        ecolor=line.get_color(), capsize=3, alpha=0.7)
    if cats is not None:
        ax.set_xticks(range(len(cats)), cats, rotation=20, ha="right")
    elif xkey is None:
        ax.set_xticks(xs, [f"point {p}" for p in range(res.n_points)])
    ax.set_xlabel(xkey or "point")
    unit = s["unit"]
    ax.set_ylabel(f"{metric} [{unit}]" if unit else metric)
    ax.set_title(f"{metric}: mean and 95 % CI over replications", fontsize=10)
    if len(groups) > 1:
        ax.legend(fontsize=8, title=None)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)


def pareto(xs, ys):
    """Indices i of the non-dominated points (lower is better on both; NaN points never)."""
    idx = [i for i in range(len(xs)) if math.isfinite(xs[i]) and math.isfinite(ys[i])]
    front = []
    for i in idx:
        dominated = any(xs[j] <= xs[i] and ys[j] <= ys[i] and (xs[j] < xs[i] or ys[j] < ys[i]) for j in idx)
        if not dominated:
            front.append(i)
    return front


def fig_tradeoff(res, path, dpi):
    plt = _plt()
    w, e = res.summary["wait_mean_min"], res.summary["expected_infections_customers"]
    xs, ys = w["mean"], e["mean"]
    front = pareto(xs, ys)
    ok = [p for p in range(res.n_points) if math.isfinite(xs[p]) and math.isfinite(ys[p])]
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    ax.errorbar(xs[ok], ys[ok], xerr=[xs[ok] - w["ci95_low"][ok], w["ci95_high"][ok] - xs[ok]],
                yerr=[ys[ok] - e["ci95_low"][ok], e["ci95_high"][ok] - ys[ok]], fmt="o", color="0.55",
                ecolor="0.75", capsize=2, label="point (mean, 95 % CI)")
    f = sorted(front, key=lambda p: xs[p])
    ax.plot(xs[f], ys[f], "o-", color="C3", markersize=8, label="non-dominated")
    for p in ok:
        ax.annotate(f"{p}: {res.short_label(p)}", (xs[p], ys[p]), textcoords="offset points", xytext=(5, 4),
                    fontsize=7)
    ax.set_xlabel(f"wait_mean_min [{w['unit']}]")
    ax.set_ylabel(f"expected_infections_customers [{e['unit']}]")
    ax.set_title("waiting against expected infections (lower is better on both)", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return front


def fig_timeseries(res, names, open_min, path, dpi):
    plt = _plt()
    from matplotlib.ticker import FuncFormatter, MultipleLocator
    bins = res.bins
    width = res.bin_min if res.bin_min else (bins[1] - bins[0] if len(bins) > 1 else 1.0)
    edges = np.append(bins, bins[-1] + width) + (open_min or 0)
    ncols = 2
    nrows = (len(names) + 1) // 2
    fig, axes = plt.subplots(nrows, ncols, figsize=(11, 3.2 * nrows), sharex=True, squeeze=False)
    cmap = plt.get_cmap("viridis")
    for i, name in enumerate(names):
        ax = axes[i // ncols][i % ncols]
        values, unit, desc = res.timeseries[name]
        for p in range(res.n_points):
            color = cmap(p / max(1, res.n_points - 1)) if res.n_points > 10 else f"C{p % 10}"
            ax.stairs(values[p], edges, baseline=None, color=color, label=f"{p}: {res.short_label(p)}",
                      linewidth=1.3)
        ax.set_title(f"{name}: {desc}" if desc else name, fontsize=9)
        ax.set_ylabel(unit)
        ax.grid(alpha=0.3)
        ax.tick_params(labelbottom=True, labelsize=8)
        if open_min is not None:
            span = edges[-1] - edges[0]
            ax.xaxis.set_major_locator(MultipleLocator(60 if span <= 14 * 60 else 180))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: clock(x)))
    for i in range(len(names)):
        axes[i // ncols][i % ncols].set_xlabel("clock time" if open_min is not None else "minutes after opening",
                                               fontsize=8)
    handles, labels = axes[0][0].get_legend_handles_labels()
    title = ", ".join(res.keys) if res.keys else None
    if len(names) % ncols:  # the legend in the empty panel
        spare = axes[-1][-1]
        spare.axis("off")
        if res.n_points <= 24:
            spare.legend(handles, labels, loc="center", fontsize=7, title=title, title_fontsize=7,
                         ncol=1 if res.n_points <= 12 else 2)
    elif res.n_points <= 24:
        fig.legend(handles, labels, loc="lower center", fontsize=7, title=title, title_fontsize=7,
                   ncol=min(6, res.n_points))
        fig.tight_layout(rect=(0, 0.06 + 0.02 * ((res.n_points - 1) // 6), 1, 1))
        fig.savefig(path, dpi=dpi)
        plt.close(fig)
        return
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)


def fig_forest(res, metrics, path, dpi):
    plt = _plt()
    from matplotlib.ticker import MaxNLocator
    pts = [p for p in range(res.n_points) if p != res.baseline]
    ncols = min(4, len(metrics))
    nrows = (len(metrics) + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.3 * ncols + 1.5, 0.8 + nrows * (0.9 + 0.28 * len(pts))),
                             sharey=True, squeeze=False)
    ys = np.arange(len(pts))[::-1]
    for i, m in enumerate(metrics):
        ax = axes[i // ncols][i % ncols]
        c = res.compare[m]
        mean, lo, hi = c["mean"][pts], c["ci95_low"][pts], c["ci95_high"][pts]
        ax.axvline(0, color="0.5", linewidth=1)
        ok = np.isfinite(mean)
        err = np.where(np.isfinite(lo) & np.isfinite(hi), [mean - lo, hi - mean], 0.0)
        ax.errorbar(mean[ok], ys[ok], xerr=err[:, ok], fmt="s", color="C0", capsize=3, markersize=4)
        ax.set_title(f"{m} [{c['unit']}]" if c["unit"] else m, fontsize=9)
        ax.grid(alpha=0.3, axis="x")
        ax.tick_params(labelsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
    for j in range(len(metrics), nrows * ncols):
        axes[j // ncols][j % ncols].set_visible(False)
    axes[0][0].set_yticks(ys, [f"{p}: {res.short_label(p)}" for p in pts])
    fig.suptitle(f"paired difference from the baseline, point {res.baseline} ({res.label(res.baseline)}): "
                 "mean and 95 % CI" + (f"\nrows: point: {', '.join(res.keys)}" if res.keys else ""), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)


# --- the document ---------------------------------------------------------------------------

def build(res, outdir, xkey=None, dpi=110):
    """Writes the figures into outdir and returns the document as a list of blocks:
    ('h1'|'h2'|'p', text), ('ul', [text]), ('table', header, rows), ('img', file, caption)."""
    a = res.attrs
    doc = []
    name = ff(text(a.get("scenario_name", "")) or os.path.basename(res.path))
    doc.append(("h1", f"branchsim report: {name}"))
    doc.append(("ul", [
        f"file `{ff(os.path.basename(res.path))}`, scenario file `{ff(a.get('scenario_file', '?'))}`",
        f"{res.n_points} point(s) x {ff(a.get('replications', '?'))} replications, seed {ff(a.get('seed', '?'))}",
        f"branchsim {ff(a.get('branchsim_version', '?'))}, created {ff(a.get('created', '?'))}; "
        f"build: {ff(a.get('build', '?'))}",
        "swept keys: " + (", ".join(f"`{ff(k)}`" for k in res.keys) if res.keys else "none (one point)"),
    ]))
    metrics = res.main_metrics()
    missing = [m for m in MAIN_METRICS if m not in res.summary]
    doc.append(("p", "Main metrics (mean over replications, 95 % confidence interval from Student's t, as in "
                     "`/summary`):"))
    doc.append(("ul", [f"`{m}` [{ff(res.summary[m]['unit'])}]: {ff(res.summary[m]['description'])}"
                       for m in metrics]))
    if missing:
        doc.append(("p", "Not in this file: " + ", ".join(f"`{m}`" for m in missing) + "."))
    absent = [m for m in EXPOSURE_METRICS if m not in metrics]
    if absent:
        doc.append(("p", "Exposure metrics " + ", ".join(f"`{m}`" for m in absent)
                    + " are not reported: not in the file or not finite (no `exposure` section)."))

    # Summary table.
    doc.append(("h2", "Summary by point"))
    if res.n_points > 1 and res.compare:
        doc.append(("p", f"Point {res.baseline} is the baseline of the comparisons below."))
    header = ["point"] + [f"`{ff(k)}`" for k in res.keys] + \
             [f"`{m}` ({ff(res.summary[m]['unit'])})" if res.summary[m]["unit"] else f"`{m}`" for m in metrics]
    rows = []
    for p in range(res.n_points):
        row = [str(p)] + [ff_value(res.values[k][p]) for k in res.keys]
        for m in metrics:
            s = res.summary[m]
            row.append(fmt_ci(s["mean"][p], s["ci95_low"][p], s["ci95_high"][p]))
        rows.append(row)
    doc.append(("table", header, rows))

    # (a) metrics against the swept key.
    if xkey is None:
        xkey = res.keys[0] if res.keys else None
    doc.append(("h2", "Metrics against the swept key"))
    others = [k for k in res.keys if k != xkey]
    doc.append(("p", (f"x: `{ff(xkey)}`" if xkey else "x: the point (nothing swept)")
                + (f"; one line per value of {', '.join(f'`{ff(k)}`' for k in others)}" if others else "")
                + "; band and bars: 95 % CI."))
    for m in metrics:
        fn = f"metric_{m}.png"
        fig_metric(res, m, xkey, os.path.join(outdir, fn), dpi)
        doc.append(("img", fn, f"{m} against {ff(xkey) if xkey else 'point'}"))

    # (b) the trade-off.
    if res.finite("expected_infections_customers") and res.finite("wait_mean_min"):
        doc.append(("h2", "Waiting against expected infections"))
        front = fig_tradeoff(res, os.path.join(outdir, "tradeoff.png"), dpi)
        doc.append(("p", "Each point's mean whole wait (`wait_mean_min`: from arrival at the door, the line outside "
                         "an occupancy cap included) and expected infections of customers per day; a point is "
                         "non-dominated when no other point is at least as good on both and better on one "
                         "(lower is better). Means only: points whose intervals overlap may not differ."))
        doc.append(("img", "tradeoff.png", "mean wait against expected infections of customers"))
        w, e = res.summary["wait_mean_min"], res.summary["expected_infections_customers"]
        doc.append(("table", ["point"] + [f"`{ff(k)}`" for k in res.keys] + ["`wait_mean_min`",
                    "`expected_infections_customers`"],
                    [[str(p)] + [ff_value(res.values[k][p]) for k in res.keys]
                     + [fmt(w["mean"][p]), fmt(e["mean"][p])] for p in sorted(front, key=lambda q: w["mean"][q])]))
        doc.append(("p", f"Non-dominated: {len(front)} of {res.n_points} points (table above, by mean wait)."))

    # (c) time-of-day profiles.
    names = [n for n in TIMESERIES if n in res.timeseries]
    if "concentration" in res.timeseries and np.isfinite(res.timeseries["concentration"][0]).any():
        names.append("concentration")
    if names and res.bins is not None and len(res.bins):
        open_min = None if "day.open" in res.keys else day_open_minutes(text(a.get("scenario_yaml", "")))
        doc.append(("h2", "Over the day"))
        axis = (f"clock time (opening {clock(open_min)})" if open_min is not None
                else "minutes after opening")
        doc.append(("p", f"Mean over replications per bin of {fmt(res.bin_min)} minutes; x: {axis}; "
                         "one line per point."))
        fig_timeseries(res, names, open_min, os.path.join(outdir, "timeseries.png"), dpi)
        doc.append(("img", "timeseries.png", "time-of-day profiles"))

    # (d) differences from the baseline.
    cmp_metrics = [m for m in metrics if m in res.compare]
    if res.n_points > 1 and cmp_metrics:
        doc.append(("h2", "Differences from the baseline"))
        doc.append(("p", f"Paired differences (point minus baseline point {res.baseline}, "
                         f"{ff(res.label(res.baseline))}) over the replications, which share their customers: "
                         "mean [95 % CI], from `/compare`."))
        if res.n_points - 1 <= FOREST_MAX_ROWS:
            fig_forest(res, cmp_metrics, os.path.join(outdir, "forest.png"), dpi)
            doc.append(("img", "forest.png", "paired differences from the baseline"))
        else:
            doc.append(("p", f"No forest plot: {res.n_points - 1} points are more rows than it shows "
                             f"({FOREST_MAX_ROWS}); the table below has every difference."))
        header = ["point"] + [f"`{ff(k)}`" for k in res.keys] + [f"`{m}`" for m in cmp_metrics]
        rows = []
        for p in range(res.n_points):
            if p == res.baseline:
                continue
            rows.append([str(p)] + [ff_value(res.values[k][p]) for k in res.keys]
                        + [fmt_ci(res.compare[m]["mean"][p], res.compare[m]["ci95_low"][p],
                                  res.compare[m]["ci95_high"][p]) for m in cmp_metrics])
        doc.append(("table", header, rows))
    return doc


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~&])")


def _md(s):
    """Marked text Markdown-escaped (in a code span it is literal already)."""
    parts = s.split("`")
    for i in range(0, len(parts), 2):
        parts[i] = re.sub(f"{_RAW}([^{_END}]*){_END}", lambda m: _MD_SPECIAL.sub(r"\\\1", m.group(1)), parts[i])
    return "`".join(parts).replace(_RAW, "").replace(_END, "")


def _plain(s):
    return s.replace(_RAW, "").replace(_END, "")


def _md_cell(s):
    return _md(s).replace("|", "\\|")


def to_markdown(doc):
    out = []
    for block in doc:
        kind = block[0]
        if kind == "h1":
            out.append(f"# {_md(block[1])}\n")
        elif kind == "h2":
            out.append(f"## {_md(block[1])}\n")
        elif kind == "p":
            out.append(_md(block[1]) + "\n")
        elif kind == "ul":
            out.append("\n".join(f"- {_md(item)}" for item in block[1]) + "\n")
        elif kind == "table":
            _, header, rows = block
            lines = ["| " + " | ".join(_md_cell(h) for h in header) + " |",
                     "|" + "|".join("---" for _ in header) + "|"]
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
            out.append("\n".join(lines) + "\n")
        elif kind == "img":
            out.append(f"![{_md(block[2])}]({block[1]})\n")
    return "\n".join(out)


def _inline(s):
    """Escaped text with `code` spans."""
    parts = _plain(s).split("`")
    return "".join(f"<code>{html.escape(p)}</code>" if i % 2 else html.escape(p) for i, p in enumerate(parts))


def to_html(doc):
    title = next((b[1] for b in doc if b[0] == "h1"), "branchsim report")
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f"<title>{html.escape(_plain(title))}</title>",
           "<style>body{font-family:sans-serif;max-width:70em;margin:1em auto;padding:0 1em}"
           "table{border-collapse:collapse;font-size:90%}th,td{border:1px solid #bbb;padding:2px 6px;"
           "text-align:right}th{background:#eee}img{max-width:100%}code{background:#f4f4f4}</style>",
           "</head>", "<body>"]
    for block in doc:
        kind = block[0]
        if kind in ("h1", "h2"):
            out.append(f"<{kind}>{_inline(block[1])}</{kind}>")
        elif kind == "p":
            out.append(f"<p>{_inline(block[1])}</p>")
        elif kind == "ul":
            out.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in block[1]) + "</ul>")
        elif kind == "table":
            _, header, rows = block
            out.append("<table>")
            out.append("<tr>" + "".join(f"<th>{_inline(h)}</th>" for h in header) + "</tr>")
            for row in rows:
                out.append("<tr>" + "".join(f"<td>{html.escape(_plain(c))}</td>" for c in row) + "</tr>")
            out.append("</table>")
        elif kind == "img":
            out.append(f'<p><img src="{html.escape(block[1])}" alt="{html.escape(_plain(block[2]))}"></p>')
    out += ["</body>", "</html>", ""]
    return "\n".join(out)


def write_report(res, outdir, xkey, dpi):
    """Builds every file in a new private directory inside outdir, then renames
    them into place, figures first: a link planted in outdir is replaced, never
    followed, and a failure leaves none of this report's files."""
    tmp = tempfile.mkdtemp(prefix=".report-", dir=outdir)
    try:
        doc = build(res, tmp, xkey, dpi)
        for name, content in (("report.md", to_markdown(doc)), ("report.html", to_html(doc))):
            with open(os.path.join(tmp, name), "x", encoding="utf-8") as f:
                f.write(content)
        names = sorted(os.listdir(tmp), key=lambda n: n.startswith("report."))
        for n in names:
            dest = os.path.join(outdir, n)
            if os.path.isdir(dest) and not os.path.islink(dest):
                raise IsADirectoryError(errno.EISDIR, f"{dest} is a directory")
        for n in names:
            os.replace(os.path.join(tmp, n), os.path.join(outdir, n))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return doc


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", help="branchsim result file (HDF5)")
    ap.add_argument("-o", "--output", default="report", help="output directory (default: report)")
    ap.add_argument("--x", dest="xkey", help="swept key for the x axis (default: the first)")
    ap.add_argument("--dpi", type=int, default=110, help="figure resolution, 20 to 600 (default: 110)")
    args = ap.parse_args(argv)
    if not 20 <= args.dpi <= 600:
        ap.error(f"--dpi: expected 20 to 600, got {args.dpi}")  # 0 fails in matplotlib, 10^5 exhausts memory
    res, msg = bsfile.guard(args.file, lambda: Result(args.file))
    if msg:
        print(f"report: {msg}", file=sys.stderr)
        return 2
    if args.xkey is not None and args.xkey not in res.keys:
        print(f"report: {bsfile.unknown('swept key', args.xkey, res.keys, args.file)}; have "
              f"{', '.join(res.keys) or 'none'}", file=sys.stderr)
        return 2
    try:
        os.makedirs(args.output, exist_ok=True)
    except OSError as e:
        print(f"report: {args.output}: cannot make the output directory: {e.strerror}", file=sys.stderr)
        return 2
    try:
        doc = write_report(res, args.output, args.xkey, args.dpi)
    except OSError as e:
        print(f"report: {args.output}: cannot write the report: {e.strerror or e}", file=sys.stderr)
        return 1
    n_fig = sum(1 for b in doc if b[0] == "img")
    try:  # the report is written; a line lost on stdout is still a failure (as branchsim's own)
        print(f"wrote {os.path.join(args.output, 'report.md')}, report.html and {n_fig} figures", flush=True)
    except OSError as e:
        print(f"report: cannot write to standard output: {e.strerror}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    bsfile.hold_standard_streams()  # the report is its files; a closed stdout loses only the last line
    sys.exit(main())
