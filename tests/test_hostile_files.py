"""The files a run creates, replaces and removes (OUT.h5, OUT.h5.partial-PID,
the checkpoint OUT.h5.partial) against hostile paths, planted links, special
files, a full disk, damaged checkpoints, killed runs and concurrent runs.
Tests that need root (device nodes, tmpfs mounts) skip cleanly without it."""
import os
import shutil
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


def test_planted_links_at_the_temporary_and_checkpoint_names_are_not_followed(tmp_path):
    """A symbolic link at OUT.h5.partial (the checkpoint) or at
    OUT.h5.partial-PID (the run's temporary file, planted by a shell that
    then becomes the run, keeping its PID) never has its target written."""
    scenario = small(tmp_path)
    victim = tmp_path / "victim"
    victim.write_text("precious")
    out = tmp_path / "o.h5"
    (tmp_path / "o.h5.partial").symlink_to(victim)
    for args in ([], ["--resume"]):
        r = run("run", scenario, "-q", "-o", out, *args)
        assert r.returncode == 2 and "symbolic link" in r.stderr, r.stderr
    (tmp_path / "o.h5.partial").unlink()
    (tmp_path / "o.h5.partial").symlink_to(tmp_path / "new-victim")  # dangling: would be created
    r = run("run", scenario, "-q", "-o", out)
    assert r.returncode == 2 and "symbolic link" in r.stderr, r.stderr
    assert not (tmp_path / "new-victim").exists()
    (tmp_path / "o.h5.partial").unlink()
    shell = f'ln -s {victim} {out}.partial-$$ && exec {BRANCHSIM} run {scenario} -q -o {out}'
    r = subprocess.run(["sh", "-c", shell], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "partial-" in r.stderr, r.stderr
    assert victim.read_text() == "precious"
    # A hard link to the victim at that name is only a name: replaced, the victim kept.
    for p in tmp_path.glob("o.h5.partial-*"):
        p.unlink()
    shell = f'ln {victim} {out}.partial-$$ && exec {BRANCHSIM} run {scenario} -q -o {out}'
    r = subprocess.run(["sh", "-c", shell], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert victim.read_text() == "precious"
    assert names(tmp_path) == ["o.h5", "small.yaml", "victim"]


def test_a_symlinked_or_hard_linked_checkpoint_is_not_resumed(tmp_path):
    out = tmp_path / "a.h5"
    interrupt_at_first_tenth(out)
    partial = tmp_path / "a.h5.partial"
    os.link(partial, tmp_path / "copy")
    r = run("run", DEFAULT, "-r", 4000, "-q", "-o", out, "--resume")
    assert r.returncode == 2 and "hard links" in r.stderr, r.stderr
    os.unlink(tmp_path / "copy")
    partial.rename(tmp_path / "real")
    partial.symlink_to(tmp_path / "real")
    r = run("run", DEFAULT, "-r", 4000, "-q", "-o", out, "--resume")
    assert r.returncode == 2 and "symbolic link" in r.stderr, r.stderr
    assert sorted(names(tmp_path)) == ["a.h5.partial", "real"]


# ---- killed runs ----------------------------------------------------------------

def test_stale_temporary_files_of_dead_runs_are_removed(tmp_path):
    """Only regular files named exactly OUT.h5.partial-DIGITS whose PID is
    not alive: the others (a live PID, a link, another name) stay."""
    scenario = small(tmp_path)
    dead = dead_pid()
    (tmp_path / f"o.h5.partial-{dead}").write_bytes(b"killed while writing")
    (tmp_path / f"o.h5.partial-{os.getpid()}").write_bytes(b"a live run's")
    (tmp_path / "o.h5.partial-12x").write_bytes(b"not ours")
    (tmp_path / f"other.h5.partial-{dead}").write_bytes(b"another output's")
    (tmp_path / "victim").write_text("precious")
    (tmp_path / f"o.h5.partial-{dead_pid()}").symlink_to(tmp_path / "victim")
    links = [p.name for p in tmp_path.iterdir() if p.is_symlink()]
    r = run("run", scenario, "-o", tmp_path / "o.h5")
    assert r.returncode == 0, r.stderr
    assert f"removed {tmp_path}/o.h5.partial-{dead}" in r.stderr and f"PID {dead}" in r.stderr
    assert names(tmp_path) == sorted(["o.h5", f"o.h5.partial-{os.getpid()}", "o.h5.partial-12x",
                                      f"other.h5.partial-{dead}", "small.yaml", "victim", *links])
    assert (tmp_path / "victim").read_text() == "precious"


NO_LOCKS_C = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
/* A file system without working locks (NFS without lockd, Lustre without
 * flock): every lock request fails with ENOLCK; other calls go through. */
static int no_locks(int cmd)
{
    return cmd == F_SETLK || cmd == F_SETLKW || cmd == F_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW ||
           cmd == F_OFD_GETLK;
}
static int pass(const char *name, int fd, int cmd, void *arg)
{
    if (no_locks(cmd)) {
        errno = ENOLCK;
        return -1;
    }
    int (*real)(int, int, ...) = (int (*)(int, int, ...))dlsym(RTLD_NEXT, name);
    return real(fd, cmd, arg);
}
int fcntl(int fd, int cmd, ...);
int fcntl64(int fd, int cmd, ...);
int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return pass("fcntl", fd, cmd, arg);
}
int fcntl64(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return pass("fcntl64", fd, cmd, arg);
}
"""


def test_without_working_locks_a_run_says_so_and_removes_nothing(tmp_path):
    """Where locks fail (ENOLCK), a leftover OUT.h5.partial-PID may be a
    live run's on another node, whose PID means nothing here: it was
    removed as stale. Now the run warns that a second run would not be
    noticed and leaves such files alone."""
    src = tmp_path / "nolocks.c"
    src.write_text(NO_LOCKS_C)
    lib = tmp_path / "nolocks.so"
    cc = subprocess.run(["cc", "-shared", "-fPIC", "-o", lib, src, "-ldl"], capture_output=True, text=True)
    if cc.returncode != 0:
        pytest.skip("no C compiler for the lock shim: " + cc.stderr)
    scenario = small(tmp_path)
    dead = dead_pid()
    (tmp_path / f"o.h5.partial-{dead}").write_bytes(b"another node's live run")
    env = dict(os.environ, LD_PRELOAD=str(lib), ASAN_OPTIONS="verify_asan_link_order=0")
    r = subprocess.run([BRANCHSIM, "run", scenario, "-o", tmp_path / "o.h5"], capture_output=True, text=True,
                       env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert f"o.h5.partial: cannot lock it (No locks available): a second run of this output would not be noticed" \
        in r.stderr, r.stderr
    assert "removed" not in r.stderr
    assert (tmp_path / f"o.h5.partial-{dead}").read_bytes() == b"another node's live run"
    assert (tmp_path / "o.h5").exists()


# ---- runs at the same time, damaged checkpoints ----------------------------------

def test_a_live_runs_checkpoint_is_neither_resumed_nor_replaced(tmp_path):
    """While a run holds OUT.h5.partial (locked), a second run to the same -o,
    with or without --resume, is told so (exit 2) and changes nothing; once
    the first is interrupted, --resume finishes it."""
    out = tmp_path / "a.h5"
    first = subprocess.Popen([BRANCHSIM, "run", str(DEFAULT), "-r", "50000", "-j", "1", "-o", str(out)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for line in first.stderr:
            if "%" in line:
                break
        for args in ([], ["--resume"]):
            r = run("run", DEFAULT, "-r", 50000, "-q", "-o", out, *args, timeout=60)
            assert r.returncode == 2, r.stderr
            assert "another run that is still going holds this checkpoint" in r.stderr, r.stderr
            assert "--resume" not in r.stderr.split("holds")[1]
        r = run("run", DEFAULT, "-q", "-o", tmp_path / "a.h5.partial", timeout=60)
        assert r.returncode == 2, r.stderr
        assert first.poll() is None, "the first run goes on"
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=120)
    assert first.returncode == 1
    assert names(tmp_path) == ["a.h5.partial"]


def flip_byte(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x10]))


def test_damaged_blocks_of_a_checkpoint_are_run_again(tmp_path):
    """A flipped byte in a done block's values, and a done flag over a block
    never written (zeros): each is named and simulated again, and the result
    is bitwise identical to an uninterrupted run."""
    out = tmp_path / "a.h5"
    interrupt_at_first_tenth(out)
    partial = tmp_path / "a.h5.partial"
    with h5py.File(partial, "r") as f:
        done = f["done"][:, 0]
        width = f["values"].shape[1]
        values_at = f["values"].id.get_offset()
        done_at = f["done"].id.get_offset()
    first_done, first_not = int(np.flatnonzero(done)[0]), int(np.flatnonzero(done == 0)[0])
    flip_byte(partial, values_at + (first_done * 8 * width + 3) * 8 + 6)
    with open(partial, "r+b") as f:
        f.seek(done_at + first_not)
        f.write(b"\x01")
    r = run("run", DEFAULT, "-r", 4000, "-j", 1, "-q", "-o", out, "--resume")
    assert r.returncode == 0, r.stderr
    assert f"block {first_done} " in r.stderr and f"block {first_not} " in r.stderr, r.stderr
    assert r.stderr.count("does not match its checksum") == 2, r.stderr
    whole = tmp_path / "whole.h5"
    assert run("run", DEFAULT, "-r", 4000, "-j", 1, "-q", "-o", whole).returncode == 0
    assert_same_file(out, whole)
    assert names(tmp_path) == ["a.h5", "whole.h5"]


def test_damaged_pooled_counts_fall_back_to_the_write_before(tmp_path):
    """The pooled counts of a point are summed over its blocks, so the
    checkpoint keeps the last two writes of them. A flipped byte in the
    newest: the one before is taken, the done blocks it does not hold are
    named and simulated again, and the result is bitwise identical."""
    out = tmp_path / "a.h5"
    proc = subprocess.Popen([BRANCHSIM, "run", str(DEFAULT), "-r", "4000", "-j", "1", "-o", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if "30 %" in line:
            proc.send_signal(signal.SIGTERM)
            break
    proc.stderr.read()
    assert proc.wait(timeout=120) == 1
    partial = tmp_path / "a.h5.partial"
    with h5py.File(partial, "r") as f:
        meta, held = f["pooled_meta"][()], f["pooled_blocks"][()]
        done = int(f["done"][:, 0].sum())
        newest = int(np.argmax(meta[:, 0]))
        assert meta[newest, 0] >= 2 and meta[1 - newest, 0] == meta[newest, 0] - 1, meta
        assert int(held[newest].sum()) == done
        before = int(held[1 - newest].sum())
        sums_at, width = f["pooled_sums"].id.get_offset(), f["pooled_sums"].shape[1]
    flip_byte(partial, sums_at + (newest * width + 5) * 8)
    r = run("run", DEFAULT, "-r", 4000, "-j", 1, "-q", "-o", out, "--resume")
    assert r.returncode == 0, r.stderr
    assert f"point 0: no intact pooled counts hold {done - before} finished blocks" in r.stderr, r.stderr
    assert "does not match its checksum" not in r.stderr
    whole = tmp_path / "whole.h5"
    assert run("run", DEFAULT, "-r", 4000, "-j", 1, "-q", "-o", whole).returncode == 0
    assert_same_file(out, whole)


def test_an_empty_checkpoint_is_called_damaged(tmp_path):
    scenario = small(tmp_path)
    (tmp_path / "o.h5.partial").write_bytes(b"")
    for args in ([], ["--resume"]):
        r = run("run", scenario, "-q", "-o", tmp_path / "o.h5", *args)
        assert r.returncode == 2 and "empty, so damaged" in r.stderr, r.stderr
        assert "another run" not in r.stderr
    assert names(tmp_path) == ["o.h5.partial", "small.yaml"]


# ---- the disk and the directory ------------------------------------------------

@pytest.fixture
def tmpfs(tmp_path):
    root_only()
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mnt)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")

    def resize(bytes_, ro=False):
        opts = f"remount,size={bytes_ // 4096 * 4096}" + (",ro" if ro else ",rw")
        subprocess.run(["mount", "-o", opts, str(mnt)], check=True)

    yield mnt, resize
    subprocess.run(["umount", "-l", str(mnt)])


def test_a_full_disk_ends_in_exit_1_and_resume_finishes_identically(tmp_path, tmpfs):
    """A disk too small for the checkpoint, or for the final file beside it:
    exit 1 with the --resume advice (no crash in HDF5's exit handler), no
    partial result left; with room again, --resume gives the same file."""
    mnt, resize = tmpfs
    scenario = small(tmp_path)
    whole = tmp_path / "whole.h5"
    assert run("run", scenario, "-r", 3000, "-q", "-o", whole).returncode == 0
    out_size = whole.stat().st_size
    r = run("run", scenario, "-r", 3000, "-q", "-o", mnt / "x" / "o.h5")
    assert r.returncode == 2 and "No such file or directory" in r.stderr, r.stderr
    # No room to make the checkpoint: exit 1 (the old build crashed), nothing left.
    resize(8 * 1024)
    r = run("run", scenario, "-r", 3000, "-q", "-o", mnt / "o.h5")
    assert r.returncode == 1 and "cannot create" in r.stderr and "disk full" in r.stderr, r.stderr
    assert names(mnt) == []
    # The checkpoint's size is set when it is made (allocated in full):
    # measure it from a run stopped by a disk too small for its data.
    resize(256 * 1024)
    r = run("run", scenario, "-r", 3000, "-q", "-o", mnt / "o.h5")
    assert r.returncode == 1 and "could not write the checkpoint" in r.stderr and "--resume" in r.stderr, r.stderr
    ck_size = (mnt / "o.h5.partial").stat().st_size
    assert names(mnt) == ["o.h5.partial"]
    # Room for the checkpoint and part of the final file: the write, or
    # the close, fails wherever the disk fills.
    for share in (0.1, 0.5, 0.9):
        os.unlink(mnt / "o.h5.partial")
        resize(ck_size + int(out_size * share))
        r = run("run", scenario, "-r", 3000, "-q", "-o", mnt / "o.h5")
        assert r.returncode == 1, (share, r.returncode, r.stderr)
        assert "o.h5" in r.stderr and "--resume" in r.stderr and "disk full" in r.stderr, r.stderr
        assert names(mnt) == ["o.h5.partial"]
    resize(ck_size + 2 * out_size + (1 << 20))
    r = run("run", scenario, "-r", 3000, "-q", "-o", mnt / "o.h5", "--resume")
    assert r.returncode == 0, r.stderr
    assert names(mnt) == ["o.h5"]
    assert_same_file(mnt / "o.h5", whole)


def test_a_directory_removed_during_the_run_is_reported(tmp_path):
    """The output's directory (and the checkpoint in it) removed while the
    run goes on: exit 1 naming the likely cause, no --resume promise."""
    work = tmp_path / "work"
    work.mkdir()
    proc = subprocess.Popen([BRANCHSIM, "run", str(DEFAULT), "-r", "4000", "-j", "1", "-o", str(work / "o.h5")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if "%" in line:
            for p in work.iterdir():
                p.unlink()
            work.rmdir()
            break
    err = proc.stderr.read()
    assert proc.wait(timeout=300) == 1, err
    assert "was its directory removed during the run?" in err and "--resume" not in err, err
    assert names(tmp_path) == []


def test_a_read_only_directory_is_refused_before_running(tmp_path, tmpfs):
    mnt, resize = tmpfs
    scenario = small(tmp_path)
    resize(1 << 20, ro=True)
    r = run("run", scenario, "-q", "-o", mnt / "o.h5")
    assert r.returncode == 2 and str(mnt / "o.h5") in r.stderr and "Read-only" in r.stderr, r.stderr
    assert names(mnt) == []


def test_the_result_is_synced_before_its_rename_and_the_checkpoint_removed_after(tmp_path):
    """fsync the file, rename it, fsync the directory, then remove the
    checkpoint: a crash of the machine at any point keeps one of them."""
    if subprocess.run(["strace", "-V"], capture_output=True).returncode != 0:
        pytest.skip("no strace")
    scenario = small(tmp_path)
    trace = tmp_path / "trace"
    r = subprocess.run(["strace", "-f", "-y", "-o", str(trace), "-e", "trace=fsync,rename,renameat,renameat2,unlink,unlinkat",
                        BRANCHSIM, "run", str(scenario), "-q", "-o", str(tmp_path / "o.h5")],
                       capture_output=True, text=True, timeout=120,
                       env={**os.environ, "ASAN_OPTIONS": "detect_leaks=0"})  # LeakSanitizer cannot run under ptrace
    assert r.returncode == 0, r.stderr
    calls = [line.split(None, 1)[1] for line in trace.read_text().splitlines() if "resumed" not in line and "(" in line]
    renamed = next(i for i, c in enumerate(calls) if c.startswith("rename") and "o.h5.partial-" in c)
    removed = next(i for i, c in enumerate(calls) if c.startswith("unlink") and c.split('"')[1].endswith("o.h5.partial"))
    # strace -y shows each descriptor's path: the file, then its directory.
    assert calls[renamed - 1].startswith("fsync(") and "o.h5.partial-" in calls[renamed - 1], calls
    assert calls[renamed + 1].startswith("fsync(") and f"<{tmp_path}>" in calls[renamed + 1], calls
    assert renamed < removed


# ---- checkpoints on which libhdf5 itself crashes or loops ---------------------------

def test_a_checkpoint_that_crashes_libhdf5_is_refused_as_damaged(tmp_path):
    """The scenario text's global heap object claims 1 MiB: libhdf5 1.10
    copies that much out of a 4 kB heap reading the attribute and the run
    died (SIGSEGV). A child process reads the checkpoint's structure first:
    exit 2, the checkpoint kept, nothing written."""
    import struct
    scenario = small(tmp_path)
    out = tmp_path / "o.h5"
    interrupt_at_first_tenth(out, scenario, reps=20000)
    ck = tmp_path / "o.h5.partial"
    b = bytearray(ck.read_bytes())
    text = scenario.read_bytes()
    at = b.find(text)
    assert at > 8 and struct.unpack("<Q", b[at - 8:at])[0] == len(text)
    b[at - 8:at] = struct.pack("<Q", 1 << 20)
    ck.write_bytes(bytes(b))
    r = run("run", scenario, "-r", 20000, "-j", 1, "-o", out, "--resume")
    assert r.returncode == 2, r.stderr
    assert r.stderr.splitlines()[-1].startswith(f"branchsim: {ck}: the checkpoint is damaged: libhdf5 failed "
                                                "reading it ("), r.stderr
    assert names(tmp_path) == ["o.h5.partial", "small.yaml"]


def test_a_checkpoint_libhdf5_loops_on_is_given_up_after_the_time_limit(tmp_path):
    data = ROOT / "tests" / "data"
    shutil.copyfile(data / "resume-hang.yaml", tmp_path / "r.yaml")
    shutil.copyfile(data / "resume-hang.h5.partial", tmp_path / "r.h5.partial")
    env = dict(os.environ, BRANCHSIM_READ_LIMIT_S="2")
    r = subprocess.run([BRANCHSIM, "run", "r.yaml", "-o", "r.h5", "--resume"], cwd=tmp_path, capture_output=True,
                       text=True, env=env, timeout=60)
    assert r.returncode == 2, r.stderr
    assert r.stderr == ("branchsim: r.h5.partial: the checkpoint is damaged: reading it did not end in 2 s; remove "
                        "it and run without --resume\n"), r.stderr
    assert names(tmp_path) == ["r.h5.partial", "r.yaml"]


def test_describe_gives_up_on_a_file_libhdf5_loops_on(tmp_path):
    env = dict(os.environ, BRANCHSIM_READ_LIMIT_S="2")
    path = ROOT / "tests" / "data" / "describe-hang.h5"
    r = subprocess.run([BRANCHSIM, "describe", path], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == f"branchsim: {path}: a damaged file: reading it did not end in 2 s\n", r.stderr


def test_only_a_branchsim_result_or_an_empty_file_is_replaced(tmp_path):
    """-o (run, plan) and rerun --keep replace an existing file only when it
    is a branchsim result or empty: a text file, a foreign HDF5 file and a damaged one are
    refused before anything runs, their bytes kept, nothing left beside them."""
    scenario = small(tmp_path)
    (tmp_path / "plan.yaml").write_text("day: {hours: 2}\ndemand: {customers_per_day: 100}\n"
                                        "transactions: [{service_min: {dist: exponential, mean: 1.0}}]\n"
                                        "counters: [{count: 1}]\nreplications: 2\n")
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"precious\n")
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["x"] = np.arange(3)
        f.attrs["title"] = "not ours"
    damaged = tmp_path / "damaged.h5"
    damaged.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(range(256)) * 4)  # signed, but libhdf5 cannot open it
    kept = {p: p.read_bytes() for p in (notes, foreign, damaged)}
    out = tmp_path / "ours.h5"
    assert run("run", scenario, "-q", "-r", 2, "-o", out).returncode == 0
    plan = ("plan", tmp_path / "plan.yaml", "--vary", "counters.0.count", "--range", "1:2",
            "--target", "share_waited<=1", "-q", "-o")
    for p in kept:
        for args in (("run", scenario, "-q", "-r", 2, "-o", p), (*plan, p), ("rerun", out, "--keep", p)):
            r = run(*args)
            assert r.returncode == 2, (args, r.stderr)
            assert f"{p}: exists and is not a branchsim result file: not replacing it; remove it or choose" in r.stderr
            assert len(r.stderr.strip().splitlines()) == 1, r.stderr
            assert p.read_bytes() == kept[p]
    assert names(tmp_path) == ["damaged.h5", "foreign.h5", "notes.txt", "ours.h5", "plan.yaml", "small.yaml"]
    before = out.stat().st_ino
    empty = tmp_path / "empty.h5"
    empty.touch()
    for p in (out, empty):
        r = run("run", scenario, "-q", "-r", 2, "-s", 5, "-o", p)
        assert r.returncode == 0, r.stderr
        with h5py.File(p) as f:
            assert f.attrs["seed"] == 5 and "branchsim_version" in f.attrs
    assert out.stat().st_ino != before  # replaced by the rename, as before
