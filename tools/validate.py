#!/usr/bin/python3
"""make validate: the simulator against analytic queueing and exposure results.

Runs build/branchsim on small scenarios written here (fixed seeds), compares
what it reports with exact formulas (below, each with its source) and writes
docs/validation.md with the tables and two figures. The same build and the
same scenarios give the same page, byte for byte: only its version line names
the build. A check passes when the reference lies within 4 standard errors of
the simulated estimate (|z| < 4), as in the C tests; sample-path identities
(Little's law, conservation) must hold to 1e-9 in every replication.

    /usr/bin/python3 tools/validate.py [--branchsim build/branchsim]
        [--workdir build/validate] [--docs docs]

The formulas are plain functions so that tests/test_validation.py can check
them against textbook values without running anything.
"""
import argparse
import math
import os
import subprocess
import sys
import textwrap

import h5py
import numpy as np
from scipy import integrate, linalg, stats

Z_PASS = 4.0  # |z| below this passes (4 standard errors)
IDENTITY_TOL = 1e-9  # relative, for sample-path identities


# ---------------------------------------------------------------------------
# Analytic references

def erlang_c(c, a):
    """P(wait > 0) in M/M/c with offered load a = lambda/mu < c (Erlang C)."""
    term, total = 1.0, 0.0  # term = a^k / k!
    for k in range(c):
        total += term
        term *= a / (k + 1)
    tail = term / (1.0 - a / c)
    return tail / (total + tail)


def mmc_wait_mean(c, lam, mu):
    """Mean wait in queue of M/M/c: C(c, a) / (c mu - lambda)."""
    return erlang_c(c, lam / mu) / (c * mu - lam)


def mmc_wait_cdf(c, lam, mu, t):
    """P(W <= t) in M/M/c (FIFO): 1 - C(c, a) exp(-(c mu - lambda) t)."""
    return 1.0 - erlang_c(c, lam / mu) * math.exp(-(c * mu - lam) * t)


def erlang_b(c, a):
    """Blocking probability of M/M/c/c (Erlang B), by the stable recursion
    B(k) = a B(k-1) / (k + a B(k-1)), B(0) = 1."""
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def pk_wait_mean(lam, mean_s, cv):
    """Mean wait in queue of M/G/1 (Pollaczek-Khinchine):
    lambda E[S^2] / (2 (1 - rho)), E[S^2] = mean^2 (1 + cv^2)."""
    rho = lam * mean_s
    return lam * mean_s ** 2 * (1 + cv ** 2) / (2 * (1 - rho))


def cobham_waits(lams, means, second_moments):
    """Mean waits of the classes of a non-preemptive priority M/G/1, highest
    priority first (Cobham): W_k = W0 / ((1 - s_{k-1})(1 - s_k)),
    W0 = sum_i lambda_i E[S_i^2] / 2, s_k = sum_{i<=k} rho_i."""
    w0 = sum(l * m2 for l, m2 in zip(lams, second_moments)) / 2
    waits, s_prev = [], 0.0
    for l, m in zip(lams, means):
        s = s_prev + l * m
        waits.append(w0 / ((1 - s_prev) * (1 - s)))
        s_prev = s
    return waits


class AbandonChain:
    """M/M/c+M (Erlang A: exponential patience of rate theta, FIFO) as the
    birth-death chain of the number in system, cut at n_max; theta = inf is
    the loss system M/M/c/c (zero patience, Erlang B). An arrival who finds
    n >= c in system has q = n - c ahead of it and passes q + 1 stages; in
    the stage with j ahead it moves on at rate c mu + j theta (a service
    ends, or one ahead gives up) and gives up at rate theta, independently
    of the stage's length, so P(served | n) = prod_j (c mu + j theta) /
    (c mu + (j + 1) theta) and E[W | served, n] = sum_j 1 / (c mu + (j + 1)
    theta). Under FIFO nobody behind the arrival changes its fate."""

    def __init__(self, c, lam, mu, theta, n_max=None):
        self.c, self.lam, self.mu, self.theta = c, lam, mu, theta
        loss = math.isinf(theta)
        self.n_max = c if loss else (n_max or self.cut(c, lam, mu, theta))
        n = np.arange(self.n_max + 1)
        q = np.maximum(n - c, 0)
        self.p_abandon = np.zeros(n.size)  # P(gives up | finds n)
        self.wait_served = np.zeros(n.size)  # E[W | served, finds n]
        if loss:
            self.p_abandon[c] = 1.0
        else:
            served, wait = 1.0, 0.0
            for j in range(self.n_max - c + 1):
                served *= (c * mu + j * theta) / (c * mu + (j + 1) * theta)
                wait += 1.0 / (c * mu + (j + 1) * theta)
                self.p_abandon[c + j] = 1.0 - served
                self.wait_served[c + j] = wait
        death = np.minimum(n, c) * mu + (0.0 if loss else q * theta)
        gen = np.diag(np.full(n.size - 1, lam), 1) + np.diag(death[1:], -1)
        self.generator = gen - np.diag(gen.sum(axis=1))

    @staticmethod
    def cut(c, lam, mu, theta, tail=1e-20):
        """The smallest n_max beyond c whose stationary probability (relative
        to state c) is below tail: the chain's states past it do not count."""
        n, rel = c, 1.0
        while rel >= tail and n < c + 100000:
            n += 1
            rel *= lam / (c * mu + (n - c) * theta)
        return n

    def stationary(self):
        """The stationary distribution (detailed balance)."""
        ratios = self.lam / np.diag(self.generator, -1)
        logp = np.concatenate([[0.0], np.cumsum(np.log(ratios))])
        p = np.exp(logp - logp.max())
        return p / p.sum()

    def steady(self):
        """Steady-state figures seen by arrivals (PASTA): the share who give
        up, and of the served: the share who waited and their mean wait."""
        p = self.stationary()
        n = np.arange(p.size)
        served = p * (1 - self.p_abandon)
        p_served = served.sum()
        return {"abandon": float(p @ self.p_abandon),
                "waited_served": float(served[n >= self.c].sum() / p_served),
                "wait_served": float(served @ self.wait_served / p_served)}

    def day_abandon_share(self, t_min):
        """The expected share of a day's arrivals who give up, the day
        starting empty with Poisson arrivals over [0, t_min]: (1/T) times
        the integral of p(t) . p_abandon, p(t) = e_0 exp(G t), the integral
        of exp(G t) being the top-right block of exp([[G, I], [0, 0]] T)."""
        size = self.generator.shape[0]
        block = np.zeros((2 * size, 2 * size))
        block[:size, :size] = self.generator
        block[:size, size:] = np.eye(size)
        occupancy = linalg.expm(block * t_min)[0, size:]
        return float(occupancy @ self.p_abandon / t_min)


