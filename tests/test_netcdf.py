"""The result file as netCDF-4/CF (docs/output.md#reading-it-as-netcdf): every
group opens in netCDF4-python, in xarray with the netcdf4 and the h5netcdf
engines, and in ncdump; each group has its own coordinates (xarray takes none
from a parent group) with the right values and types; every variable has CF
`units` (UDUNITS spelling) and a `long_name`. Three files: a small sweep with
segments, roles, slots and standards, a two-key grid sweep, and a `plan` file.

Run: BRANCHSIM=build/branchsim /usr/bin/python3 -m pytest -q tests/test_netcdf.py
"""
import subprocess
import sys

import h5py
import numpy as np
import pytest

netCDF4 = pytest.importorskip("netCDF4")
xr = pytest.importorskip("xarray")
pytest.importorskip("h5netcdf")

# Every `units` the file may hold, each in UDUNITS-2's spelling ("1" a count
# or ratio, "min" minutes, "m-3" per cubic metre). Text variables and the
# swept keys carry none (docs/output.md#reading-it-as-netcdf).
UDUNITS = {"1", "min", "m-3"}
GRID = """name: grid
seed: 3
replications: 3
day: {open: "08:30", hours: 3}
demand: {customers_per_day: 90}
transactions:
  - {name: any, share: 1, service_min: {dist: exponential, mean: 4.0}}
staffing: {absence_probability: 0.0}
counters:
  - {role: general, count: 2}
sweep:
  counters.0.count: [2, 3, 4]
  staffing.absence_probability: [0.0, 0.25]
"""


