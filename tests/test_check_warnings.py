"""`branchsim check` warns (on stderr, exit status 0) about plans that cannot
work: a role offered more work than its counters can do (rho >= 1), a swept
count that a schedule block caps, and service times that look like seconds
typed as minutes. Each warning names file:line:column, the key and the figure."""
from conftest import REPO

# 480 customers over 8 hours: lambda = 1 per minute, all day (a flat profile).
BASE = ("day: {open: \"09:00\", hours: 8}\n"
        "demand: {customers_per_day: 480}\n"
        "transactions: [{name: cash, service_min: {dist: exponential, mean: 3}}]\n")


def check(branchsim, tmp_path, text):
    scenario = tmp_path / "plan.yaml"
    scenario.write_text(text)
    r = branchsim("check", scenario, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "is valid" in r.stdout
    return scenario, [line for line in r.stderr.splitlines() if line]


def test_offered_load_of_one_or_more_is_named_with_its_figures(branchsim, tmp_path):
    # rho = lambda x E[S] / c = 1/min x 3 min / 2 = 1.5 all day.
    scenario, warnings = check(branchsim, tmp_path, BASE + "counters: [{role: general, count: 2}]\n")
    assert warnings == [
        f"branchsim: warning: {scenario}:4:35: counters.0.count: role 'general' is offered more work than its "
        "counters can do: rho = 1.5 from 09:00 to 17:00 (1 customers/min x 3 min mean service / 2 open counters); "
        "rho >= 1 for 480 min of the day, so the line grows all the while"]
    # rho = 3 / 4 = 0.75: no warning.
    assert check(branchsim, tmp_path, BASE + "counters: [{role: general, count: 4}]\n")[1] == []


def test_offered_load_follows_the_schedule_and_the_roles(branchsim, tmp_path):
    # Two roles that share nobody: the elderly (share 0.25, factor 2: 0.25/min x 6 min = 1.5 erlangs) at one
    # counter, the rest (0.75/min x 3 min = 2.25 erlangs) at three, two of them over lunch 12:00-13:00.
    text = (BASE + "segments: [{name: general, share: 0.75}, {name: elderly, share: 0.25, service_factor: 2}]\n"
            "roles: [{name: senior, serves: [elderly], others: false},\n"
            "        {name: desk, serves: [general], others: false}]\n"
            "counters:\n"
            "  - {role: senior, count: 1}\n"
            "  - role: desk\n"
            "    count: 3\n"
            "    schedule: [{from: \"12:00\", to: \"13:00\", open: 2}]\n")
    scenario, warnings = check(branchsim, tmp_path, text)
    assert len(warnings) == 2, warnings
    assert warnings[0].startswith(f"branchsim: warning: {scenario}:8:27: counters.0.count: role 'senior' is offered")
    assert "rho = 1.5 from 09:00 to 17:00 (0.25 customers/min x 6 min mean service / 1 open counters)" in warnings[0]
    assert warnings[1].startswith(f"branchsim: warning: {scenario}:11:51: counters.1.schedule.0.open: role 'desk'")
    assert "rho = 1.12 from 12:00 to 13:00 (0.75 customers/min x 3 min mean service / 2 open counters)" in warnings[1]
    assert "rho >= 1 for 60 min of the day" in warnings[1]


def test_customers_no_open_counter_serves_are_named(branchsim, tmp_path):
    text = (BASE + "segments: [{name: general, share: 0.9}, {name: vip, share: 0.1}]\n"
            "roles: [{name: desk, serves: [general], others: false}, {name: lounge, serves: [vip], others: false}]\n"
            "counters:\n"
            "  - {role: desk, count: 6}\n"
            "  - {role: lounge, count: 1, schedule: [{from: \"09:00\", to: \"10:00\", open: 0}]}\n")
    scenario, warnings = check(branchsim, tmp_path, text)
    assert warnings == [f"branchsim: warning: {scenario}:7:3: counters: customers of class 'vip' come (0.1/min) "
                        "from 09:00 to 10:00, but no counter that serves them is open then"]


def test_a_swept_count_that_a_schedule_caps_is_named(branchsim, tmp_path):
    text = (BASE + "counters:\n"
            "  - role: general\n"
            "    count: 5\n"
            "    schedule: [{from: \"12:00\", to: \"13:00\", open: 4}, {from: \"15:00\", to: \"16:00\", open: 6}]\n"
            "sweep:\n"
            "  counters.0.count: [6, 7, 8]\n")
    scenario, warnings = check(branchsim, tmp_path, text)
    assert warnings == [
        f"branchsim: warning: {scenario}:7:51: counters.0.schedule.0.open: the sweep varies counters.0.count from "
        "6 to 8, but this block opens 4 from 12:00 to 13:00 at every point: the sweep changes nothing then (only "
        "the cover for absent staff)",
        f"branchsim: warning: {scenario}:7:90: counters.0.schedule.1.open: the sweep varies counters.0.count from "
        "6 to 8, but this block opens 6 from 15:00 to 16:00 at every point: the sweep changes nothing then (only "
        "the cover for absent staff)"]
    # A zipped sweep that moves the block's open with the count: no warning.
    zipped = text.replace("  counters.0.count: [6, 7, 8]\n",
                          "  mode: zip\n  counters.0.count: [6, 7, 8]\n  counters.0.schedule.0.open: [4, 5, 6]\n"
                          "  counters.0.schedule.1.open: [5, 6, 7]\n")
    assert check(branchsim, tmp_path, zipped)[1] == []


def test_service_times_that_look_like_seconds_are_named(branchsim, tmp_path):
    text = (BASE.replace("mean: 3}}]", "mean: 3}},\n"
                         "               {name: loan, share: 0, service_min: {dist: lognormal, mean: 90, cv: 0.5}}]")
            .replace("[{name: cash,", "[{name: cash, share: 1,")
            + "counters: [{count: 6}]\n")
    scenario, warnings = check(branchsim, tmp_path, text)
    assert warnings == [f"branchsim: warning: {scenario}:4:52: transactions.1.service_min: mean service 90 min, "
                        "over an hour: seconds typed as minutes?"]


def test_fine_shipped_scenarios_give_no_warning(branchsim):
    for name in ("scenarios/mmc.yaml", "scenarios/counters-sweep.yaml", "tests/bench/mmc-bench.yaml"):
        r = branchsim("check", REPO / name)
        assert r.returncode == 0 and r.stderr == "", (name, r.stderr)


def test_the_lunch_peak_of_the_default_day_is_warned_about(branchsim):
    # default.yaml's lunch: 1.37 customers/min x 5.91 min over 5 counters (one on a lunch break) from 12:30,
    # rho 1.62; the simulated line grows to about 12 by 13:30 (docs/model.md).
    r = branchsim("check", REPO / "scenarios/default.yaml")
    assert r.returncode == 0
    assert "counters.0.schedule.1.open: roles 'priority', 'vip', 'general' are offered more work" in r.stderr
    assert "rho = 1.62 from 12:30 to 13:00" in r.stderr


def test_a_key_set_on_the_command_line_is_named_so(branchsim, tmp_path):
    scenario = tmp_path / "plan.yaml"
    scenario.write_text(BASE + "counters: [{role: general, count: 4}]\n")
    r = branchsim("check", scenario, "--set", "counters.0.count=2", "--set", "transactions.0.service_min.mean=75")
    assert r.returncode == 0, r.stderr
    assert r.stderr.splitlines() == [
        "branchsim: warning: --set counters.0.count: role 'general' is offered more work than its counters can do: "
        "rho = 37.5 from 09:00 to 17:00 (1 customers/min x 75 min mean service / 2 open counters); rho >= 1 for "
        "480 min of the day, so the line grows all the while",
        "branchsim: warning: --set transactions.0.service_min.mean: mean service 75 min, over an hour: seconds "
        "typed as minutes?"]
