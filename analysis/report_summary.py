"""The report's summary in words, and what it reads of a `branchsim plan`
file: its targets (`plan_targets`, "METRIC<=X; ..."), its answer
(`plan_answer`, "KEY=VALUE, ..." or "none"), and the point next to the answer
on the cheaper side, which fails some target (docs/cli.md, "What plan writes")."""
import math
import re
from dataclasses import dataclass

import numpy as np
import scipy.stats

from report_labels import metric_label, num, scale, is_percent, units, value_text

_TARGET = re.compile(r"^\s*(.+?)\s*(<=|>=)\s*(\S+)\s*$")


@dataclass
class Target:
    spec: str  # a drawable name: wait_p90_min or segments/wait_p90_min[elderly]
    op: str  # "<=" or ">="
    value: float

    def words(self, entry):
        sign = "≤" if self.op == "<=" else "≥"
        u = " %" if is_percent(self.spec) else (f" {units(entry)}" if units(entry) else "")
        return f"target {sign} {num(self.value * scale(self.spec))}{u}"


def targets(res):
    """The plan's targets, [] for a file that is not a plan's or has none readable."""
    out = []
    for part in res.attrs.get("plan_targets", "").split(";"):
        m = _TARGET.match(part)
        if m:
            try:
                out.append(Target(m.group(1), m.group(2), float(m.group(3))))
            except ValueError:
                continue
    return [t for t in out if math.isfinite(t.value)]


def _same(value, text):
    if isinstance(value, float):
        try:
            return math.isclose(value, float(text), rel_tol=1e-9, abs_tol=1e-12)
        except ValueError:
            return False
    return value == text


def answer_point(res):
    """The point of plan_answer, or None (no plan, no answer, or not a point of the file)."""
    answer = res.attrs.get("plan_answer", "")
    if not answer or answer == "none":
        return None
    pairs = dict(p.strip().split("=", 1) for p in answer.split(",") if "=" in p)
    if set(pairs) != set(res.keys):
        return None
    for p in range(res.n_points):
        if all(_same(res.values[k][p], pairs[k].strip()) for k in res.keys):
            return p
    return None


def cost(res, expr):
    """The linear cost of every point (array), or None when expr is not COEF*KEY terms."""
    if not expr.strip():
        return None
    total = np.zeros(res.n_points)
    for sign, term in re.findall(r"([+-]?)\s*((?:[^+-]|(?<=[0-9][eE])[+-])+)", expr.replace(" ", "")):
        factor = -1.0 if sign == "-" else 1.0
        for f in term.split("*"):
            xs = res.key_floats(f) if f in res.keys else None
            if xs is not None:
                factor = factor * xs
                continue
            try:
                factor = factor * float(f)
            except ValueError:
                return None
        total = total + factor
    return total


def cheaper_neighbour(res, answer):
    """The evaluated point just cheaper than the answer (it fails), or None."""
    if len(res.keys) == 1 and not res.attrs.get("plan_cost"):
        xs = res.key_floats(res.keys[0])
        if xs is None:
            return None
        largest = "largest" in res.attrs.get("plan_search", "")
        side = [p for p in range(res.n_points) if (xs[p] > xs[answer] if largest else xs[p] < xs[answer])]
        return min(side, key=lambda p: xs[p]) if largest and side else max(side, key=lambda p: xs[p]) if side else None
    c = cost(res, res.attrs.get("plan_cost", ""))
    if c is None:
        return None
    side = [p for p in range(res.n_points) if c[p] < c[answer]]
    return max(side, key=lambda p: c[p]) if side else None


def bound(entry, p, op, confidence):
    """The one-sided bound plan checks: Student t, or exact binomial for a 0/1 `met`."""
    mean, sd, n = (entry[c][p] for c in ("mean", "sd", "n"))
    if not n >= 2 or not math.isfinite(mean):
        return math.nan
    if entry.get("binary"):
        k = round(mean * n)
        if op == ">=":
            return 0.0 if k == 0 else float(scipy.stats.beta.ppf(1 - confidence, k, n - k + 1))
        return 1.0 if k == n else float(scipy.stats.beta.ppf(confidence, k + 1, n - k))
    half = float(scipy.stats.t.ppf(confidence, n - 1)) * sd / math.sqrt(n)
    return mean + half if op == "<=" else mean - half


