"""Every dataset of every shipped scenario and bench scenario (the sweeps
included) is bitwise what tests/data/dataset-digests.txt records: results
do not change unless an issue says so. tools/scenario-datasets.sh runs them
small and fixed; tools/dataset_digests.py hashes name, dtype, shape and
bytes of each dataset, leaving out the attributes that record the build."""
import subprocess
import sys
from pathlib import Path

from conftest import branchsim_path

ROOT = Path(__file__).resolve().parent.parent


def test_every_shipped_dataset_is_bitwise_as_recorded(tmp_path):
    subprocess.run([str(ROOT / "tools" / "scenario-datasets.sh"), str(branchsim_path()), str(tmp_path)], check=True)
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "dataset_digests.py"), str(tmp_path),
                        "--check", str(ROOT / "tests" / "data" / "dataset-digests.txt")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "20 files" in r.stdout and "identical" in r.stdout


def test_the_digest_check_names_a_file_whose_dataset_moved(tmp_path):
    import h5py
    import numpy as np
    record = tmp_path / "record.txt"
    for bump in (False, True):
        with h5py.File(tmp_path / "x.h5", "w") as f:
            f["summary/wait_mean_min"] = np.array([1.0, np.nextafter(2.0, 3.0) if bump else 2.0])
        args = ["--check" if bump else "--write", str(record)]
        r = subprocess.run([sys.executable, str(ROOT / "tools" / "dataset_digests.py"), str(tmp_path), *args],
                           capture_output=True, text=True)
    assert r.returncode == 1 and "differs: x.h5" in r.stdout
