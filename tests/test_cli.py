"""Command-line and HDF5-output contract of branchsim (docs/cli.md and
docs/output.md): exit statuses, file:line:column error reports, no
output on failure, determinism across thread counts, the HDF5 layout, the
summaries' confidence intervals, sweeps with common random numbers,
`check`, `describe`, and the default output name.

Run: BRANCHSIM=build/branchsim /usr/bin/python3 -m pytest -q tests
"""
import math
import os
import subprocess
import re
import textwrap
from datetime import datetime, timedelta, timezone

import h5py
import numpy as np
import pytest
from conftest import branchsim_path, variables

# Metric names that analyses rely on (docs/output.md: a contract, never renamed).
REQUIRED_METRICS = [
    "arrived", "served", "wait_mean_min", "wait_p90_min", "wait_max_min",
    "share_wait_over_10min", "counter_utilization", "events",
]
FIRST_STATS = ["mean", "sd", "ci95_low", "ci95_high"]

# Student t quantiles t(0.975, df), from a table (scipy may be absent):
# scipy.stats.t.ppf(0.975, df) gives 2.093024054 (19), 2.045229642 (29).
T975 = {19: 2.093024054, 29: 2.045229642}


def dedent(text):
    return textwrap.dedent(text).lstrip("\n")


def write(path, content):
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def listing(root):
    """Every file and directory under root, relative, as a sorted list."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def partials(root):
    return [p for p in root.rglob("*") if ".partial-" in p.name]


SMALL = dedent("""
    name: small
    seed: 11
    replications: 20
    day: {open: "09:00", hours: 6}
    demand:
      customers_per_day: 150
    transactions:
      - {name: cash, share: 0.6, service_min: {dist: exponential, mean: 4}}
      - {name: enquiry, share: 0.4, service_min: {dist: lognormal, mean: 6, cv: 0.5}}
    counters:
      - role: general
        count: 3