def wells_riley_staff_day(n_staff, lam_per_min, day_min, service_min, ex):
    """Expected infections per day of susceptible customers when every
    counter's staff member is infectious and no customer is, every customer
    served at once (more counters than ever busy) for a constant service_min.
    Staff emit at the speaking rate E (after their outward mask) from opening,
    so the well-mixed concentration is n(t) = N E/(kV) (1 - exp(-k t)) with
    k = air changes + deposition + decay (Riley, Murphy & Riley 1978); a
    customer arriving at t inhales it over [t, t + s] and, across the counter,
    near_field E/(kV) for s; risk 1 - exp(-dose). Poisson arrivals
    (Campbell's theorem): E[sum of risks] = lambda * integral of r(t) over
    the opening hours. Returns (infections per day, mean risk)."""
    k = ex["air_changes_per_h"] + ex["deposition_per_h"] + ex["decay_per_h"]
    e_staff = ex["emission_speaking_quanta_per_h"] * (1 - ex["staff_out"])
    n_one = e_staff / (k * ex["hall_volume_m3"])  # one emitter's steady state
    breath = ex["inhalation_customer_m3_per_h"] * (1 - ex["customer_in"])
    s_h = service_min / 60

    def risk(t_min):
        t_h = t_min / 60
        far = n_staff * n_one * (s_h - (math.exp(-k * t_h) - math.exp(-k * (t_h + s_h))) / k)
        near = ex["near_field_factor"] * n_one * s_h
        return -math.expm1(-breath * (far + near))

    total, _ = integrate.quad(risk, 0, day_min, epsabs=0, epsrel=1e-12, limit=200)
    return lam_per_min * total, total / day_min


# ---------------------------------------------------------------------------
# Estimates from a result file (only /replications, /segments and /standards:
# per-day values, so every interval below is computed here, not read)

def t975(df):
    return float(stats.t.ppf(0.975, df))


def ratio_estimate(y, n):
    """Pooled ratio sum(y)/sum(n) over replications with its standard error
    sqrt(sum (y_r - R n_r)^2 / (R (R - 1))) / mean(n) (delta method)."""
    y, n = np.asarray(y, float), np.asarray(n, float)
    reps = y.size
    r = y.sum() / n.sum()
    se = math.sqrt(((y - r * n) ** 2).sum() / (reps * (reps - 1))) / n.mean()
    return r, se, reps - 1


def mean_estimate(x):
    x = np.asarray(x, float)
    return x.mean(), x.std(ddof=1) / math.sqrt(x.size), x.size - 1


def variance_estimate(x):
    """Sample variance with its normal-theory standard error s^2 sqrt(2/(R-1))."""
    x = np.asarray(x, float)
    v = x.var(ddof=1)
    return v, v * math.sqrt(2 / (x.size - 1)), x.size - 1


class Row:
    """One line of a table: a simulated estimate (value, se, df) against a
    reference, or a statistic already turned into z (chi-square), or an
    identity's largest relative difference."""

    def __init__(self, quantity, point, reference, estimate=None, z=None, shown=None, identity=None):
        self.quantity, self.point, self.reference = quantity, point, reference
        self.estimate, self.identity = estimate, identity
        if estimate is not None:
            value, se, df = estimate
            if se > 0:
                self.z = (value - reference) / se
            else:  # a smoke run's few days may not vary
                self.z = 0.0 if value == reference else math.copysign(math.inf, value - reference)
            half = t975(df) * se
            self.digits = max(decimals(value), decimals(half, 2))
            d = self.digits
            self.shown = f"{value:.{d}f} [{value - half:.{d}f}, {value + half:.{d}f}]"
        else:
            self.z, self.shown, self.digits = z, shown, None
        if identity is not None:
            self.passed = identity <= IDENTITY_TOL
        else:
            self.passed = abs(self.z) < Z_PASS

    def cells(self):
        if isinstance(self.reference, str):
            ref = self.reference
        else:
            ref = fmt(self.reference) if self.digits is None else f"{self.reference:.{self.digits}f}"
        z = "—" if self.z is None else f"{self.z:+.2f}"
        return [self.quantity, self.point, ref, self.shown, z, "pass" if self.passed else "**FAIL**"]


def decimals(x, figures=4):
    """The decimals that show x to that many significant figures."""
    if x == 0 or not math.isfinite(x):
        return 0
    return max(0, figures - 1 - int(math.floor(math.log10(abs(x)))))


def fmt(x):
    """Four significant figures, no exponent for the sizes met here."""
    return "0" if x == 0 else f"{x:.{decimals(x)}f}"


# ---------------------------------------------------------------------------
# Running the simulator

