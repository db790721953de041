"""branchsim.open and branchsim.tidy: a result file as xarray Datasets with
coordinates, or as one long pandas table. Both read through
branchsim.results.Results, so a foreign or damaged file raises
results.BadFile (a ValueError) with one line saying what is wrong."""
import numpy as np

from . import results

TIDY_STATS = ("mean", "ci95_low", "ci95_high", "sd", "n")
BREAKDOWN_COLUMNS = ("segment", "role", "slot", "standard")


def open(path, group=None):  # noqa: A001 (branchsim.open, as xarray's open_dataset)
    """The file's groups of data as {group: xarray.Dataset} ("summary",
    "replications", "breakdown_summary/segments", ...), or the one Dataset of
    `group`. Every Dataset has the coordinates of its dimensions (point,
    replication, stat, segment, role, slot, standard, bin, pooled_stat: the
    file's dimension scales) and, on the point dimension, one coordinate per
    swept key with its /scenarios values (integers int64, numbers float64,
    text str): a grid sweep unstacks with
    ds.set_index(point=[key1, key2]).unstack("point"). Each variable has the
    attributes units (a file's older `unit` read as units), description and,
    where the file has one, long_name; the Dataset the file's root attributes."""
    import xarray as xr
    res = results.Results(path, variables=True if group is None else [group])
    out = {}
    for gpath, variables in res.variables.items():
        coords = {dim: (dim, values, attrs) for dim, (values, attrs) in res.coords[gpath].items()}
        coords.update(res.auxiliary[gpath])
        for key, (values, attrs) in res.scenarios.items():
            coords[key] = ("point", values, attrs)
        out[gpath] = xr.Dataset(dict(variables), coords=coords, attrs=dict(res.attrs))
    if group is None:
        return out
    if group not in out:
        raise results.BadFile(f"{results.escape(path)}: group /{results.escape(group)} holds no variables")
    return out[group]


def _stat_frame(res, gpath, name):
    """One stat table (point, [entity,] stat) as tidy columns."""
    import pandas as pd
    dims, values, attrs = res.variables[gpath][name]
    stats = [str(s) for s in res.coords[gpath]["stat"][0]]
    for s in TIDY_STATS:
        if s not in stats:
            raise results.BadFile(f"{results.escape(res.path)}: /{results.escape(gpath)}/{results.escape(name)} "
                                  f"has no statistic {s}")
    n_points, n_entities = values.shape[0], values.shape[1] if values.ndim == 3 else 1
    table = np.asarray(values, dtype=float).reshape(n_points * n_entities, len(stats))
    point = np.repeat(np.arange(n_points, dtype=np.int64), n_entities)
    cols = {key: v[point] for key, (v, _) in res.scenarios.items()}
    cols["point"], cols["metric"] = point, name
    if values.ndim == 3:
        cols[dims[1]] = np.tile(np.asarray(res.coords[gpath][dims[1]][0], dtype=object), n_points)
    cols["unit"] = results.reader_unit(attrs)
    for s in TIDY_STATS:
        cols[s] = table[:, stats.index(s)]
    if np.isfinite(cols["n"]).all():
        cols["n"] = cols["n"].astype(np.int64)
    return pd.DataFrame(cols)


def tidy(path, breakdowns=False):
    """A long pandas DataFrame, one row per (point, metric) of /summary: one
    column per swept key, then point, metric, unit, mean, ci95_low,
    ci95_high, sd, n. The interval is the one the C code stored (Student's t
    over the replications; docs/output.md). With breakdowns=True also the
    rows of /breakdown_summary, whose columns segment, role, slot and
    standard name the entity (None in the other rows)."""
    import pandas as pd
    res = results.Results(path, variables=["summary", "breakdown_summary"] if breakdowns else ["summary"])
    groups = sorted(res.variables, key=lambda g: g != "summary")  # /summary's rows first
    frames = [_stat_frame(res, gpath, name) for gpath in groups
              for name, (dims, _, _) in res.variables[gpath].items() if dims[-1] == "stat"]
    order = [*res.scenarios, "point", "metric", *(BREAKDOWN_COLUMNS if breakdowns else ()), "unit", *TIDY_STATS]
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=order)
    for c in order:
        if c not in df:
            df[c] = None
    return df[order].sort_values("point", kind="stable").reset_index(drop=True)
