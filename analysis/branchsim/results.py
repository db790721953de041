"""Checked reading of branchsim result files, shared by the analysis scripts.

A file may be anyone's: a foreign or damaged one raises BadFile, whose text is
one line saying what is wrong ("FILE: /summary/wait_mean_min is (3, 10), where
n_points makes it (4, 10)"); the scripts print it as `SCRIPT: ...` on stderr
and exit 2, as `branchsim describe` does, never with a traceback. Objects are
reached only through hard links (a soft or external link could lead anywhere),
attributes must hold one value of the right kind, and every dataset read has
the shape n_points and replications give it. Text from the file is escaped
(control characters as \\n, \\x1b, ...) before it is printed.
"""
import difflib
import math
import os
import pickle
import re
import signal
import stat
import sys
import tempfile

# A file names the filters its data went through, and libhdf5 would load a
# plugin library (run its code) for one it lacks; branchsim's files use
# built-in filters only. "::" is libhdf5's "no plugins" path, read when h5py
# first starts the library.
os.environ["HDF5_PLUGIN_PATH"] = "::"
import h5py  # noqa: E402
import numpy as np
import scipy.stats  # noqa: E402


POINTS_MAX = 1000000  # branchsim's sweep bound: no run writes more
_CONTROL = re.compile(r"[\x00-\x1f\x7f\\]")


class BadFile(ValueError):
    """A file that is not a readable branchsim result file; str() is one line.
    A ValueError, so that a caller of branchsim.open or tidy can catch it as one."""


def escape(s):
    """Control characters made visible, as branchsim's messages do."""
    named = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\\": "\\\\"}
    return _CONTROL.sub(lambda m: named.get(m.group(), f"\\x{ord(m.group()):02x}"), str(s))


def text(v):
    """An HDF5 string (bytes or str, scalar or 0-d array) as str."""
    if isinstance(v, np.ndarray) and v.shape == ():
        v = v[()]
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)


