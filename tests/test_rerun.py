"""Provenance: every result file records its command line (root attributes
command_argv, command_line and CF's history).

Run: BRANCHSIM=build/branchsim /usr/bin/python3 -m pytest -q tests/test_rerun.py
"""
import re
import shlex

import h5py
import pytest

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