class Runner:
    def __init__(self, branchsim, workdir, replications=None):
        self.branchsim, self.workdir, self.replications = branchsim, workdir, replications
        os.makedirs(workdir, exist_ok=True)

    def run(self, name, yaml_text, extra=()):
        """Writes NAME.yaml, runs it and returns (h5py file, the command).
        A smoke run (--replications) runs every scenario with that many."""
        if self.replications:
            extra = ("-r", str(self.replications))
        path = os.path.join(self.workdir, name + ".yaml")
        out = os.path.join(self.workdir, name + ".h5")
        with open(path, "w") as f:
            f.write(yaml_text)
        cmd = [self.branchsim, "run", path, "-o", out, "--quiet", *extra]
        subprocess.run(cmd, check=True)
        shown = " ".join(["branchsim", "run", name + ".yaml", "-o", name + ".h5", *extra])
        return h5py.File(out, "r"), shown

    def version(self):
        return subprocess.run([self.branchsim, "--version"], check=True, capture_output=True,
                              text=True).stdout.strip()


def rep(f, metric):
    return f["replications/" + metric][()]


def covered(f, j=0):
    """Customers of the wait metrics per (point, replication): those the
    scenario's standard j covers (served, arrived after the warm-up)."""
    return f["standards/covered"][:, :, j]


# ---------------------------------------------------------------------------
# The checks: each returns a section {title, formula, source, yaml, command, rows}

ERLANG_C_LOADS = (0.5, 0.6, 0.7, 0.8, 0.9)
ERLANG_C_COUNTERS = 4
ERLANG_C_T_MIN = 1.0


def check_erlang_c(runner):
    c, mu = ERLANG_C_COUNTERS, 1.0
    per_day = [round(rho * c * mu * 1440) for rho in ERLANG_C_LOADS]
    yaml = f"""name: validate-erlang-c
seed: 101
replications: 2000
day: {{hours: 24}}
demand: {{customers_per_day: {per_day[0]}}}
transactions: [{{name: any, service_min: {{dist: exponential, mean: 1}}}}]
counters: [{{role: general, count: {c}}}]
output: {{warmup_min: 720}}
standards: [{{name: wait_1min, quantity: wait_min, within_min: {ERLANG_C_T_MIN:g}}}]
sweep: {{demand.customers_per_day: {per_day}}}
"""
    f, cmd = runner.run("erlang-c", yaml)
    n = covered(f)
    rows, figure = [], []
    for p, rho in enumerate(ERLANG_C_LOADS):
        lam = per_day[p] / 1440
        point = f"ρ = {rho:g}"
        wq = ratio_estimate(rep(f, "wait_mean_min")[p] * n[p], n[p])
        pw = ratio_estimate(rep(f, "share_waited")[p] * n[p], n[p])
        within = ratio_estimate(f["standards/share_within"][p, :, 0] * n[p], n[p])
        rows += [Row("mean wait Wq [min]", point, mmc_wait_mean(c, lam, mu), wq),
                 Row("P(wait > 0)", point, erlang_c(c, lam / mu), pw),
                 Row(f"P(wait ≤ {ERLANG_C_T_MIN:g} min)", point, mmc_wait_cdf(c, lam, mu, ERLANG_C_T_MIN), within)]
        figure.append((rho, wq, pw))
    f.close()
    return {
        "key": "erlang-c",
        "title": "M/M/c waits against Erlang C",
        "what": (f"Poisson arrivals, exponential service (mean 1 min), {c} counters, one FIFO line, at five "
                 "loads. 24-hour days; the wait statistics count customers arriving after 12 hours (the "
                 "day starts empty; under FIFO later arrivals do not change a customer's wait, so closing "
                 "does not bias them)."),
        "formula": ("a = λ/μ, ρ = a/c\n"
                    "C(c, a) = (aᶜ/c!)/(1 − ρ) / (Σ_{k<c} aᵏ/k! + (aᶜ/c!)/(1 − ρ))     P(wait > 0)\n"
                    "Wq = C(c, a) / (cμ − λ)\n"
                    "P(W ≤ t) = 1 − C(c, a) exp(−(cμ − λ) t)"),
        "source": "Erlang (1917); Kleinrock (1975), chapter 3",
        "estimator": ("pooled over customers: sum over days of wait_mean_min × n (share_waited × n, "
                      "share_within × n) over the sum of n, n = the standard's `covered`"),
        "yaml": yaml, "command": cmd, "rows": rows, "figure": figure,
    }


CAP_VALUES = (4, 5, 7)


def mmc_wait_outside_mean(c, lam, mu, cap):
    """Mean wait outside under an occupancy cap K >= c that counts those in
    service: a FIFO M/M/c whose line continues outside the door. An arrival
    finding n >= K inside waits outside for n - K + 1 departures at rate c mu;
    with P(N = n) = C(c, a)(1 - rho) rho^(n - c) for n >= c this sums to
    Wq rho^(K - c); the whole wait stays Erlang C's Wq."""
    rho = lam / (c * mu)
    return mmc_wait_mean(c, lam, mu) * rho ** (cap - c)


