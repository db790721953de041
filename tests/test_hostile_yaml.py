"""Hostile and careless scenario files: `check` and `run` never crash, hang
or exhaust memory on them; each is refused with exit 2, file:line:column,
the key and what is allowed, and leaves nothing behind (issue 12)."""
import functools
import os
import subprocess
import time

import pytest

from conftest import branchsim_path

BASE = """\
name: t
demand: {customers_per_day: 10}
transactions:
  - {name: a, share: 1, service_min: {dist: exponential, mean: 2}}
counters:
  - {role: general, count: 2}
"""


@functools.lru_cache(maxsize=None)
def sanitized():
    """ASan reserves terabytes of address space: no RLIMIT_AS under it."""
    out = subprocess.run(["ldd", str(branchsim_path())], capture_output=True, text=True).stdout
    return "libasan" in out


def refuse(branchsim, tmp_path, text, where, timeout=20):
    """check and run both exit 2 with where in the message, quickly, and
    write nothing. Returns the message."""
    if sanitized():
        timeout *= 5  # ASan and UBSan slow everything down
    scenario = tmp_path / "s.yaml"
    if isinstance(text, bytes):
        scenario.write_bytes(text)
    else:
        scenario.write_text(text)
    before = sorted(os.listdir(tmp_path))
    started = time.monotonic()
    c = branchsim("check", scenario, timeout=timeout)
    r = branchsim("run", scenario, "-o", tmp_path / "out.h5", "-q", timeout=timeout)
    assert time.monotonic() - started < timeout
    assert c.returncode == 2, (c.returncode, c.stderr[:500])
    assert r.returncode == 2, (r.returncode, r.stderr[:500])
    assert c.stderr == r.stderr
    assert where in c.stderr, c.stderr[:500]
    assert c.stderr.startswith(f"branchsim: {scenario}:")
    assert c.stderr.count("\n") == 1 and len(c.stderr) < 1200
    assert sorted(os.listdir(tmp_path)) == before
    return c.stderr


def lol(levels=12):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


