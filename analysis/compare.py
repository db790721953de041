#!/usr/bin/python3
"""Differences between two branchsim result files, or two points of one file.

    compare.py A.h5 B.h5 [--metrics a,b] [--unpaired] [--csv]
    compare.py OUT.h5 --points A B [--metrics a,b] [--csv]

The first form prints, for every point (paired by index: point i of A with
point i of B), B - A with a 95 % confidence interval. When both files have
the same number of replications, replication r of A is paired with replication
r of B: files from the same scenario and seed share their customers (common
random numbers), so the paired interval is far narrower than an unpaired one.
(Files with different seeds may be paired too: the pairs are then independent
and the paired interval is still valid, just not narrower.) Otherwise, or
with --unpaired, the difference is Welch's unpaired one from the /summary
means, standard deviations and counts.

The second form compares point B with point A of one file, paired by
replication.

A paired difference uses the replications where both values are finite;
Welch's uses the summaries' finite values. The 95 % intervals use Student's t
quantile, exact (scipy), for Welch's fractional degrees of freedom too: the
quantile the C code uses for /summary and /compare. The rows are those of
branchsim.compare (analysis/branchsim/differences.py), which returns them
as a pandas DataFrame.

Default metrics: wait_mean_min, wait_p90_min, share_wait_over_10min,
counter_utilization, abandoned, and expected_infections_customers and
expected_infections_staff when finite in either file. --csv prints full
precision comma-separated rows instead of the table (4 significant digits, as
`branchsim describe` prints). Runs under Debian's /usr/bin/python3
(python3-h5py, -numpy, -scipy).

A foreign or damaged file (not HDF5, truncated, a group, dataset or attribute missing or of the
wrong shape or type) is one line on stderr, `SCRIPT: FILE: what is wrong`, and exit status 2;
so is an unknown metric name, with the nearest name in the file (branchsim/results.py does the checks).
"""
import argparse
import math
import signal
import sys

from branchsim import results  # first: it keeps libhdf5 from loading plugins a file names
from branchsim import differences


def fmt(x):
    x = float(x)
    return f"{x:.4g}" if math.isfinite(x) else "nan"


def count(row):
    return str(row.n_a) if row.test == "paired" else f"{row.n_a}+{row.n_b}"


def print_table(df, a_name, b_name):
    current = None
    for r in df.itertuples():
        if r.point != current:
            current = r.point
            print(f"\npoint {r.point}" + (f" ({r.label})" if r.label else ""))
            print(f"  {'metric':30s} {'unit':10s} {a_name:>10s} {b_name:>10s} {'B - A':>10s}   "
                  f"{'95 % CI':24s} {'n':>7s} {'dof':>6s}  test")
        ci = f"[{fmt(r.ci95_low)}, {fmt(r.ci95_high)}]"
        print(f"  {r.metric:30s} {r.unit:10s} {fmt(r.mean_a):>10s} {fmt(r.mean_b):>10s} {fmt(r.diff):>10s}   "
              f"{ci:24s} {count(r):>7s} {fmt(r.dof) if math.isfinite(r.dof) else '-':>6s}  {r.test}")


def print_csv(df):
    print("point,label,metric,unit,mean_a,mean_b,diff,ci95_low,ci95_high,n,dof,test")
    for r in df.itertuples():
        label = '"' + r.label.replace('"', '""') + '"'
        print(",".join([str(r.point), label, r.metric, r.unit]
                       + [repr(float(x)) for x in (r.mean_a, r.mean_b, r.diff, r.ci95_low, r.ci95_high)]
                       + [count(r), repr(float(r.dof)), r.test]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", metavar="FILE.h5", help="A.h5 B.h5, or one file with --points")
    ap.add_argument("--points", nargs=2, type=int, metavar=("A", "B"), help="compare point B with point A of one file")
    ap.add_argument("--metrics", help="comma-separated metric names (default: the main metrics)")
    ap.add_argument("--unpaired", action="store_true", help="two files: Welch's unpaired difference even when "
                                                            "the replication counts match")
    ap.add_argument("--csv", action="store_true", help="comma-separated rows at full precision")
    args = ap.parse_args(argv)

    def fail(msg):
        print(f"compare: {msg}", file=sys.stderr)
        return 2

    if args.points is not None and len(args.files) != 1:
        return fail("--points takes one file")
    if args.points is None and len(args.files) != 2:
        return fail("give two files A.h5 B.h5, or one file and --points A B")
    files = []
    for path in args.files:
        f, msg = results.guard(path, lambda: differences.File(path))
        if msg:
            return fail(msg)
        files.append(f)
    try:
        metrics = differences.check_metrics(files, args.metrics.split(",") if args.metrics else None)
        if args.points is not None:
            rows = differences.frame(differences.rows_two_points(files[0], *args.points, metrics), files[0])
        else:
            rows, use_paired = differences.rows_two_files(*files, metrics, args.unpaired)
            rows = differences.frame(rows, files[0])
    except results.BadFile as e:  # an unknown metric, a point out of range
        return fail(str(e))
    if args.csv:
        print_csv(rows)
        return 0

    if args.points is not None:
        f = files[0]
        pa, pb = args.points
        print(f"{f.path}: point {pb} minus point {pa}, paired by replication ({f.n_reps} replications: "
              "the same customers at every point)")
        print(f"A = point {pa}" + (f" ({f.label(pa)})" if f.labels else ""))
        print(f"B = point {pb}" + (f" ({f.label(pb)})" if f.labels else ""))
        print("95 % CI: Student t quantile (exact)")
        print_table(rows, "A", "B")
        return 0

    fa, fb = files
    if fa.n_points != fb.n_points:
        print(f"compare: note: {fa.n_points} points in A, {fb.n_points} in B: comparing points "
              f"0..{min(fa.n_points, fb.n_points) - 1}", file=sys.stderr)
    if list(fa.keys) != list(fb.keys):
        print(f"compare: note: the swept keys differ (A: {', '.join(fa.keys) or 'none'}; "
              f"B: {', '.join(fb.keys) or 'none'}); points are paired by index", file=sys.stderr)
    else:
        differ = [p for p in range(min(fa.n_points, fb.n_points)) if fa.label(p) != fb.label(p)]
        if differ:
            print(f"compare: note: points {', '.join(map(str, differ))} have different key values in A and B; "
                  "paired by index", file=sys.stderr)
    seed_a, seed_b = str(fa.attrs["seed"]), str(fb.attrs["seed"])
    print(f"B - A per point (paired by index); A = {fa.path}, B = {fb.path}")
    print(f"A: scenario '{fa.attrs['scenario_name']}', seed {seed_a}, {fa.n_reps} replications; "
          f"B: scenario '{fb.attrs['scenario_name']}', seed {seed_b}, {fb.n_reps} replications")
    if use_paired:
        how = "paired by replication (replication r of A with replication r of B)"
        if seed_a != seed_b:
            how += "; the seeds differ, so the pairs are independent (valid, but no narrower than unpaired)"
    else:
        why = "--unpaired" if args.unpaired else "the replication counts differ"
        how = (f"Welch's unpaired difference from /summary mean, sd and n ({why}); "
               "n column: n_A+n_B, dof: Welch-Satterthwaite")
    print(f"difference: {how}")
    print("95 % CI: Student t quantile (exact, fractional dof for Welch)")
    print_table(rows, "A", "B")
    return 0


if __name__ == "__main__":
    if hasattr(signal, "SIGPIPE"):  # quiet under `| head`
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(results.run_script("compare", main))