def fails(res, target, p, confidence):
    entry = res.series(target.spec)
    if entry is None:
        return False
    b = bound(dict(entry, binary=target.spec.startswith("standards/met[")), p, target.op, confidence)
    return not (b <= target.value if target.op == "<=" else b >= target.value)


def baseline_name(res):
    """What the baseline is: a sweep's sweep.baseline, or a plan's first point."""
    if res.attrs.get("plan_targets"):
        return "the plan's first point"
    return "the scenario's own point (sweep.baseline)"


def point_words(res, p, klabels):
    """"Counters (general) = 6" (every swept key), or "the one point"."""
    if not res.keys:
        return "the one point"
    return ", ".join(f"{klabels[k]} = {fmt_key(res.values[k][p])}" for k in res.keys)


def fmt_key(v):
    return f"{v:g}" if isinstance(v, float) else str(v)


def measure(res, name, p):
    """"Mean wait 0.812 min [0.56, 1.06]": a series at point p with its 95 % CI."""
    e = res.series(name)
    label = metric_label(name.split("/")[-1].split("[")[0], e)
    if "[" in name:
        label += f" ({name.split('[', 1)[1].rstrip(']')})"
    return f"{label} {value_text(name, e, e['mean'][p], e['ci95_low'][p], e['ci95_high'][p])}"


def bound_words(res, target, p, confidence):
    """"upper 95 % bound 4.62 min": the one-sided bound plan compared with the
    target, so that a two-sided interval reaching past the target beside
    "meets at 95 % confidence" does not read as a contradiction."""
    entry = res.series(target.spec)
    b = bound(dict(entry, binary=target.spec.startswith("standards/met[")), p, target.op, confidence)
    side = "upper" if target.op == "<=" else "lower"
    return f"{side} {num(confidence * 100)} % bound {value_text(target.spec, entry, b)}"


def plan_summary(res, klabels):
    """The plan's answer in words, with the cheaper point that fails."""
    tgts = [t for t in targets(res) if res.series(t.spec) is not None]
    conf = res.attrs.get("plan_confidence") or 0.95
    level = f"{num(conf * 100)} % confidence"
    answer = answer_point(res)
    if answer is None:
        return (f"No point of the plan meets every target ({'; '.join(res.attrs.get('plan_targets', '').split(';'))})"
                f" at {level}; {int(res.n_points)} points were evaluated.")
    meets = "; ".join(f"{measure(res, t.spec, answer)} ({bound_words(res, t, answer, conf)}, "
                      f"{t.words(res.series(t.spec))})" for t in tgts)
    text = f"{point_words(res, answer, klabels)}, the plan's answer, meets every target at {level}: {meets}."
    other = cheaper_neighbour(res, answer)
    if other is None:
        return text + " It is the cheapest point evaluated."
    failed = [t for t in tgts if fails(res, t, other, conf)] or tgts
    return text + f" {point_words(res, other, klabels)} does not: " + \
        "; ".join(f"{measure(res, t.spec, other)} ({bound_words(res, t, other, conf)})" for t in failed) + "."


def direction(metric):
    """"lower" or "higher" when that is better for the metric, else None."""
    base = metric.split("/")[-1].split("[")[0]
    if base in ("share_within", "met", "served"):
        return "higher"
    lower = ("wait", "share_wait", "abandoned", "balked", "reneged", "turned_away", "expected_infections", "risk")
    return "lower" if base.startswith(lower) else None


def sweep_summary(res, metric, klabels):
    """The lowest and highest points of a metric (best and worst, where the
    metric says which is better), with their intervals, and the baseline."""
    mean = np.asarray(res.series(metric)["mean"], dtype=float)
    if res.n_points == 1 or not np.isfinite(mean).any():
        return f"The scenario's {point_words(res, 0, klabels) if res.keys else 'one point'}: " \
               f"{measure(res, metric, 0)}."
    ok = np.flatnonzero(np.isfinite(mean))
    low, high = ok[np.argmin(mean[ok])], ok[np.argmax(mean[ok])]
    better = direction(metric)
    names = {"lower": ("best", "worst"), "higher": ("worst", "best")}.get(better, ("lowest", "highest"))
    return (f"Over the {res.n_points} points, the {names[0]} is {point_words(res, low, klabels)}: "
            f"{measure(res, metric, low)}; the {names[1]} is {point_words(res, high, klabels)}: "
            f"{measure(res, metric, high)}. The baseline, {baseline_name(res)}, is "
            f"{point_words(res, res.baseline, klabels)}: {measure(res, metric, res.baseline)}.")
