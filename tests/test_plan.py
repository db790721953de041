"""`branchsim plan` over several keys with a cost, targets on breakdown
metrics, exact binomial bounds, and `--set KEY=VALUE` for run, check and
plan. (The one-key plan's tests are in test_branch_output.py.)

Run: BRANCHSIM=build/branchsim /usr/bin/python3 -m pytest -q tests/test_plan.py
"""
import math
import re

import h5py
import numpy as np
import pytest

# Two roles, each serving only its own segment: two independent M/M/c
# queues (lambda 2/min and 1.5/min, mu 1/min) over an 8-hour day.
TWO_ROLES = """name: two-roles
seed: 7
replications: 20
day: {hours: 8}
demand: {customers_per_day: 1680}
segments:
  - {name: walkin, share: 0.5714285714285714}
  - {name: business, share: 0.4285714285714286}
transactions: [{service_min: {dist: exponential, mean: 1.0}}]
roles:
  - {name: ra, serves: [walkin]}
  - {name: rb, serves: [business]}
counters:
  - {role: ra, count: 3}
  - {role: rb, count: 3}
"""
KEYS = ["--vary", "counters.0.count", "--range", "1:6", "--vary", "counters.1.count", "--range", "1:6"]
COST = "counters.0.count*1 + counters.1.count*1.2"
TARGETS = ["--target", "segments/wait_mean_min[walkin]<=0.5", "--target", "segments/wait_mean_min[business]<=0.5"]
# One-sided Student t quantile t(0.95, 19) = 1.729132812 (scipy.stats.t.ppf(0.95, 19)).
T95_19 = 1.729132812


@pytest.fixture
def two_roles(tmp_path):
    scenario = tmp_path / "two.yaml"
    scenario.write_text(TWO_ROLES)
    return scenario


def answer_of(path):
    with h5py.File(path) as f:
        return str(f.attrs["plan_answer"]), int(f.attrs["plan_points_evaluated"])


def grid_answer_from_file(path, metric_names, bound, cost):
    """The cheapest point of a sweep file whose one-sided 95 % t bound
    (mean + t(0.95, n-1) sd / sqrt(n)) meets every target; ties to the
    first point in grid order."""
    with h5py.File(path) as f:
        a = f["scenarios/counters.0.count"][()]
        b = f["scenarios/counters.1.count"][()]
        segments = [s.decode() if isinstance(s, bytes) else s for s in f["segments"].attrs["segments"]]
        waits = f["segments/wait_mean_min"][()]  # (points, replications, segments)
    best = None
    for p in range(len(a)):
        ok = True
        for name in metric_names:
            x = waits[p, :, segments.index(name)]
            upper = x.mean() + T95_19 * x.std(ddof=1) / math.sqrt(len(x))
            ok = ok and upper <= bound
        c = cost(a[p], b[p])
        if ok and (best is None or c < best[0] - 1e-9):
            best = (c, f"counters.0.count={a[p]:g}, counters.1.count={b[p]:g}")
    return best[1]


