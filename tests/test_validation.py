"""docs/validation.md and the formulas of tools/validate.py.

`make validate` (20 s) writes the page; here (2 s) the committed page is
checked to be well formed, every row to pass with a z that agrees, every
figure it links to exist, and the formulas it compares with to give known
textbook values, so that a wrong reference cannot make a wrong model pass;
and every check runs on 3 days, so that the script still reads the files
this build writes.
"""
import importlib.util
import math
import re
from pathlib import Path

import pytest
from scipy import stats

from conftest import branchsim_path

REPO = Path(__file__).resolve().parent.parent
HEADER = "| quantity | point | reference | simulated [95 % CI] | z | result |"


@pytest.fixture(scope="module")
def v():
    spec = importlib.util.spec_from_file_location("validate", REPO / "tools" / "validate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def page():
    return (REPO / "docs" / "validation.md").read_text()


def table_rows(text):
    """The cells of every row of every check table, with its section."""
    rows, section, in_table = [], None, False
    for line in text.splitlines():
        if line.startswith("## "):
            section = line[3:]
        if line == HEADER:
            in_table = True
            continue
        if in_table and line.startswith("|"):
            if set(line) <= set("|-"):
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            assert len(cells) == 6, f"{section}: malformed row {line!r}"
            rows.append((section, cells))
        else:
            in_table = False
    return rows


def test_every_row_passes_with_a_z_that_agrees(page):
    rows = table_rows(page)
    assert len(rows) >= 60
    sections = {s for s, _ in rows}
    assert len(sections) >= 8
    for section, (quantity, point, ref, sim, z, result) in rows:
        where = f"{section}: {quantity} {point}"
        assert result == "pass", f"{where}: {result}"
        if z == "—":  # an identity or a bound: its largest difference is shown
            m = re.fullmatch(r"max (rel\. )?diff (\S+)", sim)
            assert m is None or float(m.group(2)) <= 1e-9, where
            continue
        assert abs(float(z)) < 4, where
        m = re.fullmatch(r"(\S+) \[(\S+), (\S+)\]", sim)
        if m:  # an estimate with its 95 % interval, the reference inside 4 SE
            est, low, high = map(float, m.groups())
            assert low < est < high, where
            se = (high - low) / 2 / 1.96  # t(0.975) >= 1.96: an upper bound of the SE
            assert abs(est - float(ref)) < 4.05 * se, where
    assert f"**All {len(rows)} checks pass.**" in page


def test_the_page_names_its_build_and_links_its_figures(page):
    assert re.search(r"Written by `make validate` with\s+branchsim\s+\S+\s+\(revision\s+[\w-]+\)", page)
    figures = re.findall(r"!\[[^]]*\]\(([^)]+)\)", page)
    assert len(figures) == 2
    for name in figures:
        png = REPO / "docs" / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    # Every scenario shown has its fixed seed.
    blocks = re.findall(r"```yaml\n(.*?)```", page, flags=re.S)
    assert len(blocks) >= 7 and all(re.search(r"^seed: \d+$", b, flags=re.M) for b in blocks)


def test_erlang_formulas_give_textbook_values(v):
    assert v.erlang_c(2, 1.0) == pytest.approx(1 / 3, abs=1e-15)
    assert v.erlang_c(1, 0.5) == pytest.approx(0.5, abs=1e-15)  # M/M/1: C = rho
    assert v.erlang_c(4, 3.2) == pytest.approx(0.5964, abs=5e-5)  # scenarios/mmc.yaml
    assert v.mmc_wait_mean(4, 3.2, 1.0) == pytest.approx(0.7455, abs=5e-5)
    assert v.mmc_wait_mean(1, 0.5, 1.0) == pytest.approx(1.0)  # rho / (mu - lambda)
    assert v.mmc_wait_cdf(1, 0.5, 1.0, 0.0) == pytest.approx(0.5)
    assert v.erlang_b(3, 2.0) == pytest.approx(4 / 19, abs=1e-15)
    assert v.erlang_b(1, 3.0) == pytest.approx(3 / 4)


def test_mg1_and_priority_formulas(v):
    mm1 = 0.7 / (1 - 0.7)  # M/M/1 Wq with mu = 1
    assert v.pk_wait_mean(0.7, 1.0, 1.0) == pytest.approx(mm1)
    assert v.pk_wait_mean(0.7, 1.0, 0.0) == pytest.approx(mm1 / 2)  # M/D/1
    hi, lo = v.cobham_waits([0.24, 0.56], [1.0, 1.0], [2.0, 2.0])
    assert hi == pytest.approx(0.8 / 0.76) and lo == pytest.approx(0.8 / (0.76 * 0.2))
    # Conservation: the load-weighted waits equal the FIFO wait (Kleinrock's law).
    assert 0.3 * hi + 0.7 * lo == pytest.approx(v.pk_wait_mean(0.8, 1.0, 1.0))


def test_wait_outside_the_cap_sums_the_geometric_tail(v):
    c, lam, mu = 4, 3.2, 1.0
    pi = v.AbandonChain(c, lam, mu, 1e-12).stationary()  # M/M/4: theta -> 0
    for cap in (4, 5, 7):
        direct = sum(p * (n - cap + 1) / (c * mu) for n, p in enumerate(pi) if n >= cap)
        assert v.mmc_wait_outside_mean(c, lam, mu, cap) == pytest.approx(direct, rel=1e-9)
    assert v.mmc_wait_outside_mean(c, lam, mu, c) == pytest.approx(v.mmc_wait_mean(c, lam, mu))


def test_abandonment_chain_meets_its_limits(v):
    # theta -> 0: Erlang C.
    s = v.AbandonChain(4, 3.2, 1.0, 1e-12).steady()
    assert s["waited_served"] == pytest.approx(v.erlang_c(4, 3.2), rel=1e-9)
    assert s["wait_served"] == pytest.approx(v.mmc_wait_mean(4, 3.2, 1.0), rel=1e-9)
    # theta = mu: the number in system is M/M/inf, Poisson(a); share lost E[(N - c)+] / a.
    a, c = 2.0, 3
    n = range(60)
    want = sum(stats.poisson.pmf(k, a) * max(k - c, 0) for k in n) / a
    assert v.AbandonChain(c, a, 1.0, 1.0).steady()["abandon"] == pytest.approx(want, rel=1e-9)
    # theta = inf: Erlang B; a day from empty loses a little less, more so when short.
    chain = v.AbandonChain(c, a, 1.0, math.inf)
    assert chain.steady()["abandon"] == pytest.approx(v.erlang_b(c, a), rel=1e-12)
    short, day = chain.day_abandon_share(60.0), chain.day_abandon_share(1440.0)
    assert short < day < v.erlang_b(c, a)
    assert day == pytest.approx(v.erlang_b(c, a), rel=1e-3)


def test_wells_riley_reference(v):
    ex = dict(v.WR_EXPOSURE, air_changes_per_h=2.0)
    k = 2.0 + ex["deposition_per_h"] + ex["decay_per_h"]
    n_one = ex["emission_speaking_quanta_per_h"] * (1 - ex["staff_out"]) / (k * ex["hall_volume_m3"])
    breath = ex["inhalation_customer_m3_per_h"] * (1 - ex["customer_in"])
    # Late in a long day the hall is at steady state: every customer the same risk.
    late = -math.expm1(-breath * (3 + ex["near_field_factor"]) * n_one * 4 / 60)
    per_day, risk = v.wells_riley_staff_day(3, 0.5, 1e6, 4.0, ex)
    assert risk == pytest.approx(late, rel=1e-4)
    assert per_day == pytest.approx(0.5 * 1e6 * risk)
    # Early in the day the hall holds less: the mean risk of a short day is lower.
    assert v.wells_riley_staff_day(3, 0.5, 60.0, 4.0, ex)[1] < late


def test_estimators(v):
    r, se, df = v.ratio_estimate([1, 2, 3], [1, 1, 1])
    assert (r, df) == (2, 2) and se == pytest.approx(1 / math.sqrt(3))
    r, se, _ = v.ratio_estimate([2, 4, 9], [1, 2, 3])  # ratio 15/6
    assert r == pytest.approx(2.5)
    assert se == pytest.approx(math.sqrt((0.5 ** 2 + 1 ** 2 + 1.5 ** 2) / 6) / 2)
    assert v.fmt(0.0745540) == "0.07455" and v.fmt(1.96855) == "1.969" and v.fmt(87.8139) == "87.81"


def test_a_smoke_run_reads_the_files_this_build_writes(v, tmp_path):
    """Every check on 3 days: the page has the committed page's rows and
    figures, so a change of the result file's layout cannot leave make
    validate broken unseen (its figures are not checked here)."""
    v.main(["--branchsim", str(branchsim_path()), "--workdir", str(tmp_path / "runs"), "--docs", str(tmp_path),
            "--replications", "3"])
    smoke = (tmp_path / "validation.md").read_text()
    committed = (REPO / "docs" / "validation.md").read_text()
    assert [(s, c[0]) for s, c in table_rows(smoke)] == [(s, c[0]) for s, c in table_rows(committed)]
    for name in re.findall(r"!\[[^]]*\]\(([^)]+)\)", committed):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
