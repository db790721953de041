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


def long_functions(tmp_path, text, *args):
    src = tmp_path / "x.c"
    src.write_text(text)
    return subprocess.run([sys.executable, str(ROOT / "tools" / "long_functions.py"), *args, str(src)],
                          capture_output=True, text=True)


def test_long_functions_counts_from_the_name_to_the_closing_brace(tmp_path):
    body = "".join(f"    x += {i};\n" for i in range(6))
    text = ("int declared(int a,\n             int b);\n"
            "static int\nfits(int a)\n{\n    return a;\n}\n"
            f"static int too_long(int x,\n                    int y)\n{{\n{body}    return x + y;\n}}\n")
    r = long_functions(tmp_path, text, "--max", "10")
    assert r.returncode == 1 and r.stdout.strip().endswith("x.c:8: too_long (11 lines)"), r.stdout
    assert long_functions(tmp_path, text, "--max", "11").returncode == 0