def test_monotone_search_finds_the_grid_answer_with_fewer_points(branchsim, two_roles, tmp_path):
    """The staircase walk over the 6 x 6 grid evaluates at most 6 + 6 points
    (10 here) and finds the cheapest point that the full grid finds; the
    grid's answer is checked against the sweep file's own replications.
    Every point the walk kept is bitwise the grid's point (common random
    numbers: each point's days depend on the seed and the day alone)."""
    walk, grid = tmp_path / "walk.h5", tmp_path / "grid.h5"
    r = branchsim("plan", two_roles, *KEYS, "--cost", COST, *TARGETS, "--search", "monotone", "-o", walk)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    g = branchsim("plan", two_roles, *KEYS, "--cost", COST, *TARGETS, "--search", "grid", "-o", grid, "-q")
    assert g.returncode == 0, g.stderr
    (walk_answer, walked), (grid_answer, gridded) = answer_of(walk), answer_of(grid)
    assert gridded == 36 and walked < 36, (walked, gridded)
    assert walked == 10
    assert walk_answer == grid_answer
    assert grid_answer == grid_answer_from_file(grid, ["walkin", "business"], 0.5, lambda a, b: a + 1.2 * b)
    assert f"answer: {walk_answer} at cost" in r.stdout and "10 of 36 points evaluated" in r.stdout
    # The printed table lists each evaluated point, the answer marked.
    rows = [line for line in r.stdout.splitlines() if re.match(r"^\d", line)]
    assert len(rows) == 10 and sum("<- answer" in line for line in rows) == 1
    with h5py.File(walk) as w, h5py.File(grid) as f:
        assert w.attrs["plan_search"] == "monotone search" and f.attrs["plan_search"] == "grid search"
        assert w.attrs["plan_confidence"] == 0.95 and w.attrs["plan_cost"] == COST
        assert w["replications/wait_mean_min"].shape == (10, 20)
        pairs = list(zip(f["scenarios/counters.0.count"][()], f["scenarios/counters.1.count"][()]))
        rows = [pairs.index(p) for p in zip(w["scenarios/counters.0.count"][()], w["scenarios/counters.1.count"][()])]
        for name in ("replications/wait_mean_min", "segments/wait_mean_min", "timeseries/queue_length"):
            assert np.array_equal(w[name][()], f[name][()][rows], equal_nan=True), name


def test_the_default_search_answers_what_the_grid_does(branchsim, repo, tmp_path):
    """More demand lengthens waits, so the monotone walk's assumption is
    false over counters x demand: it answered 4 counters (cost 4) where the
    grid finds 3 at demand 300 (cost 3). The default is the grid; the walk,
    asked for, still runs but warns naming the load key; a space beyond
    the grid's 10 000 points is exit 2, not a silent walk."""
    args = ["plan", repo / "scenarios" / "mmc.yaml", "--vary", "counters.0.count", "--range", "3:9",
            "--vary", "demand.customers_per_day", "--range", "300:600:100", "--target", "wait_mean_min<=0.002",
            "--cost", "counters.0.count*1", "-r", 10, "-q"]
    results = {}
    for search in ("default", "grid", "monotone"):
        out = tmp_path / f"{search}.h5"
        r = branchsim(*args, *([] if search == "default" else ["--search", search]), "-o", out)
        assert r.returncode == 0, r.stderr
        with h5py.File(out) as f:
            results[search] = (str(f.attrs["plan_answer"]), float(f.attrs["plan_answer_cost"]),
                               str(f.attrs["plan_search"]), r.stderr)
    want = ("counters.0.count=3, demand.customers_per_day=300", 3.0, "grid search", "")
    assert results["default"] == results["grid"] == want, results
    answer, cost, name, stderr = results["monotone"]
    assert name == "monotone search" and cost == 4.0, results  # the walk's dearer answer, as documented
    assert stderr.count("\n") == 1 and "warning: --search monotone assumes more of demand.customers_per_day" \
        in stderr, stderr
    big = [{"3:9": "1:200", "300:600:100": "300:600"}.get(a, a) for a in args]
    big = branchsim(*big, "-o", tmp_path / "big.h5")
    assert big.returncode == 2 and "grid search: 60200 points, more than 10000" in big.stderr, big.stderr
    assert not (tmp_path / "big.h5").exists()


@pytest.mark.parametrize("cost, cheap", [("counters.0.count + 1.2*counters.1.count", 0),
                                         ("1.2 * counters.0.count + counters.1.count", 1)])
