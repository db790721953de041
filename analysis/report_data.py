"""What the report reads of a result file, beyond bsfile.Results: each
dataset's long_name and units, the breakdown summaries (per segment, role,
slot and standard), and the root's provenance and plan attributes. A
"series" is one drawable quantity: a /summary metric (`wait_mean_min`) or
one entity of a breakdown (`standards/share_within[elderly_wait]`)."""
import re

from branchsim import results as bsfile  # first: it keeps libhdf5 from loading plugins a file names
import h5py
import numpy as np

BREAKDOWNS = {"segments": "segment", "roles": "role", "slots": "slot", "standards": "standard"}
EXTRA_TEXT = ("command_line", "history", "plan_answer", "plan_targets", "plan_cost", "plan_search")
EXTRA_FLOAT = ("plan_confidence", "plan_answer_cost", "plan_points_evaluated", "plan_points_in_space")
SPEC = re.compile(r"^(\w+)/(\w+)\[(.+)\]$")


def _attr_text(ds, name, where):
    return bsfile.escape(bsfile.text_attr(ds, name, where + " "))


def _labels(entry, ds, where):
    """Adds long_name and units (CF) beside the reader's unit and description."""
    entry["long_name"] = _attr_text(ds, "long_name", where)
    entry["units"] = _attr_text(ds, "units", where) or entry.get("unit", "")
    return entry


def _optional_float(f, name):
    try:
        return bsfile.float_attr(f, name)
    except bsfile.BadFile:
        return None


def _entity_names(f, group, n):
    """The entities of a breakdown: the group's attribute, else the root's scale."""
    g = f[group]
    v = g.attrs.get(group) if group in g.attrs else None
    if v is None and BREAKDOWNS[group] in f and isinstance(f[BREAKDOWNS[group]], h5py.Dataset):
        v = f[BREAKDOWNS[group]][()]
    names = [bsfile.escape(bsfile.text(x)) for x in np.atleast_1d(v)] if v is not None else []
    return names if len(names) == n else [f"{group[:-1]} {i}" for i in range(n)]


class Result(bsfile.Results):
    """The report's view of one result file; raises bsfile.BadFile on a
    foreign or damaged one (a damaged breakdown is left out, not refused)."""

    def __init__(self, path):
        super().__init__(path, groups=("summary", "compare", "timeseries"))
        self.breakdown = {}  # {group: {metric: {entity: entry}}}
        with bsfile.open_file(path) as f:
            for name in EXTRA_TEXT:
                self.attrs[name] = bsfile.text_attr(f, name)
            for name in EXTRA_FLOAT:
                self.attrs[name] = _optional_float(f, name)
            for group in ("summary", "compare"):
                for name, entry in getattr(self, group).items():
                    _labels(entry, f[group][name], f"/{group}/{bsfile.escape(name)}")
            self.ts_labels = {name: _labels({"unit": unit}, f["timeseries"][name], f"/timeseries/{bsfile.escape(name)}")
                              for name, (_, unit, _) in self.timeseries.items()}
            for group in BREAKDOWNS:
                try:
                    self._breakdown(f, group)
                except (bsfile.BadFile, KeyError, OSError, ValueError, TypeError):
                    self.breakdown.pop(group, None)

    def _breakdown(self, f, group):
        if "breakdown_summary" not in f or group not in f["breakdown_summary"] or group not in f:
            return
        g = bsfile.member(f["breakdown_summary"], "/breakdown_summary", group, h5py.Group)
        out = {}
        for name in bsfile.names(g, f"/breakdown_summary/{group}"):
            ds = bsfile.member(g, f"/breakdown_summary/{group}", name, h5py.Dataset)
            where = f"/breakdown_summary/{group}/{bsfile.escape(name)}"
            if ds.shape is None or len(ds.shape) != 3 or ds.shape[0] != self.n_points:
                continue
            cols = bsfile.stat_columns(ds, where)
            data = np.asarray(bsfile.read(ds, where, (self.n_points, ds.shape[1], len(cols))), dtype=float)
            entities = _entity_names(f, group, ds.shape[1])
            base = _labels({"unit": _attr_text(ds, "unit", where)}, ds, where)
            out[name] = {e: dict(base, **{c: data[:, i, j] for j, c in enumerate(cols)})
                         for i, e in enumerate(entities)}
        self.breakdown[group] = out

    def series_names(self):
        """Every drawable name: the /summary metrics, then GROUP/METRIC[ENTITY]."""
        names = list(self.summary)
        for group, metrics in self.breakdown.items():
            names += [f"{group}/{m}[{e}]" for m, ents in metrics.items() for e in ents]
        return names

    def series(self, name):
        """The entry (mean, ci95_low, ... arrays; unit, long_name) of a drawable name, or None."""
        if name in self.summary:
            return self.summary[name]
        m = SPEC.match(name)
        if not m:
            return None
        return self.breakdown.get(m.group(1), {}).get(m.group(2), {}).get(m.group(3))

    def finite(self, metric):
        s = self.series(metric)
        return s is not None and "mean" in s and bool(np.isfinite(s["mean"]).any())

    def has_appointments(self):
        booked = self.summary.get("booked")
        return booked is not None and bool(np.nan_to_num(booked["mean"]).any())

    def own_standards(self):
        """The scenario's own standards (not the defaults wait_10min and service_10min)."""
        ents = list(self.breakdown.get("standards", {}).get("share_within", {}))
        return [e for e in ents if e not in ("wait_10min", "service_10min")]

    def label(self, p, keys=None):
        keys = self.keys if keys is None else keys
        return ", ".join(f"{k}={fmt_value(self.values[k][p])}" for k in keys) or f"point {p}"

    def short_label(self, p):
        return ", ".join(fmt_value(self.values[k][p]) for k in self.keys) or f"point {p}"

    def key_floats(self, key):
        """The key's values as floats, or None when some value is not a number."""
        try:
            return np.array([float(v) for v in self.values[key]], dtype=float)
        except (TypeError, ValueError):
            return None

    def integer_key(self, key):
        xs = self.key_floats(key)
        return xs is not None and bool(np.all(np.isfinite(xs) & (xs == np.round(xs))))


def fmt_value(v):
    """A swept key's value: numbers with %g, text as written (shortened)."""
    if isinstance(v, (float, np.floating, int, np.integer)):
        return f"{float(v):g}"
    s = " ".join(bsfile.text(v).split())
    return s if len(s) <= 40 else s[:37] + "..."