@pytest.fixture(scope="module")
def files(branchsim, repo, tmp_path_factory):
    d = tmp_path_factory.mktemp("netcdf")
    (d / "grid.yaml").write_text(GRID)
    (d / "plan.yaml").write_text(GRID.split("sweep:")[0])
    out = {"small": d / "small.h5", "grid": d / "grid.h5", "plan": d / "plan.h5"}
    runs = [("run", repo / "scenarios" / "appointments.yaml", "-r", 3, "-q", "-o", out["small"]),
            ("run", d / "grid.yaml", "-q", "-o", out["grid"]),
            ("plan", d / "plan.yaml", "--vary", "counters.0.count", "--range", "1:3", "--target",
             "wait_mean_min<=5", "-r", 3, "-q", "-o", out["plan"])]
    for args in runs:
        r = branchsim(*args)
        assert r.returncode == 0, (args, r.stderr)
    # a crash (fixed-length strings did that) must fail a test, not end pytest
    opens = "; ".join(f"netCDF4.Dataset({str(p)!r}).close()" for p in out.values())
    probe = subprocess.run([sys.executable, "-c", "import netCDF4; " + opens], capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr
    return out


def h5_groups(path):
    """{group path: {variable: h5py values}} of every group holding datasets."""
    found = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                group = obj.parent.name.lstrip("/")
                v = obj[()]
                if obj.dtype.kind == "O":
                    v = np.array([x.decode() for x in v], dtype=object)
                found.setdefault(group, {})[obj.name.rsplit("/", 1)[1]] = v
        f.visititems(visit)
    return found


def same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind in "OUS" or b.dtype.kind in "OUS":
        return a.shape == b.shape and [str(x) for x in a.ravel()] == [str(x) for x in b.ravel()]
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


@pytest.mark.parametrize("which", ["small", "grid", "plan"])
def test_netcdf4_python_and_ncdump_open_the_root_and_every_group(files, which):
    path = files[which]
    dump = subprocess.run(["ncdump", "-h", str(path)], capture_output=True, text=True)
    assert dump.returncode == 0 and dump.stderr == "", dump.stderr
    groups = h5_groups(path)
    with netCDF4.Dataset(path) as nc:
        assert nc.Conventions == "CF-1.10" and nc.source.startswith("branchsim ")
        assert list(nc.variables) == []  # the root holds attributes and groups only
        for group, variables in groups.items():
            g = nc[group]
            assert sorted(g.variables) == sorted(variables), group
            for name, v in variables.items():
                assert same(g[name][...].filled(np.nan) if g[name].dtype != str else g[name][...], v), (group, name)


def check_coordinates(ds, group, n_points):
    """The coordinates every group has, with their values and types."""
    for var in ds.data_vars.values():
        assert set(var.dims) <= set(ds.coords), (group, var.name, var.dims)
    assert ds["point"].dtype == np.int64 and list(ds["point"].values) == list(range(n_points))
    if "replication" in ds.dims:
        assert ds["replication"].dtype == np.int64 and ds["replication"].values[0] == 0
    if "stat" in ds.dims:
        assert list(ds["stat"].values[:4]) == ["mean", "sd", "ci95_low", "ci95_high"]
    if "pooled_stat" in ds.dims:
        assert list(ds["pooled_stat"].values[:3]) == ["mean", "ci95_low", "ci95_high"]


def check_units(ds, group, keys):
    for name, var in ds.variables.items():
        assert var.attrs.get("long_name"), (group, name)
        if var.dtype.kind in "fi" and name not in keys:
            assert var.attrs["units"] in UDUNITS, (group, name, var.attrs.get("units"))
        assert "unit" not in var.attrs, (group, name)


# netCDF4-python reads every group of all three files above; xarray's
# netcdf4 engine opens every group of the small run, and h5netcdf (0.2 to
# 0.4 s a group of ~60 variables: it resolves each variable's dimension
# scales by name) one group of each kind of the grid.
H5NETCDF_GROUPS = ("scenarios", "summary", "segments", "breakdown_summary/standards", "timeseries",
                   "pooled/segments")


@pytest.mark.parametrize("which, engine", [("small", "netcdf4"), ("grid", "h5netcdf")])
def test_xarray_opens_every_group_with_its_coordinates_and_units(files, which, engine):
    groups = h5_groups(files[which])
    n_points = len(groups["scenarios"]["point"])
    keys = set(groups["scenarios"]) - {"point"}
    for group, variables in groups.items():
        if engine == "h5netcdf" and group not in H5NETCDF_GROUPS:
            continue
        with xr.open_dataset(files[which], group=group, engine=engine) as ds:
            assert sorted(ds.variables) == sorted(variables), group
            for name, v in variables.items():
                assert same(ds[name].values, v), (group, name)
            check_coordinates(ds, group, n_points)
            check_units(ds, group, keys)
            if group != "scenarios":
                for name in keys:
                    assert name in ds.coords and ds[name].dims == ("point",), (group, name)


def test_the_small_run_names_its_entities_and_time_bins(files):
    path = files["small"]
    with xr.open_dataset(path, group="segments", engine="netcdf4") as ds:
        assert list(ds["segment"].values) == ["general", "elderly", "vip", "business"]
        assert ds["arrived"].attrs["units"] == "1" and ds["arrived"].attrs["counted"] == "customers"
        assert ds["arrived"].attrs["long_name"] == "Customers arrived"
        assert ds["appointments.capacity_per_slot"].dtype == np.int64
        assert list(ds["appointments.capacity_per_slot"].values) == [0, 1, 2, 4, 6]
    with xr.open_dataset(path, group="slots", engine="netcdf4") as ds:
        assert list(ds["slot"].values[:2]) == ["09:00", "09:30"]
    with xr.open_dataset(path, group="breakdown_summary/standards", engine="netcdf4") as ds:
        assert list(ds["standard"].values) == ["wait_10min", "service_10min"]
        assert ds["met"].dims == ("point", "standard", "stat")
    with xr.open_dataset(path, group="roles", engine="h5netcdf") as ds:
        assert "appointments" in list(ds["role"].values)
    with xr.open_dataset(path, group="timeseries", engine="netcdf4") as ds:
        assert ds["bin"].attrs["units"] == "min" and "after midnight" in ds["bin"].attrs["long_name"]
        assert list(ds["bin"].values[:2]) == [540.0, 555.0] and list(ds["bin_start"].values[:2]) == ["09:00", "09:15"]
        assert ds["wait_mean_min"].attrs["long_name"] == "Mean wait"
    with xr.open_dataset(path, group="summary", engine="netcdf4") as ds:
        assert ds["wait_mean_min"].attrs["units"] == "min"
        assert ds["wait_mean_min"].encoding["coordinates"] == "appointments.capacity_per_slot"


def test_a_grid_sweep_unstacks_into_a_grid(files):
    with xr.open_dataset(files["grid"], group="summary", engine="netcdf4") as ds:
        assert ds["counters.0.count"].dtype == np.int64
        assert ds["staffing.absence_probability"].dtype == np.float64
        grid = ds.set_index(point=["counters.0.count", "staffing.absence_probability"]).unstack("point")
        mean = grid["served"].sel(stat="mean")
        assert mean.dims == ("counters.0.count", "staffing.absence_probability") and mean.shape == (3, 2)
        assert list(grid["counters.0.count"].values) == [2, 3, 4]
        assert list(grid["staffing.absence_probability"].values) == [0.0, 0.25]
        flat = ds["served"].sel(stat="mean").values  # sweep order: the last key varies fastest
        assert np.array_equal(mean.values.ravel(), flat)
    with xr.open_dataset(files["grid"], group="timeseries", engine="h5netcdf") as ds:
        assert list(ds["bin"].values[:2]) == [510.0, 525.0] and ds["bin_start"].values[0] == "08:30"
        assert ds["arrivals"].encoding["coordinates"] == "bin_start counters.0.count staffing.absence_probability"


def test_a_plan_file_has_its_points_as_coordinates(files):
    with h5py.File(files["plan"], "r") as f:
        keys = list(f["scenarios/counters.0.count"][()])
    with xr.open_dataset(files["plan"], group="summary", engine="netcdf4") as ds:
        assert list(ds["counters.0.count"].values) == keys and ds["counters.0.count"].dtype == np.int64


def test_no_fixed_length_string_but_the_dimension_scales_own(files):
    """Text is variable-length UTF-8 everywhere; only HDF5's dimension-scale
    library writes fixed-length CLASS and NAME attributes (netCDF-C writes
    the same ones, and reads them)."""
    fixed = set()
    with h5py.File(files["small"], "r") as f:
        def visit(name, obj):
            for attr in obj.attrs:
                info = h5py.check_string_dtype(obj.attrs.get_id(attr).dtype)
                if info and (info.length is not None or info.encoding != "utf-8"):
                    fixed.add(attr)
            if isinstance(obj, h5py.Dataset) and obj.dtype.kind in "SO":
                info = h5py.check_string_dtype(obj.dtype)
                assert info and info.length is None and info.encoding == "utf-8", name
        f.visititems(visit)
        visit("/", f)
    assert fixed == {"CLASS", "NAME"}
