#!/usr/bin/python3
"""Read, compare and plot branchsim result files (HDF5 layout in docs/output.md).

    bsresults.py table OUT.h5 [--metrics a,b]      summary table per scenario point
    bsresults.py compare OUT.h5 METRIC A B         paired difference of point B - A
    bsresults.py plot OUT.h5 METRIC --key KEY -o FIG.png
                                                   metric mean with 95 % CI against a swept key

A thin command line on the Python package (docs/python.md): table and plot
show branchsim.tidy's rows, the mean and the 95 % interval /summary stores
(Student's t over the replications); compare is branchsim.compare(OUT.h5,
points=(A, B)): points of one file share their replications' random numbers
(common random numbers), so replication r of A is paired with replication r
of B, and the difference has a far smaller standard error than two
independent runs. Runs under Debian's /usr/bin/python3 (python3-h5py,
-numpy, -scipy, -pandas, -matplotlib).

A foreign or damaged file (not HDF5, truncated, a group, dataset or attribute missing or of the
wrong shape or type) is one line on stderr, `SCRIPT: FILE: what is wrong`, and exit status 2;
so is an unknown metric name, with the nearest name in the file (branchsim/results.py does the checks).
"""
import argparse
import sys

from branchsim import results  # first: it keeps libhdf5 from loading plugins a file names
import branchsim
import numpy as np


def fail(msg):
    print(f"bsresults: {msg}", file=sys.stderr)
    return 2


def value(x):
    return float(x) if isinstance(x, (int, float, np.number)) else results.escape(x)


def cmd_table(args, table, keys):
    metrics = list(dict.fromkeys(table["metric"]))
    names = args.metrics.split(",") if args.metrics else metrics
    for name in names:
        if name not in metrics:
            return fail(results.unknown("metric", name, metrics, args.file))
    for p, rows in table.groupby("point", sort=True):
        first = rows.iloc[0]
        label = ", ".join(f"{results.escape(k)}={value(first[k])}" for k in keys)
        print(f"point {p}" + (f" ({label})" if label else ""))
        by_metric = rows.set_index("metric")
        for name in names:
            r = by_metric.loc[name]
            print(f"  {results.escape(name):28s} {results.escape(r.unit):10s} {r['mean']:12.4g} "
                  f"+- {(r.ci95_high - r.ci95_low) / 2:.3g}")
    return 0


def cmd_plot(args, table, keys):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = list(dict.fromkeys(table["metric"]))
    if args.metric not in metrics:
        return fail(results.unknown("metric", args.metric, metrics, args.file))
    if args.key not in keys:
        return fail(results.unknown("swept key", args.key, keys, args.file)
                    + f"; have {', '.join(map(results.escape, keys)) or 'none'}")
    rows = table[table["metric"] == args.metric]
    if rows[args.key].dtype.kind not in "fiu":
        return fail(f"{results.escape(args.key)!r} has text values: plot needs a numeric key")
    halves = np.where(rows["n"] > 1, (rows["ci95_high"] - rows["ci95_low"]) / 2, 0.0)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.errorbar(rows[args.key], rows["mean"], yerr=halves, marker="o", capsize=3)
    ax.set_xlabel(args.key)
    ax.set_ylabel(f"{args.metric} [{rows['unit'].iloc[0]}]")
    ax.set_title(f"{args.metric} (mean, 95 % CI over replications)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.output, dpi=120)
    print(f"wrote {args.output}")
    return 0


def cmd_compare(args):
    f, msg = results.guard(args.file, lambda: branchsim.differences.File(args.file))
    if msg:
        return fail(msg)
    try:
        metrics = branchsim.differences.check_metrics([f], [args.metric])
        row = branchsim.differences.rows_two_points(f, args.a, args.b, metrics)[0]
    except results.BadFile as e:
        return fail(str(e))
    diff, low, high = row[6:9]
    print(f"{args.metric}: point {args.b} - point {args.a} = {diff:.4g} +- {(high - low) / 2:.3g} (95 % CI, paired)")
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
    if args.cmd == "compare":
        return cmd_compare(args)
    table, msg = results.guard(args.file, lambda: branchsim.tidy(args.file))
    if msg:
        return fail(msg)
    keys = list(table.columns[:table.columns.get_loc("point")])  # tidy's first columns: the swept keys
    return {"table": cmd_table, "plot": cmd_plot}[args.cmd](args, table, keys)


if __name__ == "__main__":
    sys.exit(results.run_script("bsresults", main))
