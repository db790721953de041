"""The files a run creates, replaces and removes (OUT.h5, OUT.h5.partial-PID,
the checkpoint OUT.h5.partial) against hostile paths, planted links, special
files, a full disk, damaged checkpoints, killed runs and concurrent runs.
Tests that need root (device nodes, tmpfs mounts) skip cleanly without it."""
import os
import signal
import stat
import subprocess
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
BRANCHSIM = str((ROOT / os.environ.get("BRANCHSIM", "build/branchsim")).resolve())
DEFAULT = ROOT / "scenarios" / "default.yaml"
SMALL = """name: small
seed: 11
replications: 20
day: {open: "09:00", hours: 6}
demand: {customers_per_day: 150}
transactions:
  - {name: cash, share: 1, service_min: {dist: exponential, mean: 4}}
counters: [{role: general, count: 2}]
"""


def run(*args, cwd=None, timeout=300):
    return subprocess.run([BRANCHSIM, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=timeout)


def small(tmp_path):
    p = tmp_path / "small.yaml"
    p.write_text(SMALL)
    return p


def names(d):
    return sorted(p.name for p in Path(d).iterdir())


def datasets(path):
    found = {}
    with h5py.File(path) as f:
        f.visititems(lambda n, o: found.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
    return found


def assert_same_file(a, b):
    x, y = datasets(a), datasets(b)
    assert x.keys() == y.keys()
    for n in x:
        assert (x[n].tolist() == y[n].tolist()) if x[n].dtype == object else x[n].tobytes() == y[n].tobytes(), n


def dead_pid():
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def interrupt_at_first_tenth(out, scenario=DEFAULT, reps=4000):
    """Runs on one thread and sends SIGTERM at its first 10 % line: the run
    stops after a wave, with some blocks done and most not."""
    proc = subprocess.Popen([BRANCHSIM, "run", str(scenario), "-r", str(reps), "-j", "1", "-o", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if "%" in line:
            proc.send_signal(signal.SIGTERM)
            break
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 1, err
    return err


def root_only():
    if os.geteuid() != 0:
        pytest.skip("needs root")


# ---- the output path ----------------------------------------------------------

def special_files(tmp_path):
    fifo = tmp_path / "fifo.h5"
    os.mkfifo(fifo)
    made = {"fifo": fifo}
    if os.geteuid() == 0:
        dev = tmp_path / "null.h5"
        os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        made["device"] = dev
    target = tmp_path / "target.h5"
    target.write_bytes(b"the link's target")
    link = tmp_path / "link.h5"
    link.symlink_to(target)
    made["symlink"] = link
    return made


def test_output_onto_a_special_file_or_link_is_refused_before_running(tmp_path):
    """-o onto a device node, a FIFO or a symbolic link: exit 2 at once,
    the node, the link and its target unchanged, nothing else written."""
    scenario = small(tmp_path)
    for kind, path in special_files(tmp_path).items():
        before = names(tmp_path)
        mode = os.lstat(path).st_mode
        r = run("run", scenario, "-q", "-o", path, timeout=30)
        assert r.returncode == 2, (kind, r.stderr)
        assert str(path) in r.stderr and ("not a regular file" in r.stderr or "symbolic link" in r.stderr), r.stderr
        assert os.lstat(path).st_mode == mode, kind
        assert names(tmp_path) == before, kind
    assert (tmp_path / "target.h5").read_bytes() == b"the link's target"


@pytest.mark.parametrize("make_out, says", [
    (lambda d: "", "empty file name"),
    (lambda d: d / ("x" * 240 + ".h5"), "too long"),
    (lambda d: d.joinpath(*["d" * 200] * 5, "o.h5"), "too long"),
    (lambda d: d / "small.yaml", "scenario file itself"),
    (lambda d: d / "o.h5.partial", ".partial"),
    (lambda d: d / "o.h5.partial-123", ".partial"),
])
def test_bad_output_paths_are_refused_before_the_simulation(tmp_path, make_out, says):
    """Checked before anything runs: 200 000 days of the scenario would
    take far longer than the time allowed here."""
    scenario = small(tmp_path)
    r = run("run", scenario, "-r", 200000, "-q", "-o", make_out(tmp_path), cwd=tmp_path, timeout=30)
    assert r.returncode == 2, r.stderr
    assert says in r.stderr, r.stderr
    assert names(tmp_path) == ["small.yaml"] and scenario.read_text() == SMALL
