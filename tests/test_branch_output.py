"""Output of the branch day: /segments, /roles and /timeseries groups, their
determinism across thread counts, and branch-specific input errors at the CLI."""
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
BRANCHSIM = str((ROOT / os.environ.get("BRANCHSIM", "build/branchsim")).resolve())
DEFAULT = ROOT / "scenarios" / "default.yaml"


def run(*args, cwd=None):
    return subprocess.run([BRANCHSIM, *map(str, args)], capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="module")
def default_runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("branch")
    outs = []
    for threads in (1, 2):
        out = d / f"j{threads}.h5"
        r = run("run", DEFAULT, "-r", 40, "-j", threads, "-q", "-o", out)
        assert r.returncode == 0, r.stderr
        outs.append(out)
    return outs


def datasets(path):
    found = {}
    with h5py.File(path) as f:
        f.visititems(lambda name, obj: found.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return found


def test_every_dataset_is_identical_for_one_and_two_threads(default_runs):
    a, b = (datasets(p) for p in default_runs)
    assert a.keys() == b.keys()
    for name in a:
        if a[name].dtype == object:  # strings: compare the text, not the pointers
            assert a[name].tolist() == b[name].tolist(), name
        else:
            assert a[name].tobytes() == b[name].tobytes(), name


def test_segment_and_role_breakdowns(default_runs):
    with h5py.File(default_runs[0]) as f:
        segments = [s.decode() if isinstance(s, bytes) else s for s in f["segments"].attrs["segments"]]
        roles = [s.decode() if isinstance(s, bytes) else s for s in f["roles"].attrs["roles"]]
        assert segments == ["general", "elderly", "vip", "business"]
        assert roles == ["priority", "vip", "general"]
        arrived = f["segments/arrived"][()]
        assert arrived.shape == (1, 40, 4)
        # The segments partition the arrivals, replication by replication.
        assert np.array_equal(arrived.sum(axis=2), f["replications/arrived"][()])
        served = f["segments/served"][()].sum(axis=2)
        assert np.array_equal(served, f["replications/served"][()])
        util = f["roles/counter_utilization"][()]
        assert util.shape == (1, 40, 3)
        open_mean = f["roles/counters_open_mean"][()]
        # Undefined (NaN) exactly when the role never opened (its staff absent).
        assert np.array_equal(np.isnan(util), open_mean == 0)
        assert np.all((util[~np.isnan(util)] >= 0) & (util[~np.isnan(util)] <= 1))
        for name in ("wait_mean_min", "wait_p90_min"):
            assert f[f"segments/{name}"].attrs["units"] == "min"


def test_timeseries_bins_cover_the_day(default_runs):
    with h5py.File(default_runs[0]) as f:
        ts = f["timeseries"]
        assert ts.attrs["bin_min"] == 15
        for name in ("arrivals", "occupancy", "queue_length", "counters_open", "wait_mean_min"):
            assert ts[name].shape == (1, 32), name
        # Mean arrivals per bin add up to the mean arrivals of the day.
        assert abs(ts["arrivals"][0].sum() - f["replications/arrived"][0].mean()) < 1e-9
        # The lunch peak (12:00-13:30, bins 12..17) has the longest line.
        queue = ts["queue_length"][0]
        assert 12 <= int(np.argmax(queue)) <= 19
        # Conservation in every replication.
        rep = {m: f[f"replications/{m}"][0] for m in ("arrived", "served", "abandoned", "turned_away")}
        assert np.array_equal(rep["arrived"], rep["served"] + rep["abandoned"] + rep["turned_away"])


BASE = "demand: {customers_per_day: 100}\ntransactions: [{service_min: 2}]\n"


@pytest.mark.parametrize("text, where", [
    (BASE + "segments: [{name: a, share: 0.5}, {name: b, share: 0.4}]\ncounters: [{count: 1}]\n",
     ":3:11: segments: shares must sum to 1"),
    (BASE + "counters:\n  - count: 2\n    schedule: [{from: \"16:00\", to: \"18:00\", open: 1}]\n",
     ":5:36: counters.0.schedule.0.to: is past closing time"),
    (BASE + "roles: [{name: r, serves: [elderly]}]\ncounters: [{role: r, count: 1}]\n",
     ":3:28: roles.0.serves.0: 'elderly' is not a customer class"),
    (BASE + "counters: [{count: 1}]\nreneging: {patience_min: -3}\n",
     ":4:26: reneging.patience_min: must be in [0, 1e+06]"),
])
def test_bad_branch_input_exits_2_and_writes_nothing(tmp_path, text, where):
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(text)
    r = run("run", scenario, "-o", tmp_path / "out.h5", cwd=tmp_path)
    assert r.returncode == 2
    assert f"{scenario}{where}" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


@pytest.mark.parametrize("name, key", [
    ("appointments", "appointments.capacity_per_slot"),
    ("peak-shift", "peak_shift.incentive"),
    ("self-service", "self_service.kiosks"),
])
def test_shipped_choice_scenarios_conserve_every_intent(tmp_path, name, key):
    out = tmp_path / f"{name}.h5"
    r = run("run", ROOT / "scenarios" / f"{name}.yaml", "-r", 20, "-q", "-o", out)
    assert r.returncode == 0, r.stderr
    with h5py.File(out) as f:
        m = {k: f[f"replications/{k}"][()] for k in
             ("intents", "online", "noshows", "arrived", "served", "abandoned", "turned_away")}
        # Every intent ends in exactly one way.
        assert np.array_equal(m["intents"], m["online"] + m["noshows"] + m["served"] + m["abandoned"] + m["turned_away"])
        assert np.array_equal(m["intents"], m["online"] + m["noshows"] + m["arrived"])
        assert f[f"scenarios/{key}"].shape[0] == f["replications/arrived"].shape[0] > 1
        # Common random numbers: the same customers' intents in every point.
        assert (m["intents"] == m["intents"][0]).all()
        util = f["replications/slot_utilization"][()]
        assert np.all(np.isnan(util) | ((util >= 0) & (util <= 1)))
        # Booking requests: each booked or refused; the slots add up to the day.
        req, booked, refused = (f[f"replications/{k}"][()] for k in ("bookings_requested", "booked", "bookings_refused"))
        assert np.array_equal(req, booked + refused)
        for k, day in (("requested", req), ("booked", booked), ("refused", refused)):
            assert np.array_equal(f[f"slots/{k}"][()].sum(axis=2), day), k
        if name != "appointments":
            assert f["slots/requested"].shape[2] == 0 and f["slots/slot"].shape == (0,)


def test_slots_breakdown_names_every_slot_by_clock_time(tmp_path):
    # 288 five-minute slots: more entities than any other breakdown has.
    scenario = tmp_path / "slots.yaml"
    scenario.write_text("day: {hours: 24, open: '00:00'}\ndemand: {customers_per_day: 500}\n"
                        "transactions: [{service_min: 2}]\ncounters: [{count: 4}]\n"
                        "appointments: {slot_min: 5, capacity_per_slot: 1, window_slots: 0, booking_probability: 0.5,\n"
                        "               when_full: {other_slot: 0.2, walk_in: 0.5, leave: 0.3}}\n")
    out = tmp_path / "slots.h5"
    r = run("run", scenario, "-r", 8, "-q", "-o", out)
    assert r.returncode == 0, r.stderr
    with h5py.File(out) as f:
        names = [s.decode() for s in f["slots/slot"][()]]
        assert len(names) == 288 and names[:3] == ["00:00", "00:05", "00:10"] and names[-1] == "23:55"
        assert f["slots/refused"].dims[2][0].name == "/slots/slot"
        req, booked, refused = (f[f"slots/{k}"][()] for k in ("requested", "booked", "refused"))
        assert np.array_equal(req, booked + refused)  # window 0: nobody moves
        m = {k: f[f"replications/{k}"][()] for k in ("intents", "online", "noshows", "arrived", "bookings_refused_left")}
        assert np.array_equal(m["intents"], m["online"] + m["noshows"] + m["bookings_refused_left"] + m["arrived"])
        assert (m["bookings_refused_left"] > 0).all()


def test_a_null_choice_section_is_off(tmp_path):
    """`appointments: ~` (or null) is the same day as no appointments section."""
    base = "day: {hours: 2}\ndemand: {customers_per_day: 60}\ntransactions: [{service_min: 2}]\ncounters: [{count: 2}]\n"
    outs = []
    for i, extra in enumerate(("", "appointments: ~\nonline: null\n")):
        (tmp_path / f"{i}.yaml").write_text(base + extra)
        outs.append(tmp_path / f"{i}.h5")
        r = run("run", tmp_path / f"{i}.yaml", "-r", 8, "-q", "-o", outs[-1])
        assert r.returncode == 0, r.stderr
    a, b = datasets(outs[0]), datasets(outs[1])
    assert a.keys() == b.keys()
    for name in a:
        assert a[name].tobytes() == b[name].tobytes() if a[name].dtype != object else a[name].tolist() == b[name].tolist()


SLOT_SWEEP = ("day: {hours: 2}\ndemand: {customers_per_day: 60}\ntransactions: [{service_min: 2}]\n"
              "counters: [{count: 2}]\n"
              "appointments: {slot_min: 15, capacity_per_slot: 2, window_slots: 0, booking_probability: 0.5}\n")


def _slot_sweep_checks(f, own_slots, starts):
    """Points with different slots: the columns are named by position, each
    point's slots hold numbers and the columns beyond them NaN, start_min
    gives each slot's start, and every point's slots add up to its day."""
    n = max(own_slots)
    assert [s.decode() for s in f["slots/slot"][()]] == [f"slot {i}" for i in range(n)]
    assert [s.decode() if isinstance(s, bytes) else s for s in f["slots"].attrs["slots"]] == [
        f"slot {i}" for i in range(n)]
    start = f["slots/start_min"]
    assert start.shape == (len(own_slots), n) and start.attrs["units"] == "min"
    assert start.dims[0][0].name == "/slots/point" and start.dims[1][0].name == "/slots/slot"
    for p, (k, want) in enumerate(zip(own_slots, starts)):
        assert np.array_equal(start[p, :k], want) and np.isnan(start[p, k:]).all()
    req, booked, refused, moved = (f[f"slots/{m}"][()] for m in ("requested", "booked", "refused", "moved"))
    day = {m: f[f"replications/{m}"][()] for m in ("bookings_requested", "booked", "bookings_refused")}
    for p, k in enumerate(own_slots):
        for a in (req, booked, refused, moved):
            assert np.isfinite(a[p, :, :k]).all() and np.isnan(a[p, :, k:]).all()
        # window_slots 0: nobody moves, so requested = booked + refused per slot (conservation).
        assert np.array_equal(req[p, :, :k], booked[p, :, :k] + refused[p, :, :k])
        assert (moved[p, :, :k] == 0).all()
        assert np.array_equal(req[p, :, :k].sum(axis=1), day["bookings_requested"][p])
        assert np.array_equal(booked[p, :, :k].sum(axis=1), day["booked"][p])
        assert np.array_equal(refused[p, :, :k].sum(axis=1), day["bookings_refused"][p])
    summary = f["breakdown_summary/slots/requested"]
    n_days = summary[:, :, [s.decode() if isinstance(s, bytes) else s for s in summary.attrs["stats"]].index("n")]
    for p, k in enumerate(own_slots):  # summarized over every day where the point has the slot, else over none
        assert (n_days[p, :k] == req.shape[1]).all() and (n_days[p, k:] == 0).all()


@pytest.mark.parametrize("sweep, own_slots, starts", [
    ("{appointments.slot_min: [15, 30, 60]}", [8, 4, 2], [np.arange(8) * 15, np.arange(4) * 30, [0, 60]]),
    ("{day.hours: [2, 3]}", [8, 12], [np.arange(8) * 15, np.arange(12) * 15]),
    ("{day.open: ['09:00', '10:00']}", [8, 8], [np.arange(8) * 15] * 2),
])
def test_sweep_changing_the_slots_names_them_by_position(tmp_path, sweep, own_slots, starts):
    """A sweep that changes the slots (it was refused: 'point 1 changes the
    slots') runs; the file says which slot is which at each point, and
    describe, check and the analysis scripts read it."""
    scenario = tmp_path / "slots.yaml"
    scenario.write_text(SLOT_SWEEP + f"sweep: {sweep}\n")
    out = tmp_path / "slots.h5"
    r = run("run", scenario, "-r", 16, "-q", "-o", out)
    assert r.returncode == 0, r.stderr
    with h5py.File(out) as f:
        _slot_sweep_checks(f, own_slots, starts)
        # The same customers ask at every point (common random numbers), whatever the slots.
        req = f["slots/requested"][()]
        assert (np.nansum(req, axis=2) == np.nansum(req[0], axis=1)).all()
    assert run("describe", out).returncode == 0
    assert run("check", scenario).returncode == 0
    for script, extra in (("report.py", ["-o", tmp_path / "report"]), ("compare.py", ["--points", 0, 1])):
        r = subprocess.run([sys.executable, ROOT / "analysis" / script, out, *map(str, extra)], capture_output=True,
                           text=True)
        assert r.returncode == 0, r.stderr


def test_sweep_turns_appointments_on_and_off(tmp_path):
    """appointments: null switches the section off at a point; that point
    books nothing and has no slots (all NaN), the others keep theirs."""
    scenario = tmp_path / "onoff.yaml"
    scenario.write_text(SLOT_SWEEP + "sweep: {appointments: [null, {slot_min: 30, capacity_per_slot: 2, "
                        "window_slots: 0, booking_probability: 0.5}, ~]}\n")
    out = tmp_path / "onoff.h5"
    r = run("run", scenario, "-r", 16, "-q", "-o", out)
    assert r.returncode == 0, r.stderr
    with h5py.File(out) as f:
        _slot_sweep_checks(f, [0, 4, 0], [[], np.arange(4) * 30, []])
        assert (f["replications/bookings_requested"][0] == 0).all() and (f["replications/booked"][2] == 0).all()
        assert (f["replications/booked"][1] > 0).any()


def test_sweep_keeping_the_slots_names_them_by_clock_time(tmp_path):
    """Points that agree on their slots keep the clock-time names and no
    start_min (the file is as before slots could vary)."""
    scenario = tmp_path / "same.yaml"
    scenario.write_text(SLOT_SWEEP + "sweep: {appointments.capacity_per_slot: [1, 2]}\n")
    out = tmp_path / "same.h5"
    assert run("run", scenario, "-r", 8, "-q", "-o", out).returncode == 0
    with h5py.File(out) as f:
        assert [s.decode() for s in f["slots/slot"][()]][:3] == ["09:00", "09:15", "09:30"]
        assert "start_min" not in f["slots"]
        assert f["slots/slot"].attrs["description"] == "entity of the breakdown, by name"


def test_plan_target_on_a_slot_is_refused_when_the_slots_vary(tmp_path):
    scenario = tmp_path / "plan.yaml"
    scenario.write_text(SLOT_SWEEP)
    r = run("plan", scenario, "--vary", "appointments.slot_min", "--range", "15:30:15", "-r", 4,
            "--target", "slots/refused[09:00]<=1", "-o", tmp_path / "p.h5")
    assert r.returncode == 2, r.stderr
    assert "slots/refused[09:00]: the plan's points have different slots" in r.stderr
    assert not (tmp_path / "p.h5").exists()


def test_larger_incentive_never_adds_peak_arrivals(tmp_path):
    out = tmp_path / "ps.h5"
    assert run("run", ROOT / "scenarios" / "peak-shift.yaml", "-r", 30, "-q", "-o", out).returncode == 0
    with h5py.File(out) as f:
        peak = f["replications/peak_window_arrivals"][()]
        assert np.all(np.diff(peak, axis=0) <= 0)
        assert np.all(np.diff(f["summary/shifted"][:, 0]) > 0)


CHOICE_BASE = "day: {hours: 8}\ndemand: {customers_per_day: 100}\ntransactions: [{service_min: 2}]\ncounters: [{count: 2}]\n"


@pytest.mark.parametrize("text, where", [
    (CHOICE_BASE + "appointments: {slot_min: 60, capacity_per_slot: [1, 2, 3], booking_probability: 0.1}\n",
     ":5:49: appointments.capacity_per_slot: has 3 entries; the day has 8 slots"),
    (CHOICE_BASE + "peak_shift: {windows: [{from: \"09:00\", to: \"17:00\"}], incentive: 1, s_max: 0.5, i_half: 1}\n",
     ":5:23: peak_shift.windows: leave no off-peak time"),
    (CHOICE_BASE + "peak_shift: {windows: [{from: \"18:00\", to: \"19:00\"}], incentive: 1, s_max: 0.5, i_half: 1}\n",
     ":5:31: peak_shift.windows.0.from: must be within opening hours"),
    (CHOICE_BASE + "appointments: {slot_min: 60, capacity_per_slot: 1, booking_probability: 0.1,\n"
     "  when_full: {other_slot: 0.6, leave: 0.3}}\n",
     ":6:14: appointments.when_full: shares other_slot + walk_in + leave must sum to 1 (they sum to 0.9)"),
    (CHOICE_BASE + "appointments: {slot_min: 60, capacity_per_slot: 1, booking_probability: 0.1,\n"
     "  when_full: {other_slot: 0.5, leaves: 0.5}}\n",
     ":6:40: appointments.when_full.leaves: 'leaves' is not an option; allowed: other_slot, walk_in, leave "
     "(did you mean leave?)"),
])
def test_bad_choice_input_exits_2_and_writes_nothing(tmp_path, text, where):
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(text)
    r = run("run", scenario, "-o", tmp_path / "out.h5", cwd=tmp_path)
    assert r.returncode == 2
    assert f"{scenario}{where}" in r.stderr, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def _start_and_terminate(tmp_path, out, *extra, scenario=DEFAULT, reps=20000):
    import signal
    import time
    proc = subprocess.Popen([BRANCHSIM, "run", str(scenario), "-r", str(reps), "-q", "-o", str(out), *map(str, extra)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while not (tmp_path / (out.name + ".partial")).exists() and time.time() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


def test_interrupted_run_resumes_to_the_same_file(tmp_path):
    """SIGTERM (a batch scheduler's time limit) keeps the finished replications
    in OUT.h5.partial; --resume completes only the rest, and every dataset is
    bitwise identical to an uninterrupted run."""
    out = tmp_path / "a.h5"
    rc, err = _start_and_terminate(tmp_path, out)
    assert rc == 1, err
    assert "--resume" in err and "a.h5.partial" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.h5.partial"]
    # Another seed, or nothing to resume: refused, nothing changed.
    other = run("run", DEFAULT, "-r", 20000, "-s", 5, "-q", "-o", out, "--resume")
    assert other.returncode == 2 and "belongs to another run" in other.stderr
    none = run("run", DEFAULT, "-r", 20000, "-q", "-o", tmp_path / "nothing.h5", "--resume")
    assert none.returncode == 2 and "nothing to resume" in none.stderr
    r = run("run", DEFAULT, "-r", 20000, "-q", "-o", out, "--resume")
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.h5"]
    whole = tmp_path / "whole.h5"
    assert run("run", DEFAULT, "-r", 20000, "-q", "-o", whole, "-j", 1).returncode == 0
    a, b = datasets(out), datasets(whole)
    assert a.keys() == b.keys()
    for name in a:
        if a[name].dtype == object:
            assert a[name].tolist() == b[name].tolist(), name
        else:
            assert a[name].tobytes() == b[name].tobytes(), name


def test_a_sweep_changing_the_slots_resumes_and_refuses_another_layout(tmp_path):
    """A checkpoint of points with different slots (NaN beyond the shorter
    ones) resumes bitwise; one whose layout differs (--set day.hours: more
    slots and bins) is another run's and is refused."""
    scenario = tmp_path / "ck.yaml"
    scenario.write_text(DEFAULT.read_text() + "appointments: {slot_min: 30, capacity_per_slot: 4, "
                        "booking_probability: 0.3}\nsweep: {appointments.slot_min: [15, 30]}\n")
    out = tmp_path / "a.h5"
    rc, err = _start_and_terminate(tmp_path, out, scenario=scenario, reps=8000)
    assert rc == 1, err
    other = run("run", scenario, "-r", 8000, "-q", "-o", out, "--resume", "--set", "day.hours=9")
    assert other.returncode == 2 and "belongs to another run" in other.stderr, other.stderr
    r = run("run", scenario, "-r", 8000, "-q", "-o", out, "--resume")
    assert r.returncode == 0, r.stderr
    whole = tmp_path / "whole.h5"
    assert run("run", scenario, "-r", 8000, "-q", "-o", whole, "-j", 1).returncode == 0
    a, b = datasets(out), datasets(whole)
    assert a.keys() == b.keys() and "slots/start_min" in a
    for name in a:
        if a[name].dtype == object:
            assert a[name].tolist() == b[name].tolist(), name
        else:
            assert a[name].tobytes() == b[name].tobytes(), name


def test_a_checkpoint_is_never_overwritten_nor_resumed_by_another_build(tmp_path):
    """A run without --resume refuses to replace an interrupted run's
    checkpoint; a checkpoint written by another revision is refused."""
    out = tmp_path / "a.h5"
    rc, err = _start_and_terminate(tmp_path, out)
    assert rc == 1, err
    partial = tmp_path / "a.h5.partial"
    before = partial.read_bytes()
    again = run("run", DEFAULT, "-r", 20000, "-q", "-o", out)
    assert again.returncode == 2 and "a.h5.partial exists" in again.stderr and "--resume" in again.stderr
    assert partial.read_bytes() == before
    with h5py.File(partial, "r+") as f:
        ours = f.attrs["revision"]
        f.attrs["revision"] = "0000000"
    other = run("run", DEFAULT, "-r", 20000, "-q", "-o", out, "--resume")
    assert other.returncode == 2, other.stderr
    assert "written by branchsim revision 0000000" in other.stderr
    assert (ours.decode() if isinstance(ours, bytes) else ours) in other.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.h5.partial"]


def test_unreadable_checkpoint_is_refused(tmp_path):
    out = tmp_path / "a.h5"
    (tmp_path / "a.h5.partial").write_bytes(b"not hdf5 at all")
    r = run("run", DEFAULT, "-r", 10, "-q", "-o", out, "--resume")
    assert r.returncode == 2 and "cannot be read" in r.stderr
    assert not out.exists()


def test_epidemic_scenario_conserves_and_respects_the_cap(tmp_path):
    out = tmp_path / "epi.h5"
    r = run("run", ROOT / "scenarios" / "epidemic.yaml", "-r", 20, "-q", "-o", out)
    assert r.returncode == 0, r.stderr
    with h5py.File(out) as f:
        rep = lambda k: f[f"replications/{k}"][()]
        caps = f["scenarios/entrance.occupancy_cap"][()]
        assert np.all(rep("peak_occupancy") <= caps[:, None])
        assert np.array_equal(rep("intents"), rep("online") + rep("noshows") + rep("served") + rep("abandoned")
                              + rep("turned_away"))
        assert np.all(rep("screened_out") <= rep("turned_away"))
        assert np.all(rep("expected_infections_customers") >= 0)
        # The whole wait is its two parts over the same customers, read from the file alone.
        assert np.allclose(rep("wait_mean_min"), rep("wait_inside_mean_min") + rep("wait_outside_mean_min"),
                           rtol=1e-12, atol=1e-12)
        assert np.all(rep("wait_outside_mean_min") >= 0) and np.any(rep("wait_outside_mean_min") > 1)
        assert np.all(rep("wait_inside_p95_min") <= rep("wait_p95_min"))
        seg = lambda k: f[f"segments/{k}"][()]
        assert np.all(seg("wait_inside_mean_min") <= seg("wait_mean_min") + 1e-12)
        conc = f["timeseries/concentration"][()]
        assert conc.shape == (6, 32) and np.all(conc >= 0)
        # More ventilation never raises expected infections (same customers, same cap).
        ach = f["scenarios/exposure.air_changes_per_h"][()]
        inf = rep("expected_infections_customers")
        for cap in np.unique(caps):
            rows = np.where(caps == cap)[0]
            rows = rows[np.argsort(ach[rows])]
            assert np.all(np.diff(inf[rows], axis=0) <= 0)


SWEEP_BASE = ("day: {hours: 8}\ndemand: {customers_per_day: 400}\n"
              "transactions: [{service_min: {dist: lognormal, mean: 5, cv: 0.6}}]\ncounters: [{count: 5}]\n")


def test_compare_holds_paired_differences_against_the_baseline(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SWEEP_BASE + "sweep:\n  counters.0.count: [4, 5, 6]\n  baseline: {counters.0.count: 5.0}\n")
    out = tmp_path / "s.h5"
    assert run("run", scenario, "-r", 40, "-q", "-o", out).returncode == 0
    with h5py.File(out) as f:
        assert f["compare"].attrs["baseline"] == 1
        stats = list(f["compare/wait_mean_min"].attrs["stats"])
        reps = f["replications/wait_mean_min"][()]
        comp = f["compare/wait_mean_min"][()]
        d = reps - reps[1]
        assert np.allclose(comp[:, stats.index("mean")], d.mean(axis=1), rtol=0, atol=1e-12)
        assert np.allclose(comp[1], 0, equal_nan=True) or np.all(comp[1, :4] == 0)
        half = 2.022691 * d.std(axis=1, ddof=1) / np.sqrt(40)  # t(0.975, 39)
        assert np.allclose(comp[:, stats.index("ci95_high")], d.mean(axis=1) + half, atol=1e-9)


def test_common_random_numbers_shrink_the_variance_of_differences(tmp_path):
    """Nearby points see the same customers, so their difference varies far
    less than two independent runs would: var(a - b) << var(a) + var(b)."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SWEEP_BASE + "sweep:\n  demand.customers_per_day: [400, 420]\n")
    out = tmp_path / "s.h5"
    assert run("run", scenario, "-r", 200, "-q", "-o", out).returncode == 0
    with h5py.File(out) as f:
        w = f["replications/wait_mean_min"][()]
    paired = np.var(w[1] - w[0], ddof=1)
    independent = np.var(w[0], ddof=1) + np.var(w[1], ddof=1)
    assert paired < 0.25 * independent, (paired, independent)


@pytest.mark.parametrize("baseline, where", [
    ("7", "sweep.baseline: expected a point index in [0, 2], got '7'"),
    ("{counters.0.cnt: 5}", "sweep.baseline: 'counters.0.cnt' is not a swept key"),
    ("{counters.0.count: 9}", "sweep.baseline: names no point of the sweep"),
])
def test_bad_baseline_is_an_input_error(tmp_path, baseline, where):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SWEEP_BASE + f"sweep:\n  counters.0.count: [4, 5, 6]\n  baseline: {baseline}\n")
    r = run("check", scenario)
    assert r.returncode == 2
    assert where in r.stderr, r.stderr


def test_progress_goes_to_stderr_unless_quiet(tmp_path):
    r = run("run", ROOT / "scenarios" / "mmc.yaml", "-r", 50, "-o", tmp_path / "a.h5")
    assert r.returncode == 0
    lines = [l for l in r.stderr.splitlines() if l.startswith("branchsim: ")]
    # One line each time another tenth is done (blocks of replications may
    # cross two tenths at once), ending at 100 %.
    percents = [int(l.split()[1]) for l in lines]
    assert 5 <= len(lines) <= 10 and percents == sorted(set(percents)) and "100 % (50/50 replications" in lines[-1]
    assert "wait_mean_min" in r.stdout  # the table still goes to stdout
    q = run("run", ROOT / "scenarios" / "mmc.yaml", "-r", 50, "-q", "-o", tmp_path / "b.h5")
    assert q.returncode == 0 and q.stderr == "" and q.stdout == ""


def test_describe_csv_and_metric_selection(tmp_path):
    import csv
    import io
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SWEEP_BASE + "sweep:\n  counters.0.count: [4, 5, 6]\n  baseline: 1\n")
    out = tmp_path / "s.h5"
    assert run("run", scenario, "-r", 30, "-q", "-o", out).returncode == 0
    r = run("describe", out, "--csv", "--metric", "wait_mean_min,served")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(rows) == 6 and {row["metric"] for row in rows} == {"wait_mean_min", "served"}
    with h5py.File(out) as f:
        summary, compare = f["summary/wait_mean_min"][()], f["compare/wait_mean_min"][()]
    for row in rows:
        if row["metric"] != "wait_mean_min":
            continue
        p = int(row["point"])
        assert row["counters.0.count"] == str(4 + p)
        assert float(row["mean"]) == pytest.approx(summary[p, 0], rel=1e-9)
        assert float(row["diff_mean"]) == pytest.approx(compare[p, 0], rel=1e-9, abs=1e-12)
    table = run("describe", out, "--metric", "wait_mean_min")
    assert table.returncode == 0 and "baseline point 1" in table.stdout and "served" not in table.stdout
    bad = run("describe", out, "--metric", "no_such_metric")
    assert bad.returncode == 2 and "no_such_metric" in bad.stderr


def test_datasets_carry_dimension_scales_and_large_ones_are_compressed(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SWEEP_BASE + "sweep:\n  counters.0.count: [4, 5, 6, 7]\n")
    out = tmp_path / "s.h5"
    assert run("run", scenario, "-r", 20000, "-q", "-o", out).returncode == 0
    with h5py.File(out) as f:
        def dims(path):
            return [[s.name for s in dim.values()] for dim in f[path].dims]
        # each group its own scales (xarray takes no coordinate from a parent group)
        assert dims("replications/wait_mean_min") == [["/replications/point"], ["/replications/replication"]]
        assert dims("summary/wait_mean_min") == [["/summary/point"], ["/summary/stat"]]
        assert dims("compare/wait_mean_min") == [["/compare/point"], ["/compare/stat"]]
        assert dims("timeseries/arrivals") == [["/timeseries/point"], ["/timeseries/bin"]]
        assert dims("segments/arrived") == [["/segments/point"], ["/segments/replication"], ["/segments/segment"]]
        assert dims("scenarios/counters.0.count") == [["/scenarios/point"]]
        assert [s.decode() if isinstance(s, bytes) else s for s in f["summary/stat"][()]][:4] == \
            ["mean", "sd", "ci95_low", "ci95_high"]
        assert list(f["timeseries/bin"][:3]) == [540.0, 555.0, 570.0]  # minutes of the day from 09:00
        assert [s.decode() for s in f["timeseries/bin_start"][:2]] == ["09:00", "09:15"]
        big = f["replications/wait_mean_min"]
        assert big.compression == "gzip" and big.shuffle and big.chunks is not None
        for name in f["replications"]:
            assert f["replications"][name].attrs.get("units") is not None or name == "counters.0.count"
            assert f["replications"][name].attrs["description"]


def test_xarray_opens_the_output_without_our_reader(tmp_path):
    """The dimension scales make the groups netCDF-4 datasets with named axes."""
    import xarray as xr
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SWEEP_BASE + "sweep:\n  counters.0.count: [4, 5]\n")
    out = tmp_path / "s.h5"
    assert run("run", scenario, "-r", 12, "-q", "-o", out).returncode == 0
    with xr.open_dataset(out, group="replications", engine="netcdf4") as ds:
        assert ds["wait_mean_min"].dims == ("point", "replication")
        assert ds["wait_mean_min"].shape == (2, 12)
        assert ds["wait_mean_min"].attrs["units"] == "min"
    with xr.open_dataset(out, group="segments", engine="netcdf4") as ds:
        assert ds["arrived"].dims == ("point", "replication", "segment")
    with xr.open_dataset(out, group="timeseries", engine="netcdf4") as ds:
        assert ds["arrivals"].dims == ("point", "bin")
    # netCDF-C reads no fixed-length strings: every text dataset is variable-length UTF-8
    # (the root's string scales made netCDF4-python fail, then crash)
    with h5py.File(out) as f:
        texts = []
        f.visititems(lambda n, o: texts.append(n) if isinstance(o, h5py.Dataset) and o.dtype.kind in "SO" else None)
        assert {n.rsplit("/", 1)[-1] for n in texts} >= {"stat", "segment", "role", "standard"}
        for name in texts:
            info = h5py.check_string_dtype(f[name].dtype)
            assert (info.encoding, info.length) == ("utf-8", None), name
    with xr.open_dataset(out, engine="netcdf4") as ds:  # the root: attributes and groups
        assert ds.attrs["Conventions"] == "CF-1.10"
    with xr.open_dataset(out, group="summary", engine="netcdf4") as ds:
        assert list(ds["stat"].values[:2]) == ["mean", "sd"]


def test_every_dataset_has_units_long_name_and_description(tmp_path):
    """units on every number but a swept key's (its unit is the scenario key's: docs/scenario-keys.md)."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SWEEP_BASE + "sweep:\n  counters.0.count: [4, 5]\n")
    out = tmp_path / "s.h5"
    assert run("run", scenario, "-r", 5, "-q", "-o", out).returncode == 0
    missing = []
    with h5py.File(out) as f:
        def visit(name, obj):
            if not isinstance(obj, h5py.Dataset):
                return
            number = obj.dtype.kind in "fi" and not name.endswith("counters.0.count")
            if not obj.attrs.get("long_name") or not obj.attrs.get("description") or (number and "units" not in obj.attrs):
                missing.append(name)
            if "unit" in obj.attrs:
                missing.append(name + " (the old unit attribute)")
        f.visititems(visit)
    assert missing == []


def erlang_c(c, a):
    import math
    term, total = 1.0, 0.0
    for k in range(c):
        total += term
        term *= a / (k + 1)
    tail = term / (1 - a / c)
    return tail / (total + tail)


PLAN_MMC = ("day: {hours: 24}\ndemand: {customers_per_day: 4608}\n"
            "transactions: [{service_min: {dist: exponential, mean: 1.0}}]\ncounters: [{count: 4}]\n"
            "output: {warmup_min: 360}\nreplications: 40\n")


def test_plan_finds_the_erlang_c_staffing(tmp_path):
    """lambda = 3.2/min, mu = 1/min: the fewest counters with P(wait > 0) <= 0.2
    is the smallest c with Erlang C(c, 3.2) <= 0.2 (the bound is tight enough
    here: C(5) = 0.29, C(6) = 0.13)."""
    scenario = tmp_path / "mmc.yaml"
    scenario.write_text(PLAN_MMC)
    out = tmp_path / "plan.h5"
    r = run("plan", scenario, "--vary", "counters.0.count", "--range", "4:9", "--target", "share_waited<=0.2",
            "-o", out, "-q")
    assert r.returncode == 0, r.stderr
    want = min(c for c in range(4, 10) if erlang_c(c, 3.2) <= 0.2)
    assert f"counters.0.count = {want} is the smallest value" in r.stdout
    with h5py.File(out) as f:
        assert list(f["scenarios/counters.0.count"][()]) == [4, 5, 6, 7, 8, 9]
        assert f["replications/share_waited"].shape == (6, 40)


def test_plan_without_an_answer_or_with_a_bad_metric(tmp_path):
    scenario = tmp_path / "mmc.yaml"
    scenario.write_text(PLAN_MMC)
    none = run("plan", scenario, "--vary", "counters.0.count", "--range", "4:5", "--target", "share_waited<=0.01",
               "-o", tmp_path / "a.h5", "-q")
    assert none.returncode == 1 and "no value of counters.0.count in 4:5 meets" in none.stdout
    bad = run("plan", scenario, "--vary", "counters.0.count", "--range", "4:5", "--target", "nonsense<=1",
              "-o", tmp_path / "b.h5")
    assert bad.returncode == 2 and "no metric 'nonsense'" in bad.stderr
    assert not (tmp_path / "b.h5").exists()


@pytest.mark.parametrize("sweep, where", [
    ("  points:\n    - {counters.0.count: 1, demand.customers_per_day: 5}\n"
     "    - {counters.0.count: 6, counters.0.count: 7}\n", ":7:29: sweep.points: 'counters.0.count' given twice"),
    ("  mode: zip\n  points:\n    - {counters.0.count: 1}\n", "sweep.points: mode: zip does not apply"),
])
def test_bad_explicit_points(tmp_path, sweep, where):
    scenario = tmp_path / "s.yaml"
    scenario.write_text("demand: {customers_per_day: 10}\ntransactions: [{service_min: 2}]\ncounters: [{count: 2}]\n"
                        "sweep:\n" + sweep)
    r = run("check", scenario)
    assert r.returncode == 2 and where in r.stderr, r.stderr


def test_describe_csv_quotes_values_with_commas(tmp_path):
    import csv
    import io
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SWEEP_BASE + "sweep:\n  balking: [{threshold: 10, probability: 0.5}, {threshold: 5}]\n")
    out = tmp_path / "s.h5"
    assert run("run", scenario, "-r", 4, "-q", "-o", out).returncode == 0
    r = run("describe", out, "--csv", "--metric", "balked")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [row["balking"] for row in rows] == ["{threshold: 10, probability: 0.5}", "{threshold: 5}"]


@pytest.mark.parametrize("bad_range", ["0:999.9999999999", "1e300:1e300", "nan:5", "1:5x", "1:5:0", "3:1", "1:2:3:4"])
def test_plan_rejects_bad_ranges(tmp_path, bad_range):
    scenario = tmp_path / "mmc.yaml"
    scenario.write_text(PLAN_MMC)
    r = run("plan", scenario, "--vary", "counters.0.count", "--range", bad_range, "--target", "share_waited<=0.2",
            "-o", tmp_path / "p.h5")
    assert r.returncode == 2 and "--range" in r.stderr
    assert not (tmp_path / "p.h5").exists()


@pytest.mark.parametrize("target", ["share_waited<=nan", "share_waited>=-inf", "share_waited<=1e999",
                                    "share_waited<=0x", "share_waited<="])
def test_plan_rejects_targets_that_are_not_finite_numbers(tmp_path, target):
    """A NaN bound is met by no value and an infinite one by every value."""
    scenario = tmp_path / "mmc.yaml"
    scenario.write_text(PLAN_MMC)
    r = run("plan", scenario, "--vary", "counters.0.count", "--range", "4:5", "--target", target,
            "-o", tmp_path / "p.h5")
    assert r.returncode == 2 and "--target: expected METRIC<=X or METRIC>=X with X a finite number" in r.stderr
    assert not (tmp_path / "p.h5").exists()


def test_plan_suggests_the_nearest_metric(tmp_path):
    scenario = tmp_path / "mmc.yaml"
    scenario.write_text(PLAN_MMC)
    r = run("plan", scenario, "--vary", "counters.0.count", "--range", "4:5", "--target", "share_waitd<=0.2",
            "-o", tmp_path / "p.h5")
    assert r.returncode == 2
    assert "no metric 'share_waitd'; did you mean share_waited?" in r.stderr
    assert not (tmp_path / "p.h5").exists()


@pytest.mark.parametrize("bad_range", ["0:1e12", "0:1e12:1e-300", "4000:4000.0000000000001:1e-16"])
def test_plan_rejects_ranges_of_too_many_or_indistinct_values(tmp_path, bad_range):
    """At most 1000 values, and no two that doubles cannot tell apart."""
    scenario = tmp_path / "mmc.yaml"
    scenario.write_text(PLAN_MMC)
    r = run("plan", scenario, "--vary", "demand.customers_per_day", "--range", bad_range,
            "--target", "share_waited<=0.2", "-o", tmp_path / "p.h5")
    assert r.returncode == 2 and "--range" in r.stderr
    assert not (tmp_path / "p.h5").exists()


@pytest.mark.parametrize("value_range, texts", [
    ("4608.1:4608.3:0.1", ["4608.1", "4608.2", "4608.3"]),  # 4608.1 + 2 * 0.1 is 4608.299999...
    ("4608:4608.00000000001:0.000000000005", ["4608", "4608.000000000005", "4608.00000000001"]),
])
def test_plan_runs_exactly_the_values_of_its_range(tmp_path, value_range, texts):
    """Each value reaches the scenario whole and distinct (the old texts of
    10 significant digits made the last two of these one value, 4608)."""
    scenario = tmp_path / "mmc.yaml"
    scenario.write_text(PLAN_MMC.replace("replications: 40", "replications: 2"))
    r = run("plan", scenario, "--vary", "demand.customers_per_day", "--range", value_range,
            "--target", "share_waited<=1", "-o", tmp_path / "p.h5", "-q")
    assert r.returncode == 0, r.stderr
    with h5py.File(tmp_path / "p.h5") as f:
        column = f["scenarios/demand.customers_per_day"][()]
        assert [float(v) for v in column] == [float(t) for t in texts]


def test_a_huge_value_is_not_cut_short(tmp_path):
    """1e40 once became its first 31 digits (1e30) in the scenario."""
    scenario = tmp_path / "mmc.yaml"
    scenario.write_text(PLAN_MMC)
    r = run("plan", scenario, "--vary", "demand.customers_per_day", "--range", "1e40:1e40:1e30",
            "--target", "share_waited<=0.2", "-o", tmp_path / "p.h5")
    assert r.returncode == 2
    assert "got 1e+40" in r.stderr, r.stderr


def test_control_characters_on_the_command_line_are_escaped():
    r = run("fo\no\x1b[31m")
    assert r.returncode == 2
    first = r.stderr.splitlines()[0]
    assert first == "branchsim: unknown command 'fo\\no\\x1b[31m'", first
    assert "\x1b" not in r.stderr


def test_plan_accepts_bracket_keys_and_reports_partly_defined_metrics(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SWEEP_BASE + "replications: 12\n")
    r = run("plan", scenario, "--vary", "counters[0].count", "--range", "3:8",
            "--target", "wait_max_min<=30", "-o", tmp_path / "p.h5")
    assert r.returncode == 0, r.stderr
    with h5py.File(tmp_path / "p.h5") as f:
        assert "counters.0.count" in f["scenarios"]


def test_describe_refuses_a_foreign_scenarios_dataset(tmp_path):
    """A swept key's values of another shape than (n_points) are a damaged
    file, named (they were shown as "?" once; tests/test_hostile_h5.py has
    the other shapes and types)."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SWEEP_BASE + "sweep:\n  counters.0.count: [4, 5]\n")
    out = tmp_path / "s.h5"
    assert run("run", scenario, "-r", 3, "-q", "-o", out).returncode == 0
    with h5py.File(out, "a") as f:
        del f["scenarios/counters.0.count"]
        f["scenarios"].create_dataset("counters.0.count", data=np.zeros((2, 500)))
    r = run("describe", out)
    assert r.returncode == 2 and r.stdout == ""
    assert "/scenarios/counters.0.count is (2, 500), where n_points and replications make it (2)" in r.stderr


PLAIN = """name: plain
seed: 3
replications: 30
day: {hours: 8}
demand: {customers_per_day: 900}
transactions:
  - {name: any, share: 1, service_min: {dist: constant, mean: 2.5}}
counters:
  - role: general
    count: 4
    schedule:
      - {from: "09:00", to: "10:00", open: 1}
      - {from: "12:00", to: "13:00", open: 2}
      - {from: "15:00", to: "15:30", open: 0}
  - role: general
    count: 3
    schedule:
      - {from: "09:00", to: "10:00", open: 0}
      - {from: "12:00", to: "13:00", open: 1}
staffing: {absence_probability: 0.2}
output: {bin_min: 10}
"""


def test_balking_that_never_happens_changes_nothing(tmp_path):
    """A day with balking at probability 0 is bitwise the day without it:
    the balking draws and checks leave the event order alone. Constant
    service times and counters opening together make many ties."""
    outs = []
    for name, extra in (("plain", ""), ("general", "balking: {threshold: 1, probability: 0}\n")):
        (tmp_path / f"{name}.yaml").write_text(PLAIN + extra)
        out = tmp_path / f"{name}.h5"
        r = run("run", tmp_path / f"{name}.yaml", "-q", "-o", out)
        assert r.returncode == 0, r.stderr
        outs.append(datasets(out))
    a, b = outs
    assert a.keys() == b.keys()
    assert a["replications/served"].sum() > 0
    for name in a:
        if a[name].dtype != object:
            assert a[name].tobytes() == b[name].tobytes(), name


# ---------------------------------------------------------------------------
# Pooled (per-customer) figures
# ---------------------------------------------------------------------------

POOLED_STATS = ["mean", "ci95_low", "ci95_high", "p50", "p90", "p95", "p99", "max", "n"]


def test_pooled_layout_and_consistency_with_the_replications(default_runs):
    """/pooled/<q> (point, pooled_stat) and /pooled/segments/<q> (point,
    segment, pooled_stat): the customers pooled are the served ones, the
    segments partition them, and the overall mean is the customer-weighted
    mean of the segments' means."""
    with h5py.File(default_runs[0]) as f:
        names = [s.decode() if isinstance(s, bytes) else s for s in f["pooled/pooled_stat"][()]]
        assert names == POOLED_STATS
        served = f["replications/served"][()].sum()
        for q in ("wait_min", "service_min", "time_in_branch_min"):
            d, s = f["pooled"][q], f["pooled/segments"][q]
            assert d.shape == (1, len(POOLED_STATS)) and s.shape == (1, 4, len(POOLED_STATS))
            assert d.attrs["units"] in ("min", b"min") and "per customer" in str(d.attrs["description"])
            row, seg = d[0], s[0]
            n = row[POOLED_STATS.index("n")]
            assert n == served == seg[:, POOLED_STATS.index("n")].sum()
            mean = row[0]
            assert row[1] < mean < row[2]
            assert abs(mean - (seg[:, 0] * seg[:, -1]).sum() / n) < 1e-12 * mean
            assert row[3] <= row[4] <= row[5] <= row[6] <= row[7]
            assert row[7] == seg[:, POOLED_STATS.index("max")].max()
        # The pooled mean service time is the customer-weighted one: sum over
        # every day of (daily mean x daily count) / customers.
        daily = f["replications/service_mean_min"][()][0]
        w = f["replications/served"][()][0]
        pooled = f["pooled/service_min"][0, 0]
        assert abs(pooled - np.nansum(daily * w) / w.sum()) < 1e-9 * pooled


MM4_TRANSIENT = """\
name: mm4-transient
seed: 7
replications: 100000
day: {hours: 8}
demand: {customers_per_day: 1536}
transactions:
  - {name: any, share: 1, service_min: {dist: exponential, mean: 1.0}}
counters:
  - {role: general, count: 4}
"""


def test_pooled_mean_wait_matches_the_transient_mm4_reference(tmp_path):
    """M/M/4, lambda 3.2/min, mu 1/min, an 8-hour day from empty, no
    warm-up: the per-customer mean wait E[sum W] / E[N] is 0.7322 min (the
    transient reference, the time-average over the day of the wait of an
    arrival at t, (max(n - 3, 0) / 4) averaged over the state n at t from the
    Kolmogorov forward equations of the M/M/4 queue, truncated at 200: 0.73216).
    At 10^5 days the pooled (ratio) mean's delta-method CI covers it, while
    the mean of daily means runs below it, outside its own CI: days with
    more customers wait longer and weigh more per customer. About 20 s of
    CPU on this machine (2 threads)."""
    scenario = tmp_path / "mm4.yaml"
    scenario.write_text(MM4_TRANSIENT)
    out = tmp_path / "mm4.h5"
    r = run("run", scenario, "-j", 2, "-q", "-o", out)
    assert r.returncode == 0, r.stderr
    with h5py.File(out) as f:
        mean, low, high = f["pooled/wait_min"][0, :3]
        daily = f["summary/wait_mean_min"][0]
        stats = [s.decode() if isinstance(s, bytes) else s for s in f["summary/wait_mean_min"].attrs["stats"]]
    reference = 0.7322
    assert low <= reference <= high, (mean, low, high)
    d_mean, d_low, d_high = daily[stats.index("mean")], daily[stats.index("ci95_low")], daily[stats.index("ci95_high")]
    assert not d_low <= reference <= d_high, (d_mean, d_low, d_high)
    assert d_mean < mean


def test_describe_shows_the_pooled_figures_as_per_customer(default_runs):
    r = run("describe", default_runs[0])
    assert r.returncode == 0, r.stderr
    head = "per customer (pooled over every customer of every day, not a mean of daily values):"
    assert head in r.stdout
    rows = r.stdout.split(head, 1)[1].splitlines()
    assert rows[1].split() == ["quantity", "unit", "mean", "ci95_low", "ci95_high", "p50", "p90", "p95", "p99"]
    with h5py.File(default_runs[0]) as f:
        for line, q in zip(rows[2:5], ("wait_min", "service_min", "time_in_branch_min")):
            fields = line.split()
            assert fields[:2] == [q, "min"]
            want = f["pooled"][q][0]
            shown = [float(x) for x in fields[2:]]
            for got, idx in zip(shown, (0, 1, 2, 3, 4, 5, 6)):
                assert abs(got - want[idx]) <= 1e-3 * max(1, abs(want[idx])), (q, got, want[idx])
