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
quantile, exact (bsfile.t975, scipy), for Welch's fractional degrees of
freedom too: the quantile the C code uses for /summary and /compare.

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

from branchsim import results as bsfile  # first: it keeps libhdf5 from loading plugins a file names
import numpy as np

MAIN_METRICS = ["wait_mean_min", "wait_p90_min", "share_wait_over_10min", "counter_utilization", "abandoned"]
EXPOSURE_METRICS = ["expected_infections_customers", "expected_infections_staff"]

def fmt(x):
    x = float(x)
    return f"{x:.4g}" if math.isfinite(x) else "nan"


class File(bsfile.Results):
    """What compare needs of a result file: the root, /replications and /summary
    (bsfile.Results); raises bsfile.BadFile on a foreign or damaged one."""

    def __init__(self, path):
        super().__init__(path, groups=("replications", "summary"))
        self.labels = {k: [f"{x:g}" if isinstance(x, float) else " ".join(x.split()) for x in v]
                       for k, v in self.values.items()}

    def label(self, p):
        return ", ".join(f"{k}={v[p]}" for k, v in self.labels.items())

    def finite(self, metric):
        return metric in self.reps and bool(np.isfinite(self.reps[metric]).any())


def paired(a, b):
    """(mean, ci_low, ci_high, n, dof) of b - a over the pairs where both are finite."""
    mean, low, high, n = bsfile.ci95(np.asarray(b, dtype=float) - np.asarray(a, dtype=float))
    return mean, low, high, n, (n - 1 if n >= 2 else math.nan)


def welch(ma, sa, na, mb, sb, nb):
    """(mean, ci_low, ci_high, dof) of Welch's unpaired difference mean b - mean a."""
    diff = mb - ma
    if not (na >= 2 and nb >= 2) or not all(map(math.isfinite, (ma, sa, mb, sb))):
        return diff, math.nan, math.nan, math.nan
    va, vb = sa * sa / na, sb * sb / nb
    se = math.sqrt(va + vb)
    if se == 0:
        return diff, diff, diff, math.inf
    dof = (va + vb) ** 2 / (va * va / (na - 1) + vb * vb / (nb - 1))
    half = bsfile.t975(dof) * se
    return diff, diff - half, diff + half, dof


def default_metrics(*files):
    names = [m for m in MAIN_METRICS if all(m in f.reps for f in files)]
    names += [m for m in EXPOSURE_METRICS if all(m in f.reps for f in files) and any(f.finite(m) for f in files)]
    return names


def mean_of(x):
    x = x[np.isfinite(x)]
    return float(x.mean()) if x.size else math.nan


def rows_two_files(fa, fb, metrics, unpaired):
    """[(point, label, metric, unit, mean_a, mean_b, diff, low, high, n, dof, method)]."""
    use_paired = not unpaired and fa.n_reps == fb.n_reps
    rows = []
    for p in range(min(fa.n_points, fb.n_points)):
        for m in metrics:
            if use_paired:
                a, b = fa.reps[m][p], fb.reps[m][p]
                diff, low, high, n, dof = paired(a, b)
                ok = np.isfinite(a) & np.isfinite(b)
                rows.append((p, fa.label(p), m, fa.units[m], mean_of(a[ok]), mean_of(b[ok]), diff, low, high,
                             n, dof, "paired"))
            else:
                sa, sb = fa.summary[m], fb.summary[m]
                ma, mb = float(sa["mean"][p]), float(sb["mean"][p])
                na, nb = float(sa["n"][p]), float(sb["n"][p])
                diff, low, high, dof = welch(ma, float(sa["sd"][p]), na, mb, float(sb["sd"][p]), nb)
                rows.append((p, fa.label(p), m, fa.units[m], ma, mb, diff, low, high,
                             f"{int(na)}+{int(nb)}", dof, "welch"))
    return rows, use_paired


def rows_two_points(f, pa, pb, metrics):
    rows = []
    for m in metrics:
        a, b = f.reps[m][pa], f.reps[m][pb]
        diff, low, high, n, dof = paired(a, b)
        ok = np.isfinite(a) & np.isfinite(b)
        rows.append((pb, f.label(pb), m, f.units[m], mean_of(a[ok]), mean_of(b[ok]), diff, low, high, n, dof,
                     "paired"))
    return rows


def print_table(rows, a_name, b_name):
    current = None
    for (p, label, m, unit, ma, mb, diff, low, high, n, dof, method) in rows:
        if p != current:
            current = p
            print(f"\npoint {p}" + (f" ({label})" if label else ""))
            print(f"  {'metric':30s} {'unit':10s} {a_name:>10s} {b_name:>10s} {'B - A':>10s}   "
                  f"{'95 % CI':24s} {'n':>7s} {'dof':>6s}  test")
        ci = f"[{fmt(low)}, {fmt(high)}]"
        print(f"  {m:30s} {unit:10s} {fmt(ma):>10s} {fmt(mb):>10s} {fmt(diff):>10s}   {ci:24s} {str(n):>7s} "
              f"{fmt(dof) if math.isfinite(dof) else '-':>6s}  {method}")


def print_csv(rows):
    print("point,label,metric,unit,mean_a,mean_b,diff,ci95_low,ci95_high,n,dof,test")
    for (p, label, m, unit, ma, mb, diff, low, high, n, dof, method) in rows:
        label = '"' + label.replace('"', '""') + '"'
        print(",".join([str(p), label, m, unit] + [repr(float(x)) for x in (ma, mb, diff, low, high)]
                       + [str(n), repr(float(dof)), method]))


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
        f, msg = bsfile.guard(path, lambda: File(path))
        if msg:
            return fail(msg)
        files.append(f)
    metrics = args.metrics.split(",") if args.metrics else default_metrics(*files)
    for m in metrics:
        for f in files:
            if m not in f.reps or m not in f.summary:
                return fail(bsfile.unknown("metric", m, [n for n in f.reps if n in f.summary], f.path))

    if args.points is not None:
        f = files[0]
        pa, pb = args.points
        for p in (pa, pb):
            if not 0 <= p < f.n_points:
                return fail(f"point {p} out of range 0..{f.n_points - 1}")
        rows = rows_two_points(f, pa, pb, metrics)
        if args.csv:
            print_csv(rows)
            return 0
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
    rows, use_paired = rows_two_files(fa, fb, metrics, args.unpaired)
    if args.csv:
        print_csv(rows)
        return 0
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
    sys.exit(bsfile.run_script("compare", main))