def open_file(path):
    """The file opened read-only; BadFile when it is missing, not a regular file
    (a FIFO would block) or not HDF5."""
    try:
        st = os.stat(path)
    except OSError as e:
        raise BadFile(f"{escape(path)}: cannot open: {e.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise BadFile(f"{escape(path)}: not a regular file (a result file is one)")
    try:
        return h5py.File(path, "r")
    except Exception:  # h5py raises OSError, ValueError, ... on what is not HDF5
        raise BadFile(f"{escape(path)}: cannot open as an HDF5 file") from None


def _one_value(obj, where, name):
    try:
        a = obj.attrs.get_id(name)
    except KeyError:
        return None
    except Exception:
        raise BadFile(f"attribute {where}{name} cannot be read") from None
    shape = a.shape
    if shape is None or (shape != () and int(np.prod(shape)) != 1):
        n = 0 if shape is None else int(np.prod(shape))
        raise BadFile(f"attribute {where}{name} is an array of {n} values, not one value" if n else
                      f"attribute {where}{name} holds no value")
    try:
        value = obj.attrs[name]
    except Exception:
        raise BadFile(f"attribute {where}{name} cannot be read") from None
    return np.asarray(value).reshape(())[()]


def uint_attr(obj, name, where="", required=True):
    """A non-negative integer attribute (None when absent and not required)."""
    v = _one_value(obj, where, name)
    if v is None:
        if required:
            raise BadFile(f"not a branchsim result file (no attribute {where}{name})")
        return None
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
        kind = "text" if isinstance(v, (str, bytes)) else type(v).__name__
        raise BadFile(f"attribute {where}{name} is {kind}, not an integer")
    if v < 0:
        raise BadFile(f"attribute {where}{name} is negative ({int(v)})")
    return int(v)


def text_attr(obj, name, where="", default=""):
    """A text attribute; default when absent."""
    v = _one_value(obj, where, name)
    if v is None:
        return default
    if not isinstance(v, (str, bytes)):
        raise BadFile(f"attribute {where}{name} is {type(v).__name__}, not text")
    return text(v)


def float_attr(obj, name, where=""):
    """A float attribute, or None when absent."""
    v = _one_value(obj, where, name)
    if v is None:
        return None
    if not isinstance(v, (float, int, np.floating, np.integer)) or isinstance(v, (bool, np.bool_)):
        raise BadFile(f"attribute {where}{name} is not a number")
    return float(v)


def member(parent, ppath, name, kind):
    """parent/name reached by a hard link, a group or dataset as kind says."""
    try:
        link = parent.get(name, getlink=True)
    except Exception:
        raise BadFile(f"{ppath}/{name} cannot be read") from None
    want = "group" if kind is h5py.Group else "dataset"
    if link is None:
        raise BadFile(f"no {want} {ppath}/{name}: not a branchsim result file")
    if not isinstance(link, h5py.HardLink):
        what = "an external" if isinstance(link, h5py.ExternalLink) else "a soft"
        raise BadFile(f"{ppath}/{name} is {what} link, where a result file has a {want}")
    try:
        obj = parent[name]
    except Exception:
        raise BadFile(f"{ppath}/{name} cannot be read") from None
    if not isinstance(obj, kind):
        raise BadFile(f"{ppath}/{name} is not a {want}")
    return obj


def names(group, gpath):
    try:
        return list(group.keys())
    except Exception:
        raise BadFile(f"{gpath}: its members cannot be listed") from None


def _is_scale(group, name):
    """A hard-linked dataset that is a dimension scale (a netCDF coordinate variable)."""
    try:
        if not isinstance(group.get(name, getlink=True), h5py.HardLink):
            return False
        obj = group[name]
        return isinstance(obj, h5py.Dataset) and text(obj.attrs.get("CLASS", b"")) == "DIMENSION_SCALE"
    except Exception:
        return False  # member() says what is wrong with it


def variable_names(group, gpath, keys=()):
    """The group's members less its coordinate variables (docs/output.md): its
    dimension scales (point, stat, ...), the swept keys' copies on point and
    bin_start. Files before the netCDF layout have none of them."""
    return [n for n in names(group, gpath)
            if n not in keys and n != "bin_start" and not _is_scale(group, n)]


def unit_attrs(ds, where):
    """(unit, units, long_name), escaped: the unit a reader says (reader_unit),
    the CF units and the long name (_var_attrs reads them)."""
    attrs = _var_attrs(ds, where)
    return escape(reader_unit(attrs)), escape(attrs["units"]), escape(attrs.get("long_name", ""))


def reader_unit(attrs):
    """The unit a reader says: the counted noun of a count ("customers"),
    where the CF units say "1", else the units."""
    return attrs.get("counted") or attrs["units"]


def read(ds, where, shape, allow_text=False, allow_int=False):
    """The dataset's values, checked to be numbers (or text) of exactly shape."""
    if ds.shape != tuple(shape):
        have = "a scalar" if ds.shape == () else str(ds.shape) if ds.shape is not None else "empty"
        raise BadFile(f"{where} is {have}, where n_points and replications make it {tuple(shape)}")
    kind = ds.dtype.kind
    if kind != "f" and not (allow_int and kind in "iu") and \
            not (allow_text and (kind in "SU" or h5py.check_string_dtype(ds.dtype))):
        raise BadFile(f"{where} holds {ds.dtype}, not float numbers" + (" or text" if allow_text else ""))
    need = int(np.prod(shape, dtype=object)) * max(ds.dtype.itemsize, 8)
    if need > _memory():
        raise BadFile(f"{where} would need {need / 1e9:.1f} GB, more than this machine's {_memory() / 1e9:.1f} GB")
    try:
        return ds[()]
    except Exception:
        raise BadFile(f"{where} cannot be read (a damaged file?)") from None


def _memory():
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return float("inf")


def sizes(f):
    """(n_points, replications) from the root attributes, checked."""
    n_points = uint_attr(f, "n_points")
    reps = uint_attr(f, "replications")
    if not 1 <= n_points <= POINTS_MAX:
        raise BadFile(f"attribute n_points is {n_points}: a run writes 1 to {POINTS_MAX} points")
    if reps < 1:
        raise BadFile("attribute replications is 0: a run writes at least one")
    return n_points, reps


def key_values(scenarios):
    """{swept key: [values]} of scenarios() as the scripts print them
    (numbers as floats, text escaped)."""
    return {key: [float(x) if v.dtype.kind in "fiu" else escape(x) for x in v] for key, (v, _) in scenarios.items()}


def stat_table(ds, where, n_points):
    """{column: array (n_points)} of a (n_points, n_stats) table whose attr stats names the columns."""
    if ds.shape is None or len(ds.shape) != 2 or ds.shape[0] != n_points:
        read(ds, where, (n_points, ds.shape[-1] if ds.shape else 10))  # raises, naming the shape
    cols = stat_columns(ds, where)
    data = np.asarray(read(ds, where, (n_points, len(cols))), dtype=float)
    return {c: data[:, i] for i, c in enumerate(cols)}


def stat_columns(ds, where):
    """The column names of a (n_points, n_stats) table, from its attr stats."""
    v = ds.attrs.get("stats") if "stats" in ds.attrs else None
    if v is None or not isinstance(v, np.ndarray) or v.ndim != 1 or v.size != ds.shape[-1]:
        raise BadFile(f"attribute {where} stats does not name the table's {ds.shape[-1]} columns")
    cols = [text(c) for c in v]
    for c in ("mean", "sd", "ci95_low", "ci95_high", "n"):
        if c not in cols:
            raise BadFile(f"attribute {where} stats lacks the column {c}")
    return cols


def t975(dof):
    """The 0.975 quantile of Student's t (the two-sided 95 % one), exact for
    any dof, fractional (Welch's) included: the quantile branchsim's C code
    takes from GSL for /summary and /compare. NaN for dof < 1."""
    if not dof >= 1:
        return math.nan
    return float(scipy.stats.t.ppf(0.975, dof))


def ci95(x):
    """(mean, ci95_low, ci95_high, n) of the finite values of x: Student's t
    interval mean +- t975(n - 1) sd / sqrt(n), as /summary stores it; the
    interval is NaN with fewer than two values. Every analysis script's
    interval comes from here or from the file's own /summary and /compare."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(x.mean())
    if n < 2:
        return mean, math.nan, math.nan, n
    half = t975(n - 1) * float(x.std(ddof=1)) / math.sqrt(n)
    return mean, mean - half, mean + half, n


def _var_attrs(obj, where):
    """A variable's attributes, unescaped: units (CF's, or `unit` in the files
    before it), description, and long_name and counted where present."""
    units = text_attr(obj, "units", where, default=None)
    attrs = {"units": text_attr(obj, "unit", where) if units is None else units,
             "description": text_attr(obj, "description", where)}
    for name in ("long_name", "counted"):
        value = text_attr(obj, name, where)
        if value:
            attrs[name] = value
    return attrs


def scenarios(f, n_points):
    """{swept key: (values, attrs)} from /scenarios, unescaped: integers as
    int64, numbers as float64, text as str."""
    g = member(f, "", "scenarios", h5py.Group)
    out = {}
    for key in variable_names(g, "/scenarios"):
        where = f"/scenarios/{escape(key)}"
        raw = read(member(g, "/scenarios", key, h5py.Dataset), where, (n_points,), True, True)
        if raw.dtype.kind in "iu":
            values = raw.astype(np.int64)
        elif raw.dtype.kind == "f":
            values = raw.astype(np.float64)
        else:
            values = np.array([text(x) for x in raw], dtype=object)
        out[key] = (values, _var_attrs(g[key], where + " "))
    return out


def _group(f, gpath):
    """The group at gpath (a/b), each step a hard link."""
    g, where = f, ""
    for part in gpath.split("/"):
        g = member(g, where, part, h5py.Group)
        where += "/" + escape(part)
    return g


def data_groups(f):
    """The paths of the groups of data variables (every group but /scenarios,
    subgroups included: breakdown_summary/segments), in the file's order."""
    out = []

    def walk(g, gpath):
        for name in names(g, "/" + escape(gpath)):
            path = f"{gpath}/{name}".lstrip("/")
            try:
                is_group = isinstance(g.get(name, getlink=True), h5py.HardLink) and \
                    isinstance(g.get(name), h5py.Group)
            except Exception:
                raise BadFile(f"/{escape(path)} cannot be read") from None
            if is_group and path != "scenarios":
                out.append(path)
                walk(g[name], path)
    walk(f, "")
    return out


