#!/usr/bin/python3
"""A report of one branchsim result file that a planner reads without the README.

    report.py OUT.h5 [-o DIR] [--x KEY] [--metrics a,b,...] [--dpi N]

prints a summary in words (for a plan file: its answer, the targets it meets
and the cheaper point that fails one, with 95 % intervals; for a sweep: the
best and worst points of the first metric drawn, and the baseline) and writes
into DIR:

  report.html        one self-contained page (figures embedded as PNG, no
                     scripts, no external URLs): the summary, provenance
                     (version, revision, seed, replications, created, command
                     line), tables of every point's metrics as mean [95 % CI],
                     the figures and the scenario's text;
  report.md          the same in Markdown, beside its PNG figures:
  metric_<name>.png  each metric drawn (mean and 95 % CI band from /summary)
                     against the swept key (--x, default the first), labelled
                     with its words and units ("Mean wait [min]"), shares in %;
                     with two or more swept keys one panel per value of the
                     others (small multiples), a heat map when there are more
                     than 8; a plan's targets drawn as lines, its answer as a star;
  tradeoff.png       mean wait against expected infections (exposure only);
  timeseries.png     the day's profiles of at most four labelled points;
  slots.png          appointments asked for, booked and refused per slot;
  forest.png         paired differences of every point from the baseline.

The default metrics are the main ones, then what the file has of exposure,
appointments, the scenario's own standards and the plan's targets; --metrics
draws just the named ones (/summary names or GROUP/METRIC[ENTITY], e.g.
standards/share_within[elderly_wait]), one figure each, and leaves out the
overview figures. Labels come from the file's long_name and units (or unit)
attributes when it has them. Runs under Debian's /usr/bin/python3
(python3-h5py, -numpy, -scipy, -matplotlib, -yaml).

A foreign or damaged file (not HDF5, truncated, a group, dataset or attribute missing or of the
wrong shape or type) is one line on stderr, `SCRIPT: FILE: what is wrong`, and exit status 2;
so is an unknown metric name or swept key, with the nearest name in the file.
"""
import argparse
import errno
import math
import os
import re
import shutil
import sys
import tempfile

from branchsim import results as bsfile  # first: it keeps libhdf5 from loading plugins a file names
import numpy as np

import report_figs as figs
import report_summary as words
from report_data import Result, fmt_value
from report_doc import ff, plain, pre_text, to_html, to_markdown
from report_labels import axis_label, key_label, metric_label, parse_scenario, scale, units

MAIN_METRICS = ["wait_mean_min", "wait_p90_min", "share_wait_over_10min", "counter_utilization", "abandoned"]
EXPOSURE_METRICS = ["expected_infections_customers", "expected_infections_staff"]
TIMESERIES = ["arrivals", "occupancy", "queue_length", "counters_open"]
DEFAULT_DAY_OPEN = "09:00"  # docs/scenario-keys.md: the default of day.open
# A row of the forest plot is 0.28 in: at 600 dpi, 120 rows stay under matplotlib's
# 2^16-pixel limit (a 2000-point sweep ended in a traceback).
FOREST_MAX_ROWS = 120


text = bsfile.text


def ff_value(v):
    """fmt_value, marked when it is text from the file."""
    s = fmt_value(v)
    return s if isinstance(v, (float, np.floating, int, np.integer)) else ff(s)


def fmt(x):
    """A number as the report prints it: 4 significant digits, n/a when not finite."""
    try:
        x = float(x)
    except (TypeError, ValueError):
        return "n/a"
    return f"{x:.4g}" if math.isfinite(x) else "n/a"


def fmt_ci(mean, low, high):
    return f"{fmt(mean)} [{fmt(low)}, {fmt(high)}]"


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


# --- what is drawn ---------------------------------------------------------------------------

APPOINTMENT_METRICS = ["slot_utilization", "appointment_wait_mean_min", "bookings_refused"]


def default_metrics(res, tgts):
    """The main metrics in the file; exposure, appointment and the scenario's own
    standards where it has them; the plan's targets."""
    names = [m for m in MAIN_METRICS if m in res.summary]
    names += [m for m in EXPOSURE_METRICS if res.finite(m)]
    if res.has_appointments():
        names += [m for m in APPOINTMENT_METRICS if res.finite(m)]
    names += [f"standards/share_within[{e}]" for e in res.own_standards()]
    names += [t.spec for t in tgts if res.series(t.spec) is not None]
    return list(dict.fromkeys(names))


