"""Tests of analysis/bsresults.py and the reader under it on a real branchsim result file."""
import math
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import scipy.stats

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "analysis"))
from branchsim import results as bsfile  # noqa: E402
from branchsim import differences  # noqa: E402
import bsresults  # noqa: E402

BRANCHSIM = os.environ.get("BRANCHSIM", str(ROOT / "build" / "branchsim"))


def run_sweep(tmp_path):
    out = tmp_path / "sweep.h5"
    subprocess.run([BRANCHSIM, "run", str(ROOT / "scenarios" / "counters-sweep.yaml"), "-r", "40", "-q",
                    "-o", str(out)], check=True)
    return out


def test_ci95_is_scipys_t_interval_at_12_replications():
    """At n = 12 (11 dof) the quantile is 2.200985...; bsresults' old table
    gave 2.131 (its 15-dof entry), an interval 3 % too narrow."""
    rng = np.random.default_rng(5)
    x = rng.exponential(3.0, 12)
    mean, low, high, n = bsfile.ci95(x)
    t = scipy.stats.t.ppf(0.975, 11)
    assert abs(t - 2.200985160082949) < 1e-12
    assert n == 12 and mean == pytest.approx(x.mean(), rel=1e-15)
    half = t * x.std(ddof=1) / math.sqrt(12)
    assert low == pytest.approx(mean - half, rel=1e-12)
    assert high == pytest.approx(mean + half, rel=1e-12)
    assert (high - low) / 2 > 2.2 * x.std(ddof=1) / math.sqrt(12)  # not 2.131
    assert math.isnan(bsfile.ci95(x[:1])[1]) and bsfile.ci95([])[3] == 0
    assert bsfile.ci95(np.append(x, np.nan))[1:] == (low, high, 12)  # NaN days left out, as /summary does


def test_every_script_prints_the_interval_the_file_stores(tmp_path, capsys):
    """bsresults' table computes from /replications the interval the C code
    stores in /summary (GSL's t quantile), to 1e-11; a table quantile would not."""
    out = tmp_path / "mmc.h5"
    subprocess.run([BRANCHSIM, "run", str(ROOT / "scenarios" / "mmc.yaml"), "-r", "12", "-q", "-o", str(out)],
                   check=True)
    reps = bsfile.Results(out, groups=("replications",)).reps
    with h5py.File(out) as f:
        summary = {m: dict(zip([str(c) for c in f["summary"][m].attrs["stats"]], f["summary"][m][0]))
                   for m in f["summary"] if "stats" in f["summary"][m].attrs}  # not its coordinates
    checked = 0
    for name, s in summary.items():
        if name not in reps or not s["n"] >= 2:
            continue
        mean, low, high, n = bsfile.ci95(reps[name][0])
        assert n == s["n"]
        # Mean to 1e-12, the half-width to 1e-11: GSL's gsl_cdf_tdist_Pinv(0.975, 11) is
        # 2.2009851600917, 4e-12 above the exact 2.2009851600829 that scipy gives (measured).
        # The table's 2.131 is 3 % off.
        assert (low + high) / 2 == pytest.approx(s["mean"], rel=1e-12, abs=1e-300), name
        stored_half = (s["ci95_high"] - s["ci95_low"]) / 2
        assert (high - low) / 2 == pytest.approx(stored_half, rel=1e-11, abs=1e-300), name
        checked += 1
    assert checked >= 5
    assert bsresults.main(["table", str(out), "--metrics", "wait_mean_min"]) == 0
    line = capsys.readouterr().out.splitlines()[1]
    s = summary["wait_mean_min"]
    assert float(line.split("+-")[1]) == float(f"{(s['ci95_high'] - s['ci95_low']) / 2:.3g}")


def test_paired_difference_is_mean_and_t_interval_of_differences():
    values = np.array([[1.0, 2.0, 3.0, 4.0], [2.0, 2.5, 4.0, 6.5]])
    mean, low, high, n, dof = differences.paired(values[0], values[1])
    d = values[1] - values[0]
    assert mean == d.mean() and n == 4 and dof == 3
    assert abs((high - low) / 2 - scipy.stats.t.ppf(0.975, 3) * d.std(ddof=1) / 2.0) < 1e-12