HOSTILE = [
    ("cycle_in_sweep_values", BASE + "sweep: {name: [&x [*x]]}\n",
     ":7:20: scenario: the alias *x is inside the node it names"),
    ("cycle_in_swept_mapping", BASE + "balking: &x {threshold: 1, loop: *x}\nsweep: {balking: [*x]}\n",
     ":7:34: scenario: the alias *x is inside the node it names"),
    ("cycle_in_baseline", BASE + "sweep:\n  counters.0.count: [1, 2]\n  baseline: &b {counters.0.count: *b}\n",
     ":9:35: scenario: the alias *b is inside the node it names"),
    ("billion_laughs", "sweep: {name: [*a11]}\n" + lol() + BASE,
     "scenario: this alias makes it more than 2000000 values with aliases expanded"),
    ("deep_flow_lists", BASE + "x: " + "[" * 300000 + "]" * 300000 + "\n",
     ":7:67: scenario: nested more than 64 levels deep"),
    ("deep_block_lists", BASE + "x:\n" + "- " * 200000 + "1\n",
     ":8:127: scenario: nested more than 64 levels deep"),
    ("python_object_tag", BASE + "name: !!python/object/apply:os.system [ls]\n",
     "the tag tag:yaml.org,2002:python/object/apply:os.system is not used in scenario files"),
    ("merge_key", BASE + "day: &d {hours: 8}\noutput: {<<: *d}\n",
     ":8:10: output.<<: unknown key: YAML merge keys (<<) are not supported"),
    ("misspelt_required_section", BASE.replace("demand:", "demnd:"),
     ":2:1: demnd: unknown key; did you mean demand?"),
    ("misspelt_required_key", BASE.replace("customers_per_day", "customers_per_dya"),
     ":2:10: demand.customers_per_dya: unknown key; did you mean customers_per_day?"),
    ("misspelt_optional_key", BASE + "balking: {threshold: 3, probabilty: 0.5}\n",
     ":7:25: balking.probabilty: unknown key; did you mean probability?"),
    ("misspelt_swept_key", BASE + "sweep: {demand.customer_per_day: [1, 2]}\n",
     "demand.customer_per_day: swept key is not a scenario key that this scenario reads; "
     "did you mean demand.customers_per_day?"),
    ("key_and_its_parent_swept", BASE + "balking: {threshold: 2}\n"
     "sweep: {balking.threshold: [1, 2], balking: [{threshold: 1}]}\n",
     ":8:36: balking: swept together with balking.threshold, which it contains; sweep one of them"),
    ("shares_just_over_one", BASE.replace("  - {name: a, share: 1,", "  - {name: b, share: 0.500001, service_min: 1}\n"
                                                                   "  - {name: a, share: 0.500001,"),
     "transactions: shares must sum to 1 (for segment 'general'), they sum to 1.000002"),
    ("three_million_values", BASE + "x: [" + ",".join(["0"] * 3000000) + "]\n",
     ":7:3999947: scenario: the file holds more than 2000000 values (aliases expanded)"),
    # Each sweep point looks its keys up again: a mapping of 400 000 keys made
    # 10 000 points take minutes (now a hash index), and the misspelling
    # search was quadratic in a mapping's keys.
    ("many_keys_beside_a_sweep", "".join(f"demand{i:06d}: 1\n" for i in range(400000)) + BASE +
     "sweep:\n  demand.customers_per_day: [" + ", ".join(str(i) for i in range(100)) + "]\n"
     "  counters.0.count: [" + ", ".join(str(1 + i) for i in range(100)) + "]\n",
     ":1:1: demand000000: unknown key"),
    ("many_keys_before_an_error", BASE.replace("demand: {customers_per_day: 10}", "demand: {" +
                                                ", ".join(f"k{i}: 1" for i in range(100000)) +
                                                ", customers_per_day: -5}"),
     "demand.customers_per_day: must be in [0, 1e+07], got -5"),
    ("million_element_profile", BASE + "demand: {profile: [" + ", ".join(["1"] * 1000000) + "]}\n",
     ":7:1: demand: duplicate key (first given on line 2)"),
    ("million_profile_weights", BASE.replace("demand: {customers_per_day: 10}",
                                             "demand: {customers_per_day: 10, profile: [" +
                                             ", ".join(["1"] * 1000000) + "]}"),
     "demand.profile: at most 288 blocks"),
    ("key_of_100k_characters", BASE + "? " + "k" * 100000 + "\n: 1\n", ":7:3: kkkkkkkk"),
    ("simple_key_of_2k_characters", BASE + "k" * 2000 + ": 1\n", ":7:2001: scenario: YAML syntax error"),
    ("value_of_100k_characters", BASE.replace("name: t", "name: " + "n" * 100000),
     ":1:7: name: at most 95 characters"),
    ("non_utf8", BASE.encode() + b"x: \xff\xfe\n", ":7:4: scenario: YAML syntax error"),
]


@pytest.mark.parametrize("case", HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile_scenario_is_refused_quickly_and_located(branchsim, tmp_path, case):
    _, text, where = case
    refuse(branchsim, tmp_path, text, where)


NUMBERS = ["demand.customers_per_day", "counters.0.count", "transactions.0.service_min.mean"]


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", "nan", "inf", "1e400", "-1e400",
                                   "99999999999999999999999", "0x10", "'5'"])
@pytest.mark.parametrize("key", NUMBERS)
def test_numbers_that_are_not_finite_or_plain_are_refused(branchsim, tmp_path, key, value):
    section, rest = key.split(".", 1)
    text = BASE
    if key == "demand.customers_per_day":
        text = text.replace("customers_per_day: 10", f"customers_per_day: {value}")
    elif key == "counters.0.count":
        text = text.replace("count: 2", f"count: {value}")
    else:
        text = text.replace("mean: 2", f"mean: {value}")
    refuse(branchsim, tmp_path, text, f": {key}: ")