def _listed_coordinates(g, gpath):
    """The variables a group's variables name in their CF `coordinates` attribute."""
    out = set()
    for name in names(g, gpath):
        obj = g.get(name)
        if isinstance(obj, h5py.Dataset):
            out.update(text_attr(obj, "coordinates", f"{gpath}/{escape(name)} ").split())
    return out


def _datasets_by_id(g):
    """{object id: name} of a group's datasets (hard links): a scale found by
    reference is named from here, not by h5py's slow search of the file."""
    out = {}
    for name in names(g, g.name):
        if isinstance(g.get(name, getlink=True), h5py.HardLink) and isinstance(g.get(name), h5py.Dataset):
            out[g[name].id] = name
    return out


def _scale(ds, axis, where, n, n_points, found):
    """(dim name, values, attrs) of the dimension scale attached to ds's
    axis; found caches them by object id, with the names of the datasets
    at the root and in ds's group."""
    try:
        dim = ds.dims[axis]
        sc = dim[0] if len(dim) else None
    except Exception:
        raise BadFile(f"{where}: the dimension scale of axis {axis} cannot be read") from None
    if not isinstance(sc, h5py.Dataset):
        raise BadFile(f"{where}: axis {axis} has no dimension scale")
    known = found.get(sc.id)
    if not isinstance(known, tuple):
        name = known or sc.name.rsplit("/", 1)[-1]
        swhere = escape(name)
        if name in ("point", "replication"):  # 0 .. n-1 (docs/output.md), as int64 whatever the file's type
            values = np.arange(n_points if name == "point" else n, dtype=np.int64)
        elif sc.shape is None or len(sc.shape) != 1:
            raise BadFile(f"{where}: the dimension scale {swhere} of axis {axis} is not a list")
        else:
            values = read(sc, swhere, sc.shape, allow_text=True, allow_int=True)
            if values.dtype.kind not in "fiu":
                values = np.array([text(v) for v in values], dtype=object)
        known = found[sc.id] = (name, values, _var_attrs(sc, swhere + " "))
    if len(known[1]) != n:
        raise BadFile(f"{where}: axis {axis} has {n} values, its dimension scale {escape(known[0])} {len(known[1])}")
    return known