def chosen_metrics(res, given):
    """--metrics a,b as a list, or (None, one line) naming an unknown name and the nearest."""
    have = res.series_names()
    asked = [m.strip() for m in given.split(",")]
    for m in asked:
        if m not in have:
            return None, bsfile.unknown("metric", m, have, res.path)
    return list(dict.fromkeys(asked)), None


def fig_file(name):
    return "metric_" + re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") + ".png"


def point_cell(res, p, answer):
    marks = [w for w, q in (("baseline", res.baseline), ("plan answer", answer)) if q == p and res.n_points > 1]
    return f"{p} ({', '.join(marks)})" if marks else str(p)


def cell(name, entry, p, col="mean"):
    k = scale(name)
    return fmt_ci(entry[col][p] * k, entry["ci95_low"][p] * k, entry["ci95_high"][p] * k)


def header(res, name, entry=None):
    entry = res.series(name) if entry is None else entry
    label = axis_label(name, entry)
    return ff(label + (f" ({name.split('[', 1)[1].rstrip(']')})" if "[" in name else ""))


# --- the document ---------------------------------------------------------------------------

def provenance(res):
    """Where the file came from, as list items."""
    a = res.attrs
    build = text(a.get("build", "?"))
    rev = re.search(r"revision (\S+)", build)
    items = [f"file `{ff(os.path.basename(res.path))}`, scenario file `{ff(a.get('scenario_file', '?'))}`",
             f"{res.n_points} point(s) x {ff(a.get('replications', '?'))} replications (days), seed {ff(a.get('seed', '?'))}",
             f"branchsim {ff(a.get('branchsim_version', '?'))}, revision {ff(rev.group(1) if rev else '?')}, "
             f"created {ff(a.get('created', '?'))}; build: {ff(build)}",
             "swept keys: " + (", ".join(f"{ff(res.klabels[k])} (`{ff(k)}`)" for k in res.keys)
                               if res.keys else "none (one point)")]
    if a.get("command_line"):
        items.append(f"command line: `{ff(a['command_line'])}`")
    history = a.get("history", "").strip()
    if history and not (len(history.splitlines()) == 1 and history.endswith(a.get("command_line") or "\0")):
        items.append(f"history: `{ff(history)}`")  # more than the one command line above
    if a.get("plan_targets"):
        items.append(f"plan: targets `{ff(a['plan_targets'])}` at {fmt((a.get('plan_confidence') or 0.95) * 100)} % "
                     f"confidence; answer `{ff(a.get('plan_answer', ''))}`; {ff(a.get('plan_search', ''))}")
    return items


def summary_words(res, metrics, tgts):
    if tgts:
        return words.plan_summary(res, res.klabels)
    first = next((m for m in metrics if res.finite(m)), None)
    return words.sweep_summary(res, first, res.klabels) if first else "No metric drawn has a finite value."


def summary_table(res, metrics, answer):
    head = ["point"] + [f"`{ff(k)}`" for k in res.keys] + [header(res, m) for m in metrics]
    rows = [[point_cell(res, p, answer)] + [ff_value(res.values[k][p]) for k in res.keys]
            + [cell(m, res.series(m), p) for m in metrics] for p in range(res.n_points)]
    return ("table", head, rows)


def metric_section(res, ctx, metrics, xkey, outdir, dpi):
    doc = [("h2", "Metrics against the swept key")]
    others = [k for k in res.keys if k != xkey]
    doc.append(("p", (f"x: {ff(res.klabels[xkey])}" if xkey else "x: the point (nothing swept)")
                + (f"; one panel per value of {', '.join(ff(res.klabels[k]) for k in others)}" if others else "")
                + "; band and bars: 95 % CI" + ("; dashed: the plan's target; star: its answer" if ctx.targets
                                                else "") + "."))
    for m in metrics:
        info = figs.fig_metric(ctx, m, xkey, os.path.join(outdir, fig_file(m)), dpi)
        doc.append(("img", info["file"], ff(info["title"]), info))
    return doc


