"""The Python package branchsim (analysis/branchsim): tidy() holds the HDF5
file's values, its intervals are scipy's t intervals of the replications,
open() gives coordinates from /scenarios that unstack to the sweep's grid,
compare() computes the paired differences, and a file that is not a result
file is one ValueError, not a traceback from inside h5py."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import scipy.stats

ROOT = Path(__file__).resolve().parent.parent
BRANCHSIM = str((ROOT / os.environ.get("BRANCHSIM", "build/branchsim")).resolve())
sys.path.insert(0, str(ROOT / "analysis"))
import branchsim  # noqa: E402

REPS = 6
GRID = """name: grid
seed: {seed}
replications: {reps}
day: {{hours: 4}}
demand: {{customers_per_day: 200}}
segments:
  - {{name: a, share: 0.6}}
  - {{name: b, share: 0.4}}
transactions: [{{service_min: {{dist: lognormal, mean: 4, cv: 0.6}}}}]
counters: [{{count: 3}}]
sweep:
  counters.0.count: [3, 4, 5]
  demand.customers_per_day: [150, 200]
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A 3 x 2 grid sweep with segments, and the same with another seed."""
    d = tmp_path_factory.mktemp("package")
    out = {}
    for name, seed in (("a", 3), ("b", 4)):
        (d / f"{name}.yaml").write_text(GRID.format(seed=seed, reps=REPS))
        out[name] = d / f"{name}.h5"
        subprocess.run([BRANCHSIM, "run", d / f"{name}.yaml", "-q", "-o", out[name]], check=True)
    return out


def metrics_of(group):
    """The metrics of a /summary-like group: its tables (coordinate variables have no stats)."""
    return [m for m in group if "stats" in group[m].attrs]


def columns(ds):
    return [str(c) for c in ds.attrs["stats"]]


def unit(ds):
    """The unit tidy gives: the counted noun of a count, else the units."""
    for name in ("counted", "units", "unit"):
        if name in ds.attrs:
            return ds.attrs[name].decode() if isinstance(ds.attrs[name], bytes) else str(ds.attrs[name])


def test_tidy_holds_the_files_summary_values(files):
    t = branchsim.tidy(files["a"])
    keys = ["counters.0.count", "demand.customers_per_day"]
    assert list(t.columns) == keys + ["point", "metric", "unit", "mean", "ci95_low", "ci95_high", "sd", "n"]
    with h5py.File(files["a"]) as f:
        metrics = metrics_of(f["summary"])
        assert len(t) == 6 * len(metrics)  # point by point, each point's metrics in the file's order
        assert list(t.metric) == metrics * 6 and list(t.point) == sorted(list(range(6)) * len(metrics))
        for key in keys:
            assert np.array_equal(t[key].to_numpy()[::len(metrics)], f["scenarios"][key][()])
        assert list(t.unit[:len(metrics)]) == [unit(f["summary"][m]) for m in metrics]
        for stat in ("mean", "ci95_low", "ci95_high", "sd", "n"):
            stored = np.stack([f["summary"][m][:, columns(f["summary"][m]).index(stat)] for m in metrics], axis=1)
            assert np.array_equal(t[stat].to_numpy().reshape(6, len(metrics)), stored, equal_nan=True), stat
    assert t["n"].dtype == np.int64 and set(t["n"]) == {0, REPS}  # 0: a metric of no finite day (exposure)


def test_tidy_breakdowns_name_their_entity(files):
    t = branchsim.tidy(files["a"], breakdowns=True)
    seg = t[t.segment.notna()]
    with h5py.File(files["a"]) as f:
        ds = f["breakdown_summary/segments/wait_mean_min"]
        rows = seg[seg.metric == "wait_mean_min"]
        assert list(rows.segment) == ["a", "b"] * 6
        assert np.array_equal(rows["mean"].to_numpy(), ds[:, :, columns(ds).index("mean")].ravel(), equal_nan=True)
        assert set(t[t.standard.notna()].standard) == {"wait_10min", "service_10min"}
        assert len(t[t.segment.isna() & t.role.isna() & t.slot.isna() & t.standard.isna()]) == 6 * len(metrics_of(f["summary"]))


def test_the_interval_is_scipys_t_interval_of_the_replications(files):
    t = branchsim.tidy(files["a"]).set_index(["point", "metric"])
    checked = 0
    with h5py.File(files["a"]) as f:
        for m in ("wait_mean_min", "served", "counter_utilization", "wait_p90_min"):
            for p, x in enumerate(f["replications"][m][()]):
                low, high = scipy.stats.t.interval(0.95, x.size - 1, loc=x.mean(), scale=scipy.stats.sem(x))
                row = t.loc[(p, m)]
                assert row["mean"] == pytest.approx(x.mean(), rel=1e-12)
                # The C code takes GSL's quantile: at 5 dof 1e-9 from scipy's, relative (measured:
                # the interval's ends moved 4e-10).
                assert row.ci95_low == pytest.approx(low, rel=1e-8, abs=1e-12), (m, p)
                assert row.ci95_high == pytest.approx(high, rel=1e-8, abs=1e-12), (m, p)
                assert branchsim.ci95(x)[1:3] == pytest.approx((low, high), rel=1e-12, abs=1e-14)
                checked += 1
    assert checked == 24


def test_open_gives_coordinates_that_unstack_to_the_grid(files):
    groups = branchsim.open(files["a"])
    assert {"summary", "replications", "compare", "segments", "timeseries", "breakdown_summary/segments",
            "pooled"} <= set(groups)
    s = groups["summary"]
    with h5py.File(files["a"]) as f:
        for key in ("counters.0.count", "demand.customers_per_day"):
            assert s[key].dims == ("point",)
            assert np.array_equal(s[key].values, f["scenarios"][key][()])
        assert list(s["stat"].values) == columns(f["summary/wait_mean_min"])
        assert s["point"].dtype == np.int64 and list(s["point"].values) == list(range(6))
        assert s["wait_mean_min"].attrs["units"] == "min" and s["wait_mean_min"].attrs["description"]
        r = groups["replications"]
        assert r["wait_mean_min"].dims == ("point", "replication")
        assert np.array_equal(r["wait_mean_min"].values, f["replications/wait_mean_min"][()])
        assert r["replication"].dtype == np.int64 and list(r["replication"].values) == list(range(REPS))
        assert list(groups["segments"]["segment"].values) == ["a", "b"]
        assert groups["breakdown_summary/segments"]["arrived"].dims == ("point", "segment", "stat")
        bins = f["timeseries/bin"] if "bin" in f["timeseries"] else f["bin"]  # the netCDF layout's, or older
        assert np.array_equal(groups["timeseries"]["bin"].values, bins[()])
        if "bin_start" in f["timeseries"]:  # the bins' clock times, a coordinate on bin
            assert list(groups["timeseries"]["bin_start"].values) == \
                [b.decode() if isinstance(b, bytes) else b for b in f["timeseries/bin_start"][()]]
    grid = s.set_index(point=["counters.0.count", "demand.customers_per_day"]).unstack("point")
    wait = grid["wait_mean_min"].sel(stat="mean")
    assert wait.shape == (3, 2) and list(wait["counters.0.count"].values) == [3, 4, 5]
    assert wait.sel({"counters.0.count": 4, "demand.customers_per_day": 200}).item() == \
        s["wait_mean_min"].sel(stat="mean", point=3).item()
    one = branchsim.open(files["a"], group="breakdown_summary/segments")
    assert one["wait_mean_min"].equals(groups["breakdown_summary/segments"]["wait_mean_min"])


def test_open_reads_the_netcdf_layout_too(files, tmp_path):
    """Integer swept keys, CF `units` (a count's noun in `counted`),
    coordinate variables inside a group (as the netCDF-4 layout writes
    them): int64 coordinates, units read, the coordinate variables not
    taken for metrics."""
    path = tmp_path / "cf.h5"
    shutil.copy(files["a"], path)
    with h5py.File(path, "r+") as f:
        values = f["scenarios/counters.0.count"][()]
        del f["scenarios/counters.0.count"]
        f["scenarios/counters.0.count"] = values.astype(np.int64)
        ds = f["summary/wait_mean_min"]
        if "unit" in ds.attrs:  # a file before the CF attributes
            ds.attrs["units"] = ds.attrs.pop("unit")
        ds.attrs["long_name"] = "Mean wait"
        served = f["summary/served"]
        served.attrs.pop("unit", None)
        served.attrs.update({"units": "1", "counted": "customers"})
        if "counters.0.count" not in f["summary"]:  # the netCDF layout has it
            f["summary/counters.0.count"] = values.astype(np.int64)
        f["summary/label"] = np.arange(6.0)
        ds.attrs["coordinates"] = "counters.0.count label"
    s = branchsim.open(path, "summary")
    assert s["counters.0.count"].dtype == np.int64 and list(s["counters.0.count"].values) == [3, 3, 4, 4, 5, 5]
    assert s["wait_mean_min"].attrs["long_name"] == "Mean wait" and s["wait_mean_min"].attrs["units"] == "min"
    assert s["served"].attrs["units"] == "1" and s["served"].attrs["counted"] == "customers"
    assert "label" not in s.data_vars and "counters.0.count" not in s.data_vars
    t = branchsim.tidy(path)
    assert t["counters.0.count"].dtype == np.int64 and set(t.metric) == set(s.data_vars)
    assert set(t[t.metric == "served"].unit) == {"customers"} and set(t[t.metric == "wait_mean_min"].unit) == {"min"}


def test_compare_gives_paired_differences_of_two_files(files):
    d = branchsim.compare(files["a"], files["b"], metrics=["wait_mean_min", "served"])
    assert len(d) == 12 and set(d.test) == {"paired"}
    assert list(d.columns[:3]) == ["point", "counters.0.count", "demand.customers_per_day"]
    with h5py.File(files["a"]) as fa, h5py.File(files["b"]) as fb:
        h5 = {(name, m): (f["replications"][m][()], f["summary"][m][()]) for name, f in (("a", fa), ("b", fb))
              for m in ("wait_mean_min", "served")}
        i = columns(fa["summary/served"]).index("ci95_low")
    for row in d.itertuples():
        (ra, sa), (rb, sb) = h5[("a", row.metric)], h5[("b", row.metric)]
        x = rb[row.point] - ra[row.point]
        assert row.diff == pytest.approx(x.mean(), rel=1e-12, abs=1e-12)
        low, high = scipy.stats.t.interval(0.95, x.size - 1, loc=x.mean(), scale=scipy.stats.sem(x))
        assert (row.ci95_low, row.ci95_high) == pytest.approx((low, high), rel=1e-12, abs=1e-12)
        a_ci, b_ci = sa[row.point, i:i + 2], sb[row.point, i:i + 2]
        assert (row.a_ci95_low, row.a_ci95_high, row.b_ci95_low, row.b_ci95_high) == (*a_ci, *b_ci)
        assert row.overlap == (a_ci[0] <= b_ci[1] and b_ci[0] <= a_ci[1])
    w = branchsim.compare(files["a"], files["b"], metrics=["served"], unpaired=True)
    assert set(w.test) == {"welch"} and (w.n_a == REPS).all()
    p = branchsim.compare(files["a"], points=(0, 2), metrics=["wait_mean_min"])
    assert list(p.point) == [2] and p["diff"].iloc[0] < 0  # a counter more: shorter waits
    with pytest.raises(ValueError, match="did you mean wait_mean_min"):
        branchsim.compare(files["a"], files["b"], metrics=["wait_mean"])


def test_a_file_that_is_not_a_result_file_is_a_value_error(tmp_path):
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["x"] = np.arange(3.0)
    text = tmp_path / "text.h5"
    text.write_text("not hdf5\n")
    for path, says in ((foreign, "not a branchsim result file"), (text, "cannot open as an HDF5 file"),
                       (tmp_path / "none.h5", "cannot open")):
        for call in (branchsim.open, branchsim.tidy, lambda p: branchsim.compare(p, p)):
            with pytest.raises(ValueError) as e:
                call(path)
            assert isinstance(e.value, branchsim.BadFile) and says in str(e.value) and "\n" not in str(e.value)
            assert e.value.__context__ is None or e.value.__suppress_context__  # no h5py traceback