# A section given as the wrong YAML kind (line 7, after BASE): where it is,
# what it must be, and a key it may hold. Mapping sections name the keys
# the model asked for; list sections say "expected a list".
WRONG_KIND = [
    ("output: 5", ":7:9: output: expected a mapping with keys ", "bin_min"),
    ("output: [1]", ":7:9: output: expected a mapping with keys ", "warmup_min"),
    ("day: 5", ":7:6: day: expected a mapping with keys ", "hours"),
    ("day: [1]", ":7:6: day: expected a mapping with keys ", "open"),
    ("staffing: [1]", ":7:11: staffing: expected a mapping with keys ", "absence_probability"),
    ("entrance: 1", ":7:11: entrance: expected a mapping with keys ", "occupancy_cap"),
    ("exposure: 3", ":7:11: exposure: expected a mapping with keys ", "prevalence_customers"),
    ("balking: x", ":7:10: balking: expected a mapping with keys ", "threshold"),
    ("reneging: 1", ":7:11: reneging: expected a mapping with keys ", "patience_min"),
    ("online: 1", ":7:9: online: expected a mapping with keys ", "probability"),
    ("appointments: [1]", ":7:15: appointments: expected a mapping with keys ", "capacity_per_slot"),
    ("peak_shift: x", ":7:13: peak_shift: expected a mapping with keys ", "windows"),
    ("self_service: 1", ":7:15: self_service: expected a mapping with keys ", "service_min"),
    ("segments: 3", ":7:11: segments: expected a list", ""),
    ("roles: 1", ":7:8: roles: expected a list", ""),
    ("standards: 1", ":7:12: standards: expected a list", ""),
    ("sweep: 2", ":7:8: sweep: expected a mapping of dotted keys", ""),
    ("choices: x", ":7:1: choices: unknown key", ""),
]


@pytest.mark.parametrize("line,where,key", WRONG_KIND, ids=[c[0].split(":")[0] + "-" + str(i)
                                                            for i, c in enumerate(WRONG_KIND)])
def test_a_section_of_the_wrong_kind_is_refused(branchsim, tmp_path, line, where, key):
    message = refuse(branchsim, tmp_path, BASE + line + "\n", where)
    assert key in message.split("keys ", 1)[-1]


def test_a_required_section_of_the_wrong_kind_is_refused(branchsim, tmp_path):
    text = BASE.replace("demand: {customers_per_day: 10}", "demand: [1]")
    refuse(branchsim, tmp_path, text, ":2:9: demand: expected a mapping with keys customers_per_day")


def test_a_nested_mapping_of_the_wrong_kind_is_refused(branchsim, repo, tmp_path):
    text = (repo / "tests/data/scenario-keys-all.yaml").read_text()
    staff = "    staff: {kind: ffp2, efficiency_in: 0.9, efficiency_out: 0.9, compliance: 1}\n"
    assert staff in text
    refuse(branchsim, tmp_path, text.replace(staff, "    staff: 5\n"),
           ":81:12: exposure.masks.staff: expected a mapping with keys kind, efficiency_in, ")


def test_a_section_set_to_a_value_is_refused(branchsim, tmp_path):
    (tmp_path / "s.yaml").write_text(BASE)
    r = branchsim("check", tmp_path / "s.yaml", "--set", "output=5")
    assert r.returncode == 2
    assert "--set output=5: output: expected a mapping with keys warmup_min, bin_min" in r.stderr


def test_a_bom_is_read_as_utf8(branchsim, tmp_path):
    scenario = tmp_path / "bom.yaml"
    scenario.write_bytes(b"\xef\xbb\xbf" + BASE.encode())
    c = branchsim("check", scenario)
    assert c.returncode == 0, c.stderr


