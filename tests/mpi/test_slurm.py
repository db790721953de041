"""The shipped SLURM job scripts on a real SLURM: munged, slurmctld and
slurmd started here by hand (no systemd) with a minimal slurm.conf, one node
with this machine's CPUs. A sweep submitted with scenarios/slurm/sweep.sbatch
(srun --mpi=pmix, two ranks) gives the serial datasets; a job requeued while
it runs resumes from its checkpoint to the same datasets; the job-array
variant runs one scenario file per task. The daemons are stopped by PID.

Needs root (the daemons run as root here); run by `make test-mpi`."""
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from test_mpi import ENV, MPI_BIN, ROOT, SERIAL_BIN, assert_same_datasets, serial

SBIN = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
if os.geteuid() != 0:
    pytest.skip("starting SLURM's daemons needs root (CI runs as root)", allow_module_level=True)

SWEEP = ROOT / "scenarios" / "counters-sweep.yaml"
DEFAULT = ROOT / "scenarios" / "default.yaml"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tool(name):
    found = shutil.which(name, path=SBIN)
    assert found, f"{name} not found: install slurmctld slurmd slurm-client munge (tools/debian-packages.txt)"
    return found


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    """A one-node SLURM on this machine; yields the environment for sbatch
    and friends. Stops munged, slurmctld and slurmd by PID afterwards."""
    d = tmp_path_factory.mktemp("slurm")
    for sub in ("state", "spool", "munge"):
        (d / sub).mkdir(mode=0o700)
    key = d / "munge" / "munge.key"
    subprocess.run([tool("mungekey"), "--create", f"--keyfile={key}"], check=True, capture_output=True)
    key.chmod(0o600)
    sock = d / "munge" / "munge.sock"
    node = socket.gethostname().split(".")[0]
    conf = d / "slurm.conf"
    conf.write_text(f"""\
ClusterName=branchsim-test
SlurmctldHost={node}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={sock}
CredType=cred/munge
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.pid
SlurmctldLogFile={d}/slurmctld.log
SlurmdLogFile={d}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=pmix
SwitchType=switch/none
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
KillWait=10
NodeName={node} NodeAddr=127.0.0.1 CPUs={os.cpu_count()} State=UNKNOWN
PartitionName=test Nodes={node} Default=YES MaxTime=INFINITE State=UP
""")
    env = dict(ENV, SLURM_CONF=str(conf), PATH=SBIN)
    daemons = []
    try:
        daemons.append(subprocess.Popen(
            [tool("munged"), "--foreground", "--force", f"--socket={sock}", f"--key-file={key}",
             f"--log-file={d}/munge/munged.log", f"--pid-file={d}/munge/munged.pid",
             f"--seed-file={d}/munge/munged.seed"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.time() + 20
        while not sock.exists() and time.time() < deadline:
            time.sleep(0.1)
        for daemon in ("slurmctld", "slurmd"):
            daemons.append(subprocess.Popen([tool(daemon), "-D", "-f", str(conf)], env=env,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.time() + 60
        while time.time() < deadline:
            r = subprocess.run([tool("sinfo"), "-h", "-o", "%T"], env=env, capture_output=True, text=True)
            if r.returncode == 0 and r.stdout.strip() == "idle":
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"SLURM did not come up: {r.stdout} {r.stderr}\n" + (d / "slurmctld.log").read_text()[-2000:])
        yield env
    finally:
        for proc in reversed(daemons):
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def sbatch(env, script, cwd, *options, **exports):
    exports = ",".join(["ALL", *(f"{k}={v}" for k, v in exports.items())])
    r = subprocess.run([tool("sbatch"), "--parsable", f"--chdir={cwd}", f"--export={exports}", *options, str(script)],
                       env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().split(";")[0]


def job_states(env, job):
    """State of each task of the job (one for a plain job)."""
    r = subprocess.run([tool("scontrol"), "show", "job", job, "-o"], env=env, capture_output=True, text=True)
    return [field.split("=", 1)[1] for line in r.stdout.splitlines() for field in line.split()
            if field.startswith("JobState=")]


def wait_for(env, job, timeout_s=300):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        states = job_states(env, job)
        if states and all(s in ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY")
                          for s in states):
            return states
        time.sleep(0.5)
    pytest.fail(f"job {job} did not finish: {job_states(env, job)}")


def test_sweep_job_script_matches_the_serial_run(slurm, tmp_path):
    ref = tmp_path / "serial.h5"
    assert serial("run", SWEEP, "-r", 45, "-q", "-o", ref).returncode == 0
    job = sbatch(slurm, ROOT / "scenarios/slurm/sweep.sbatch", tmp_path, "--nodes=1", "--ntasks-per-node=2",
                 "--cpus-per-task=1", "--time=10", SCENARIO=SWEEP, OUT="sweep.h5", BRANCHSIM_MPI=MPI_BIN,
                 BRANCHSIM_ARGS="-r 45")
    states = wait_for(slurm, job)
    log = (tmp_path / f"branchsim-{job}.log").read_text()
    assert states == ["COMPLETED"], log
    assert f"wrote sweep.h5" in log
    assert_same_datasets(ref, tmp_path / "sweep.h5")


@pytest.fixture(scope="module")
def whole_day(tmp_path_factory):
    """The one-process run the interrupted jobs must match."""
    ref = tmp_path_factory.mktemp("whole") / "serial.h5"
    assert serial("run", DEFAULT, "-r", 20000, "-q", "-o", ref).returncode == 0
    return ref


def wait_for_progress(log, percent, timeout_s=120):
    """Until the job's log shows the run percent done (progress, not a
    clock, decides when to interrupt: the signal comes mid-run however
    loaded the machine)."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if log.exists() and f"branchsim: {percent} %" in log.read_text():
            return
        time.sleep(0.05)
    pytest.fail(f"{log.name} never showed {percent} %: " + (log.read_text() if log.exists() else "no log"))


def release_requeued(env, job):
    """SLURM holds a requeued job back for a while (its BeginTime), which
    lets the node finish with the job's first run; a test need not wait that
    long, only until the job is pending and the node idle again."""
    deadline = time.time() + 60
    while time.time() < deadline:
        node = subprocess.run([tool("sinfo"), "-h", "-o", "%T"], env=env, capture_output=True, text=True)
        if "PENDING" in job_states(env, job) and node.stdout.strip() == "idle":
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"job {job} was not requeued: {job_states(env, job)}")
    # Released within a second of the kill of its first run, the job was at
    # times refused by slurmd ("already killed, do not launch batch job");
    # SLURM's own hold avoids that, and so does a pause of two seconds.
    time.sleep(2)
    subprocess.run([tool("scontrol"), "update", f"JobId={job}", "StartTime=now"], env=env, capture_output=True)


def interrupt_and_finish(env, job, log, interrupt):
    """Once the job's log shows 30 % done, runs the interrupt command on it,
    lets the requeued job start again and waits for its end. Returns the
    job's states and its log."""
    wait_for_progress(log, 30)
    r = subprocess.run([tool(interrupt[0]), *interrupt[1:], job], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    release_requeued(env, job)
    states = wait_for(env, job, timeout_s=400)
    return states, log.read_text()


# What --signal=TERM@120 does before a time limit: SIGTERM to the job's tasks
# alone; the ranks stop and keep their blocks and the script requeues the
# job. What pre-emption with PreemptMode=REQUEUE does: SLURM stops the whole
# job, script included, and starts it again. Either way the job's second
# start finds OUT.h5.partial and resumes it.
@pytest.mark.parametrize("interrupt, requeued_by_script", [
    (("scancel", "--signal=TERM"), True),
    (("scontrol", "requeue"), False),
], ids=["time-limit-signal", "pre-emption"])
def test_an_interrupted_sweep_job_resumes_to_the_same_datasets(slurm, tmp_path, whole_day, interrupt,
                                                                requeued_by_script):
    job = sbatch(slurm, ROOT / "scenarios/slurm/sweep.sbatch", tmp_path, "--nodes=1", "--ntasks-per-node=2",
                 "--cpus-per-task=1", "--time=10", SCENARIO=DEFAULT, OUT="day.h5", BRANCHSIM_MPI=MPI_BIN,
                 BRANCHSIM_ARGS="-r 20000")
    states, log = interrupt_and_finish(slurm, job, tmp_path / f"branchsim-{job}.log", interrupt)
    assert states == ["COMPLETED"], log
    if requeued_by_script:
        assert "interrupted" in log and "requeued to resume day.h5.partial" in log, log
    assert "resuming day.h5.partial" in log, log
    assert not (tmp_path / "day.h5.partial").exists()
    assert_same_datasets(whole_day, tmp_path / "day.h5")


def test_an_array_task_signalled_before_its_time_limit_requeues_itself(slurm, tmp_path, whole_day):
    job = sbatch(slurm, ROOT / "scenarios/slurm/array.sbatch", tmp_path, "--array=0", "--cpus-per-task=2",
                 "--time=10", SCENARIOS=str(DEFAULT), OUT_DIR="out", BRANCHSIM=SERIAL_BIN,
                 BRANCHSIM_ARGS="-r 20000")
    states, log = interrupt_and_finish(slurm, f"{job}_0", tmp_path / f"branchsim-{job}_0.log",
                                       ("scancel", "--signal=TERM"))
    assert states == ["COMPLETED"], log
    assert "requeued to resume" in log and "resuming out/default.h5.partial" in log, log
    assert_same_datasets(whole_day, tmp_path / "out" / "default.h5")


def test_array_job_runs_one_scenario_file_per_task(slurm, tmp_path):
    files = [ROOT / "scenarios/mmc.yaml", ROOT / "scenarios/default.yaml"]
    job = sbatch(slurm, ROOT / "scenarios/slurm/array.sbatch", tmp_path, "--array=0-1", "--cpus-per-task=1",
                 "--time=10", SCENARIOS=" ".join(map(str, files)).replace(",", "\\,"), OUT_DIR="out",
                 BRANCHSIM=SERIAL_BIN, BRANCHSIM_ARGS="-r 24")
    states = wait_for(slurm, job)
    assert states == ["COMPLETED", "COMPLETED"], [p.read_text() for p in tmp_path.glob("*.log")]
    for f in files:
        ref = tmp_path / f"{f.stem}-serial.h5"
        assert serial("run", f, "-r", 24, "-q", "-o", ref).returncode == 0
        assert_same_datasets(ref, tmp_path / "out" / f"{f.stem}.h5", ("replications/", "summary/"))


# A job is requeued only when branchsim was interrupted (a time limit's or
# pre-emption's SIGTERM). A damaged checkpoint makes the run refuse to
# resume (exit 2): requeued, it would fail the same way MAX_REQUEUES times.
@pytest.mark.parametrize("script", ["sweep.sbatch", "array.sbatch"])
def test_a_job_refused_with_a_checkpoint_present_is_not_requeued(slurm, tmp_path, script):
    (tmp_path / "mmc.h5.partial").write_text("not a checkpoint\n")
    if script == "sweep.sbatch":
        job = sbatch(slurm, ROOT / "scenarios/slurm/sweep.sbatch", tmp_path, "--nodes=1", "--ntasks-per-node=1",
                     "--cpus-per-task=1", "--time=10", SCENARIO=ROOT / "scenarios/mmc.yaml", OUT="mmc.h5",
                     BRANCHSIM_MPI=MPI_BIN, BRANCHSIM_ARGS="-r 8")
        log_path = tmp_path / f"branchsim-{job}.log"
    else:
        job = sbatch(slurm, ROOT / "scenarios/slurm/array.sbatch", tmp_path, "--array=0", "--cpus-per-task=1",
                     "--time=10", SCENARIOS=str(ROOT / "scenarios/mmc.yaml"), OUT_DIR=".", BRANCHSIM=SERIAL_BIN,
                     BRANCHSIM_ARGS="-r 8")
        job, log_path = f"{job}_0", tmp_path / f"branchsim-{job}_0.log"
    states = wait_for(slurm, job)
    log = log_path.read_text()
    assert states == ["FAILED"], log
    assert "the checkpoint cannot be read" in log, log
    assert "exited with 2; not requeued" in log and "requeued to resume" not in log, log
    assert log.count("resuming mmc.h5.partial") == 1 or log.count("resuming ./mmc.h5.partial") == 1, log
    show = subprocess.run([tool("scontrol"), "show", "job", job, "-o"], env=slurm, capture_output=True, text=True)
    assert "Restarts=0" in show.stdout, show.stdout
