"""same_datasets.py OLD_DIR NEW_DIR: whether every dataset of every result file
in OLD_DIR is bitwise the same in NEW_DIR's file of that name (dtype, shape
and bytes; attributes, which record the build and the time, are left out).
Exit 0 when all are, 1 naming each that is not. Made by
tools/scenario-datasets.sh."""
import sys
from pathlib import Path

import h5py


def datasets(path):
    found = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            v = obj[()]
            raw = repr(v.tolist()) if getattr(v, "dtype", None) == object else v.tobytes()
            found[name] = (obj.dtype.str, obj.shape, raw)
    with h5py.File(path, "r") as f:
        f.visititems(visit)
    return found


def main(old_dir, new_dir):
    files = sorted(Path(old_dir).glob("*.h5"))
    if not files:
        print(f"no result files (*.h5) in {old_dir}: nothing compared")
        return 1
    same, n_sets = True, 0
    for old in files:
        if not (Path(new_dir) / old.name).is_file():
            print(f"missing: {old.name} (not in {new_dir})")
            same = False
            continue
        a, b = datasets(old), datasets(Path(new_dir) / old.name)
        n_sets += len(a)
        for name in sorted(set(a) | set(b)):
            if a.get(name) != b.get(name):
                print(f"differs: {old.name} {name}")
                same = False
    print(f"{len(files)} files, {n_sets} datasets: {'identical' if same else 'NOT identical'}")
    return 0 if same else 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: same_datasets.py OLD_DIR NEW_DIR")
    sys.exit(main(sys.argv[1], sys.argv[2]))