def test_device_is_refused_without_reading_it(branchsim):
    started = time.monotonic()
    c = branchsim("check", "/dev/zero", timeout=20)
    assert c.returncode == 2
    assert c.stderr == "branchsim: /dev/zero:1:1: scenario: not a regular file or a pipe (a device?)\n"
    assert time.monotonic() - started < 10


def test_directory_is_refused(branchsim, tmp_path):
    c = branchsim("check", tmp_path)
    assert c.returncode == 2
    assert f"{tmp_path}:1:1: scenario: is a directory" in c.stderr


def test_file_over_16_mib_is_refused_before_reading(branchsim, tmp_path):
    scenario = tmp_path / "big.yaml"
    with open(scenario, "w") as f:
        f.write(BASE)
        f.truncate(16 * 1024 * 1024 + 1)  # sparse: costs no disk
    c = branchsim("check", scenario)
    assert c.returncode == 2
    assert "16777217 bytes; a scenario file holds at most 16 MiB" in c.stderr


def test_pipe_is_read_and_an_endless_one_refused(tmp_path):
    exe = str(branchsim_path())
    ok = subprocess.run([exe, "check", "/dev/stdin"], input=BASE, capture_output=True, text=True, timeout=20)
    assert ok.returncode == 0, ok.stderr
    assert "scenario 't' is valid" in ok.stdout
    endless = subprocess.Popen(["yes", "# comment"], stdout=subprocess.PIPE)
    try:
        r = subprocess.run([exe, "check", "/dev/stdin"], stdin=endless.stdout, capture_output=True, text=True,
                           timeout=30)
    finally:
        endless.kill()
        endless.wait()
    assert r.returncode == 2
    assert "more than 16 MiB" in r.stderr


