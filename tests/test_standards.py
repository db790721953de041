"""Service standards in the result file: the /standards breakdown (share_within,
met, covered per standard), /segments/share_within_standards, the defaults
when a scenario has no standards section, and bad standards at the CLI."""
import os
import subprocess
from pathlib import Path

import h5py
import numpy as np
import pytest
from conftest import variables

ROOT = Path(__file__).resolve().parent.parent
BRANCHSIM = str((ROOT / os.environ.get("BRANCHSIM", "build/branchsim")).resolve())


def run(*args, cwd=None):
    return subprocess.run([BRANCHSIM, *map(str, args)], capture_output=True, text=True, cwd=cwd)


def names(attr):
    return [s.decode() if isinstance(s, bytes) else s for s in attr]


def test_defaults_are_written_when_the_section_is_absent(tmp_path):
    out = tmp_path / "mmc.h5"
    r = run("run", ROOT / "scenarios" / "mmc.yaml", "-r", 20, "-q", "-o", out)
    assert r.returncode == 0, r.stderr
    with h5py.File(out) as f:
        g = f["standards"]
        assert names(g.attrs["standards"]) == ["wait_10min", "service_10min"]
        assert names(f["standards/standard"][()]) == ["wait_10min", "service_10min"]
        assert sorted(variables(g)) == ["covered", "met", "share_within"]
        assert g["share_within"].shape == (1, 20, 2)
        assert g["share_within"].attrs["units"] == "1" and g["covered"].attrs["units"] == "1"
        assert g["covered"].attrs["counted"] == "customers"
        # The default standards are the complements of the 10-minute metrics.
        within = g["share_within"][0]
        assert np.allclose(within[:, 0], 1 - f["replications/share_wait_over_10min"][0], rtol=0, atol=1e-12)
        assert np.allclose(within[:, 1], 1 - f["replications/share_service_over_10min"][0], rtol=0, atol=1e-12)
        # One segment, covered by both: its customers meet both or not.
        assert f["segments/share_within_standards"].shape == (1, 20, 1)


SWEEP = """name: standards-sweep
day: {hours: 8}
demand: {customers_per_day: 1400}
segments: [{name: general, share: 0.8}, {name: elderly, share: 0.2}]
transactions: [{name: cash, share: 0.7, service_min: {dist: exponential, mean: 1.2}},
               {name: account, share: 0.3, service_min: {dist: exponential, mean: 2}}]
counters: [{count: 4}]
standards:
  - {name: elderly_wait, quantity: wait_min, within_min: 5, segments: [elderly], share: 0.9}
  - {name: ordinary, quantity: time_in_branch_min, within_min: 10, transactions: [cash], share: 0.8}
sweep:
  counters.0.count: [4, 5]
"""


@pytest.fixture(scope="module")
def sweep_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("standards")
    (d / "s.yaml").write_text(SWEEP)
    out = d / "s.h5"
    r = run("run", d / "s.yaml", "-r", 60, "-s", 5, "-q", "-o", out)
    assert r.returncode == 0, r.stderr
    return out


def test_met_is_zero_or_one_and_its_mean_is_the_share_of_days_met(sweep_run):
    with h5py.File(sweep_run) as f:
        within, met = f["standards/share_within"][()], f["standards/met"][()]
        assert within.shape == met.shape == (2, 60, 2)
        share = np.array([0.9, 0.8])
        defined = ~np.isnan(within)
        assert np.array_equal(np.isnan(met), ~defined)
        assert set(np.unique(met[defined])) <= {0.0, 1.0}
        assert np.array_equal(met[defined] == 1, (within >= share)[defined])
        # Its mean over days is the share of days on which the standard was met.
        days_met = np.nansum(met, axis=1) / defined.sum(axis=1)
        assert np.allclose(np.nanmean(met, axis=1), days_met)
        # The busier point meets each standard on fewer days, and on some but not all.
        assert 0 < days_met[0, 0] < days_met[1, 0] <= 1 and days_met[0, 1] < days_met[1, 1]


