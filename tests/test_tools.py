"""tools/same_datasets.py: the check that results did not change."""
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def write(path, values, attr):
    with h5py.File(path, "w") as f:
        f["replications/served"] = np.array(values)
        f.attrs["revision"] = attr


def compare(a, b):
    return subprocess.run([sys.executable, str(ROOT / "tools" / "same_datasets.py"), str(a), str(b)],
                          capture_output=True, text=True)


def test_same_datasets_ignores_attributes_and_finds_one_changed_bit(tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    write(tmp_path / "old" / "x.h5", [1.0, 2.0], "aaa")
    write(tmp_path / "new" / "x.h5", [1.0, 2.0], "bbb")  # another build: attributes differ
    r = compare(tmp_path / "old", tmp_path / "new")
    assert r.returncode == 0 and "1 files, 1 datasets: identical" in r.stdout
    write(tmp_path / "new" / "x.h5", [1.0, np.nextafter(2.0, 3.0)], "bbb")
    r = compare(tmp_path / "old", tmp_path / "new")
    assert r.returncode == 1 and "differs: x.h5 replications/served" in r.stdout