def group_variables(f, gpath, n_points, skip=(), found=None):
    """({name: (dims, values, attrs)}, {dim: (values, attrs)}) of a group's
    data variables, checked: every axis has a dimension scale of its length,
    the first is the point; coordinate variables and `skip` are left out.
    found: the scales seen so far (_scale), shared between groups."""
    g, where_g = _group(f, gpath), "/" + escape(gpath)
    found = {} if found is None else found
    for k, v in [*_datasets_by_id(f).items(), *_datasets_by_id(g).items()]:
        found.setdefault(k, v)
    out, coords = {}, {}
    leave = _listed_coordinates(g, where_g)
    for name in variable_names(g, where_g, skip):
        if name in leave or not isinstance(g.get(name, getlink=True), h5py.HardLink) \
                or not isinstance(g.get(name), h5py.Dataset):
            continue
        ds, where = g[name], f"{where_g}/{escape(name)}"
        if ds.shape is None or len(ds.shape) < 1 or ds.shape[0] != n_points:
            raise BadFile(f"{where} is {ds.shape}, where a variable's first axis is the point ({n_points})")
        dims = []
        for axis, n in enumerate(ds.shape):
            dim, values, attrs = _scale(ds, axis, where, n, n_points, found)
            if dim in coords and not np.array_equal(coords[dim][0], values):
                raise BadFile(f"{where}: its {escape(dim)} scale differs from the group's other {escape(dim)} scale")
            coords[dim] = (values, attrs)
            dims.append(dim)
        out[name] = (tuple(dims), read(ds, where, ds.shape, allow_int=True), _var_attrs(ds, where + " "))
    aux = _auxiliary(g, where_g, leave | {"bin_start"}, set(skip) | set(coords), coords, found, n_points)
    return out, coords, aux


