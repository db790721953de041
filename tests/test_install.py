"""make install, make report and tools/deps.sh as a careless user meets them: a PREFIX
with a space is one directory, an empty or relative PREFIX is refused, and
deps.sh --install does not report success while something is still missing."""
import os
import stat
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


def test_deps_install_fails_when_the_install_did_not_help(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    for name in ("apt-get", "sudo"):  # sudo: when the tests do not run as root
        (fake / name).write_text("#!/bin/sh\n[ \"$(basename \"$0\")\" = sudo ] && exec \"$@\"\nexit 0\n")
        (fake / name).chmod(stat.S_IRWXU)
    env = dict(os.environ, PATH=f"{fake}:{os.environ['PATH']}", PKG_CONFIG="false")
    r = subprocess.run([str(ROOT / "tools" / "deps.sh"), "--install"], capture_output=True, text=True, env=env)
    assert r.returncode == 1 and "still missing after apt-get install" in r.stderr, r.stderr


def test_make_report_takes_names_with_spaces(tmp_path):
    out = tmp_path / "my results.h5"
    r = subprocess.run([str(BRANCHSIM), "run", str(ROOT / "scenarios" / "mmc.yaml"), "-r", "2", "-q", "-o", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(["make", "-s", "-C", str(ROOT), f"OUT={out}", f"DIR={tmp_path / 'my report'}", "report"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "my report" / "report.md").is_file()


def test_a_plain_make_checks_dependencies_and_installs_nothing(tmp_path):
    """make only builds: with a library missing it says what is missing and
    how to install it, and never runs apt-get (make run and make deps do)."""
    fake = tmp_path / "bin"
    fake.mkdir()
    called = tmp_path / "apt-get-called"
    for name in ("apt-get", "sudo"):
        (fake / name).write_text(f"#!/bin/sh\ntouch {called}\nexit 0\n")
        (fake / name).chmod(stat.S_IRWXU)
    env = dict(os.environ, PATH=f"{fake}:{os.environ['PATH']}", PKG_CONFIG="false")
    r = subprocess.run(["make", "-s", "-C", str(ROOT), f"BUILD={tmp_path / 'build'}"], capture_output=True,
                       text=True, env=env)
    assert r.returncode != 0
    assert "missing: gsl" in r.stderr and "make deps or make run installs them" in r.stderr, r.stderr
    assert not called.exists()
    assert not (tmp_path / "build" / "branchsim").exists()