def check_cap(runner):
    c, lam, mu = ERLANG_C_COUNTERS, 3.2, 1.0
    yaml = f"""name: validate-cap
seed: 108
replications: 2000
day: {{hours: 24}}
demand: {{customers_per_day: {round(lam * 1440)}}}
transactions: [{{name: any, service_min: {{dist: exponential, mean: 1}}}}]
counters: [{{role: general, count: {c}}}]
entrance: {{occupancy_cap: {CAP_VALUES[0]}}}
output: {{warmup_min: 720}}
standards: [{{name: any_wait, quantity: wait_min, within_min: 1}}]
sweep: {{entrance.occupancy_cap: {list(CAP_VALUES)}}}
"""
    f, cmd = runner.run("cap", yaml)
    n = covered(f)
    rows = []
    for p, cap in enumerate(CAP_VALUES):
        point = f"cap {cap}"
        rows += [Row("whole wait [min]", point, mmc_wait_mean(c, lam, mu),
                     ratio_estimate(rep(f, "wait_mean_min")[p] * n[p], n[p])),
                 Row("outside part [min]", point, mmc_wait_outside_mean(c, lam, mu, cap),
                     ratio_estimate(rep(f, "wait_outside_mean_min")[p] * n[p], n[p]))]
        peak = float(rep(f, "peak_occupancy")[p].max())
        rows.append(Row("most inside at once ≤ cap", f"{point}, {n[p].size} days", "≤ cap",
                        shown=f"{peak:g}", identity=0.0 if peak <= cap else peak - cap))
    f.close()
    return {
        "key": "cap",
        "title": "The occupancy cap against Erlang C",
        "what": (f"The M/M/{c} of the Erlang C check at ρ = 0.8 with an occupancy cap of K customers inside "
                 "(waiting or at a counter); the others wait outside, in arrival order. The line simply "
                 "continues outside the door, so the whole wait is still Erlang C's, and its outside part "
                 "follows from the geometric tail of the number in system."),
        "formula": ("whole wait = Wq = C(c, a) / (cμ − λ)\n"
                    "outside part = Σ_{n≥K} P(N = n) (n − K + 1) / (cμ) = Wq ρ^(K − c)   (K ≥ c),\n"
                    "P(N = n) = C(c, a) (1 − ρ) ρ^(n − c), n ≥ c"),
        "source": "Erlang (1917); Kleinrock (1975), chapter 3; the model's [entrance](model.md#entrance)",
        "estimator": "wait_mean_min and wait_outside_mean_min pooled over customers, as for Erlang C",
        "yaml": yaml, "command": cmd, "rows": rows,
    }


MG1_SERVICE = (("constant", "{dist: constant, mean: 1}", 0.0), ("gamma, cv 0.5", "{dist: gamma, mean: 1, cv: 0.5}", 0.5),
               ("exponential", "{dist: exponential, mean: 1}", 1.0),
               ("lognormal, cv 1.5", "{dist: lognormal, mean: 1, cv: 1.5}", 1.5))


def check_mg1(runner):
    lam = 0.7
    points = ", ".join("{transactions.0.service_min: %s}" % s for _, s, _ in MG1_SERVICE)
    yaml = f"""name: validate-mg1
seed: 102
replications: 2000
day: {{hours: 24}}
demand: {{customers_per_day: {round(lam * 1440)}}}
transactions: [{{name: any, service_min: 1}}]
counters: [{{role: general, count: 1}}]
output: {{warmup_min: 720}}
standards: [{{name: any_wait, quantity: wait_min, within_min: 1}}]
sweep:
  points: [{points}]
"""
    f, cmd = runner.run("mg1", yaml)
    n = covered(f)
    rows = []
    for p, (label, _, cv) in enumerate(MG1_SERVICE):
        point = f"S {label}"
        rows += [Row("mean wait Wq [min]", point, pk_wait_mean(lam, 1.0, cv),
                     ratio_estimate(rep(f, "wait_mean_min")[p] * n[p], n[p])),
                 Row("P(wait > 0)", point, lam * 1.0,
                     ratio_estimate(rep(f, "share_waited")[p] * n[p], n[p]))]
    f.close()
    return {
        "key": "mg1",
        "title": "M/G/1 waits against Pollaczek–Khinchine",
        "what": ("One counter, Poisson arrivals at 0.7/min, service times of mean 1 min from four "
                 "families (ρ = 0.7): the mean wait depends on the service time's second moment only."),
        "formula": ("Wq = λ E[S²] / (2 (1 − ρ)),  E[S²] = E[S]² (1 + cv²),  ρ = λ E[S]\n"
                    "P(wait > 0) = ρ"),
        "source": "Pollaczek (1930), Khinchine (1932); Kleinrock (1975), chapter 5",
        "estimator": "pooled over customers, as for Erlang C",
        "yaml": yaml, "command": cmd, "rows": rows,
    }


def check_priority(runner):
    lam, shares = 0.8, (0.3, 0.7)
    yaml = f"""name: validate-priority
seed: 103
replications: 2000
day: {{hours: 24}}
demand: {{customers_per_day: {round(lam * 1440)}}}
segments: [{{name: hi, share: {shares[0]}}}, {{name: lo, share: {shares[1]}}}]
transactions: [{{name: any, service_min: {{dist: exponential, mean: 1}}}}]
roles: [{{name: single, serves: [hi, lo]}}]
counters: [{{role: single, count: 1}}]
output: {{warmup_min: 720}}
standards:
  - {{name: hi_wait, quantity: wait_min, within_min: 1, segments: [hi]}}
  - {{name: lo_wait, quantity: wait_min, within_min: 1, segments: [lo]}}
"""
    f, cmd = runner.run("priority", yaml)
    want = cobham_waits([lam * s for s in shares], [1.0, 1.0], [2.0, 2.0])
    rows = []
    for j, name in enumerate(("hi (served first)", "lo")):
        n = f["standards/covered"][0, :, j]
        wait = f["segments/wait_mean_min"][0, :, j]
        rows.append(Row("mean wait [min]", name, want[j], ratio_estimate(wait * n, n)))
    f.close()
    return {
        "key": "priority",
        "title": "Priority classes against Cobham's formula",
        "what": ("One counter, exponential service (mean 1 min), Poisson arrivals at 0.8/min of which "
                 "30 % are of class hi, served before lo (non-preemptive): M/M/1 with two priority "
                 "classes."),
        "formula": "W_k = W₀ / ((1 − σ_{k−1})(1 − σ_k)),  W₀ = Σ_i λ_i E[S_i²] / 2,  σ_k = Σ_{i≤k} λ_i E[S_i]",
        "source": "Cobham (1954); Kleinrock (1976), chapter 3",
        "estimator": "pooled over each segment's customers (its standard's `covered`)",
        "yaml": yaml, "command": cmd, "rows": rows,
    }


