"""make install as a careless user meets it: a PREFIX with a space is one
directory, an empty or relative PREFIX is refused."""
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BRANCHSIM = (ROOT / os.environ.get("BRANCHSIM", "build/branchsim")).resolve()


def make_install(*args):
    # -o: never rebuild the binary under test (an ASan build stays one).
    build = BRANCHSIM.parent
    return subprocess.run(["make", "-s", "-C", str(ROOT), "-o", f"{build}/branchsim", f"BUILD={build}",
                           "install", *args], capture_output=True, text=True)


def test_install_takes_a_prefix_with_a_space_as_one_directory(tmp_path):
    stray = ROOT / "space-install-test"
    r = make_install(f"DESTDIR={tmp_path}", "PREFIX=/opt/with space-install-test")
    assert r.returncode == 0, r.stderr
    prefix = tmp_path / "opt" / "with space-install-test"
    assert os.access(prefix / "bin" / "branchsim", os.X_OK)
    assert (prefix / "share" / "branchsim" / "scenarios" / "default.yaml").is_file()
    assert (prefix / "share" / "branchsim" / "analysis" / "report.py").is_file()
    assert not stray.exists() and not (tmp_path / "opt" / "with").exists()


def test_install_refuses_an_empty_or_relative_prefix(tmp_path):
    for prefix in ("", "rel"):
        r = make_install(f"DESTDIR={tmp_path}", f"PREFIX={prefix}")
        assert r.returncode != 0 and "PREFIX must be an absolute path" in r.stderr, r.stderr
    assert list(tmp_path.iterdir()) == []

