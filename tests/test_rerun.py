"""Provenance: every result file records its command line (root attributes
command_argv, command_line and CF's history), and `branchsim rerun OUT.h5`
runs that command again and checks the new file is bitwise the old one.

Run: BRANCHSIM=build/branchsim /usr/bin/python3 -m pytest -q tests/test_rerun.py
"""
import os
import re
import shlex
import shutil
import signal
import subprocess
import time

import h5py
import numpy as np
import pytest

from conftest import branchsim_path

# One M/M/2 line over a 4-hour day: a run of a few replications takes
# milliseconds.
SMALL = """name: small
seed: 3
replications: 4
day: {hours: 4}
demand: {customers_per_day: 400}
transactions: [{service_min: {dist: exponential, mean: 1.0}}]
counters: [{role: general, count: 2}]
"""
# An argument with a space and both kinds of quote: command_argv keeps it
# as given and command_line quotes it so that a shell splits it back.
ODD_NAME = "it's \"odd\" name"


@pytest.fixture(scope="module")
def made(branchsim, tmp_path_factory):
    """A run file (the scenario in a folder with a space, --set with quotes)
    and a plan file, each made once."""
    d = tmp_path_factory.mktemp("made")
    (d / "my dir").mkdir()
    scenario = d / "my dir" / "small.yaml"
    scenario.write_text(SMALL)
    run_argv = ["run", str(scenario), "-r", "3", "-q", "--set", f"name={ODD_NAME}", "-o", str(d / "run out.h5")]
    r = branchsim(*run_argv)
    assert r.returncode == 0, r.stderr
    plan_argv = ["plan", str(scenario), "--vary", "counters.0.count", "--range", "1:4", "--target",
                 "wait_mean_min<=5", "-r", "2", "-q", "-o", str(d / "plan.h5")]
    r = branchsim(*plan_argv)
    assert r.returncode == 0, r.stdout + r.stderr
    return {"dir": d, "run": d / "run out.h5", "run_argv": run_argv, "plan": d / "plan.h5", "plan_argv": plan_argv}


@pytest.fixture
def tmpdir_env(tmp_path, monkeypatch):
    """TMPDIR for the command under test: it must be left empty."""
    t = tmp_path / "tmp"
    t.mkdir()
    monkeypatch.setenv("TMPDIR", str(t))
    return t


def n_datasets(path):
    found = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: found.append(name) if isinstance(obj, h5py.Dataset) else None)
    return len(found)


def test_the_file_records_its_command_line_and_history(made):
    for kind in ("run", "plan"):
        with h5py.File(made[kind], "r") as f:
            argv = [str(a) for a in f.attrs["command_argv"]]
            line, history, created = (str(f.attrs[k]) for k in ("command_line", "history", "created"))
        assert argv[1:] == made[f"{kind}_argv"]  # argv[0] is the binary as it was called
        assert argv[0].endswith("branchsim")
        assert shlex.split(line) == argv
        assert history == f"{created}: {line}" and "\n" not in history
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", created)


def test_a_run_file_reruns_identical_and_leaves_nothing(branchsim, made, tmpdir_env):
    before = sorted(p.name for p in made["dir"].iterdir())
    r = branchsim("rerun", made["run"])
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"identical: {n_datasets(made['run'])} datasets\n"
    assert r.stderr == ""  # same build: no warning
    assert list(tmpdir_env.iterdir()) == []
    assert sorted(p.name for p in made["dir"].iterdir()) == before  # nothing written beside OUT.h5