ERLANG_B_COUNTERS = (1, 3, 6)


def check_erlang_b(runner):
    lam, day_min = 2.0, 1440.0
    yaml = f"""name: validate-erlang-b
seed: 104
replications: 2000
day: {{hours: 24}}
demand: {{customers_per_day: {round(lam * day_min)}}}
transactions: [{{name: any, service_min: {{dist: exponential, mean: 1}}}}]
counters: [{{role: general, count: 1}}]
reneging: {{patience_min: 0}}
sweep: {{counters.0.count: {list(ERLANG_B_COUNTERS)}}}
"""
    f, cmd = runner.run("erlang-b", yaml)
    rows = []
    for p, c in enumerate(ERLANG_B_COUNTERS):
        chain = AbandonChain(c, lam, 1.0, math.inf)
        day = chain.day_abandon_share(day_min)
        est = ratio_estimate(rep(f, "reneged")[p], rep(f, "arrived")[p])
        rows.append(Row("share lost", f"c = {c} (B = {fmt(erlang_b(c, lam))})", day, est))
    f.close()
    return {
        "key": "erlang-b",
        "title": "Zero patience against Erlang B",
        "what": ("Patience 0: a customer who cannot be served at once leaves (M/M/c/c), λ = 2/min, "
                 "exponential service of mean 1 min (a = 2 erlangs). The counts cover the whole day, "
                 "which starts empty, so the reference is the exact expected share of a 24-hour day "
                 "(a little below the steady-state B in the point column)."),
        "formula": ("B(c, a) = (aᶜ/c!) / Σ_{k≤c} aᵏ/k!     (steady state)\n"
                    "day share = (1/T) ∫₀ᵀ P(N(t) = c) dt, N(0) = 0     (exact, from the chain's generator)"),
        "source": "Erlang (1917); Kleinrock (1975), chapter 3",
        "estimator": "sum over days of reneged / sum of arrived",
        "yaml": yaml, "command": cmd, "rows": rows,
    }


ERLANG_A_PATIENCE = (0.5, 1, 2, 4, 8)


def check_erlang_a(runner):
    c, lam, mu, day_min = 5, 5.0, 1.0, 1440.0
    yaml = f"""name: validate-erlang-a
seed: 105
replications: 1000
day: {{hours: 24}}
demand: {{customers_per_day: {round(lam * day_min)}}}
transactions: [{{name: any, service_min: {{dist: exponential, mean: 1}}}}]
counters: [{{role: general, count: {c}}}]
reneging: {{patience_min: {{dist: exponential, mean: 1}}}}
output: {{warmup_min: 720}}
standards: [{{name: any_wait, quantity: wait_min, within_min: 1}}]
sweep: {{reneging.patience_min.mean: {list(ERLANG_A_PATIENCE)}}}
"""
    f, cmd = runner.run("erlang-a", yaml)
    n = covered(f)
    rows, figure = [], []
    for p, patience in enumerate(ERLANG_A_PATIENCE):
        chain = AbandonChain(c, lam, mu, 1.0 / patience)
        steady = chain.steady()
        point = f"patience {patience:g} min"
        ab = ratio_estimate(rep(f, "reneged")[p], rep(f, "arrived")[p])
        w = ratio_estimate(rep(f, "wait_mean_min")[p] * n[p], n[p])
        pw = ratio_estimate(rep(f, "share_waited")[p] * n[p], n[p])
        rows += [Row("share who give up (day)", point, chain.day_abandon_share(day_min), ab),
                 Row("mean wait of the served [min]", point, steady["wait_served"], w),
                 Row("P(wait > 0) of the served", point, steady["waited_served"], pw)]
        figure.append((patience, steady["abandon"], ab, steady["wait_served"], w))
    f.close()
    return {
        "key": "erlang-a",
        "title": "Exponential patience against Erlang A (M/M/c+M)",
        "what": ("5 counters, exponential service of mean 1 min, λ = 5/min (ρ = 1: only abandonment "
                 "keeps the line finite), exponential patience of five means. The waits count customers "
                 "arriving after 12 hours (steady state); the share who give up counts the whole day from "
                 "empty, against the day's exact expectation."),
        "formula": ("birth-death chain of the number in system n: birth λ, death min(n, c)μ + (n − c)⁺θ, θ = 1/mean patience\n"
                    "arrival finding n ≥ c (q = n − c ahead): P(served) = Π_{j=0}^{q} (cμ + jθ)/(cμ + (j+1)θ),\n"
                    "    E[W | served] = Σ_{j=0}^{q} 1/(cμ + (j+1)θ)\n"
                    "steady state: averaged over the stationary π_n (PASTA); day share: over (1/T) ∫₀ᵀ p(t) dt, p(0) = δ₀"),
        "source": "Palm (1943); Garnett, Mandelbaum & Reiman (2002)",
        "estimator": "reneged / arrived and the waits pooled over customers, as for Erlang C",
        "yaml": yaml, "command": cmd, "rows": rows, "figure": figure,
    }


POISSON_PROFILE = (0.6, 0.8, 1.0, 1.0, 1.1, 1.1, 1.6, 1.8, 1.7, 1.2, 0.9, 0.8, 0.8, 0.9, 1.2, 1.0)


