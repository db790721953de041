"""The cluster build (make mpi): any number of MPI ranks and threads gives
datasets bitwise identical to the one-process run; rank 0 alone speaks;
SIGTERM (what SLURM sends at a time limit) leaves only OUT.h5.partial, and
--resume with any number of ranks, or the one-process build, completes it
to the same datasets.

Run by `make test-mpi`, which sets BRANCHSIM (the one-process build),
BRANCHSIM_MPI (build/branchsim-mpi) and MPIRUN."""
import os
import signal
import subprocess
import time
from pathlib import Path

import h5py
import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
MPI_BIN = os.environ.get("BRANCHSIM_MPI")
if not MPI_BIN:
    pytest.skip("BRANCHSIM_MPI is not set (make test-mpi sets it)", allow_module_level=True)
MPI_BIN = str((ROOT / MPI_BIN).resolve())
SERIAL_BIN = str((ROOT / os.environ.get("BRANCHSIM", "build/branchsim")).resolve())
MPIRUN = os.environ.get("MPIRUN", "mpirun")
SWEEP = ROOT / "scenarios" / "counters-sweep.yaml"
DEFAULT = ROOT / "scenarios" / "default.yaml"
# CI runs as root; --bind-to none lets each rank's OpenMP threads use every
# core; 3 ranks on 2 cores need oversubscription; containers often forbid
# the cross-memory attach OpenMPI's shared-memory transport tries first.
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1", OMPI_MCA_btl_vader_single_copy_mechanism="none")


def mpirun_args(ranks, *args):
    return [MPIRUN, "-np", str(ranks), "--bind-to", "none", MPI_BIN, *map(str, args)]


def mpirun(ranks, *args, cwd=None):
    return subprocess.run(mpirun_args(ranks, *args), capture_output=True, text=True, cwd=cwd, env=ENV, timeout=300)


