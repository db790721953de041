"""The report's figures. Each draws one PNG, puts its title in the PNG's
Title text (metadata), and returns what it drew: {"file", "title",
"panels", "target_lines" (in the axis' units), "answer" (the plan's answer
marked), "xticks"}; the tests read those, not the pixels."""
import math
import os
import textwrap

import numpy as np

from report_data import fmt_value
from report_labels import axis_label, metric_label, scale, units
from report_summary import point_words

FACETS_MAX = 8  # panels of small multiples; a two-key sweep with more becomes a heat map
TICKS_MAX = 15  # an integer key with at most this many values gets a tick at each


def plt_():
    import matplotlib
    matplotlib.use("Agg")
    matplotlib.rcParams["text.parse_math"] = False  # a "$" in a name is a dollar sign, not TeX
    import matplotlib.pyplot as plt
    return plt


def save(fig, path, dpi, title, **info):
    """Writes the PNG with its title as metadata; returns the description."""
    fig.savefig(path, dpi=dpi, metadata={"Title": title, "Software": "branchsim analysis/report.py"})
    ticks = info.pop("xticks", None)
    plt_().close(fig)
    return dict({"file": os.path.basename(path), "title": title, "target_lines": [], "answer": False,
                 "xticks": ticks}, **info)


class Ctx:
    """What every figure shares: key labels, the plan's targets and answer point."""

    def __init__(self, res, klabels, targets=(), answer=None):
        self.res, self.klabels, self.targets, self.answer = res, klabels, list(targets), answer


def x_values(res, xkey):
    """x per point and tick labels (None for a numeric key)."""
    if xkey is None:
        return np.arange(res.n_points, dtype=float), [f"point {p}" for p in range(res.n_points)]
    xs = res.key_floats(xkey)
    if xs is not None:
        return xs, None
    cats = list(dict.fromkeys(str(v) for v in res.values[xkey]))
    return np.array([cats.index(str(v)) for v in res.values[xkey]], dtype=float), cats


def set_x_axis(ax, ctx, xkey, xs, cats):
    """The key's label; its values as ticks: integers only for an integer key."""
    from matplotlib.ticker import MaxNLocator
    ax.set_xlabel(ctx.klabels.get(xkey, "point") if xkey else "point", fontsize=8)
    if cats is not None:
        ax.set_xticks(range(len(cats)), cats, rotation=20, ha="right")
    elif ctx.res.integer_key(xkey):
        vals = sorted(set(xs.tolist()))
        if len(vals) <= TICKS_MAX:
            ax.set_xticks(vals, [f"{v:g}" for v in vals])
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def groups(res, xkey):
    """Points grouped by the values of the swept keys other than xkey: [(values, [points])]."""
    out = {}
    for p in range(res.n_points):
        out.setdefault(tuple(fmt_value(res.values[k][p]) for k in res.keys if k != xkey), []).append(p)
    return list(out.items())


def draw_series(ax, xs, pts, entry, k, color="C0", label=None):
    """Mean with its 95 % CI as a band and as bars (single points show theirs too)."""
    pts = sorted(pts, key=lambda p: xs[p])
    x = xs[pts]
    mean, lo, hi = (np.asarray(entry[c], dtype=float)[pts] * k for c in ("mean", "ci95_low", "ci95_high"))
    ax.plot(x, mean, marker="o", color=color, label=label, markersize=4)
    ok = np.isfinite(lo) & np.isfinite(hi)
    if ok.sum() > 1:
        ax.fill_between(x[ok], lo[ok], hi[ok], color=color, alpha=0.2, linewidth=0)
    if ok.any():
        ax.errorbar(x[ok], mean[ok], yerr=[mean[ok] - lo[ok], hi[ok] - mean[ok]], fmt="none", ecolor=color,
                    capsize=3, alpha=0.7)


def mark_plan(ax, ctx, name, xs, pts, entry, k):
    """The targets on this metric as lines; the answer as a star. Returns (lines, marked)."""
    lines = []
    for t in ctx.targets:
        if t.spec == name:
            ax.axhline(t.value * k, color="C3", linestyle="--", linewidth=1.2, label=t.words(entry))
            lines.append(t.value * k)
    marked = ctx.answer is not None and ctx.answer in pts
    if marked:
        y = entry["mean"][ctx.answer] * k
        ax.plot([xs[ctx.answer]], [y], marker="*", markersize=16, color="C3", linestyle="none",
                label="plan answer", zorder=5)
    return lines, marked


def inside(fig, artist):
    """Whether artist, as drawn, lies within the figure."""
    box = artist.get_window_extent(fig.canvas.get_renderer())
    return bool(box.x0 >= 0 and box.y0 >= 0 and box.x1 <= fig.bbox.width and box.y1 <= fig.bbox.height)