def check_poisson(runner):
    n_day, counters, absence = 400, 10, 0.2
    yaml = f"""name: validate-poisson
seed: 106
replications: 10000
day: {{hours: 8}}
demand:
  customers_per_day: {n_day}
  profile: {list(POISSON_PROFILE)}
transactions: [{{name: any, service_min: 1}}]
counters: [{{role: general, count: {counters}}}]
staffing: {{absence_probability: {absence}}}
output: {{bin_min: 15}}
"""
    f, cmd = runner.run("poisson", yaml)
    arrived = rep(f, "arrived")[0]
    absent = rep(f, "staff_absent")[0]
    reps = arrived.size
    # 30-minute profile blocks, 15-minute bins: each block's mean split in two.
    weights = np.repeat(np.array(POISSON_PROFILE), 2)
    want = n_day * weights / weights.sum()
    got = f["timeseries/arrivals"][0]
    chi2 = float((reps * (got - want) ** 2 / want).sum())
    z = float(stats.norm.ppf(stats.chi2.cdf(chi2, df=want.size)))
    rows = [Row("arrivals per day: mean", "", float(n_day), mean_estimate(arrived)),
            Row("arrivals per day: variance", "", float(n_day), variance_estimate(arrived)),
            Row("arrivals per 15-min bin: χ² over bins", f"{want.size} bins",
                f"χ²({want.size}): {want.size} ± {math.sqrt(2 * want.size):.0f}", z=z, shown=f"{chi2:.1f}"),
            Row("staff absent per day: mean", f"{counters} counters", counters * absence, mean_estimate(absent)),
            Row("staff absent per day: variance", f"{counters} counters", counters * absence * (1 - absence),
                variance_estimate(absent))]
    f.close()
    return {
        "key": "poisson",
        "title": "Arrival counts (Poisson) and staff absence (binomial)",
        "what": ("An 8-hour day with the epidemic scenario's profile of 16 half-hour weights, 400 "
                 "customers a day on average, 10 counters whose staff are each absent with probability "
                 "0.2."),
        "formula": ("arrivals per day ~ Poisson(N): mean = variance = N\n"
                    "arrivals in bin b ~ Poisson(m_b), m_b = N w_b / Σ w, independent: "
                    "Σ_b R (x̄_b − m_b)² / m_b ~ χ²(bins) (x̄_b the mean over R days)\n"
                    "staff absent ~ Binomial(c, p): mean c p, variance c p (1 − p)"),
        "source": "the model's definition ([arrivals](model.md#arrivals), [staff absence](model.md#staff-absence)); "
                  "Kingman (1993)",
        "estimator": ("daily counts: mean (t interval) and sample variance (normal-theory SE s² √(2/(R−1))); "
                      "the χ² statistic's z is the normal quantile of its χ² probability"),
        "yaml": yaml, "command": cmd, "rows": rows,
    }


WR_AIR_CHANGES = (0.5, 2, 6)
WR_EXPOSURE = {"hall_volume_m3": 400.0, "deposition_per_h": 0.24, "decay_per_h": 0.63,
               "emission_speaking_quanta_per_h": 1000.0, "inhalation_customer_m3_per_h": 0.54,
               "near_field_factor": 5.0, "customer_in": 0.5 * 0.8, "staff_out": 0.5 * 1.0}


def check_wells_riley(runner):
    counters, n_day, hours, service = 20, 240, 8, 4.0
    ex = WR_EXPOSURE
    yaml = f"""name: validate-wells-riley
seed: 107
replications: 2000
day: {{hours: {hours}}}
demand: {{customers_per_day: {n_day}}}
transactions: [{{name: any, service_min: {service:g}}}]
counters: [{{role: general, count: {counters}}}]
exposure:
  prevalence_customers: 0
  prevalence_staff: 1
  hall_volume_m3: {ex['hall_volume_m3']:g}
  air_changes_per_h: 2
  deposition_per_h: {ex['deposition_per_h']:g}
  decay_per_h: {ex['decay_per_h']:g}
  emission_speaking_quanta_per_h: {ex['emission_speaking_quanta_per_h']:g}
  inhalation_customer_m3_per_h: {ex['inhalation_customer_m3_per_h']:g}
  near_field_factor: {ex['near_field_factor']:g}
  masks: {{customers: {{kind: surgical, compliance: 0.8}}, staff: {{kind: cloth, compliance: 1}}}}
sweep: {{exposure.air_changes_per_h: {list(WR_AIR_CHANGES)}}}
"""
    f, cmd = runner.run("wells-riley", yaml)
    rows = []
    for p, ach in enumerate(WR_AIR_CHANGES):
        infections, risk = wells_riley_staff_day(counters, n_day / (hours * 60), hours * 60.0, service,
                                                 dict(ex, air_changes_per_h=ach))
        point = f"{ach:g} air changes/h"
        got = rep(f, "expected_infections_customers")[p]
        rows += [Row("expected infections per day", point, infections, mean_estimate(got)),
                 Row("mean risk per customer", point, risk, ratio_estimate(got, rep(f, "arrived")[p]))]
    f.close()
    return {
        "key": "wells-riley",
        "title": "Expected infections against the Wells–Riley box model",
        "what": ("Every one of 20 counters' staff is infectious (prevalence 1, cloth masks) and no customer "
                 "is; 240 customers a day, each served at once for 4 minutes (never more than a few of the "
                 "20 counters busy), behind surgical masks worn by 80 %; the hall's air changes swept. "
                 "Randomness is only in the arrival times, so the reference is exact."),
        "formula": ("k = air changes + deposition + decay,  n(t) = N_staff E/(kV) (1 − e^{−kt}),  "
                    "E = speaking emission × (1 − mask out)\n"
                    "dose(t) = B (1 − mask in) [∫_t^{t+s} n du + f E/(kV) s],  risk r(t) = 1 − exp(−dose(t))\n"
                    "E[infections per day] = λ ∫₀ᵀ r(t) dt (Campbell),  mean risk = (1/T) ∫₀ᵀ r(t) dt"),
        "source": "Riley, Murphy & Riley (1978); Kingman (1993); the model's [near field](model.md#near-field-across-the-counter)",
        "estimator": "expected_infections_customers: mean over days; mean risk: its sum over the sum of arrived",
        "yaml": yaml, "command": cmd, "rows": rows,
    }