def _auxiliary(g, where_g, candidates, taken, coords, found, n_points):
    """{name: (dim, values, attrs)}: the group's 1-D coordinate variables
    along a dimension its variables use (bin_start, HH:MM on bin), not
    already a dimension's own or a swept key; one without a dimension scale
    is left out."""
    out = {}
    for name in sorted(candidates - taken):
        if not isinstance(g.get(name, getlink=True), h5py.HardLink) or not isinstance(g.get(name), h5py.Dataset):
            continue
        ds, where = g[name], f"{where_g}/{escape(name)}"
        if ds.shape is None or len(ds.shape) != 1:
            continue
        try:
            dim = _scale(ds, 0, where, ds.shape[0], n_points, found)[0]
        except BadFile:
            continue
        if dim in coords and dim != "point":
            values = read(ds, where, ds.shape, allow_text=True, allow_int=True)
            if values.dtype.kind not in "fiu":
                values = np.array([text(v) for v in values], dtype=object)
            out[name] = (dim, values, _var_attrs(ds, where + " "))
    return out


class Results:
    """What the analysis scripts read of one result file (layout in
    docs/output.md), checked; raises BadFile on a foreign or damaged file.

    Always: attrs (the root's text attributes, escaped; "?" when absent, and
    seed), n_points, n_reps, keys ([swept key], escaped), values ({key:
    [float, or escaped text] per point}) and scenarios ({key: (values,
    attrs)}, unescaped: integers int64, numbers float64, text str). The groups named in `groups` as
    well, and only those (a script is not refused for a group it never shows):
      replications: reps {metric: array (n_points, n_reps)}, units {metric: unit}
      summary, compare: {metric: {column: array (n_points), 'unit', 'units',
                        'long_name', 'description'}} (unit: as a reader says it,
                        "customers"; units: the CF units, "1"; see unit_attrs)
                        (compare only when the file has one; baseline its point)
      timeseries: timeseries {name: (array (n_points, n_bins), unit, description)},
                  bins (minutes after opening), bin_min

    With variables (True for every group, or a list of group paths, each
    with its subgroups), what branchsim.open and tidy build on, unescaped:
      variables {group path: {name: (dims, values, attrs)}} (attrs units,
      description, long_name where the file has one), coords {group path:
      {dim: (values, attrs)}} from the dimension scales, point as int64,
      auxiliary {group path: {name: (dim, values, attrs)}} (bin_start)."""

    TEXT_ATTRS = ("scenario_name", "scenario_file", "branchsim_version", "created", "build")

    def __init__(self, path, groups=(), variables=False):
        self.path = path
        self.reps, self.units, self.summary, self.compare, self.baseline = {}, {}, {}, {}, 0
        self.timeseries, self.bins, self.bin_min = {}, None, None
        with open_file(path) as f:
            self.attrs = {name: escape(text_attr(f, name, default="?")) for name in self.TEXT_ATTRS}
            self.attrs["scenario_yaml"] = text_attr(f, "scenario_yaml")
            self.attrs["seed"] = uint_attr(f, "seed")
            self.n_points, self.n_reps = sizes(f)
            self.attrs["replications"] = self.n_reps
            self.scenarios = scenarios(f, self.n_points)
            values = key_values(self.scenarios)
            self._raw_keys = list(self.scenarios)
            self.keys = [escape(k) for k in values]
            self.values = {escape(k): v for k, v in values.items()}
            if "replications" in groups:
                self._replications(f)
            if "summary" in groups:
                self.summary = self._table(f, "summary")
            if "compare" in groups and "compare" in f:
                self._compare(f)
            if "timeseries" in groups and "timeseries" in f:
                self._timeseries(f)
            if variables:
                self._variables(f, variables)

    def _variables(self, f, which):
        self.variables, self.coords, self.auxiliary, scales = {}, {}, {}, {}
        groups = data_groups(f)
        for w in ([] if which is True else which):
            if not any(g == w or g.startswith(w + "/") for g in groups):
                near = difflib.get_close_matches(w, groups, n=1)
                raise BadFile(f"no group /{escape(w)}" + (f" (did you mean /{escape(near[0])}?)" if near else
                                                          ": not a branchsim result file"))
        for gpath in groups:
            if which is True or any(gpath == w or gpath.startswith(w + "/") for w in which):
                got, coords, aux = group_variables(f, gpath, self.n_points, set(self.scenarios), scales)
                if got:
                    self.variables[gpath], self.coords[gpath], self.auxiliary[gpath] = got, coords, aux

    def numeric(self, key):
        return all(isinstance(x, float) for x in self.values[key])

    def _replications(self, f):
        g = member(f, "", "replications", h5py.Group)
        for name in variable_names(g, "/replications", self._raw_keys):
            ds = member(g, "/replications", name, h5py.Dataset)
            where = f"/replications/{escape(name)}"
            self.reps[name] = np.asarray(read(ds, where, (self.n_points, self.n_reps)), dtype=float)
            self.units[name] = unit_attrs(ds, where + " ")[0]

    def _table(self, f, group):
        out = {}
        g = member(f, "", group, h5py.Group)
        for name in variable_names(g, f"/{group}", self._raw_keys):
            ds = member(g, f"/{group}", name, h5py.Dataset)
            where = f"/{group}/{escape(name)}"
            entry = stat_table(ds, where, self.n_points)
            entry["unit"], entry["units"], entry["long_name"] = unit_attrs(ds, where + " ")
            entry["description"] = escape(text_attr(ds, "description", where + " "))
            out[name] = entry
        return out

    def _compare(self, f):
        self.compare = self._table(f, "compare")
        self.baseline = uint_attr(f["compare"], "baseline", "/compare ")
        if self.baseline >= self.n_points:
            raise BadFile(f"attribute /compare baseline is {self.baseline}, not a point (0 to {self.n_points - 1})")

    def _timeseries(self, f):
        g = member(f, "", "timeseries", h5py.Group)
        self.bin_min = float_attr(g, "bin_min", "/timeseries ")
        n_bins = None
        if "bin" in f:
            bins = member(f, "", "bin", h5py.Dataset)
            n_bins = bins.shape[0] if bins.shape is not None and len(bins.shape) == 1 else -1
            self.bins = np.asarray(read(bins, "/bin", (n_bins,)), dtype=float)
        for name in variable_names(g, "/timeseries", self._raw_keys):
            ds = member(g, "/timeseries", name, h5py.Dataset)
            where = f"/timeseries/{escape(name)}"
            if n_bins is None:
                n_bins = ds.shape[1] if ds.shape is not None and len(ds.shape) == 2 else -1
            data = np.asarray(read(ds, where, (self.n_points, n_bins)), dtype=float)
            self.timeseries[name] = (data, unit_attrs(ds, where + " ")[0],
                                     escape(text_attr(ds, "description", where + " ")))
            if self.bin_min is None:
                self.bin_min = float_attr(ds, "bin_min", where + " ")
        if self.bins is None and self.timeseries and self.bin_min:
            self.bins = np.arange(n_bins) * self.bin_min