def tradeoff_section(res, ctx, outdir, dpi):
    if not (res.finite("expected_infections_customers") and res.finite("wait_mean_min")):
        return []
    doc = [("h2", "Waiting against expected infections")]
    info, front = figs.fig_tradeoff(ctx, os.path.join(outdir, "tradeoff.png"), dpi)
    doc.append(("p", "Each point's mean whole wait (from arrival at the door, the line outside an occupancy cap "
                     "included) and expected infections of customers per day; a point is non-dominated when no "
                     "other point is at least as good on both and better on one (lower is better). Means only: "
                     "points whose intervals overlap may not differ."))
    doc.append(("img", "tradeoff.png", ff(info["title"]), info))
    w, e = res.summary["wait_mean_min"], res.summary["expected_infections_customers"]
    doc.append(("table", ["point"] + [f"`{ff(k)}`" for k in res.keys]
                + [header(res, "wait_mean_min"), header(res, "expected_infections_customers")],
                [[str(p)] + [ff_value(res.values[k][p]) for k in res.keys] + [fmt(w["mean"][p]), fmt(e["mean"][p])]
                 for p in sorted(front, key=lambda q: w["mean"][q])]))
    doc.append(("p", f"Non-dominated: {len(front)} of {res.n_points} points (table above, by mean wait)."))
    return doc


def day_section(res, ctx, outdir, dpi):
    names = [n for n in TIMESERIES if n in res.timeseries]
    if "concentration" in res.timeseries and np.isfinite(res.timeseries["concentration"][0]).any():
        names.append("concentration")
    if not names or res.bins is None or not len(res.bins):
        return []
    open_min = None if "day.open" in res.keys else day_open_minutes(text(res.attrs.get("scenario_yaml", "")))
    axis = f"clock time (opening {clock(open_min)})" if open_min is not None else "minutes after opening"
    info = figs.fig_timeseries(ctx, names, open_min, os.path.join(outdir, "timeseries.png"), dpi, clock)
    return [("h2", "Over the day"),
            ("p", f"Mean over replications per bin of {fmt(res.bin_min)} minutes; x: {axis}; "
                  + ("every point." if res.n_points <= 4 else
                     "the baseline, the plan's answer, the points of lowest and highest mean wait, and the "
                     "median one while fewer than four.")),
            ("img", "timeseries.png", ff(info["title"]), info)]


def slots_section(res, ctx, outdir, dpi):
    if not res.has_appointments() or not res.breakdown.get("slots", {}).get("booked"):
        return []
    info = figs.fig_slots(ctx, os.path.join(outdir, "slots.png"), dpi)
    return [("h2", "Appointment slots"),
            ("p", "Per appointment slot (`/breakdown_summary/slots`): customers who asked for it, appointments "
                  "held in it and customers refused; mean per day."),
            ("img", "slots.png", ff(info["title"]), info)]


def forest_section(res, ctx, metrics, outdir, dpi):
    cmp_metrics = [m for m in metrics if m in res.compare]
    if res.n_points < 2 or not cmp_metrics:
        return []
    base = ff(words.point_words(res, res.baseline, res.klabels))
    doc = [("h2", "Differences from the baseline"),
           ("p", f"Paired differences from the baseline, {words.baseline_name(res)}: {base}, over "
                 "the replications, which share their customers: mean [95 % CI], from `/compare`; shares in "
                 "percentage points.")]
    if res.n_points - 1 <= FOREST_MAX_ROWS:
        info = figs.fig_forest(ctx, cmp_metrics, os.path.join(outdir, "forest.png"), dpi)
        doc.append(("img", "forest.png", ff(info["title"]), info))
    else:
        doc.append(("p", f"No forest plot: {res.n_points - 1} points are more rows than it shows "
                         f"({FOREST_MAX_ROWS}); the table below has every difference."))
    rows = [[str(p)] + [ff_value(res.values[k][p]) for k in res.keys] + [cell(m, res.compare[m], p)
                                                                        for m in cmp_metrics]
            for p in range(res.n_points) if p != res.baseline]
    doc.append(("table", ["point"] + [f"`{ff(k)}`" for k in res.keys]
                + [header(res, m, res.compare[m]).replace("[%]", "[% points]") for m in cmp_metrics], rows))
    return doc