def identity_rows(f, label):
    """Little's law and conservation in every replication of every point:
    the largest relative difference."""
    occ = rep(f, "occupancy_mean") * rep(f, "day_end_min")
    person = rep(f, "person_minutes_inside")
    tib = rep(f, "time_in_branch_mean_min") * rep(f, "arrived")
    scale = np.maximum(person, 1.0)
    little = float(max(np.abs(occ - person).max(), np.abs(tib - person).max()) / scale.min())
    arrived = rep(f, "arrived")
    out = rep(f, "served") + rep(f, "balked") + rep(f, "reneged") + rep(f, "turned_away")
    intents = rep(f, "online") + rep(f, "noshows") + rep(f, "bookings_refused_left") + arrived
    conserve = float(max(np.abs(arrived - out).max(), np.abs(rep(f, "intents") - intents).max()))
    days = arrived.size
    return [Row("L·T = Σ time in branch = λT·W", f"{label}, {days} days", "equal",
                shown=f"max rel. diff {little:.1e}", identity=little, z=None),
            Row("customers conserved", f"{label}, {days} days", "equal",
                shown=f"max diff {conserve:g}", identity=conserve, z=None)]


def check_identities(runner, root):
    rows = []
    for name in ("erlang-a", "priority", "cap", "wells-riley"):
        with h5py.File(os.path.join(runner.workdir, name + ".h5"), "r") as f:
            rows += identity_rows(f, name)
    for scenario, reps in (("default", 100), ("epidemic", 50), ("appointments", 50)):
        with open(os.path.join(root, "scenarios", scenario + ".yaml")) as src:
            f, _ = runner.run("scenario-" + scenario, src.read(), extra=("-r", str(reps)))
        rows += identity_rows(f, f"scenarios/{scenario}.yaml")
        f.close()
    return {
        "key": "identities",
        "title": "Little's law and conservation, every day",
        "what": ("Sample-path identities, which hold on every simulated day and not only on average: "
                 "the area under the number inside equals the sum of the customers' times inside "
                 "(Little's law over a day that starts and ends empty), and every customer ends one way. "
                 "On the runs above and on three shipped scenarios (balking, reneging, schedules, "
                 "appointments, the occupancy cap)."),
        "formula": ("occupancy_mean × day_end_min = person_minutes_inside = time_in_branch_mean_min × arrived\n"
                    "arrived = served + balked + reneged + turned_away;  "
                    "intents = online + noshows + bookings_refused_left + arrived"),
        "source": "Little (1961)",
        "estimator": f"the largest difference over all days, relative to the day's person-minutes (pass: ≤ {IDENTITY_TOL:g})",
        "yaml": None,
        "command": "the runs above; branchsim run scenarios/default.yaml -r 100 (epidemic, appointments: -r 50)",
        "rows": rows,
    }


# ---------------------------------------------------------------------------
# Figures and the page