def unknown(what, name, have, path):
    """An unknown metric (or key): one line naming it and the nearest name, if any."""
    near = difflib.get_close_matches(name, list(have), n=1)
    return f"no {what} {escape(name)!r} in {escape(path)}" + (f" (did you mean {escape(near[0])}?)" if near else "")


def _load_here(path, load):
    """(load(), None), or (None, one line) for a foreign or damaged file."""
    try:
        return load(), None
    except BadFile as e:
        msg = str(e)
        return None, msg if msg.startswith(escape(path)) else f"{escape(path)}: {msg}"
    except Exception as e:  # h5py and numpy raise many kinds on a damaged file
        detail = " ".join(str(e).split())[:200]
        return None, f"{escape(path)}: a damaged or foreign file ({type(e).__name__}: {escape(detail)})"


def read_limit_s(path):
    """How long reading a file may take before it counts as damaged (libhdf5
    can loop for ever on some), as in branchsim: 60 s and a second per 10 MB,
    at most a day; BRANCHSIM_READ_LIMIT_S (1 to 86400) sets another."""
    given = os.environ.get("BRANCHSIM_READ_LIMIT_S", "")
    if re.fullmatch(r"[1-9][0-9]{0,4}", given) and int(given) <= 86400:
        return int(given)
    try:
        size = os.stat(path).st_size
    except OSError:
        size = 0
    return min(int(60 + size / 10e6), 86400)