def build(res, outdir, xkey=None, dpi=110, metrics=None):
    """Writes the figures into outdir and returns the document as a list of blocks:
    ('h1'|'h2'|'p', text), ('ul', [text]), ('table', header, rows), ('pre', text),
    ('img', file, caption, what the figure drew), ('summary', text)."""
    res.klabels = {k: key_label(k, parse_scenario(res.attrs.get("scenario_yaml", ""))) for k in res.keys}
    tgts = [t for t in words.targets(res) if res.series(t.spec) is not None]
    answer = words.answer_point(res)
    overview = metrics is None
    metrics = default_metrics(res, tgts) if metrics is None else metrics
    ctx = figs.Ctx(res, res.klabels, tgts, answer)
    name = ff(text(res.attrs.get("scenario_name", "")) or os.path.basename(res.path))
    doc = [("h1", f"branchsim report: {name}"), ("summary", ff(summary_words(res, metrics, tgts))),
           ("ul", provenance(res)), ("h2", "Summary by point"),
           ("p", "Mean over replications (days) [95 % confidence interval, Student's t], as in `/summary`; "
                 "shares in %." + (f" The baseline is {words.baseline_name(res)}."
                                   if res.n_points > 1 else "")),
           summary_table(res, metrics, answer),
           ("ul", [f"{ff(metric_label(m.split('/')[-1].split('[')[0], res.series(m)))}: `{ff(m)}`"
                   + (f" [{ff(units(res.series(m)))}]" if units(res.series(m)) else "")
                   + (f": {ff(res.series(m).get('description', ''))}" if res.series(m).get("description") else "")
                   for m in metrics])]
    xkey = xkey if xkey is not None else (res.keys[0] if res.keys else None)
    doc += metric_section(res, ctx, metrics, xkey, outdir, dpi)
    if overview:
        doc += tradeoff_section(res, ctx, outdir, dpi) + day_section(res, ctx, outdir, dpi)
        doc += slots_section(res, ctx, outdir, dpi)
        doc += forest_section(res, ctx, [m for m in metrics if "/" not in m], outdir, dpi)
    doc += [("h2", "Scenario"), ("pre", pre_text(res.attrs.get("scenario_yaml", "")))]
    return doc


def write_report(res, outdir, xkey, dpi, metrics=None):
    """Builds every file in a new private directory inside outdir, then renames
    them into place, figures first: a link planted in outdir is replaced, never
    followed, and a failure leaves none of this report's files."""
    tmp = tempfile.mkdtemp(prefix=".report-", dir=outdir)
    try:
        doc = build(res, tmp, xkey, dpi, metrics)
        for name, content in (("report.md", to_markdown(doc)), ("report.html", to_html(doc, tmp))):
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


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", help="branchsim result file (HDF5)")
    ap.add_argument("-o", "--output", default="report", help="output directory (default: report)")
    ap.add_argument("--x", dest="xkey", help="swept key for the x axis (default: the first)")
    ap.add_argument("--metrics", help="metrics to draw, comma-separated: /summary names or GROUP/METRIC[ENTITY] "
                                      "(default: the main ones, and what the file has of exposure, appointments, "
                                      "standards and plan targets)")
    ap.add_argument("--dpi", type=int, default=110, help="figure resolution, 20 to 600 (default: 110)")
    args = ap.parse_args(argv)
    if not 20 <= args.dpi <= 600:
        ap.error(f"--dpi: expected 20 to 600, got {args.dpi}")  # 0 fails in matplotlib, 10^5 exhausts memory
    return args


def check_choices(res, args):
    """(metrics or None, None), or (None, one line) for an unknown key or metric."""
    if args.xkey is not None and args.xkey not in res.keys:
        return None, (f"{bsfile.unknown('swept key', args.xkey, res.keys, args.file)}; have "
                      f"{', '.join(res.keys) or 'none'}")
    return chosen_metrics(res, args.metrics) if args.metrics is not None else (None, None)


def main(argv=None):
    args = parse_args(argv)
    res, msg = bsfile.guard(args.file, lambda: Result(args.file))
    metrics, msg = (None, msg) if msg else check_choices(res, args)
    if msg:
        print(f"report: {msg}", file=sys.stderr)
        return 2
    try:
        os.makedirs(args.output, exist_ok=True)
    except OSError as e:
        print(f"report: {args.output}: cannot make the output directory: {e.strerror}", file=sys.stderr)
        return 2
    try:
        doc = write_report(res, args.output, args.xkey, args.dpi, metrics)
    except OSError as e:
        print(f"report: {args.output}: cannot write the report: {e.strerror or e}", file=sys.stderr)
        return 1
    n_fig = sum(1 for b in doc if b[0] == "img")
    summary = next(b[1] for b in doc if b[0] == "summary")
    try:  # the report is written; a line lost on stdout is still a failure (as branchsim's own)
        print(plain(summary), flush=True)
        print(f"wrote {os.path.join(args.output, 'report.md')}, report.html (self-contained) and {n_fig} figures",
              flush=True)
    except OSError as e:
        print(f"report: cannot write to standard output: {e.strerror}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    bsfile.hold_standard_streams()  # the report is its files; a closed stdout loses only the last line
    sys.exit(main())