def titles_overlap(fig, axes):
    """Whether two panels' titles, as drawn, run into each other."""
    renderer = fig.canvas.get_renderer()
    boxes = [ax.title.get_window_extent(renderer) for ax in axes if ax.get_title()]
    return any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


def panel_title(res, ctx, values, xkey):
    """A line per other key, wrapped to the panel's width: side by side on
    one line, long key labels ran into the next panel's title."""
    others = [k for k in res.keys if k != xkey]
    return "\n".join(textwrap.fill(f"{ctx.klabels[k]} = {v}", 38) for k, v in zip(others, values))


def fig_metric(ctx, name, xkey, path, dpi):
    """A metric against the swept key: one panel, or one per value of the other keys."""
    res = ctx.res
    entry, k = res.series(name), scale(name)
    grps = groups(res, xkey)
    if len(grps) > FACETS_MAX and len(res.keys) == 2:
        return fig_heatmap(ctx, name, xkey, path, dpi)
    shown = grps[:FACETS_MAX]
    ncols = min(4, len(shown))
    nrows = (len(shown) + ncols - 1) // ncols
    plt = plt_()
    fig, axes = plt.subplots(nrows, ncols, figsize=(6.4 if ncols == 1 else 2.9 * ncols + 0.6, 4.0 if nrows == 1
                                                     else 2.6 * nrows + 0.8), sharey=True, squeeze=False)
    xs, cats = x_values(res, xkey)
    lines, marked = [], False
    for i, (values, pts) in enumerate(shown):
        ax = axes[i // ncols][i % ncols]
        draw_series(ax, xs, pts, entry, k)
        ln, mk = mark_plan(ax, ctx, name, xs, pts, entry, k)
        lines, marked = lines or ln, marked or mk
        set_x_axis(ax, ctx, xkey, xs, cats)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
        if len(shown) > 1:
            ax.set_title(panel_title(res, ctx, values, xkey), fontsize=8)
        if ln or mk:
            ax.legend(fontsize=7)
    for j in range(len(shown), nrows * ncols):
        axes[j // ncols][j % ncols].set_visible(False)
    for row in axes:
        row[0].set_ylabel(axis_label(name, entry), fontsize=8)
    title = f"{label_of(name, entry)} against {ctx.klabels.get(xkey, 'point') if xkey else 'point'}"
    more = f" (first {FACETS_MAX} of {len(grps)} panels)" if len(grps) > FACETS_MAX else ""
    fig.suptitle(f"{title}: mean and 95 % CI{more}", fontsize=10)
    fig.tight_layout()
    ticks = [float(t) for t in axes[0][0].get_xticks()]
    return save(fig, path, dpi, title, panels=len(shown), target_lines=lines, answer=marked, xticks=ticks,
                titles_overlap=titles_overlap(fig, [ax for row in axes for ax in row if ax.get_visible()]))


def label_of(name, entry):
    label = metric_label(name.split("/")[-1].split("[")[0], entry)
    return label + (f" ({name.split('[', 1)[1].rstrip(']')})" if "[" in name else "")


def fig_heatmap(ctx, name, xkey, path, dpi):
    """Two keys with many values: the mean as colour, x the key, y the other."""
    res = ctx.res
    entry, k = res.series(name), scale(name)
    ykey = next(key for key in res.keys if key != xkey)
    xv, yv = levels(res.values[xkey]), levels(res.values[ykey])
    grid = np.full((len(yv), len(xv)), np.nan)
    for p in range(res.n_points):
        grid[yv.index(str(res.values[ykey][p])), xv.index(str(res.values[xkey][p]))] = entry["mean"][p] * k
    plt = plt_()
    fig, ax = plt.subplots(figsize=(min(12, 1.5 + 0.5 * len(xv)), min(12, 1.5 + 0.4 * len(yv))))
    im = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
    fig.colorbar(im, ax=ax, label=axis_label(name, entry))
    ax.set_xticks(range(len(xv)), [fmt_tick(v) for v in xv], fontsize=7)
    ax.set_yticks(range(len(yv)), [fmt_tick(v) for v in yv], fontsize=7)
    ax.set_xlabel(ctx.klabels[xkey], fontsize=8)
    ax.set_ylabel(ctx.klabels[ykey], fontsize=8)
    marked = ctx.answer is not None
    if marked:
        a = ctx.answer
        ax.plot([xv.index(str(res.values[xkey][a]))], [yv.index(str(res.values[ykey][a]))], marker="*",
                markersize=14, color="C3", linestyle="none", label="plan answer")
        ax.legend(fontsize=7)
    title = f"{label_of(name, entry)} against {ctx.klabels[xkey]} and {ctx.klabels[ykey]}"
    ax.set_title(f"{title}: mean", fontsize=10)
    fig.tight_layout()
    return save(fig, path, dpi, title, panels=1, answer=marked, heatmap=True,
                xticks=[float(t) for t in ax.get_xticks()])


def levels(values):
    """The distinct values as text, in numeric order when they are numbers."""
    out = list(dict.fromkeys(str(v) for v in values))
    try:
        return sorted(out, key=float)
    except ValueError:
        return out


def fmt_tick(v):
    try:
        return f"{float(v):g}"
    except ValueError:
        return v[:12]


def pareto(xs, ys):
    """Indices i of the non-dominated points (lower is better on both; NaN points never)."""
    idx = [i for i in range(len(xs)) if math.isfinite(xs[i]) and math.isfinite(ys[i])]
    return [i for i in idx if not any(xs[j] <= xs[i] and ys[j] <= ys[i] and (xs[j] < xs[i] or ys[j] < ys[i])
                                      for j in idx)]


def fig_tradeoff(ctx, path, dpi):
    res = ctx.res
    w, e = res.summary["wait_mean_min"], res.summary["expected_infections_customers"]
    xs, ys = w["mean"], e["mean"]
    front = pareto(xs, ys)
    ok = [p for p in range(res.n_points) if math.isfinite(xs[p]) and math.isfinite(ys[p])]
    plt = plt_()
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    ax.errorbar(xs[ok], ys[ok], xerr=[xs[ok] - w["ci95_low"][ok], w["ci95_high"][ok] - xs[ok]],
                yerr=[ys[ok] - e["ci95_low"][ok], e["ci95_high"][ok] - ys[ok]], fmt="o", color="0.55",
                ecolor="0.75", capsize=2, label="point (mean, 95 % CI)")
    f = sorted(front, key=lambda p: xs[p])
    ax.plot(xs[f], ys[f], "o-", color="C3", markersize=8, label="non-dominated")
    for p in ok:
        ax.annotate(res.short_label(p), (xs[p], ys[p]), textcoords="offset points", xytext=(5, 4), fontsize=7)
    ax.set_xlabel(axis_label("wait_mean_min", w))
    ax.set_ylabel(axis_label("expected_infections_customers", e))
    title = "Waiting against expected infections (lower is better on both)"
    ax.set_title(title + ("\npoints labelled " + ", ".join(ctx.klabels[k] for k in res.keys) if res.keys else ""),
                 fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return save(fig, path, dpi, title), front


def chosen_points(ctx):
    """At most four points for the day's profiles, each with why it was chosen:
    every point of a small sweep, else the baseline, the plan's answer, the
    lowest and the highest mean wait, and the median one while fewer than four."""
    res = ctx.res
    if res.n_points <= 4:
        return [(p, point_words(res, p, ctx.klabels)) for p in range(res.n_points)]
    picks = [(res.baseline, "baseline")]
    if ctx.answer is not None:
        picks.append((ctx.answer, "plan answer"))
    w = res.summary.get("wait_mean_min")
    if w is not None and np.isfinite(w["mean"]).any():
        ok = np.flatnonzero(np.isfinite(w["mean"]))
        order = ok[np.argsort(w["mean"][ok], kind="stable")]
        picks += [(int(order[0]), "lowest mean wait"), (int(order[-1]), "highest mean wait"),
                  (int(order[len(order) // 2]), "median mean wait")]
    out = {}
    for p, why in picks:
        out.setdefault(p, []).append(why)
    return [(p, f"{' and '.join(whys)}: {point_words(res, p, ctx.klabels)}") for p, whys in out.items()][:4]


def fig_timeseries(ctx, names, open_min, path, dpi, clock):
    """The day's profiles, one panel per quantity, at most four labelled points each."""
    from matplotlib.ticker import FuncFormatter, MultipleLocator
    res = ctx.res
    bins = res.bins
    width = res.bin_min if res.bin_min else (bins[1] - bins[0] if len(bins) > 1 else 1.0)
    edges = np.append(bins, bins[-1] + width) + (open_min or 0)
    picks = chosen_points(ctx)
    ncols, nrows = 2, (len(names) + 1) // 2
    plt = plt_()
    fig, axes = plt.subplots(nrows, ncols, figsize=(11, 3.0 * nrows + 0.9), sharex=True, squeeze=False)
    for i, name in enumerate(names):
        ax = axes[i // ncols][i % ncols]
        values, entry = res.timeseries[name][0], res.ts_labels[name]
        for j, (p, why) in enumerate(picks):
            ax.stairs(values[p], edges, baseline=None, color=f"C{j}", label=why, linewidth=1.4)
        ax.set_title(metric_label(name, entry), fontsize=9)
        ax.set_ylabel(units(entry), fontsize=8)
        ax.grid(alpha=0.3)
        ax.tick_params(labelbottom=True, labelsize=8)
        ax.set_xlabel("clock time" if open_min is not None else "minutes after opening", fontsize=8)
        if open_min is not None:
            ax.xaxis.set_major_locator(MultipleLocator(60 if edges[-1] - edges[0] <= 14 * 60 else 180))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: clock(x)))
    if len(names) % ncols:
        axes[-1][-1].set_visible(False)
    handles, labels = axes[0][0].get_legend_handles_labels()
    # two columns while the labels are short; a point named by several keys
    # takes the figure's width, wrapped, so no label runs off the page
    ncol = min(2, len(picks)) if max(map(len, labels)) <= 75 else 1
    labels = [textwrap.fill(s, 90 if ncol == 2 else 170, subsequent_indent="    ") for s in labels]
    legend = fig.legend(handles, labels, loc="lower center", fontsize=8, ncol=ncol)
    per_row = [max(s.count("\n") + 1 for s in labels[i:i + ncol]) for i in range(0, len(labels), ncol)]
    legend_rows = sum(per_row) + 1
    title = "Over the day"
    fig.suptitle(f"{title}: mean over replications per bin", fontsize=10)
    fig.tight_layout(rect=(0, 0.01 + 0.022 * legend_rows, 1, 1))
    return save(fig, path, dpi, title, panels=len(names), lines=len(picks),
                legend_inside=inside(fig, legend))


def fig_forest(ctx, metrics, path, dpi):
    """Each point's paired difference from the baseline, per metric."""
    from matplotlib.ticker import MaxNLocator
    res = ctx.res
    pts = [p for p in range(res.n_points) if p != res.baseline]
    ncols = min(4, len(metrics))
    nrows = (len(metrics) + ncols - 1) // ncols
    plt = plt_()
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.3 * ncols + 1.5, 0.8 + nrows * (0.9 + 0.28 * len(pts))),
                             sharey=True, squeeze=False)
    ys = np.arange(len(pts))[::-1]
    for i, m in enumerate(metrics):
        ax = axes[i // ncols][i % ncols]
        c, k = res.compare[m], scale(m)
        mean, lo, hi = (c[col][pts] * k for col in ("mean", "ci95_low", "ci95_high"))
        ax.axvline(0, color="0.5", linewidth=1)
        ok = np.isfinite(mean)
        err = np.where(np.isfinite(lo) & np.isfinite(hi), [mean - lo, hi - mean], 0.0)
        ax.errorbar(mean[ok], ys[ok], xerr=err[:, ok], fmt="s", color="C0", capsize=3, markersize=4)
        ax.set_title(axis_label(m, c).replace("[%]", "[% points]"), fontsize=9)
        ax.grid(alpha=0.3, axis="x")
        ax.tick_params(labelsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
    for j in range(len(metrics), nrows * ncols):
        axes[j // ncols][j % ncols].set_visible(False)
    axes[0][0].set_yticks(ys, [res.short_label(p) for p in pts])
    base = point_words(res, res.baseline, ctx.klabels)
    title = f"Difference from the baseline ({base})"
    fig.suptitle(f"{title}: paired mean and 95 % CI"
                 + (f"\nrows: {', '.join(ctx.klabels[k] for k in res.keys)}" if res.keys else ""), fontsize=10)
    fig.tight_layout()
    return save(fig, path, dpi, title, panels=len(metrics))


def fig_slots(ctx, path, dpi):
    """Appointments per slot (/breakdown_summary/slots): asked for, booked and
    refused, at most four labelled points."""
    res = ctx.res
    slots = res.breakdown["slots"]
    panels = [m for m in ("requested", "booked", "refused") if m in slots]
    picks = chosen_points(ctx)
    plt = plt_()
    fig, axes = plt.subplots(1, len(panels), figsize=(3.8 * len(panels), 3.6), sharey=True, squeeze=False)
    names = list(slots[panels[0]])
    for ax, m in zip(axes[0], panels):
        for j, (p, why) in enumerate(picks):
            ys = [slots[m][s]["mean"][p] for s in names]
            ax.plot(range(len(names)), ys, marker="o", markersize=3, color=f"C{j}", label=why)
        ax.set_title(metric_label(m, {}) + " per slot", fontsize=9)
        step = max(1, len(names) // 8)
        ax.set_xticks(range(0, len(names), step), names[::step], rotation=30, ha="right", fontsize=7)
        ax.set_xlabel("slot", fontsize=8)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("customers per day", fontsize=8)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", fontsize=8, ncol=min(2, len(picks)))
    title = "Appointments per slot"
    fig.suptitle(f"{title}: mean over replications", fontsize=10)
    fig.tight_layout(rect=(0, 0.06 + 0.05 * ((len(picks) + 1) // 2), 1, 1))
    return save(fig, path, dpi, title, panels=len(panels), lines=len(picks))