def test_a_plan_file_reruns_identical_on_other_threads_and_keeps_the_new_file(branchsim, made, tmpdir_env, tmp_path):
    kept = tmp_path / "new.h5"
    r = branchsim("rerun", made["plan"], "-j", "1", "--keep", kept)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"identical: {n_datasets(made['plan'])} datasets\n")
    with h5py.File(kept, "r") as new, h5py.File(made["plan"], "r") as old:
        assert new.attrs["plan_answer"] == old.attrs["plan_answer"]
        assert np.array_equal(new["summary/wait_mean_min"][()], old["summary/wait_mean_min"][()])
    assert list(tmpdir_env.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.h5", "tmp"]


def test_one_altered_byte_is_named_with_exit_1(branchsim, made, tmpdir_env, tmp_path):
    altered = tmp_path / "altered.h5"
    shutil.copy(made["run"], altered)
    with h5py.File(altered, "r+") as f:
        v = f["summary/wait_mean_min"][()]
        v.view(np.uint8)[0] ^= 1  # one bit of the first value's lowest byte
        f["summary/wait_mean_min"][...] = v
    r = branchsim("rerun", altered)
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout == "different: summary/wait_mean_min (values)\n"
    assert list(tmpdir_env.iterdir()) == []


def make_foreign(path):
    with h5py.File(path, "w") as f:
        f["x"] = [1.0]


def make_truncated(path, made):
    path.write_bytes(made["run"].read_bytes()[:4000])


def make_old(path, made):
    shutil.copy(made["run"], path)
    with h5py.File(path, "r+") as f:
        for name in ("command_argv", "command_line", "history"):
            del f.attrs[name]


def make_help(path, made):
    """A command that runs and writes nothing: its help."""
    shutil.copy(made["run"], path)
    with h5py.File(path, "r+") as f:
        f.attrs["command_argv"] = [str(a) for a in f.attrs["command_argv"]] + ["--help"]


@pytest.mark.parametrize("kind, message", [
    ("text", "not an HDF5 file, so not a branchsim result file"),
    ("help", "the command the file records wrote no result file"),
    ("foreign", "not a branchsim result file (no attribute branchsim_version)"),
    ("truncated", "a damaged HDF5 file (cut short?)"),
    ("old", "before result files recorded their command line (no attribute command_argv)"),
])
def test_a_file_rerun_cannot_use_is_exit_2_saying_why(branchsim, made, tmpdir_env, tmp_path, kind, message):
    bad = tmp_path / f"{kind}.h5"
    if kind == "text":
        bad.write_text("name: not a result\n")
    elif kind == "foreign":
        make_foreign(bad)
    elif kind == "truncated":
        make_truncated(bad, made)
    elif kind == "help":
        make_help(bad, made)
    else:
        make_old(bad, made)
    r = branchsim("rerun", bad)
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stdout == ""
    assert r.stderr.startswith(f"branchsim: {bad}: ") and message in r.stderr
    assert len(r.stderr.splitlines()) == 1
    assert list(tmpdir_env.iterdir()) == []


def test_keep_never_replaces_the_file_checked(branchsim, made, tmpdir_env):
    r = branchsim("rerun", made["run"], "--keep", made["run"])
    assert r.returncode == 2
    assert "is the file checked; rerun never replaces it" in r.stderr
    assert list(tmpdir_env.iterdir()) == []


@pytest.mark.parametrize("group", [False, True], ids=["rerun-alone", "process-group"])
def test_an_interrupted_rerun_removes_its_temporary_files(made, tmpdir_env, tmp_path, group):
    """SIGINT to rerun alone (passed on to its run) or to the whole process
    group (Ctrl-C): exit 1 and TMPDIR empty. The file's command is made
    long (-r 100000) so that the run is under way when the signal comes."""
    long_run = tmp_path / "long.h5"
    shutil.copy(made["run"], long_run)
    with h5py.File(long_run, "r+") as f:
        argv = [str(a) for a in f.attrs["command_argv"]]
        argv[argv.index("-r") + 1] = "100000"
        f.attrs["command_argv"] = argv
    p = subprocess.Popen([str(branchsim_path()), "rerun", str(long_run), "-j", "1"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while not list(tmpdir_env.glob("*/result.h5.partial")) and time.monotonic() < deadline:
        time.sleep(0.02)
    (os.killpg if group else os.kill)(p.pid, signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 1, out + err
    assert err.endswith("branchsim: rerun interrupted; its temporary files are removed\n"), err
    assert list(tmpdir_env.iterdir()) == []


@pytest.mark.parametrize("parent", [None, "other"], ids=["no-parent", "other-parent"])
def test_rerun_variables_in_a_users_environment_redirect_nothing(branchsim, made, tmp_path, monkeypatch, parent):
    """BRANCHSIM_RERUN_* left in a shell must not make a user's own run read
    another scenario or write another file: only rerun's child honours them.
    Without BRANCHSIM_RERUN_PARENT they are ignored with a warning; with it
    naming a process that is not the run's parent (an orphaned rerun child,
    a copied environment) nothing runs: exit 2."""
    other = tmp_path / "other.yaml"
    other.write_text(SMALL.replace("name: small", "name: other"))
    elsewhere = tmp_path / "elsewhere.h5"
    monkeypatch.setenv("BRANCHSIM_RERUN_SCENARIO", str(other))
    monkeypatch.setenv("BRANCHSIM_RERUN_OUTPUT", str(elsewhere))
    if parent:  # pytest's own parent: alive, and not the parent of the run pytest starts
        monkeypatch.setenv("BRANCHSIM_RERUN_PARENT", str(os.getppid()))
    mine = tmp_path / "mine.h5"
    r = branchsim("run", made["dir"] / "my dir" / "small.yaml", "-r", "1", "-q", "-o", mine)
    assert not elsewhere.exists()
    if parent:
        assert r.returncode == 2, r.stderr
        assert "BRANCHSIM_RERUN_PARENT is set, but this is not a run that branchsim rerun started" in r.stderr
        assert not mine.exists()
        mine = made["run"]
    else:
        assert r.returncode == 0, r.stderr
        with h5py.File(mine, "r") as f:
            assert str(f.attrs["scenario_name"]) == "small"
        assert "warning: ignoring BRANCHSIM_RERUN_SCENARIO" in r.stderr
    r = branchsim("rerun", mine)  # rerun itself overrides them for its child
    assert r.returncode == 0 and r.stdout.startswith("identical: "), r.stdout + r.stderr
    assert not elsewhere.exists()