def test_the_cheaper_role_is_preferred_when_both_meet(branchsim, tmp_path, cost, cheap):
    """Both roles serve everyone (others: true), so only the total number
    of counters matters to the overall wait (one M/M/c line): the cheapest
    point puts every counter but the range's least into the cheaper role."""
    scenario = tmp_path / "pooled.yaml"
    scenario.write_text(TWO_ROLES.replace("serves: [walkin]}", "serves: [walkin], others: true}")
                        .replace("serves: [business]}", "serves: [business], others: true}"))
    out = tmp_path / "p.h5"
    r = branchsim("plan", scenario, *KEYS, "--cost", cost, "--target", "wait_mean_min<=0.5", "--search", "monotone",
                  "-o", out, "-q")
    assert r.returncode == 0, r.stderr
    answer, _ = answer_of(out)
    counts = [int(v) for v in re.findall(r"=(\d+)", answer)]
    assert counts[1 - cheap] == 1 and counts[cheap] > 1, answer
    g = branchsim("plan", scenario, *KEYS, "--cost", cost, "--target", "wait_mean_min<=0.5", "--search", "grid",
                  "-o", tmp_path / "g.h5", "-q")
    assert g.returncode == 0 and answer_of(tmp_path / "g.h5")[0] == answer


def test_a_share_that_came_out_0_every_day_gets_the_t_bound(branchsim, tmp_path):
    """Only a per-day indicator (standards/met) gets the exact binomial
    bound. With counters to spare nobody waits: share_waited is 0 on each
    of the 20 days, a mean with standard deviation 0, so its Student t
    bound is 0 + t(0.95, 19) * 0 / sqrt(20) = 0 (Clopper-Pearson would
    wrongly give 1 - 0.05^(1/20) = 0.1391 for a share of customers)."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(TWO_ROLES.replace("customers_per_day: 1680", "customers_per_day: 20"))
    args = ["plan", scenario, "--vary", "counters.0.count", "--range", "6:6", "--set", "counters.1.count=6"]
    r = branchsim(*args, "--target", "share_waited<=0.01", "-o", tmp_path / "a.h5")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 (bound 0) meets" in r.stdout and "[exact binomial]" not in r.stdout, r.stdout


def test_mmc_shares_and_waits_get_the_t_bound(branchsim, repo, tmp_path):
    """scenarios/mmc.yaml (M/M/c, 200 days): from 5 counters no customer
    waits over 10 min on any day, so the share's t bound is 0 and 5..8
    meet <=0.01 (the binomial bound 1 - 0.05^(1/200) = 0.01487 failed
    them); the median wait in minutes is never given a binomial bound."""
    scenario = repo / "scenarios" / "mmc.yaml"
    args = ["plan", scenario, "--vary", "counters.0.count", "--range", "4:8"]
    r = branchsim(*args, "--target", "share_wait_over_10min<=0.01", "-o", tmp_path / "a.h5")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "[exact binomial]" not in r.stdout, r.stdout
    rows = {line.split()[0]: line for line in r.stdout.splitlines() if line[:1].isdigit()}
    for count in "5678":
        assert rows[count].endswith("meets"), r.stdout
    r = branchsim(*args, "--target", "wait_p50_min<=0.05", "-o", tmp_path / "b.h5")
    assert r.returncode in (0, 1) and "[exact binomial]" not in r.stdout, r.stdout


@pytest.mark.parametrize("extra, message", [
    (["--cost", "counters.0.count + counters.2.count*2"], "--cost: 'counters.2.count' is not a varied key"),
    (["--cost", "counters.0.count + countrs.1.count"],
     "--cost: 'countrs.1.count' is not a varied key; did you mean counters.1.count?"),
    (["--cost", "counters.0.count ++ 2"], "--cost: expected terms"),
    (["--cost", "2 counters.0.count"], "--cost: expected terms"),
    (["--cost", COST, "--target", "segments/wait_mean_min[walkn]<=1"],
     "--target: no segment 'walkn'; did you mean walkin?"),
    (["--cost", COST, "--target", "segmnts/wait_mean_min[walkin]<=1"], "--target: no group 'segmnts'; did you mean segments?"),
    (["--cost", COST, "--target", "segments/wait_man_min[walkin]<=1"],
     "--target: no metric 'wait_man_min'; did you mean wait_mean_min?"),
    ([], "plan over several keys needs --cost"),
    (["--cost", COST, "--maximize"], "--maximize applies to one key without --cost or --search"),
    (["--cost", "counters.0.count - counters.1.count", "--search", "monotone"], "--search monotone needs a cost"),
    (["--cost", COST, "--set", "counters.0.count=2"], "--set counters.0.count: --vary varies counters.0.count too"),
    (["--cost", COST, "--set", "counters.0.cont=2"], "--set counters.0.cont=2: not a key this scenario reads; "
                                                     "did you mean counters.0.count?"),
])
def test_bad_plan_input_is_named(branchsim, two_roles, tmp_path, extra, message):
    out = tmp_path / "p.h5"
    args = ["plan", two_roles, *KEYS, "--target", "wait_mean_min<=1", *extra, "-o", out]
    r = branchsim(*args)
    assert r.returncode == 2 and message in r.stderr, r.stderr
    assert not out.exists()


def test_maximize_with_a_search_is_refused(branchsim, repo, tmp_path):
    """A search minimizes a cost, and with one key and no cost every point
    costs the same, so --maximize with --search would be ignored (it
    answered 1 where the largest value meeting the target is 6)."""
    out = tmp_path / "p.h5"
    for search in ("grid", "monotone"):
        r = branchsim("plan", repo / "scenarios" / "mmc.yaml", "-r", 12, "--vary", "counters.0.count", "--range",
                      "1:10", "--target", "counter_utilization>=0.5", "--maximize", "--search", search, "-o", out)
        assert r.returncode == 2, r.stdout + r.stderr
        assert "--maximize applies to one key without --cost or --search" in r.stderr, r.stderr
        assert not out.exists()


@pytest.mark.parametrize("keys, cost, message", [
    (KEYS[:4], "-counters.0.count*1e308", "--cost '-counters.0.count*1e308' is -inf at counters.0.count=2,"),
    (["--vary", "counters.0.count", "--range", "2:6", "--vary", "counters.1.count", "--range", "2:6"],
     "counters.0.count*1e308 - counters.1.count*1e308",
     "is NaN at counters.0.count=2, counters.1.count=2, not a finite number"),
])
def test_a_cost_that_overflows_is_refused(branchsim, two_roles, tmp_path, keys, cost, message):
    """1 * -1e308 is finite but 2 * -1e308 overflows to -inf (every later
    point ties), and 2e308 - 2e308 is inf - inf = NaN: every point's cost
    is checked before anything is simulated."""
    out = tmp_path / "p.h5"
    r = branchsim("plan", two_roles, *keys, "--cost", cost, "--target", "wait_mean_min<=1", "-o", out)
    assert r.returncode == 2 and message in r.stderr, r.stderr
    assert not out.exists()


def test_a_one_key_plan_records_its_answer(branchsim, two_roles, tmp_path):
    out = tmp_path / "p.h5"
    r = branchsim("plan", two_roles, "--vary", "counters.0.count", "--range", "2:6",
                  "--target", "segments/wait_mean_min[walkin]<=0.5", "-o", out, "-q")
    assert r.returncode == 0, r.stderr
    assert "counters.0.count = 4 is the smallest value" in r.stdout
    with h5py.File(out) as f:
        assert f.attrs["plan_answer"] == "counters.0.count=4"
        assert f.attrs["plan_points_evaluated"] == 5


def test_set_runs_what_the_file_would_and_says_so(branchsim, two_roles, tmp_path):
    """--set counters.0.count=5 gives the datasets of a file that says 5,
    and the output records it (attribute `set`, and the scenario text)."""
    edited = tmp_path / "edited.yaml"
    edited.write_text(TWO_ROLES.replace("{role: ra, count: 3}", "{role: ra, count: 5}"))
    a, b = tmp_path / "a.h5", tmp_path / "b.h5"
    assert branchsim("run", two_roles, "--set", "counters[0].count=5", "-r", 4, "-q", "-o", a).returncode == 0
    assert branchsim("run", edited, "-r", 4, "-q", "-o", b).returncode == 0
    with h5py.File(a) as f, h5py.File(b) as g:
        assert list(f.attrs["set"]) == ["counters.0.count=5"] and "set" not in g.attrs
        assert f.attrs["scenario_yaml"].endswith("# --set counters.0.count=5\n")
        for name in ("replications/wait_mean_min", "segments/wait_mean_min", "roles/counter_utilization"):
            assert np.array_equal(f[name][()], g[name][()], equal_nan=True), name
    r = branchsim("check", two_roles, "--set", "demand.customers_per_day=100", "--set", "replications=3")
    assert r.returncode == 0 and "1 point x 3 replications" in r.stdout and "--set demand.customers_per_day=100" in r.stdout


@pytest.mark.parametrize("command", ["run", "check", "plan"])
@pytest.mark.parametrize("setting, message", [
    ("counters.0.cont=2", "--set counters.0.cont=2: not a key this scenario reads; did you mean counters.0.count?"),
    ("demand.customers_pr_day=2", "did you mean demand.customers_per_day?"),
    ("counters.0.count=x", "two.yaml: --set counters.0.count=x: counters.0.count: expected an integer in [0, 1000], got 'x'"),
    ("counters.0.count=-1", "--set counters.0.count=-1: counters.0.count: must be in [0, 1000], got -1"),
    ("counters.0.count", "--set 'counters.0.count': expected KEY=VALUE"),
])
def test_bad_set_is_named(branchsim, two_roles, tmp_path, command, setting, message):
    out = tmp_path / "o.h5"
    extra = {"run": ["-o", out], "check": [],
             "plan": ["--vary", "demand.customers_per_day", "--range", "10:20:10", "--target", "wait_mean_min<=1",
                      "-o", out]}[command]
    r = branchsim(command, two_roles, "--set", setting, *extra)
    assert r.returncode == 2 and message in r.stderr, r.stderr
    assert not out.exists()


def test_a_plan_bounds_the_share_of_days_a_standard_is_met(branchsim, two_roles, tmp_path):
    """standards/met is 0 or 1 per day, so its bound is the exact binomial
    one: a point that met the default wait_10min standard on all 30 days
    has the one-sided 95 % lower bound 0.05^(1/30) = 0.9050 for the share
    of days met (Clopper-Pearson with 30 successes in 30). The walk's
    answer is the grid's."""
    assert 0.05 ** (1 / 30) == pytest.approx(0.90497, abs=1e-5)
    args = ["plan", two_roles, "-r", 30, "--vary", "counters.0.count", "--range", "2:6", "--vary",
            "counters.1.count", "--range", "1:6", "--cost", "counters.0.count + 1.2*counters.1.count",
            "--target", "standards/met[wait_10min]>=0.8"]
    r = branchsim(*args, "-o", tmp_path / "w.h5")
    assert r.returncode == 0, r.stderr
    assert "1 (bound 0.905) meets [exact binomial]  <- answer" in r.stdout, r.stdout
    g = branchsim(*args, "--search", "grid", "-o", tmp_path / "g.h5", "-q")
    assert g.returncode == 0 and answer_of(tmp_path / "g.h5")[0] == answer_of(tmp_path / "w.h5")[0]
    bad = branchsim(*args[:-1], "standards/met[wait_10mn]>=0.8", "-o", tmp_path / "b.h5")
    assert bad.returncode == 2 and "--target: no standard 'wait_10mn'; did you mean wait_10min?" in bad.stderr
    assert not (tmp_path / "b.h5").exists()


