"""branchsim.compare: B - A per point and metric, with its 95 % interval,
for two result files or two points of one (what analysis/compare.py prints).

Two files: point i of A with point i of B. With the same number of
replications, replication r of A is paired with replication r of B (files
of one scenario and seed share their customers, so the paired interval is
far narrower); otherwise, or unpaired=True, Welch's unpaired difference from
the /summary means, standard deviations and counts. Two points of one file
are paired by replication. A paired difference uses the replications where
both values are finite; the intervals take Student's t quantile, exact, for
Welch's fractional degrees of freedom too (results.t975, results.ci95)."""
import math

import numpy as np

from . import results

MAIN_METRICS = ["wait_mean_min", "wait_p90_min", "share_wait_over_10min", "counter_utilization", "abandoned"]
EXPOSURE_METRICS = ["expected_infections_customers", "expected_infections_staff"]
COLUMNS = ["point", "label", "metric", "unit", "mean_a", "mean_b", "diff", "ci95_low", "ci95_high", "n_a", "n_b",
           "dof", "test", "a_ci95_low", "a_ci95_high", "b_ci95_low", "b_ci95_high", "overlap"]


class File(results.Results):
    """What compare needs of a result file: the root, /replications and
    /summary; raises results.BadFile on a foreign or damaged one."""

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
    mean, low, high, n = results.ci95(np.asarray(b, dtype=float) - np.asarray(a, dtype=float))
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
    half = results.t975(dof) * se
    return diff, diff - half, diff + half, dof


def default_metrics(*files):
    names = [m for m in MAIN_METRICS if all(m in f.reps for f in files)]
    names += [m for m in EXPOSURE_METRICS if all(m in f.reps for f in files) and any(f.finite(m) for f in files)]
    return names


def check_metrics(files, metrics):
    """The metrics asked for (default_metrics when None); BadFile naming an unknown one."""
    metrics = list(metrics) if metrics is not None else default_metrics(*files)
    for m in metrics:
        for f in files:
            if m not in f.reps or m not in f.summary:
                raise results.BadFile(results.unknown("metric", m, [n for n in f.reps if n in f.summary], f.path))
    return metrics


def _mean(x):
    x = x[np.isfinite(x)]
    return float(x.mean()) if x.size else math.nan


def _row(p, label, m, unit, a, b, sa, pa, sb, pb, welch_test):
    """One row: the difference (paired from replications a and b, or Welch's
    from the summaries), and the two points' own stored intervals."""
    if welch_test:
        ma, mb, na, nb = float(sa["mean"][pa]), float(sb["mean"][pb]), float(sa["n"][pa]), float(sb["n"][pb])
        diff, low, high, dof = welch(ma, float(sa["sd"][pa]), na, mb, float(sb["sd"][pb]), nb)
        na, nb, test = int(na), int(nb), "welch"
    else:
        diff, low, high, na, dof = paired(a, b)
        ok = np.isfinite(a) & np.isfinite(b)
        ma, mb, nb, test = _mean(a[ok]), _mean(b[ok]), na, "paired"
    ci = [float(s[c][q]) for s, q in ((sa, pa), (sb, pb)) for c in ("ci95_low", "ci95_high")]
    overlap = bool(ci[0] <= ci[3] and ci[2] <= ci[1]) if all(map(math.isfinite, ci)) else None
    return [p, label, m, unit, ma, mb, diff, low, high, na, nb, dof, test, *ci, overlap]


def rows_two_files(fa, fb, metrics, unpaired=False):
    """(rows, paired): point i of B minus point i of A for every metric."""
    use_paired = not unpaired and fa.n_reps == fb.n_reps
    rows = [_row(p, fa.label(p), m, fa.units[m], fa.reps[m][p], fb.reps[m][p], fa.summary[m], p, fb.summary[m], p,
                 not use_paired)
            for p in range(min(fa.n_points, fb.n_points)) for m in metrics]
    return rows, use_paired


def rows_two_points(f, pa, pb, metrics):
    """Point pb minus point pa of one file, paired by replication."""
    for p in (pa, pb):
        if not 0 <= p < f.n_points:
            raise results.BadFile(f"point {p} out of range 0..{f.n_points - 1}")
    return [_row(pb, f.label(pb), m, f.units[m], f.reps[m][pa], f.reps[m][pb], f.summary[m], pa, f.summary[m], pb,
                 False) for m in metrics]


def frame(rows, f):
    """The rows as a DataFrame, with f's swept keys (unescaped) after point."""
    import pandas as pd
    df = pd.DataFrame(rows, columns=COLUMNS)
    for i, (key, (values, _)) in enumerate(f.scenarios.items()):
        df.insert(1 + i, key, values[df["point"].to_numpy(dtype=np.int64)])
    return df


def compare(a, b=None, points=None, metrics=None, unpaired=False):
    """B - A as a pandas DataFrame, one row per (point, metric): point, the
    swept keys of A, label, metric, unit, mean_a, mean_b, diff, ci95_low,
    ci95_high (the difference's 95 % interval), n_a, n_b, dof, test ("paired"
    or "welch"), a_ci95_low ... b_ci95_high (each point's own interval, as
    /summary stores it) and overlap (whether those two intervals overlap;
    None where one is NaN). compare(a, b) takes two files; compare(a,
    points=(A, B)) point B minus point A of one file. metrics: names
    (default the main metrics); unpaired: Welch's test even when the
    replication counts match. Raises results.BadFile (a ValueError) on a
    foreign or damaged file, an unknown metric or a point out of range."""
    if (b is None) == (points is None):
        raise ValueError("compare(a, b) compares two files, compare(a, points=(A, B)) two points of one")
    if points is not None:
        f = File(a)
        return frame(rows_two_points(f, *points, check_metrics([f], metrics)), f)
    fa, fb = File(a), File(b)
    return frame(rows_two_files(fa, fb, check_metrics([fa, fb], metrics), unpaired)[0], fa)