def guard(path, load):
    """load() as (result, None), or (None, one line saying what is wrong).

    libhdf5 1.10 can crash on a damaged file (it trusts some lengths in it), and
    h5py with it: the file is read in a child process, whose result comes back
    pickled, so that such a crash is a one-line refusal too, as in `branchsim
    describe`. What the C library prints as the child dies is dropped; anything
    the child wrote before a normal end is passed on."""
    if not hasattr(os, "fork"):
        return _load_here(path, load)
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:  # None: started with that descriptor closed
            stream.flush()
    log = tempfile.TemporaryFile()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 0
        try:
            os.close(r)
            os.dup2(log.fileno(), 2)
            signal.alarm(read_limit_s(path))  # libhdf5 may also loop for ever on a damaged file
            result = _load_here(path, load)
            signal.alarm(0)
            with os.fdopen(w, "wb") as out:
                out.write(pickle.dumps(result))
        except BaseException:
            code = 3
        finally:
            os._exit(code)
    os.close(w)
    with os.fdopen(r, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if not os.WIFSIGNALED(status):
        log.seek(0)
        sys.stderr.write(log.read().decode("utf-8", "replace"))
    log.close()
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGALRM:
        return None, f"{escape(path)}: a damaged file: reading it did not end in {read_limit_s(path)} s"
    if os.WIFSIGNALED(status):
        return None, f"{escape(path)}: a damaged file: libhdf5 crashed reading it (signal {os.WTERMSIG(status)})"
    if os.WEXITSTATUS(status) != 0 or not data:
        return None, f"{escape(path)}: a damaged file: reading it failed (status {os.WEXITSTATUS(status)})"
    return pickle.loads(data)


class _CheckedStdout:
    """sys.stdout that keeps the first write error instead of raising it
    mid-table (a full disk), so the script can end with one line."""

    def __init__(self, raw):
        self.raw, self.error = raw, None

    def write(self, s):
        if self.error is None:
            try:
                return self.raw.write(s)
            except OSError as e:
                self.error = e
        return len(s)

    def flush(self):
        if self.error is None:
            try:
                self.raw.flush()
            except OSError as e:
                self.error = e

    def __getattr__(self, name):
        return getattr(self.raw, name)


def hold_standard_streams():
    """Started with descriptor 0, 1 or 2 closed (`2>&-`), a file opened later
    takes it, and whatever libhdf5 or Python writes there lands in that
    file: hold each closed one on /dev/null, as branchsim does. Returns
    whether standard output was closed (sys.stdout None); a closed stderr
    or stdin becomes /dev/null, as the caller asked."""
    stdout_closed = sys.stdout is None
    while True:
        fd = os.open(os.devnull, os.O_RDWR)
        if fd > 2:
            os.close(fd)
            break
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w")
    return stdout_closed


def run_script(script, main):
    """main()'s exit status, but 1 with one line on stderr when what it
    printed did not reach standard output (closed, or a full disk), as
    branchsim itself does: a lost table is not a success."""
    if hasattr(signal, "SIGPIPE"):  # quiet under `| head`, as other filters
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if hold_standard_streams():  # print() would have dropped the table silently
        print(f"{script}: cannot write to standard output: it is closed", file=sys.stderr)
        return 1
    out = sys.stdout = _CheckedStdout(sys.stdout)
    status = main()
    out.flush()
    if out.error is not None:
        print(f"{script}: cannot write to standard output: {out.error.strerror or out.error}", file=sys.stderr)
        return status or 1
    return status