""")


# ---------------------------------------------------------------------------
# 1. Bad input: exit 2, FILE:LINE:COL: and the key, and no output at all.
# ---------------------------------------------------------------------------

# (id, scenario text or bytes, expected line, expected key, column:
#  a token whose first occurrence on that line the column must point at, an
#  int, or None when only the line is pinned down)
BAD_SCENARIOS = [
    ("typo_beside_key", dedent("""
        name: typo
        demand: {customers_per_day: 10, customers_per_dya: 10}
        transactions:
          - {name: a, share: 1, service_min: 3}
        counters:
          - {role: general, count: 3}
     """), 2, "demand.customers_per_dya", "customers_per_dya"),
    ("typo_top_level_counter", dedent("""
        name: typo
        demand: {customers_per_day: 10}
        transactions:
          - {name: a, share: 1, service_min: 3}
        counters:
          - {role: general, count: 3}
        counter: 3
     """), 7, "counter", "counter"),
    ("typo_inside_list_item", dedent("""
        name: typo
        demand: {customers_per_day: 10}
        transactions:
          - {name: a, shar: 1, service_min: 3}
        counters:
          - {role: general, count: 3}
     """), 4, "transactions.0.shar", "shar"),
    ("duplicate_key", dedent("""
        name: dup
        demand: {customers_per_day: 10, customers_per_day: 500}
        transactions:
          - {name: a, share: 1, service_min: 3}
        counters:
          - {role: general, count: 3}
     """), 2, "demand.customers_per_day", 33),  # the second occurrence
    ("negative_rate", dedent("""
        name: neg
        demand:
          customers_per_day: -5
        transactions:
          - {name: a, share: 1, service_min: 3}
        counters:
          - {role: general, count: 3}
     """), 3, "demand.customers_per_day", "-5"),
    ("wrong_type_count", dedent("""
        name: type
        demand:
          customers_per_day: 5
        transactions:
          - {name: a, share: 1, service_min: 3}
        counters:
          - role: general
            count: two
     """), 8, "counters.0.count", "two"),
    ("quoted_number", dedent("""
        name: type
        demand:
          customers_per_day: "200"
        transactions:
          - {name: a, share: 1, service_min: 3}
        counters:
          - {role: general, count: 3}
     """), 3, "demand.customers_per_day", '"200"'),
    # Flow style keeps the key and every share on one line, so the line is
    # exact whether the report points at the key or at the list.
    ("shares_do_not_sum_to_1", dedent("""
        name: shares
        demand: {customers_per_day: 5}
        transactions: [{name: a, share: 0.5, service_min: 3}, {name: b, share: 0.3, service_min: 3}]
        counters:
          - {role: general, count: 2}
     """), 3, "transactions", None),
    ("unknown_distribution", dedent("""
        name: dist
        demand:
          customers_per_day: 5
        transactions:
          - name: a
            share: 1
            service_min: {dist: weibull, mean: 3}
        counters:
          - {role: general, count: 2}
     """), 7, "transactions.0.service_min.dist", "weibull"),
    ("missing_distribution_parameter", dedent("""
        name: dist
        demand:
          customers_per_day: 5
        transactions:
          - name: a
            share: 1
            service_min: {dist: lognormal, mean: 3}
        counters:
          - {role: general, count: 2}
     """), 7, "transactions.0.service_min.cv", None),
    ("sweep_unknown_key", dedent("""
        name: sweep
        demand:
          customers_per_day: 5
        transactions:
          - {name: a, share: 1, service_min: 3}
        counters:
          - {role: general, count: 2}
        sweep:
          demand.arrivals_per_day: [1, 2]
     """), 9, "demand.arrivals_per_day", "demand.arrivals_per_day"),
    ("sweep_value_out_of_range", dedent("""
        name: sweep
        demand:
          customers_per_day: 5
        transactions:
          - {name: a, share: 1, service_min: 3}
        counters:
          - {role: general, count: 2}
        sweep:
          demand.customers_per_day: [100, -1]
     """), 9, "demand.customers_per_day", "-1"),
    ("patience_outside_unknown", dedent("""
        name: patience
        demand: {customers_per_day: 5}
        transactions:
          - {name: a, share: 1, service_min: 3}
        counters: [{count: 1}]
        entrance: {occupancy_cap: 2}
        reneging: {patience_min: 5, patience_outside: restrat}
     """), 7, "reneging.patience_outside: 'restrat' is not one of shared, separate, restart (did you mean restart?)",
        "restrat"),
    ("sweep_patience_outside_unknown", dedent("""
        name: patience
        demand: {customers_per_day: 5}
        transactions:
          - {name: a, share: 1, service_min: 3}
        counters: [{count: 1}]
        entrance: {occupancy_cap: 2}
        reneging: {patience_min: 5}
        sweep: {reneging.patience_outside: [shared, never]}
     """), 8, "reneging.patience_outside", "never"),
    ("balking_outside_threshold_negative", dedent("""
        name: balking
        demand: {customers_per_day: 5}
        transactions:
          - {name: a, share: 1, service_min: 3}
        counters: [{count: 1}]
        entrance: {occupancy_cap: 2}
        balking: {outside_threshold: -1}
     """), 7, "balking.outside_threshold: must be in [0, 100000]", "-1"),
    ("sweep_over_seed", dedent("""
        name: sweep
        demand: {customers_per_day: 5}
        transactions:
          - {name: a, share: 1, service_min: 3}
        counters:
          - {role: general, count: 2}
        sweep: {seed: [1, 2]}
     """), 7, "seed", "seed"),
    ("yaml_mapping_syntax_error", dedent("""
        demand: {customers_per_day: 10}
        name: a: b
        transactions:
          - {name: a, share: 1, service_min: 3}
     """), 2, "scenario", None),
    ("not_a_mapping", "just some words, not a scenario\n", 1, "scenario", 1),
    ("empty_file", "", 1, "scenario", 1),
    ("binary_with_nul", b"\x89HDF\r\n\x1a\n\x00\x00\x00\x00\x01\x02\x03\xff", 1, "scenario", 1),
    ("binary_invalid_utf8", b"\xff\xfe\xfa\xfb binary junk", 1, "scenario", 1),
]


def assert_located(stderr, path, line, key, col=None):
    """stderr names path:line:col: and the key; returns (line, col)."""
    m = re.search(re.escape(str(path)) + r":(\d+):(\d+):", stderr)
    assert m, f"no {path}:LINE:COL: in stderr: {stderr!r}"
    got_line, got_col = int(m.group(1)), int(m.group(2))
    if isinstance(line, (set, frozenset)):
        assert got_line in line, stderr
    else:
        assert got_line == line, stderr
    if col is not None:
        assert got_col == col, stderr
    assert key in stderr[m.end():], f"key {key!r} not named after the location: {stderr!r}"
    return got_line, got_col


def expected_col(content, line, token):
    if token is None or isinstance(token, int):
        return token
    text = content.decode() if isinstance(content, bytes) else content
    return text.splitlines()[line - 1].index(token) + 1


def run_and_check_fail(branchsim, tmp_path, scenario):
    """Runs `run` (with -o) and `check`; both must fail with status 2, the
    same message, and leave nothing behind. Returns stderr."""
    before = listing(tmp_path)
    r = branchsim("run", scenario, "-o", tmp_path / "out.h5", "-r", "5", "-q", cwd=tmp_path)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stdout == ""
    assert not (tmp_path / "out.h5").exists()
    assert partials(tmp_path) == []
    assert listing(tmp_path) == before, "a failed run left files behind"
    c = branchsim("check", scenario, cwd=tmp_path)
    assert c.returncode == 2, (c.returncode, c.stderr)
    assert c.stderr == r.stderr
    assert listing(tmp_path) == before
    return r.stderr


@pytest.mark.parametrize("case", BAD_SCENARIOS, ids=[c[0] for c in BAD_SCENARIOS])
def test_bad_scenario_is_located_and_writes_nothing(branchsim, tmp_path, case):
    _, content, line, key, col = case
    scenario = write(tmp_path / "bad.yaml", content)
    err = run_and_check_fail(branchsim, tmp_path, scenario)
    assert_located(err, scenario, line, key, expected_col(content, line, col))


def test_missing_scenario_file(branchsim, tmp_path):
    scenario = tmp_path / "no_such_scenario.yaml"
    err = run_and_check_fail(branchsim, tmp_path, scenario)
    assert_located(err, scenario, 1, "scenario", 1)
    assert "no such file" in err.lower() or "cannot open" in err.lower()


def test_unclosed_bracket(branchsim, tmp_path):
    content = dedent("""
        name: unclosed
        demand: {customers_per_day: 10}
        transactions:
          - {name: a, share: 1, service_min: 3}
        counters: [{role: general, count: 3}
    """)
    scenario = write(tmp_path / "bad.yaml", content)
    err = run_and_check_fail(branchsim, tmp_path, scenario)
    # The '[' opens on line 5; libyaml notices the missing ']' at the end of
    # the input (line 6, column 1). Either place is a precise report.
    assert_located(err, scenario, {5, 6}, "scenario")
    assert "yaml" in err.lower()


def test_typo_of_a_required_key(branchsim, tmp_path):
    content = dedent("""
        name: typo
        demand: {customers_per_dya: 10}
        transactions:
          - {name: a, share: 1, service_min: 3}
        counters:
          - {role: general, count: 3}
    """)
    scenario = write(tmp_path / "bad.yaml", content)
    err = run_and_check_fail(branchsim, tmp_path, scenario)
    # The typo, not the key it leaves missing, with the key it misspells.
    assert_located(err, scenario, 2, "demand.customers_per_dya", 10)
    assert err.endswith("unknown key; did you mean customers_per_day?\n"), err


def test_sweep_value_error_is_located(branchsim, tmp_path):
    """An error in one sweep point's value stops the whole run before it starts."""
    content = SMALL + "sweep:\n  counters.0.count: [2, two]\n"
    scenario = write(tmp_path / "bad.yaml", content)
    err = run_and_check_fail(branchsim, tmp_path, scenario)
    line = content.splitlines().index("  counters.0.count: [2, two]") + 1
    assert_located(err, scenario, line, "counters.0.count", expected_col(content, line, "two"))


# Bad command lines: (id, arguments after the binary; SCEN is a valid scenario)
BAD_COMMAND_LINES = [
    ("no_command", []),
    ("unknown_command", ["simulate", "SCEN"]),
    ("replications_zero", ["run", "SCEN", "-o", "out.h5", "-r", "0"]),
    ("replications_negative", ["run", "SCEN", "-o", "out.h5", "-r", "-3"]),
    ("replications_not_a_number", ["run", "SCEN", "-o", "out.h5", "-r", "20x"]),
    ("threads_not_a_number", ["run", "SCEN", "-o", "out.h5", "-j", "abc"]),
    ("threads_zero", ["run", "SCEN", "-o", "out.h5", "-j", "0"]),
    ("seed_not_a_number", ["run", "SCEN", "-o", "out.h5", "-s", "seven"]),
    ("seed_negative", ["run", "SCEN", "-o", "out.h5", "-s", "-1"]),
    ("unknown_option", ["run", "SCEN", "-o", "out.h5", "--fast"]),
    ("run_without_scenario", ["run", "-o", "out.h5"]),
    ("run_two_scenarios", ["run", "SCEN", "SCEN", "-o", "out.h5"]),
    ("check_without_scenario", ["check"]),
    ("describe_without_file", ["describe"]),
]


@pytest.mark.parametrize("case", BAD_COMMAND_LINES, ids=[c[0] for c in BAD_COMMAND_LINES])
def test_bad_command_line_exits_2(branchsim, tmp_path, case):
    _, args = case
    scenario = write(tmp_path / "scen.yaml", SMALL)
    before = listing(tmp_path)
    r = branchsim(*[str(scenario) if a == "SCEN" else a for a in args], cwd=tmp_path)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stderr.strip(), "a usage error must say what is wrong"
    assert listing(tmp_path) == before


def test_seed_beyond_range_is_rejected(branchsim, tmp_path):
    """-s must not silently turn an out-of-range seed into another seed."""
    scenario = write(tmp_path / "scen.yaml", SMALL)
    r = branchsim("run", scenario, "-o", "out.h5", "-r", "5", "-q", "-s", "99999999999999999999",
                  cwd=tmp_path)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert not (tmp_path / "out.h5").exists()


def test_reader_error_points_at_the_bad_byte(branchsim, tmp_path):
    """Invalid UTF-8 on line 4 is reported on line 4, not at 1:1."""
    content = (b"name: enc\n"
               b"demand: {customers_per_day: 10}\n"
               b"transactions:\n"
               b"  - {name: caf\xe9, share: 1, service_min: 3}\n"
               b"counters:\n"
               b"  - {role: general, count: 3}\n")
    scenario = write(tmp_path / "bad.yaml", content)
    err = run_and_check_fail(branchsim, tmp_path, scenario)
    assert_located(err, scenario, 4, "scenario")


def test_second_yaml_document_is_not_ignored(branchsim, tmp_path):
    """Unknown keys are errors: keys after a '---' must not vanish silently."""
    content = SMALL + "---\ncounters:\n  - {role: general, count: 50}\n"
    scenario = write(tmp_path / "bad.yaml", content)
    err = run_and_check_fail(branchsim, tmp_path, scenario)
    doc_line = content.splitlines().index("---") + 1
    assert_located(err, scenario, {doc_line, doc_line + 1}, "")


# ---------------------------------------------------------------------------
# 2. --version and --help
# ---------------------------------------------------------------------------

def test_version(branchsim):
    r = branchsim("--version")
    assert r.returncode == 0
    assert re.match(r"^branchsim \d+\.\d+\.\d+\b", r.stdout), r.stdout
    assert r.stdout.endswith("\n") and r.stdout.count("\n") == 1


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help(branchsim, flag):
    r = branchsim(flag)
    assert r.returncode == 0
    assert r.stderr == ""
    out = r.stdout
    assert out.startswith("Usage: branchsim run SCENARIO.yaml")
    for word in ["branchsim check", "branchsim describe", "--version", "-o", "-r", "-s", "-j", "--quiet"]:
        assert word in out, word


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", [("--help",), ("check", "scenarios/mmc.yaml")])
def test_output_that_cannot_be_written_is_an_error(repo, args):
    """A table or CSV lost on a full disk must not end in exit 0."""
    with open("/dev/full", "w") as full:
        r = subprocess.run([str(branchsim_path()), *args], cwd=repo, stdout=full, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 1, r.stderr
    assert r.stderr == "branchsim: cannot write to standard output: No space left on device\n"


def test_a_closed_stderr_never_lands_in_the_run_files(repo, tmp_path):
    """With descriptor 2 closed, the checkpoint opened next took it, and every
    progress line was written into the checkpoint (which then could not be
    resumed). The closed descriptors are held on /dev/null instead."""
    import time
    out = tmp_path / "day.h5"
    proc = subprocess.Popen([str(branchsim_path()), "run", "scenarios/default.yaml", "-r", "100000", "-j", "1",
                             "-o", out], cwd=repo, stdout=subprocess.DEVNULL, preexec_fn=lambda: os.close(2))
    try:
        deadline = time.time() + 60
        while not (tmp_path / "day.h5.partial").exists() and time.time() < deadline and proc.poll() is None:
            time.sleep(0.01)
        assert (tmp_path / "day.h5.partial").exists()
        assert os.readlink(f"/proc/{proc.pid}/fd/2") == "/dev/null"
    finally:
        proc.kill()
        proc.wait()


def test_a_huge_omp_num_threads_is_capped(repo, tmp_path):
    """OMP_NUM_THREADS=100000 made libgomp crash (SIGSEGV) starting the team;
    a run uses at most one thread per block of 8 replications (here 2), and
    gives the bits of a one-thread run."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SMALL)
    env = dict(os.environ, OMP_NUM_THREADS="100000")
    r = subprocess.run([str(branchsim_path()), "run", scenario, "-r", "16", "-q", "-o", tmp_path / "many.h5"],
                       env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([str(branchsim_path()), "run", scenario, "-r", "16", "-q", "-j", "1", "-o", tmp_path / "one.h5"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    with h5py.File(tmp_path / "many.h5") as a, h5py.File(tmp_path / "one.h5") as b:
        for name in ("replications/wait_mean_min", "replications/served"):
            assert np.array_equal(a[name][()], b[name][()], equal_nan=True)


def wait_for_file(path, proc, timeout_s=60):
    import time
    deadline = time.time() + timeout_s
    while not path.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.01)
    assert path.exists(), f"{path} never appeared"


def test_a_signal_while_the_scenario_loads_ends_the_run(tmp_path):
    """A FIFO with no writer blocks the load: the first SIGTERM (a batch
    scheduler's, timeout's) used to be held for a run that never started."""
    import signal
    fifo = tmp_path / "s.yaml"
    os.mkfifo(fifo)
    proc = subprocess.Popen([str(branchsim_path()), "run", fifo, "-o", tmp_path / "out.h5", "-q"],
                            stderr=subprocess.PIPE, text=True)
    try:
        import time
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == -signal.SIGTERM
    finally:
        proc.kill()
        proc.wait()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]


def test_sighup_interrupts_a_run_like_sigterm(repo, tmp_path):
    """A closed terminal (SIGHUP) stops the run at a wave, keeps the
    checkpoint and says how to resume; it used to kill the process anywhere."""
    import signal
    out = tmp_path / "day.h5"
    proc = subprocess.Popen([str(branchsim_path()), "run", "scenarios/default.yaml", "-r", "100000", "-j", "1", "-q",
                             "-o", out], cwd=repo, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_file(tmp_path / "day.h5.partial", proc)
        proc.send_signal(signal.SIGHUP)
        assert proc.wait(timeout=60) == 1
        assert "branchsim: interrupted; the finished replications are in" in proc.stderr.read()
    finally:
        proc.kill()
        proc.wait()
    assert (tmp_path / "day.h5.partial").exists() and not out.exists()


def test_a_closed_progress_reader_does_not_end_the_run(tmp_path):
    """`run ... 2>&1 | head -2`: the progress line after the reader left
    raised SIGPIPE and ended the run; now the run finishes its file."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SMALL)
    out = tmp_path / "s.h5"
    proc = subprocess.Popen([str(branchsim_path()), "run", scenario, "-r", "4000", "-j", "1", "-o", out],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    proc.stderr.close()
    assert proc.wait(timeout=120) == 0
    assert out.exists() and not (tmp_path / "s.h5.partial").exists()


@pytest.mark.parametrize("args, message", [
    (("run", "scenarios/mmc.yaml", "--bogus"), "branchsim: run: unknown option '--bogus'"),
    (("run", "scenarios/mmc.yaml", "-o"), "branchsim: run: option '-o' needs a value"),
    (("describe", "x.h5", "--metric"), "branchsim: describe: option '--metric' needs a value"),
    (("check", "-x", "scenarios/mmc.yaml"), "branchsim: check: unknown option '-x'"),
    (("plan", "scenarios/mmc.yaml", "-Z"), "branchsim: plan: unknown option '-Z'"),
    (("run", "scenarios/mmc.yaml", "-r", " 5"), "branchsim: -r: expected an integer in [1, 100000000], got ' 5'"),
    (("run", "scenarios/mmc.yaml", "-s", "+5"), "branchsim: -s: expected an integer in [0, 9223372036854775807], got '+5'"),
])
def test_a_bad_option_is_named_in_one_line(branchsim, repo, args, message):
    r = branchsim(*args, cwd=repo)
    assert r.returncode == 2
    assert r.stderr.splitlines()[0] == message, r.stderr


def test_check_takes_a_file_after_double_dash(branchsim, repo):
    r = branchsim("check", "--", "scenarios/mmc.yaml", cwd=repo)
    assert r.returncode == 0 and "scenario 'mmc' is valid" in r.stdout, r.stderr


@pytest.mark.parametrize("value", ["0", "-1", "86401", "99999999999999999999", "1.5", "abc", " 5", "+5", "5s"])
@pytest.mark.parametrize("command", ["check", "describe"])
def test_a_bad_read_limit_is_refused(repo, command, value):
    """BRANCHSIM_READ_LIMIT_S=0 (or any value outside 1 to 86400) was
    silently replaced by the default limit."""
    env = dict(os.environ, BRANCHSIM_READ_LIMIT_S=value)
    r = subprocess.run([str(branchsim_path()), command, "scenarios/mmc.yaml"], cwd=repo, env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == (f"branchsim: BRANCHSIM_READ_LIMIT_S: '{value}' is not allowed: a whole number of seconds "
                        "from 1 to 86400, or unset for 60 s and a second more per 10 MB of the file\n")


@pytest.mark.parametrize("value", ["", "1", "86400", "007"])
def test_a_good_or_empty_read_limit_is_taken(repo, value):
    env = dict(os.environ, BRANCHSIM_READ_LIMIT_S=value)
    r = subprocess.run([str(branchsim_path()), "check", "scenarios/mmc.yaml"], cwd=repo, env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def test_the_written_path_is_escaped(branchsim, tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SMALL)
    r = branchsim("run", scenario, "-r", 4, "-o", "e\x1b[31mX\nforged.h5", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "wrote e\\x1b[31mX\\nforged.h5"
    assert "\x1b" not in r.stdout


def test_describe_into_a_closed_pipe_does_not_call_the_file_damaged(branchsim, tmp_path):
    """`describe big.h5 | head -1`: the reading child died of SIGPIPE, which
    was taken for libhdf5 crashing on a damaged file (exit 2)."""
    scenario = tmp_path / "s.yaml"
    values = ", ".join(str(v) for v in range(100, 220, 2))
    scenario.write_text(SMALL + f"sweep:\n  demand.customers_per_day: [{values}]\n")
    out = tmp_path / "big.h5"
    assert branchsim("run", scenario, "-r", 2, "-q", "-o", out).returncode == 0
    proc = subprocess.Popen([str(branchsim_path()), "describe", out], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 1
    assert err == "branchsim: cannot write to standard output: the reader closed it\n", err


# ---------------------------------------------------------------------------
# Shared runs for the output tests (module scope: each run happens once).
# ---------------------------------------------------------------------------

# A 2 x 2 grid whose first point has no customers at all, so the wait metrics
# are NaN there: determinism must hold for NaN positions too.
GRID = SMALL + dedent("""
    sweep:
      demand.customers_per_day: [0, 150]
      counters.0.count: [2, 3]
""")

SWEEP = SMALL.replace("customers_per_day: 150", "customers_per_day: 999") + dedent("""
    sweep:
      demand.customers_per_day: [100, 200, 300]
""")
SINGLE_200 = SMALL.replace("customers_per_day: 150", "customers_per_day: 200")


@pytest.fixture(scope="module")
def runs(branchsim, tmp_path_factory):
    d = tmp_path_factory.mktemp("runs")
    files = {}

    def run(tag, text, *args):
        scenario = d / f"{tag}.yaml"
        if not scenario.exists():
            scenario.write_text(text)
        out = d / f"{tag}{len(files)}.h5"
        r = branchsim("run", scenario, "-o", out, "-q", *args, cwd=d)
        assert r.returncode == 0, r.stderr
        assert r.stdout == "", "--quiet prints nothing"
        files[len(files)] = out
        return out

    return {
        "dir": d,
        "grid_j1": run("grid", GRID, "-r", "20", "-j", "1"),
        "grid_j2": run("grid", GRID, "-r", "20", "-j", "2"),
        "grid_j2_again": run("grid", GRID, "-r", "20", "-j", "2"),
        "grid_seed": run("grid", GRID, "-r", "20", "-j", "2", "-s", "12"),
        "sweep": run("sweep", SWEEP, "-r", "30", "-j", "2"),
        "single_200": run("single", SINGLE_200, "-r", "30"),
    }


def snapshot(path):
    """Root attrs (without 'created' and the command line, which name the
    time and the files) and every dataset: dtype, shape, raw bytes (or
    strings), attrs."""
    def attrs(obj):
        # Dimension-scale bookkeeping holds object references, which are
        # file-specific; the scales' names and values are compared instead.
        return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in obj.attrs.items()
                if k not in ("REFERENCE_LIST", "DIMENSION_LIST")}

    out = {}
    with h5py.File(path, "r") as f:
        root = attrs(f)
        for name in ("created", "command_argv", "command_line", "history"):
            root.pop(name, None)

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                a = obj[()]
                raw = a.tolist() if a.dtype.kind == "O" else a.tobytes()
                out[name] = (a.dtype.str, a.shape, raw, attrs(obj))

        f.visititems(visit)
    return root, out


# ---------------------------------------------------------------------------
# 3. Determinism
# ---------------------------------------------------------------------------

def assert_identical(a, b):
    root_a, ds_a = snapshot(a)
    root_b, ds_b = snapshot(b)
    assert root_a == root_b
    assert sorted(ds_a) == sorted(ds_b)
    for group in ["replications/", "summary/", "scenarios/"]:
        assert any(n.startswith(group) for n in ds_a), f"no datasets under /{group}"
    for name in ds_a:
        assert ds_a[name] == ds_b[name], f"/{name} differs"
    # The same, said with numpy: NaNs at the same places.
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        for g in ["replications", "summary"]:
            for m in fa[g]:
                if fa[g][m].dtype.kind == "f":  # not the text coordinates
                    assert np.array_equal(fa[g][m][()], fb[g][m][()], equal_nan=True), f"/{g}/{m}"


def test_threads_do_not_change_results(runs):
    with h5py.File(runs["grid_j1"], "r") as f:
        # The no-customer points really do hold NaN waits (the check is not vacuous).
        assert np.isnan(f["replications/wait_mean_min"][()]).any()
    assert_identical(runs["grid_j1"], runs["grid_j2"])


def test_same_seed_twice_is_identical(runs):
    assert_identical(runs["grid_j2"], runs["grid_j2_again"])


def test_different_seed_differs(runs):
    with h5py.File(runs["grid_j2"], "r") as a, h5py.File(runs["grid_seed"], "r") as b:
        assert int(a.attrs["seed"]) == 11 and int(b.attrs["seed"]) == 12
        arrived_a, arrived_b = a["replications/arrived"][()], b["replications/arrived"][()]
        busy = a["scenarios/demand.customers_per_day"][()] > 0
        assert not np.array_equal(arrived_a[busy], arrived_b[busy])
        # Nearly every day differs, not just one.
        assert (arrived_a[busy] != arrived_b[busy]).mean() > 0.5


# ---------------------------------------------------------------------------
# 4. HDF5 layout, summaries and confidence intervals; 5. conservation
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def mmc_run(branchsim, repo, tmp_path_factory):
    d = tmp_path_factory.mktemp("mmc")
    scenario = repo / "scenarios" / "mmc.yaml"
    out = d / "mmc.h5"
    r = branchsim("run", scenario, "-o", out, "-r", "20", cwd=d)
    assert r.returncode == 0, r.stderr
    return scenario, out, r


def test_root_attributes(branchsim, mmc_run):
    scenario, out, _ = mmc_run
    version = re.match(r"^branchsim (\S+)", branchsim("--version").stdout).group(1)
    with h5py.File(out, "r") as f:
        a = f.attrs
        for name in ["branchsim_version", "seed", "replications", "scenario_yaml", "created"]:
            assert name in a, name
        assert a["branchsim_version"] == version
        assert int(a["seed"]) == 1  # the scenario's seed: no -s given
        assert int(a["replications"]) == 20  # -r overrides the file's 200
        assert a["scenario_yaml"] == scenario.read_text()
        created = datetime.strptime(a["created"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        assert abs(datetime.now(timezone.utc) - created) < timedelta(minutes=10)
        assert isinstance(f["scenarios"], h5py.Group)
        assert list(f["scenarios"]) == ["point"]  # nothing swept: its coordinate alone


def test_replication_and_summary_datasets(mmc_run):
    _, out, _ = mmc_run
    R = 20
    with h5py.File(out, "r") as f:
        reps, summ = f["replications"], f["summary"]
        # the groups' own coordinates (netCDF dimension scales) are no metrics
        metrics = [m for m in reps if "CLASS" not in reps[m].attrs]
        assert sorted(reps) == sorted(metrics + ["point", "replication"])
        assert sorted(summ) == sorted(metrics + ["point", "stat"])
        for m in REQUIRED_METRICS:
            assert m in reps, m
        for m in metrics:
            d = reps[m]
            assert d.dtype == np.float64 and d.shape == (1, R), (m, d.dtype, d.shape)
            for attr in ["units", "long_name", "description"]:
                assert isinstance(d.attrs[attr], str) and d.attrs[attr].strip(), (m, attr)
            s = summ[m]
            stats = [str(x) for x in s.attrs["stats"]]
            assert stats[:4] == FIRST_STATS, stats
            assert s.dtype == np.float64 and s.shape == (1, len(stats)), (m, s.shape)


def check_summary(f, t_table):
    """Every /summary row against numpy on the /replications row."""
    R = int(f.attrs["replications"])
    checked = 0
    for m in variables(f["replications"]):
        x_all = f["replications"][m][()]
        s_all = f["summary"][m][()]
        stats = [str(v) for v in f["summary"][m].attrs["stats"]]
        col = {name: i for i, name in enumerate(stats)}
        for p in range(x_all.shape[0]):
            x = x_all[p][np.isfinite(x_all[p])]
            s = s_all[p]
            if "n" in col:
                assert s[col["n"]] == len(x), (m, p)
            if len(x) == 0:
                assert np.isnan(s[col["mean"]]), (m, p)
                continue
            assert math.isclose(s[col["mean"]], np.mean(x), rel_tol=1e-12, abs_tol=1e-12), (m, p)
            if len(x) < 2:
                continue
            sd = np.std(x, ddof=1)
            assert math.isclose(s[col["sd"]], sd, rel_tol=1e-9, abs_tol=1e-12), (m, p)
            if len(x) != R:
                continue
            # 95 % Student t interval: mean -/+ t(0.975, R-1) * sd / sqrt(R).
            half = t_table[R - 1] * sd / math.sqrt(R)
            tol = 1e-8 * half + 1e-12  # the table value has 10 significant digits
            assert abs(s[col["ci95_low"]] - (np.mean(x) - half)) <= tol, (m, p)
            assert abs(s[col["ci95_high"]] - (np.mean(x) + half)) <= tol, (m, p)
            checked += 1
    return checked


def test_summary_mean_sd_and_ci(mmc_run, runs):
    _, out, _ = mmc_run
    with h5py.File(out, "r") as f:
        n = check_summary(f, T975)
        assert n >= len(REQUIRED_METRICS)
        # All customers are served, so the mmc waits are defined every day.
        for m in REQUIRED_METRICS:
            assert np.isfinite(f["replications"][m][()]).all(), m
    with h5py.File(runs["grid_j1"], "r") as f:  # with NaN rows and 4 points
        assert check_summary(f, T975) > 0
    with h5py.File(runs["sweep"], "r") as f:  # R = 30
        assert check_summary(f, T975) > 0


def test_metric_values_are_plausible(mmc_run, runs):
    for path in [mmc_run[1], runs["sweep"], runs["grid_j1"]]:
        with h5py.File(path, "r") as f:
            r = {m: f["replications"][m][()] for m in REQUIRED_METRICS}
            ok = np.isfinite(r["wait_mean_min"])
            assert (r["wait_mean_min"][ok] >= 0).all()
            assert (r["wait_mean_min"][ok] <= r["wait_max_min"][ok] + 1e-12).all()
            assert (r["wait_p90_min"][ok] <= r["wait_max_min"][ok] + 1e-12).all()
            share = r["share_wait_over_10min"][ok]
            assert ((share >= 0) & (share <= 1)).all()
            util = r["counter_utilization"]
            assert ((util >= 0) & (util <= 1 + 1e-12)).all()
            assert (r["events"] >= r["arrived"]).all()
            assert (r["arrived"] == np.round(r["arrived"])).all()


def test_everyone_who_arrives_is_served(mmc_run, runs):
    for path in [mmc_run[1], runs["grid_j1"], runs["sweep"], runs["single_200"]]:
        with h5py.File(path, "r") as f:
            arrived = f["replications/arrived"][()]
            served = f["replications/served"][()]
            assert np.isfinite(arrived).all()
            assert np.array_equal(arrived, served), path.name
    with h5py.File(mmc_run[1], "r") as f:
        assert (f["replications/arrived"][()] > 0).all()


def test_run_without_quiet_prints_the_table(mmc_run):
    _, out, r = mmc_run
    # stderr holds only progress lines (one per 10 % when not a terminal).
    assert all(line.startswith("branchsim: ") and " % (" in line for line in r.stderr.splitlines())
    for m in REQUIRED_METRICS:
        assert re.search(rf"^{m}\s", r.stdout, re.M), m
    assert r.stdout.rstrip().endswith(f"wrote {out}")


# ---------------------------------------------------------------------------
# 6. Sweeps, check, common random numbers
# ---------------------------------------------------------------------------

def test_sweep_points_and_scenarios(runs):
    R = 30
    with h5py.File(runs["sweep"], "r") as f:
        key = f["scenarios/demand.customers_per_day"]
        assert key.shape == (3,)
        assert key[()].tolist() == [100, 200, 300]
        for m in variables(f["replications"]):
            assert f["replications"][m].shape == (3, R), m
            assert f["summary"][m].shape[0] == 3, m
        arrived = f["replications/arrived"][()]
    means = arrived.mean(axis=1)
    assert (np.diff(means) > 0).all(), means
    # The day's arrivals are Poisson(customers_per_day): each mean lies within
    # 4 standard errors sqrt(lambda / R) of lambda.
    for lam, mean in zip([100, 200, 300], means):
        assert abs(mean - lam) < 4 * math.sqrt(lam / R), (lam, mean)


def test_grid_sweep_covers_every_combination(runs):
    with h5py.File(runs["grid_j1"], "r") as f:
        cpd = f["scenarios/demand.customers_per_day"][()]
        count = f["scenarios/counters.0.count"][()]
        assert f["replications/arrived"].shape == (4, 20)
        assert sorted(zip(cpd.tolist(), count.tolist())) == [(0, 2), (0, 3), (150, 2), (150, 3)]
        arrived = f["replications/arrived"][()]
        assert (arrived[cpd == 0] == 0).all()
        # Common random numbers: the same customers come whatever the counters.
        busy = np.flatnonzero(cpd == 150)
        assert np.array_equal(arrived[busy[0]], arrived[busy[1]])
        util = f["replications/counter_utilization"][()]
        three = busy[count[busy] == 3][0]
        two = busy[count[busy] == 2][0]
        assert util[three].mean() < util[two].mean()


def test_check_prints_the_points_and_writes_nothing(branchsim, tmp_path):
    scenario = write(tmp_path / "sweep.yaml", SWEEP)
    before = listing(tmp_path)
    r = branchsim("check", scenario, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    # 300 customers in 6 hours at 3 counters of 4.8 min: rho = 0.833 x 4.8 / 3 (test_check_warnings.py).
    assert r.stderr.startswith("branchsim: warning: ") and r.stderr.count("\n") == 1, r.stderr
    assert "rho = 1.33 from 09:00 to 15:00" in r.stderr and "at point 2 (" in r.stderr
    assert listing(tmp_path) == before
    lines = r.stdout.splitlines()
    assert "3 points" in lines[0]
    # A table: a header naming the swept keys, then one row per point.
    assert lines[1].split() == ["point", "demand.customers_per_day"]
    rows = [l.split() for l in lines[2:]]
    assert rows == [["0", "100", "(baseline)"], ["1", "200"], ["2", "300"]]


def test_check_of_a_single_point(branchsim, tmp_path):
    scenario = write(tmp_path / "one.yaml", SMALL)
    r = branchsim("check", scenario, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "1 point" in r.stdout and "valid" in r.stdout
    assert listing(tmp_path) == ["one.yaml"]


def test_common_random_numbers_across_files(runs):
    """Replication r of a point is the same day whatever else the file holds."""
    with h5py.File(runs["sweep"], "r") as sw, h5py.File(runs["single_200"], "r") as one:
        assert sw["scenarios/demand.customers_per_day"][1] == 200
        assert sorted(variables(sw["replications"])) == sorted(variables(one["replications"]))
        for m in variables(one["replications"]):
            a = sw["replications"][m][1]
            b = one["replications"][m][0]
            assert a.tobytes() == b.tobytes(), m
            assert sw["summary"][m][1].tobytes() == one["summary"][m][0].tobytes(), m


def test_sweep_over_a_mapping_valued_key(branchsim, tmp_path):
    """Sweeping a distribution replaces the whole base mapping; its keys are
    not 'unknown' because no point reads them."""
    content = SMALL + dedent("""
        sweep:
          transactions.0.service_min: [{dist: exponential, mean: 4}, {dist: gamma, mean: 4, cv: 0.5}]
    """)
    scenario = write(tmp_path / "dist_sweep.yaml", content)
    r = branchsim("check", scenario, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "2 points" in r.stdout


# ---------------------------------------------------------------------------
# 7. describe
# ---------------------------------------------------------------------------

def test_describe_prints_every_metric_with_the_summary(branchsim, runs):
    path = runs["sweep"]
    r = branchsim("describe", path)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    # Each point opens with "point P (key = value, ...)"; rows are
    # "name unit mean sd ci95_low ci95_high [difference [CI]]".
    blocks = re.split(r"^point (\d+) \((.*)\)$", r.stdout, flags=re.M)
    assert "3 points" in blocks[0] and "30 replications" in blocks[0]
    assert [int(b) for b in blocks[1::3]] == [0, 1, 2]
    with h5py.File(path, "r") as f:
        metrics = variables(f["summary"])
        for p, (keys, body) in enumerate(zip(blocks[2::3], blocks[3::3])):
            assert f"demand.customers_per_day = {[100, 200, 300][p]}" in keys
            rows = {l.split()[0]: l.split() for l in body.splitlines() if l.strip()}
            # Metrics undefined at every point (features the scenario does not
            # use) are left out of the table, and the count is said.
            undefined = [m for m in metrics if np.all(np.isnan(f["summary"][m][:, 0]))]
            if undefined:
                assert f"({len(undefined)} metrics undefined at every point" in r.stdout
            for m in metrics:
                if m in undefined:
                    assert m not in rows, (p, m)
                    continue
                assert m in rows, (p, m)
                stats = [str(s) for s in f["summary"][m].attrs["stats"]]
                want = f["summary"][m][p]
                # columns: name unit mean sd ci95_low ci95_high, printed %.4g
                shown = [float(v) for v in rows[m][2:6]]
                for name, v in zip(FIRST_STATS, shown):
                    w = want[stats.index(name)]
                    if math.isnan(w):
                        assert math.isnan(v), (p, m, name)
                    else:
                        assert math.isclose(v, w, rel_tol=1e-3, abs_tol=1e-9), (p, m, name, v, w)


def test_describe_rejects_a_non_hdf5_file(branchsim, tmp_path):
    bogus = write(tmp_path / "not_hdf5.h5", SMALL)
    r = branchsim("describe", bogus)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert str(bogus) in r.stderr
    assert r.stdout == ""


def test_describe_rejects_a_missing_file(branchsim, tmp_path):
    r = branchsim("describe", tmp_path / "missing.h5")
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "missing.h5" in r.stderr


def test_describe_rejects_an_hdf5_file_of_another_program(branchsim, tmp_path):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["data"] = np.arange(3.0)
    r = branchsim("describe", other)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert str(other) in r.stderr


# ---------------------------------------------------------------------------
# 8. Default output name; 9. output that cannot be written
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name,expected", [("foo.yaml", "foo.h5"), ("bar.yml", "bar.h5")])
def test_default_output_name_is_in_the_cwd(branchsim, tmp_path, name, expected):
    (tmp_path / "path" / "to").mkdir(parents=True)
    scenario = write(tmp_path / "path" / "to" / name, SMALL)
    work = tmp_path / "work"
    work.mkdir()
    r = branchsim("run", "../path/to/" + name, "-r", "5", cwd=work)
    assert r.returncode == 0, r.stderr
    assert listing(work) == [expected]
    assert listing(tmp_path / "path" / "to") == [name]
    assert r.stdout.rstrip().endswith(f"wrote {expected}")
    with h5py.File(work / expected, "r") as f:
        assert f["replications/arrived"].shape == (1, 5)
        assert f.attrs["scenario_yaml"] == scenario.read_text()


def test_output_directory_missing(branchsim, tmp_path):
    scenario = write(tmp_path / "scen.yaml", SMALL)
    out = tmp_path / "no_such_dir" / "out.h5"
    r = branchsim("run", scenario, "-o", out, "-r", "5", cwd=tmp_path)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert str(out) in r.stderr
    assert r.stdout == ""
    assert listing(tmp_path) == ["scen.yaml"]


def test_output_path_is_a_directory(branchsim, tmp_path):
    scenario = write(tmp_path / "scen.yaml", SMALL)
    target = tmp_path / "results"
    target.mkdir()
    r = branchsim("run", scenario, "-o", target, "-r", "5", "-q", cwd=tmp_path)
    assert r.returncode != 0
    assert str(target) in r.stderr
    assert target.is_dir()
    assert listing(tmp_path) == ["results", "scen.yaml"]


def _all_datasets(path):
    out = {}
    with h5py.File(path) as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
        attrs = {k: f.attrs[k] for k in ("scenario_yaml",) if k in f.attrs}
    return out, attrs


def test_the_resume_hint_repeats_every_set(repo, tmp_path):
    """The hint after an interrupted run left out --set, so following it was
    refused ("belongs to another run"): it now repeats every --set, shell-
    quoted, and the printed command finishes a file whose datasets are
    bitwise those of an uninterrupted run."""
    import shlex
    import signal
    sets = ["--set", "demand.customers_per_day=500", "--set", "name=it's a test"]
    out = tmp_path / "res.h5"
    proc = subprocess.Popen([str(branchsim_path()), "run", "scenarios/mmc.yaml", "-r", "30000", "-j", "1", "-q",
                             "-o", out, *sets], cwd=repo, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_file(tmp_path / "res.h5.partial", proc)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 1
        err = proc.stderr.read()
    finally:
        proc.kill()
        proc.wait()
    hint = re.search(r"Resume with: (.*) \(the same -r and -s, if any\)", err)
    assert hint, err
    words = shlex.split(hint.group(1))
    assert words[0] == "branchsim" and words.count("--set") == 2
    r = subprocess.run([str(branchsim_path()), *words[1:], "-r", "30000", "-q"], cwd=repo, capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    whole = tmp_path / "whole.h5"
    r = subprocess.run([str(branchsim_path()), "run", "scenarios/mmc.yaml", "-r", "30000", "-q", "-o", whole, *sets],
                       cwd=repo, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    (a, a_attrs), (b, b_attrs) = _all_datasets(out), _all_datasets(whole)
    assert a.keys() == b.keys() and a_attrs == b_attrs
    for name in a:
        x, y = np.asarray(a[name]), np.asarray(b[name])
        assert (x.tolist() == y.tolist()) if x.dtype == object else x.tobytes() == y.tobytes(), name


@pytest.mark.parametrize("setting, where", [
    ("name=a\nseed: 5", "value"), ("name=a\rb", "value"), ("name=a\tb", "value"), ("name=a\x7fb", "value"),
    ("na\nme=a", "key"), ("name\x1b=a", "key"),
])
def test_a_control_character_in_set_is_refused(repo, tmp_path, setting, where):
    """`--set $'name=a\\nseed: 5'` exited 0 with an uncommented `seed: 5`
    line in scenario_yaml (the recorded --set comment line was ended by
    the newline): a byte below 0x20 or 0x7f in a --set is exit 2, before
    anything is written."""
    out = tmp_path / "out.h5"
    r = subprocess.run([str(branchsim_path()), "run", "scenarios/mmc.yaml", "-r", "8", "-q", "-o", out,
                        "--set", setting], cwd=repo, capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr == f"branchsim: --set: control character in the {where}\n"
    assert list(tmp_path.iterdir()) == []