def test_load_reads_points_and_metrics(tmp_path):
    out = run_sweep(tmp_path)
    res = bsfile.Results(out, groups=("replications",))
    assert res.values["counters.0.count"] == [5, 6, 7, 8]
    assert res.reps["wait_mean_min"].shape == (4, 40)
    with h5py.File(out) as f:
        assert np.array_equal(res.reps["arrived"], f["replications/arrived"][()])
    # Common random numbers: every point sees the same customers.
    arrived = res.reps["arrived"]
    assert (arrived == arrived[0]).all()


def test_more_counters_shorten_the_wait_paired(tmp_path, capsys):
    out = run_sweep(tmp_path)
    assert bsresults.main(["compare", str(out), "wait_mean_min", "0", "1"]) == 0
    text = capsys.readouterr().out
    mean = float(text.split("=")[1].split("+-")[0])
    assert mean < 0


def test_plot_writes_a_png(tmp_path):
    out = run_sweep(tmp_path)
    fig = tmp_path / "fig.png"
    assert bsresults.main(["plot", str(out), "wait_mean_min", "--key", "counters.0.count", "-o", str(fig)]) == 0
    assert fig.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_metric_or_key_is_an_error(tmp_path):
    out = run_sweep(tmp_path)
    assert bsresults.main(["compare", str(out), "no_such_metric", "0", "1"]) == 2
    assert bsresults.main(["plot", str(out), "wait_mean_min", "--key", "nope", "-o", str(tmp_path / "x.png")]) == 2


def test_scripts_say_when_their_table_cannot_be_written(tmp_path):
    """A table lost on a full disk ended in a traceback, and with stdout
    closed print() dropped it silently (exit 0); both are exit 1 with one
    line, as branchsim's own commands."""
    import pytest
    if not os.path.exists("/dev/full"):
        pytest.skip("needs /dev/full")
    out = run_sweep(tmp_path)
    for script, args in (("compare", ["--points", "0", "1"]), ("bsresults", None)):
        cmd = [sys.executable, str(ROOT / "analysis" / f"{script}.py")]
        cmd += [str(out), *args] if args else ["table", str(out)]
        with open("/dev/full", "w") as full:
            r = subprocess.run(cmd, stdout=full, stderr=subprocess.PIPE, text=True)
        assert r.returncode == 1
        assert r.stderr == f"{script}: cannot write to standard output: No space left on device\n", r.stderr
        r = subprocess.run(cmd, stderr=subprocess.PIPE, text=True, preexec_fn=lambda: os.close(1))
        assert r.returncode == 1
        assert r.stderr == f"{script}: cannot write to standard output: it is closed\n", r.stderr


def test_scripts_work_with_stderr_or_stdout_closed(tmp_path):
    """Python sets sys.stderr (sys.stdout) to None when descriptor 2 (1) is
    closed: the scripts' reader flushed it and died with a traceback nobody
    saw (exit 1). With stderr closed the table is still printed; report.py,
    whose output is its files, still writes them with stdout closed."""
    out = run_sweep(tmp_path)
    for args in (["compare.py", str(out), "--points", "0", "1"], ["bsresults.py", "table", str(out)]):
        r = subprocess.run([sys.executable, str(ROOT / "analysis" / args[0]), *args[1:]], stdout=subprocess.PIPE,
                           text=True, preexec_fn=lambda: os.close(2))
        assert r.returncode == 0 and "point" in r.stdout, args
    report = tmp_path / "rep"
    r = subprocess.run([sys.executable, str(ROOT / "analysis" / "report.py"), str(out), "-o", str(report)],
                       stderr=subprocess.PIPE, text=True, preexec_fn=lambda: os.close(1))
    assert r.returncode == 0, r.stderr
    assert (report / "report.md").exists() and (report / "report.html").exists()


def test_scripts_give_up_on_a_file_libhdf5_loops_on(tmp_path):
    """tests/data/describe-hang.h5 makes libhdf5 loop for ever: the scripts'
    reading child has the time limit branchsim's has, then exit 2."""
    path = ROOT / "tests" / "data" / "describe-hang.h5"
    env = dict(os.environ, BRANCHSIM_READ_LIMIT_S="2")
    for script, args in (("compare", [str(path), "--points", "0", "1"]), ("bsresults", ["table", str(path)]),
                         ("report", [str(path), "-o", str(tmp_path / "rep")])):
        r = subprocess.run([sys.executable, str(ROOT / "analysis" / f"{script}.py"), *args], capture_output=True,
                           text=True, env=env, timeout=60)
        assert r.returncode == 2, r.stderr
        assert r.stderr == f"{script}: {path}: a damaged file: reading it did not end in 2 s\n", r.stderr