def test_a_named_fifo_waits_for_its_writer(tmp_path):
    fifo = tmp_path / "s.fifo"
    os.mkfifo(fifo)
    check = subprocess.Popen([str(branchsim_path()), "check", str(fifo)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)  # check is waiting in open(), as cat would
    with open(fifo, "w") as w:
        w.write(BASE)
    out, err = check.communicate(timeout=20)
    assert check.returncode == 0, err
    assert "scenario 't' is valid" in out


def test_check_escapes_names_and_values_from_the_file(branchsim, tmp_path):
    scenario = tmp_path / "esc.yaml"
    scenario.write_text(BASE.replace("name: t", 'name: "a\\e[31mred\\nbranchsim: forged"') +
                        'sweep: {transactions.0.name: ["x\\ny", "z"]}\n')
    c = branchsim("check", scenario)
    assert c.returncode == 0, c.stderr
    assert "\x1b" not in c.stdout
    lines = c.stdout.splitlines()
    assert ": scenario 'a\\x1b[31mred\\nbranchsim: forged' is valid: 2 points x 100 replications, seed 1;" in lines[0]
    assert lines[2].split() == ["0", "x\\ny", "(baseline)"]
    assert len(lines) == 4


def test_sweep_value_in_an_error_is_escaped(branchsim, tmp_path):
    err = refuse(branchsim, tmp_path, BASE + 'sweep: {counters.0.count: ["1\\nbranchsim: forged", 2]}\n',
                 "(sweep point 0: counters.0.count=1\\nbranchsim: forged)")
    assert "\x1b" not in err


# ---------------------------------------------------------------------------
# Memory: a run that cannot fit is refused before it allocates (exit 2, the
# figure and the limit, no file); check costs one point's memory.
# ---------------------------------------------------------------------------

def limited(gib):
    import resource

    def set_limit():
        resource.setrlimit(resource.RLIMIT_AS, (int(gib * 2**30), int(gib * 2**30)))
    return set_limit


def grid(n_a, n_b):
    return (BASE + "output: {}\nsweep:\n  demand.customers_per_day: [" + ", ".join(str(10 + i) for i in range(n_a)) +
            "]\n  counters.0.count: [" + ", ".join(str(1 + i % 1000) for i in range(n_b)) + "]\n")


@pytest.mark.skipif(sanitized(), reason="ASan needs unlimited address space")
def test_run_beyond_the_address_space_limit_is_refused_before_it_starts(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(BASE)
    out = tmp_path / "out.h5"
    started = time.monotonic()
    r = subprocess.run([str(branchsim_path()), "run", str(scenario), "-r", "5000000", "-j", "2", "-o", str(out)],
                       capture_output=True, text=True, timeout=60, preexec_fn=limited(1))
    assert r.returncode == 2, r.stderr
    assert time.monotonic() - started < 10
    assert "branchsim: a run of 1 point x 5000000 replications needs about " in r.stderr
    assert "more than ulimit -v (RLIMIT_AS) leaves" in r.stderr
    assert "use fewer replications (-r), sweep points or threads (-j)" in r.stderr
    assert sorted(os.listdir(tmp_path)) == ["s.yaml"]
    # The same run fits with fewer replications.
    r = subprocess.run([str(branchsim_path()), "run", str(scenario), "-r", "40", "-j", "2", "-q", "-o", str(out)],
                       capture_output=True, text=True, timeout=60, preexec_fn=limited(1))
    assert r.returncode == 0, r.stderr


@pytest.mark.skipif(sanitized(), reason="ASan needs unlimited address space")
def test_plan_beyond_the_limit_is_refused_too(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(BASE)
    r = subprocess.run([str(branchsim_path()), "plan", str(scenario), "--vary", "counters.0.count", "--range", "1:50",
                        "--target", "wait_mean_min<=5", "-r", "2000000", "-o", str(tmp_path / "p.h5")],
                       capture_output=True, text=True, timeout=60, preexec_fn=limited(1))
    assert r.returncode == 2, r.stderr
    assert "a run of 50 points x 2000000 replications needs about" in r.stderr
    assert sorted(os.listdir(tmp_path)) == ["s.yaml"]


@pytest.mark.skipif(sanitized(), reason="ASan needs unlimited address space")
def test_check_of_a_65536_point_sweep_fits_in_a_small_limit(tmp_path):
    """Each point is loaded, checked and freed: the 65 536 points took 4.7 GB."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(grid(256, 256))
    r = subprocess.run([str(branchsim_path()), "check", str(scenario)], capture_output=True, text=True, timeout=120,
                       preexec_fn=limited(0.5))
    assert r.returncode == 0, r.stderr
    first = r.stdout.splitlines()[0]
    assert "65536 points x 100 replications" in first
    assert "more than ulimit -v (RLIMIT_AS) leaves here" in first  # the points alone take 9 GiB
    assert len(r.stdout.splitlines()) == 65536 + 2


def test_check_states_what_a_run_needs(branchsim, tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(BASE)
    r = branchsim("check", scenario)
    assert r.returncode == 0
    assert "; a run needs about " in r.stdout and " MiB of memory on " in r.stdout


@pytest.mark.skipif(sanitized(), reason="ASan needs unlimited address space")
def test_a_multi_key_plan_beyond_the_limit_is_refused_too(tmp_path):
    """The walk keeps every evaluated point's results: each batch is
    checked as a run of the points kept so far and its own. (The grid,
    now the default, is checked as one run of all its points.)"""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(BASE)
    r = subprocess.run([str(branchsim_path()), "plan", str(scenario), "--vary", "counters.0.count", "--range", "1:50",
                        "--vary", "demand.customers_per_day", "--range", "10:60", "--cost", "counters.0.count",
                        "--target", "wait_mean_min<=5", "--search", "monotone", "-r", "2000000",
                        "-o", str(tmp_path / "p.h5")],
                       capture_output=True, text=True, timeout=60, preexec_fn=limited(1))
    assert r.returncode == 2, r.stderr
    assert "a run of 1 point x 2000000 replications needs about" in r.stderr
    assert sorted(os.listdir(tmp_path)) == ["s.yaml"]