def figure_erlang_c(section, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    c, mu = ERLANG_C_COUNTERS, 1.0
    rho = np.linspace(0.4, 0.95, 200)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    curves = ((lambda r: mmc_wait_mean(c, r * c * mu, mu), 1, "Mean wait Wq [min]"),
              (lambda r: erlang_c(c, r * c), 2, "P(wait > 0)"))
    for ax, (curve, idx, label) in zip(axes, curves):
        ax.plot(rho, [curve(r) for r in rho], color="0.3", label="Erlang C")
        for load, *est in section["figure"]:
            value, se, df = est[idx - 1]
            ax.errorbar(load, value, yerr=t975(df) * se, fmt="o", color="C0", capsize=3,
                        label="simulated (95 % CI)" if load == ERLANG_C_LOADS[0] else None)
        ax.set_xlabel("Utilization ρ")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend()
    fig.suptitle(f"M/M/{c}, mean service 1 min: simulated against Erlang C")
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def figure_erlang_a(section, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    c, lam, mu = 5, 5.0, 1.0
    grid = np.geomspace(0.3, 12, 60)
    steady = [AbandonChain(c, lam, mu, 1 / m).steady() for m in grid]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    panels = ((axes[0], "abandon", 2, "Share who give up"), (axes[1], "wait_served", 4, "Mean wait of the served [min]"))
    for ax, key, idx, label in panels:
        ax.plot(grid, [s[key] for s in steady], color="0.3", label="Erlang A (steady state)")
        for i, row in enumerate(section["figure"]):
            value, se, df = row[idx]
            ax.errorbar(row[0], value, yerr=t975(df) * se, fmt="o", color="C1", capsize=3,
                        label="simulated (95 % CI)" if i == 0 else None)
        ax.set_xscale("log")
        ax.set_xticks(ERLANG_A_PATIENCE, [f"{m:g}" for m in ERLANG_A_PATIENCE])
        ax.minorticks_off()
        ax.set_xlabel("Mean patience [min]")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend()
    fig.suptitle("M/M/5+M, λ = 5/min, mean service 1 min: simulated against Erlang A")
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


SOURCES = """\
- Cobham, A. (1954). Priority assignment in waiting line problems. *Journal of the Operations
  Research Society of America* 2:70–76.
- Erlang, A. K. (1917). Løsning af nogle Problemer fra Sandsynlighedsregningen af Betydning for de
  automatiske Telefoncentraler. *Elektroteknikeren* 13:5–13. Erlang B and C.
- Garnett, O., Mandelbaum, A. & Reiman, M. (2002). Designing a call center with impatient customers.
  *Manufacturing & Service Operations Management* 4:208–227. Erlang A (M/M/c+M).
- Khinchine, A. Y. (1932). Mathematical theory of a stationary queue. *Matematicheskii Sbornik*
  39(4):73–84.
- Kingman, J. F. C. (1993). *Poisson Processes*. Oxford University Press. Campbell's theorem and
  the counts of a Poisson process.
- Kleinrock, L. (1975). *Queueing Systems, Volume 1: Theory*. Wiley. M/M/c, M/M/c/c, M/G/1.
- Kleinrock, L. (1976). *Queueing Systems, Volume 2: Computer Applications*. Wiley. Priority
  queues.
- Little, J. D. C. (1961). A proof for the queuing formula: L = λW. *Operations Research*
  9:383–387.
- Palm, C. (1943). Intensitätsschwankungen im Fernsprechverkehr. *Ericsson Technics* 44:1–189.
  Queues with impatient customers.
- Pollaczek, F. (1930). Über eine Aufgabe der Wahrscheinlichkeitstheorie. *Mathematische
  Zeitschrift* 32:64–100.
- Riley, E. C., Murphy, G. & Riley, R. L. (1978). Airborne spread of measles in a suburban
  elementary school. *American Journal of Epidemiology* 107:421–432. The Wells–Riley model.
"""


def table(rows):
    lines = ["| quantity | point | reference | simulated [95 % CI] | z | result |",
             "|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(r.cells()) + " |" for r in rows]
    return lines


def page(sections, version, figures):
    rows = [r for s in sections for r in s["rows"]]
    failed = [r for r in rows if not r.passed]
    out = ["# Validation: the simulator against theory", ""]
    out += wrap(f"Written by `make validate` with {version}; do not edit by hand. "
                "Each section below runs `branchsim` on a small scenario (its YAML is shown, fixed seed) and "
                "compares what the result file reports with an exact analytic value: the formula, its "
                "source, the simulated estimate with its 95 % interval, and z = (simulated − reference) / "
                "standard error. A row passes when |z| < 4, the tolerance of the C tests "
                "([development.md](development.md#checks)); identities must hold to 1e-9 on every day. "
                "A row that fails stays on the page, marked **FAIL**, and `make validate` exits 1. "
                "The same build gives this page byte for byte (`git diff docs/validation.md` after `make "
                "validate`); what the model's parts do is in [model.md](model.md), the metrics in "
                "[output.md](output.md).")
    out += ["", f"**{len(rows) - len(failed)} of {len(rows)} checks pass.**" if failed else
            f"**All {len(rows)} checks pass.**", ""]
    out += wrap("Contents: " + " · ".join(f"[{s['title']}](#{anchor(s['title'])})" for s in sections) +
                " · [sources](#sources)") + [""]
    for s in sections:
        out += [f"## {s['title']}", ""] + wrap(s["what"]) + ["", "```", s["formula"], "```", ""]
        out += wrap(f"Source: {s['source']}. Estimate: {s['estimator']}.") + [""]
        out += table(s["rows"]) + [""]
        if s["key"] in figures:
            out += [f"![{s['title']}]({figures[s['key']]})", "",
                    "(The 95 % intervals are mostly smaller than the markers.)", ""]
        if s["yaml"]:
            out += wrap(f"Reproduce: save the scenario below as `{s['key']}.yaml` (`make validate` writes it to "
                        f"build/validate/) and run `{s['command']}`.") + ["", "```yaml", s["yaml"].rstrip(), "```", ""]
        else:
            out += wrap(f"Runs: {s['command']}.") + [""]
    out += ["## Sources", "", SOURCES]
    return "\n".join(out)


def wrap(text):
    """A paragraph as lines of at most 100 characters, as the other pages."""
    return textwrap.wrap(text, width=100, break_long_words=False, break_on_hyphens=False)


def anchor(title):
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to -."""
    kept = "".join(ch for ch in title.lower() if ch.isalnum() or ch in " -_")
    return kept.replace(" ", "-")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--branchsim", default=os.path.join(root, "build", "branchsim"))
    ap.add_argument("--workdir", default=os.path.join(root, "build", "validate"))
    ap.add_argument("--docs", default=os.path.join(root, "docs"))
    ap.add_argument("--replications", type=int, metavar="N",
                    help="a smoke run: N days per scenario (the page is then not the committed one)")
    args = ap.parse_args(argv)
    runner = Runner(args.branchsim, args.workdir, args.replications)
    os.makedirs(args.docs, exist_ok=True)
    sections = [check_erlang_c(runner), check_mg1(runner), check_priority(runner), check_erlang_b(runner),
                check_erlang_a(runner), check_cap(runner), check_poisson(runner), check_wells_riley(runner)]
    sections.append(check_identities(runner, root))
    figures = {"erlang-c": "validation-erlang-c.png", "erlang-a": "validation-erlang-a.png"}
    figure_erlang_c(next(x for x in sections if x["key"] == "erlang-c"), os.path.join(args.docs, figures["erlang-c"]))
    figure_erlang_a(next(x for x in sections if x["key"] == "erlang-a"), os.path.join(args.docs, figures["erlang-a"]))
    text = page(sections, runner.version(), figures)
    with open(os.path.join(args.docs, "validation.md"), "w") as f:
        f.write(text)
    rows = [r for s in sections for r in s["rows"]]
    failed = [r for r in rows if not r.passed]
    print(f"validate: {len(rows) - len(failed)} of {len(rows)} checks pass; wrote "
          f"{os.path.join(args.docs, 'validation.md')}")
    for r in failed:
        print("FAILED: " + " | ".join(r.cells()), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
