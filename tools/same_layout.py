"""same_layout.py OLD_DIR NEW_DIR: proves that a change of the result file's
layout moved no simulated number. For every result file of OLD_DIR (made by
tools/scenario-datasets.sh with the build before the change) and NEW_DIR's
file of that name (the build after it), each old dataset must be in the new
file either
  - at the same path with the same dtype, shape and bytes ("same bytes"),
  - at the same path with the same text, whatever the string type (a
    fixed-length string written as a variable-length one: "same text"), or
  - when it was a 1-D dataset at the root (a dimension scale the new layout
    gives each group as a coordinate), as every new dataset of that name in
    a group holding the same values, by number (an index stored as int64
    rather than float64) or by text ("same values"), or the same values plus
    one constant ("same values + C", a time axis counted from another
    origin);
every new dataset not so accounted for is listed as added. Prints one line
per kind over all files; exit 0 when every old dataset is accounted for, 1
naming each that is not."""
import sys
from collections import defaultdict
from pathlib import Path

import h5py
import numpy as np


def _read(obj):
    v = obj[()]
    if obj.dtype.kind in "SOU":
        return "text", [x.decode() if isinstance(x, bytes) else str(x) for x in np.ravel(v)]
    return "number", v


def datasets(path):
    found = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            found[name] = obj
    f = h5py.File(path, "r")
    f.visititems(visit)
    return f, found


def _same_values(old, new):
    """'' when equal, '+C' when equal up to a constant, None otherwise."""
    (ka, a), (kb, b) = _read(old), _read(new)
    if ka != kb or old.shape != new.shape:
        return None
    if ka == "text":
        return "" if a == b else None
    if np.array_equal(a, b):
        return ""
    shift = b - a
    if a.size and np.all(shift == shift.flat[0]):
        return f" + {shift.flat[0]:g}"
    return None


def _account(name, old, new_sets, used):
    """The kind under which old is found in the new file, or None."""
    new = new_sets.get(name)
    if new is not None:
        used.add(name)
        if old.dtype == new.dtype and old.shape == new.shape and old[()].tobytes() == new[()].tobytes() \
                and old.dtype.kind not in "O":
            return "same bytes"
        if old.dtype.kind in "SO" and new.dtype.kind in "SO" and _read(old) == _read(new):
            def kind(d):
                info = h5py.check_string_dtype(d)
                return "fixed-length" if info and info.length else "variable-length"
            return f"same text ({kind(old.dtype)} -> {kind(new.dtype)} string)"
        return None
    if "/" in name or old.ndim != 1:
        return None
    copies = [n for n in new_sets if n.rsplit("/", 1)[-1] == name]
    shifts = {_same_values(old, new_sets[n]) for n in copies}
    if not copies or None in shifts or len(shifts) != 1:
        return None
    used.update(copies)
    new = new_sets[copies[0]]
    if old.dtype.kind in "SO":
        return f"same text{shifts.pop()}, moved into each group"
    return f"same values{shifts.pop()} ({old.dtype} -> {new.dtype}), moved into each group"


def main(old_dir, new_dir):
    files = sorted(Path(old_dir).glob("*.h5"))
    if not files:
        print(f"no result files (*.h5) in {old_dir}: nothing compared")
        return 1
    kinds, added, bad = defaultdict(set), defaultdict(int), []
    for old_path in files:
        new_path = Path(new_dir) / old_path.name
        if not new_path.is_file():
            bad.append(f"missing: {old_path.name} (not in {new_dir})")
            continue
        fa, a = datasets(old_path)
        fb, b = datasets(new_path)
        used = set()
        for name in sorted(a):
            kind = _account(name, a[name], b, used)
            if kind is None:
                bad.append(f"differs: {old_path.name} {name}")
            else:
                kinds[kind].add(name if kind != "same bytes" else "*")
                kinds[kind + " #"].add(f"{old_path.name}/{name}")
        for name in set(b) - used:
            added[name.rsplit("/", 1)[-1] if "/" in name else name] += 1
        fa.close()
        fb.close()
    for kind in sorted(k for k in kinds if not k.endswith(" #")):
        n = len(kinds[kind + " #"])
        names = "" if kind == "same bytes" else ": " + ", ".join(sorted(kinds[kind]))
        print(f"{kind}: {n} datasets{names}")
    if added:
        print(f"added: {sum(added.values())} datasets: " + ", ".join(f"{k} ({v})" for k, v in sorted(added.items())))
    for line in bad:
        print(line)
    print(f"{len(files)} files: {'every old dataset accounted for' if not bad else 'NOT all accounted for'}")
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: same_layout.py OLD_DIR NEW_DIR")
    sys.exit(main(sys.argv[1], sys.argv[2]))