def serial(*args, cwd=None):
    return subprocess.run([SERIAL_BIN, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300)


# Attributes that say when, with which build and by which command a file was
# made: they differ between the serial and the MPI run by design.
UNCOMPARED_ATTRS = ("created", "build", "command_argv", "command_line", "history")


def datasets(path):
    """Every dataset: dtype, shape and raw bytes; root attributes but the
    creation time, the build line and the command that made the file."""
    found = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                a = obj[()]  # text (variable-length strings) by value, numbers by bytes
                found[name] = (a.dtype.str, a.shape, a.tolist() if a.dtype.kind == "O" else a.tobytes())
        f.visititems(visit)
        root = {k: str(v) for k, v in f.attrs.items() if k not in UNCOMPARED_ATTRS}
    return root, found


GROUPS = ("replications/", "summary/", "compare/", "segments/", "roles/", "timeseries/")


def assert_same_datasets(a, b, groups=GROUPS):
    root_a, ds_a = datasets(a)
    root_b, ds_b = datasets(b)
    assert root_a == root_b
    assert sorted(ds_a) == sorted(ds_b)
    for group in groups:
        assert any(n.startswith(group) for n in ds_a), f"no datasets under /{group}"
    differing = [n for n in ds_a if ds_a[n] != ds_b[n]]
    assert not differing, f"datasets differ: {differing[:5]}"


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The one-process run of a 4-point sweep; 45 replications, so the last
    block of each point is short."""
    d = tmp_path_factory.mktemp("mpi")
    out = d / "serial.h5"
    r = serial("run", SWEEP, "-r", 45, "-j", 2, "-q", "-o", out)
    assert r.returncode == 0, r.stderr
    return out


@pytest.mark.parametrize("ranks, threads", [(1, 2), (2, 1), (2, 2), (3, 1)])
def test_ranks_and_threads_give_the_serial_datasets(reference, tmp_path, ranks, threads):
    out = tmp_path / "mpi.h5"
    r = mpirun(ranks, "run", SWEEP, "-r", 45, "-j", threads, "-q", "-o", out, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "" and r.stderr == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mpi.h5"]
    assert_same_datasets(reference, out, GROUPS + ("scenarios/",))


def test_more_ranks_than_points_and_blocks(tmp_path):
    """One point of 8 replications (one block) over 3 ranks: two ranks run
    nothing and write nothing but metadata."""
    ref, out = tmp_path / "one.h5", tmp_path / "three.h5"
    assert serial("run", DEFAULT, "-r", 8, "-q", "-o", ref).returncode == 0
    r = mpirun(3, "run", DEFAULT, "-r", 8, "-q", "-o", out, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert_same_datasets(ref, out)


def test_large_sweep_compressed_and_in_several_broadcasts(tmp_path):
    """70 points x 1000 replications: 8750 blocks, 4375 per rank of 2, more
    than one broadcast carries (4096 blocks); and 70 000 values per metric,
    so the datasets are compressed, in chunks of 65 points that both ranks'
    rows share (parallel HDF5's collective filtered writes)."""
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text("day: {hours: 1}\ndemand: {customers_per_day: 3}\ntransactions: [{service_min: 2}]\n"
                        "counters: [{count: 1}]\nsweep:\n  demand.customers_per_day: ["
                        + ", ".join(str(v) for v in range(1, 71)) + "]\n")
    ref, out = tmp_path / "one.h5", tmp_path / "two.h5"
    assert serial("run", scenario, "-r", 1000, "-q", "-o", ref).returncode == 0
    r = mpirun(2, "run", scenario, "-r", 1000, "-j", 1, "-q", "-o", out, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    with h5py.File(out, "r") as f:
        d = f["replications/served"]
        assert d.compression == "gzip" and d.chunks[0] > 35, "both ranks write into one chunk"
    assert_same_datasets(ref, out, ("replications/", "summary/", "compare/", "scenarios/"))


def test_rank_zero_alone_prints(tmp_path):
    out = tmp_path / "s.h5"
    r = mpirun(2, "run", SWEEP, "-r", 16, "-o", out, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count(f"wrote {out}") == 1
    assert r.stdout.count("counters.0.count") >= 1
    assert r.stderr.count("2 ranks simulated for") == 1, r.stderr
    v = mpirun(2, "--version")
    assert v.returncode == 0 and v.stdout.count("branchsim") == 1 and "MPI" in v.stdout


def test_bad_input_exits_2_once_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("day: {hours: 8}\ndemand: {customers_per_day: -5}\ntransactions: [{service_min: 2}]\n"
                   "counters: [{count: 2}]\n")
    r = mpirun(2, "run", bad, "-o", tmp_path / "out.h5", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.count(f"{bad}:2:") == 1, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_one_process_build_under_mpirun_is_refused(tmp_path):
    """Copies of the one-process build would each run everything and race
    for one output file."""
    r = subprocess.run([MPIRUN, "-np", "2", "--bind-to", "none", SERIAL_BIN, "run", str(SWEEP), "-r", "8", "-o",
                        str(tmp_path / "x.h5")], capture_output=True, text=True, cwd=tmp_path, env=ENV, timeout=120)
    assert r.returncode == 2
    assert "this is the one-process build: run branchsim-mpi" in r.stderr
    assert list(tmp_path.iterdir()) == []


def rank_pids(launcher):
    """The rank processes mpirun started (its children running branchsim-mpi)."""
    pids = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
            cmdline = (status.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(launcher.pid) and MPI_BIN.encode() in cmdline:
            pids.append(int(status.parent.name))
    return pids


def start_and_signal(tmp_path, out, ranks, at_percent, sig=signal.SIGTERM):
    """Starts a long run and, once rank 0 reports at_percent of its share
    done (its progress lines on stderr), sends sig to every rank, as
    slurmstepd does at a time limit. Progress, not a clock, decides: on a
    loaded machine the signal still comes mid-run."""
    proc = subprocess.Popen(mpirun_args(ranks, "run", DEFAULT, "-r", 20000, "-j", 1, "-o", out),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV, cwd=tmp_path)
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if f"branchsim: {at_percent} %" in line:
            break
    else:
        pytest.fail("the run ended before reaching %d %%: %s" % (at_percent, "".join(seen)))
    pids = rank_pids(proc)
    assert len(pids) == ranks, "the ranks were not found"
    for pid in pids:
        os.kill(pid, sig)
    rest = proc.stderr.read()
    proc.wait(timeout=240)
    return proc.returncode, rest


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    """The uninterrupted one-process run."""
    out = tmp_path_factory.mktemp("whole") / "whole.h5"
    r = serial("run", DEFAULT, "-r", 20000, "-q", "-o", out)
    assert r.returncode == 0, r.stderr
    return out


def done_blocks(partial):
    with h5py.File(partial, "r") as f:
        done = f["done"][()].ravel()
        return int(done.sum()), done.size


@pytest.mark.parametrize("at_percent, resume_with", [(10, "mpi3"), (40, "serial"), (70, "mpi2")])
def test_sigterm_then_resume_gives_the_uninterrupted_datasets(tmp_path, whole, at_percent, resume_with):
    """SIGTERM early, midway and late in the run, resumed with other
    numbers of ranks."""
    out = tmp_path / "a.h5"
    rc, err = start_and_signal(tmp_path, out, 2, at_percent)
    assert rc != 0, err
    assert err.count("--resume") == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.h5.partial"], "never an OUT.h5 after an interruption"
    done, total = done_blocks(tmp_path / "a.h5.partial")
    assert 0 < done < total, "the signal came mid-run with finished blocks kept"
    if resume_with == "serial":
        r = serial("run", DEFAULT, "-r", 20000, "-q", "-o", out, "--resume", cwd=tmp_path)
    else:
        r = mpirun(int(resume_with[-1]), "run", DEFAULT, "-r", 20000, "-q", "-o", out, "--resume", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.h5"]
    assert_same_datasets(whole, out)


def test_resume_with_another_seed_is_refused_on_every_rank(tmp_path):
    out = tmp_path / "a.h5"
    rc, _ = start_and_signal(tmp_path, out, 2, 10)
    assert rc != 0
    r = mpirun(2, "run", DEFAULT, "-r", 20000, "-s", 5, "-q", "-o", out, "--resume", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count("belongs to another run") == 1, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.h5.partial"]


def test_sigkill_then_resume_continues_from_the_last_write(tmp_path, whole):
    """SIGKILL gives no chance to clean up: the checkpoint holds what was
    written before it, and --resume completes the same datasets."""
    out = tmp_path / "a.h5"
    rc, _ = start_and_signal(tmp_path, out, 2, 30, signal.SIGKILL)
    assert rc != 0
    assert not out.exists()
    done, total = done_blocks(tmp_path / "a.h5.partial")
    assert done < total
    r = mpirun(2, "run", DEFAULT, "-r", 20000, "-q", "-o", out, "--resume", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert_same_datasets(whole, out)


def test_a_scenario_one_rank_cannot_read_stops_every_rank(tmp_path):
    """mpirun gives stdin to rank 0 alone: rank 1 cannot read the scenario.
    It used to return alone while rank 0 waited in the checkpoint's
    collective create for ever; the ranks now agree after loading."""
    scenario = (ROOT / "scenarios" / "mmc.yaml").read_text()
    r = subprocess.run(mpirun_args(2, "run", "/dev/stdin", "-r", 8, "-q", "-o", tmp_path / "x.h5"), input=scenario,
                       capture_output=True, text=True, cwd=tmp_path, env=ENV, timeout=120)
    assert r.returncode == 2, r.stderr
    assert "branchsim (rank 1): /dev/stdin:1:1: scenario: " in r.stderr, r.stderr
    assert "the scenario could not be loaded on another rank" in r.stderr, r.stderr
    assert list(tmp_path.iterdir()) == []
