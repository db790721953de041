"""SimPy reference for the branchsim M/M/c benchmark.

Measures how many customers per second (single thread) SimPy simulates for
the same model as the C benchmark: c = 4 servers, Poisson arrivals at
3.2/min, exponential service at 1.0/min, FIFO queue, doors open for 480
minutes (customers inside at closing are still served; a replication ends
when the last one leaves). Replication r uses random.Random(seed + r).

It prints the run size, wall time, throughput and the mean wait in queue
next to the steady-state Erlang C value (a sanity figure only: a day that
starts empty waits less on average than the steady state, and a few
replications scatter widely around either figure).

`make bench` runs it after the C benchmark as
    python3 tests/bench/mmc_simpy.py --replications 20 --compare build/bench_mmc.txt
where the compare file holds `key value` lines written by bench_mmc; the
key customers_per_second_per_thread gives the branchsim / SimPy speed ratio.
"""
import argparse
import math
import random
import time

import simpy

SERVERS = 4
LAM = 3.2    # arrivals per minute
MU = 1.0     # services per minute per server
DAY = 480.0  # minutes the doors are open


def customer(env, counter, rng, waits):
    arrived = env.now
    with counter.request() as req:
        yield req
        waits.append(env.now - arrived)
        yield env.timeout(rng.expovariate(MU))


def arrivals(env, counter, rng, waits):
    while True:
        yield env.timeout(rng.expovariate(LAM))
        if env.now >= DAY:
            return
        env.process(customer(env, counter, rng, waits))


def replication(seed):
    """Run one day; return (customers arrived, mean wait in queue)."""
    rng = random.Random(seed)
    env = simpy.Environment()
    counter = simpy.Resource(env, capacity=SERVERS)
    waits = []
    env.process(arrivals(env, counter, rng, waits))
    env.run()  # runs until the last customer has left
    return len(waits), (sum(waits) / len(waits) if waits else 0.0)


def erlang_c_wq(c, lam, mu):
    """Steady-state mean wait in queue, Wq = C(c, a) / (c*mu - lam)."""
    a = lam / mu
    top = a ** c / math.factorial(c) * c / (c - a)
    p_wait = top / (sum(a ** k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)


def read_rate(path):
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2 and parts[0] == "customers_per_second_per_thread":
                return float(parts[1])
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=20)
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--compare", metavar="FILE",
                    help="bench_mmc output with customers_per_second_per_thread")
    args = ap.parse_args()

    results = []
    t0 = time.perf_counter()
    for r in range(args.replications):
        results.append(replication(args.seed + r))
    wall = time.perf_counter() - t0

    customers = sum(n for n, _ in results)
    mean_wq = sum(n * w for n, w in results) / customers if customers else 0.0
    rate = customers / wall if wall > 0 else float("inf")

    print("SimPy M/M/%d benchmark (lambda=%.1f/min, mu=%.1f/min, %g-min day)"
          % (SERVERS, LAM, MU, DAY))
    print("replications:              %d" % args.replications)
    print("customers simulated:       %d" % customers)
    print("wall seconds:              %.3f" % wall)
    print("customers per second:      %.0f (single thread)" % rate)
    print("mean wait in queue (min):  %.4f" % mean_wq)
    print("Erlang C steady-state Wq:  %.4f" % erlang_c_wq(SERVERS, LAM, MU))
    print("  (a %g-minute day starting empty averages below steady state,"
          " and days vary widely: sanity figure, not a test)" % DAY)

    if args.compare:
        try:
            c_rate = read_rate(args.compare)
        except OSError as e:
            print("note: cannot read %s (%s); speed ratio skipped"
                  % (args.compare, e.strerror))
            return
        if c_rate is None:
            print("note: no customers_per_second_per_thread in %s;"
                  " speed ratio skipped" % args.compare)
        else:
            print("branchsim / SimPy speed ratio: %.1f" % (c_rate / rate))


if __name__ == "__main__":
    main()
