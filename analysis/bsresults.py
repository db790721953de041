#!/usr/bin/python3
"""Read, compare and plot branchsim result files (HDF5 layout in docs/output.md).

    bsresults.py table OUT.h5 [--metrics a,b]      summary table per scenario point
    bsresults.py compare OUT.h5 METRIC A B         paired difference of point B - A
    bsresults.py plot OUT.h5 METRIC --key KEY -o FIG.png
                                                   metric mean with 95 % CI against a swept key

Points of one file share their replications' random numbers (common random
numbers), so `compare` pairs replication r of A with replication r of B: the
difference has a far smaller standard error than two independent runs.
Intervals are Student's t ones with the exact quantile (bsfile.ci95): for a
point's metric the interval /summary stores, computed from /replications.
Runs under Debian's /usr/bin/python3 (python3-h5py, -numpy, -scipy, -matplotlib).

A foreign or damaged file (not HDF5, truncated, a group, dataset or attribute missing or of the
wrong shape or type) is one line on stderr, `SCRIPT: FILE: what is wrong`, and exit status 2;
so is an unknown metric name, with the nearest name in the file (branchsim/results.py does the checks).
"""
import argparse
import sys

from branchsim import results as bsfile  # first: it keeps libhdf5 from loading plugins a file names
import numpy as np

def load(path):
    """Returns (attrs, points, metrics): points is a list of {key: value} per
    scenario point, metrics maps name -> (unit, array (n_points, R)). Raises
    bsfile.BadFile on a foreign or damaged file."""
    res = bsfile.Results(path, groups=("replications",))
    points = [{k: v[p] for k, v in res.values.items()} for p in range(res.n_points)]
    return res.attrs, points, {name: (res.units[name], res.reps[name]) for name in res.reps}


def paired_difference(values, a, b):
    """Mean of values[b] - values[a] over replications, and its 95 % CI half-width."""
    mean, low, high, _ = bsfile.ci95(values[b] - values[a])
    return mean, (high - low) / 2


def fail(msg):
    print(f"bsresults: {msg}", file=sys.stderr)
    return 2


def cmd_table(args, data):
    _, points, metrics = data
    names = args.metrics.split(",") if args.metrics else list(metrics)
    for name in names:
        if name not in metrics:
            return fail(bsfile.unknown("metric", name, metrics, args.file))
    for p, point in enumerate(points):
        label = ", ".join(f"{bsfile.escape(k)}={v}" for k, v in point.items())
        print(f"point {p}" + (f" ({label})" if label else ""))
        for name in names:
            unit, values = metrics[name]
            mean, low, high, _ = bsfile.ci95(values[p])
            print(f"  {bsfile.escape(name):28s} {unit:10s} {mean:12.4g} +- {(high - low) / 2:.3g}")
    return 0


def cmd_compare(args, data):
    _, points, metrics = data
    if args.metric not in metrics:
        return fail(bsfile.unknown("metric", args.metric, metrics, args.file))
    for p in (args.a, args.b):
        if not 0 <= p < len(points):
            return fail(f"point {p} out of range 0..{len(points) - 1}")
    mean, half = paired_difference(metrics[args.metric][1], args.a, args.b)
    print(f"{args.metric}: point {args.b} - point {args.a} = {mean:.4g} +- {half:.3g} (95 % CI, paired)")
    return 0


def cmd_plot(args, data):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, points, metrics = data
    if args.metric not in metrics:
        return fail(bsfile.unknown("metric", args.metric, metrics, args.file))
    if not points or args.key not in points[0]:
        return fail(bsfile.unknown("swept key", args.key, points[0] if points else [], args.file)
                    + f"; have {', '.join(map(bsfile.escape, points[0])) if points else 'none'}")
    if not all(isinstance(pt[args.key], float) for pt in points):
        return fail(f"{bsfile.escape(args.key)!r} has text values: plot needs a numeric key")
    unit, values = metrics[args.metric]
    xs = np.array([pt[args.key] for pt in points])
    means, halves = [], []
    for p in range(len(points)):
        mean, low, high, n = bsfile.ci95(values[p])
        means.append(mean)
        halves.append((high - low) / 2 if n > 1 else 0.0)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.errorbar(xs, means, yerr=halves, marker="o", capsize=3)
    ax.set_xlabel(args.key)
    ax.set_ylabel(f"{args.metric} [{unit}]")
    ax.set_title(f"{args.metric} (mean, 95 % CI over replications)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.output, dpi=120)
    print(f"wrote {args.output}")
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("table")
    t.add_argument("file")
    t.add_argument("--metrics")
    c = sub.add_parser("compare")
    c.add_argument("file")
    c.add_argument("metric")
    c.add_argument("a", type=int)
    c.add_argument("b", type=int)
    p = sub.add_parser("plot")
    p.add_argument("file")
    p.add_argument("metric")
    p.add_argument("--key", required=True)
    p.add_argument("-o", "--output", required=True)
    args = ap.parse_args(argv)
    data, msg = bsfile.guard(args.file, lambda: load(args.file))
    if msg:
        return fail(msg)
    return {"table": cmd_table, "compare": cmd_compare, "plot": cmd_plot}[args.cmd](args, data)


if __name__ == "__main__":
    sys.exit(bsfile.run_script("bsresults", main))