def test_one_key_with_a_cost_is_bisected(branchsim, two_roles, tmp_path):
    """The monotone search on one key bisects: at most ceil(log2(17)) = 5
    of the 16 values, and the least value that meets, as the plain one-key
    plan (every value) finds it."""
    one = ["plan", two_roles, "--vary", "counters.0.count", "--range", "1:16", "--set", "counters.1.count=6",
           "--target", "segments/wait_mean_min[walkin]<=0.5"]
    plain = branchsim(*one, "-o", tmp_path / "a.h5", "-q")
    assert plain.returncode == 0, plain.stderr
    r = branchsim(*one, "--cost", "counters.0.count*2", "--search", "monotone", "-o", tmp_path / "b.h5", "-q")
    assert r.returncode == 0, r.stderr
    (want, all_values), (got, evaluated) = answer_of(tmp_path / "a.h5"), answer_of(tmp_path / "b.h5")
    assert all_values == 16 and evaluated <= 5 and got == want == "counters.0.count=4", (got, want, evaluated)


def test_a_search_over_days_with_different_slots_writes_what_a_sweep_would(branchsim, tmp_path):
    """Bisecting day.hours runs 3 h and 4 h in separate batches whose
    results differ in layout (12 and 16 slots, 6 and 8 bins); the file holds
    bitwise what a sweep over those two points writes (NaN beyond the
    shorter day's slots and bins). It used to stop: 'the points differ in
    their results' layout'."""
    base = ("day: {hours: 2}\ndemand: {customers_per_day: 60}\ntransactions: [{service_min: 2}]\n"
            "counters: [{count: 2}]\n"
            "appointments: {slot_min: 15, capacity_per_slot: 2, window_slots: 0, booking_probability: 0.5}\n")
    (tmp_path / "p.yaml").write_text(base)
    (tmp_path / "s.yaml").write_text(base + "sweep: {day.hours: [3, 4]}\n")
    r = branchsim("plan", tmp_path / "p.yaml", "--vary", "day.hours", "--range", "1:4", "--cost", "day.hours*1",
                  "--search", "monotone", "-r", 8, "--target", "bookings_refused<=11", "-q", "-o", tmp_path / "p.h5")
    assert r.returncode == 0, r.stderr
    assert answer_of(tmp_path / "p.h5") == ("day.hours=4", 2)
    assert branchsim("run", tmp_path / "s.yaml", "-r", 8, "-q", "-o", tmp_path / "s.h5").returncode == 0

    def datasets(path):
        out = {}
        with h5py.File(path) as f:
            f.visititems(lambda name, d: out.__setitem__(name, d[()].tolist() if d.dtype.kind in "OS" else
                                                         d[()].tobytes()) if isinstance(d, h5py.Dataset) else None)
        return out
    plan, sweep = datasets(tmp_path / "p.h5"), datasets(tmp_path / "s.h5")
    assert plan.keys() == sweep.keys() and "slots/start_min" in plan
    assert [n for n in plan if plan[n] != sweep[n]] == []
    # A target on one slot has no meaning across those points: refused, said once, no file.
    r = branchsim("plan", tmp_path / "p.yaml", "--vary", "day.hours", "--range", "1:4", "--cost", "day.hours*1",
                  "--search", "monotone", "-r", 8, "--target", "slots/refused[09:00]<=5", "-q", "-o", tmp_path / "t.h5")
    assert r.returncode == 2 and r.stderr.count("branchsim:") == 1, r.stderr
    assert "slots/refused[09:00]: the plan's points have different slots" in r.stderr
    assert not (tmp_path / "t.h5").exists()


@pytest.mark.parametrize("confidence, shown", [("0.999", "99.9 %"), ("0.95", "95 %"), ("0.975", "97.5 %")])
def test_the_confidence_is_printed_as_given(branchsim, two_roles, tmp_path, confidence, shown):
    """--confidence 0.999 was printed as '100 % confidence' and '(100 %
    bound)' (rounded to a whole percent): a claim no bound can make."""
    for keys in (KEYS[:4], KEYS):
        extra = ["--cost", COST] if len(keys) > 4 else []
        r = branchsim("plan", two_roles, "-r", 5, *keys, *extra, "--target", "wait_mean_min<=1",
                      "--confidence", confidence, "-o", tmp_path / "p.h5")
        assert r.returncode in (0, 1), r.stdout + r.stderr
        assert f"at {shown} confidence" in r.stdout and f"({shown} bound)" in r.stdout, r.stdout