def test_breakdown_summary_gives_the_share_of_days_met_with_its_ci(sweep_run):
    """/breakdown_summary/<group>/<metric> holds /summary's statistics over
    replications per entity: for met, the share of days met and its CI."""
    with h5py.File(sweep_run) as f:
        g = f["breakdown_summary/standards"]
        assert names(g.attrs["standards"]) == ["elderly_wait", "ordinary"]
        s, met = g["met"][()], f["standards/met"][()]
        stats = names(g["met"].attrs["stats"])
        assert stats == names(f["summary/served"].attrs["stats"]) and s.shape == (2, 2, len(stats))
        assert g["met"].attrs["units"] == "1"
        assert [dim[0].name for dim in g["met"].dims] == [f"/breakdown_summary/standards/{d}"
                                                          for d in ("point", "standard", "stat")]
        col = {k: s[:, :, i] for i, k in enumerate(stats)}
        assert np.allclose(col["mean"], np.nanmean(met, axis=1), rtol=0, atol=1e-15)
        assert np.allclose(col["sd"], np.nanstd(met, axis=1, ddof=1), rtol=0, atol=1e-12)
        assert np.array_equal(col["n"], (~np.isnan(met)).sum(axis=1))
        assert np.array_equal(col["min"], np.nanmin(met, axis=1)) and np.array_equal(col["max"], np.nanmax(met, axis=1))
        # The Student-t interval of /summary: the same t for the same n (served is defined on every day).
        t = (f["summary/served"][0, stats.index("ci95_high")] - f["summary/served"][0, 0]) / (
            f["summary/served"][0, 1] / np.sqrt(60))
        assert np.allclose(col["ci95_high"] - col["mean"], t * col["sd"] / np.sqrt(col["n"]), rtol=1e-12, atol=1e-15)
        # Every breakdown gets its summary: per segment too.
        assert f["breakdown_summary/segments/share_within_standards"].shape == (2, 2, len(stats))


def test_covered_customers_follow_the_segments_and_transactions(sweep_run):
    with h5py.File(sweep_run) as f:
        covered = f["standards/covered"][()]
        served = f["segments/served"][()]
        # elderly_wait covers the elderly counted customers (no warm-up, no abandonment: all served).
        assert np.array_equal(covered[:, :, 0], served[:, :, 1])
        # Same customers at both points (common random numbers).
        assert np.array_equal(covered[0], covered[1])
        # ordinary covers cash only: about 70 % of everyone.
        everyone = f["replications/served"][()]
        assert abs(covered[:, :, 1].sum() / everyone.sum() - 0.7) < 0.02
        seg = f["segments/share_within_standards"][()]
        assert np.all((seg >= 0) & (seg <= 1))


@pytest.mark.parametrize("text, where", [
    ("standards: [{name: a, quantity: wiat_min, within_min: 5}]\n",
     ":5:33: standards.0.quantity: 'wiat_min' is not a quantity (wait_min, service_min, time_in_branch_min); "
     "did you mean wait_min?"),
    ("standards: [{name: a, quantity: wait_min, within_min: 5, segments: [eldrly]}]\n",
     ":5:69: standards.0.segments.0: 'eldrly' is not a segment (general, elderly); did you mean elderly?"),
    ("standards: [{name: a, quantity: wait_min, within_min: 0}]\n",
     ":5:55: standards.0.within_min: must be in (0, 1e+06], got 0"),
    ("standards: [{name: a, quantity: wait_min, within_min: 5, share: 1.01}]\n",
     ":5:65: standards.0.share: must be in (0, 1], got 1.01"),
    ("standards: [{name: a, quantity: wait_min, within_min: 5}, {name: a, quantity: service_min, within_min: 5}]\n",
     ":5:66: standards.1.name: standard 'a' is named twice"),
])
def test_bad_standards_exit_2_and_write_nothing(tmp_path, text, where):
    base = ("demand: {customers_per_day: 100}\n"
            "segments: [{name: general, share: 0.7}, {name: elderly, share: 0.3}]\n"
            "transactions: [{name: cash, share: 0.5, service_min: 2}, {name: account, share: 0.5, service_min: 9}]\n"
            "counters: [{count: 2}]\n")
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(base + text)
    for command in ("run", "check"):
        r = run(command, scenario, *(["-o", tmp_path / "out.h5"] if command == "run" else []), cwd=tmp_path)
        assert r.returncode == 2, r.stderr
        assert f"{scenario}{where}" in r.stderr, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_standards_must_keep_their_names_across_a_sweep(tmp_path):
    text = SWEEP.replace("sweep:\n  counters.0.count: [4, 5]\n",
                         "sweep:\n  standards.0.name: [elderly_wait, elderly_5min]\n")
    (tmp_path / "s.yaml").write_text(text)
    r = run("check", tmp_path / "s.yaml")
    assert r.returncode == 2
    assert "point 1 changes the standards; they must be the same in every point" in r.stderr
    # Thresholds and shares may be swept.
    (tmp_path / "t.yaml").write_text(SWEEP.replace("counters.0.count: [4, 5]", "standards.0.within_min: [5, 10]"))
    assert run("check", tmp_path / "t.yaml").returncode == 0
