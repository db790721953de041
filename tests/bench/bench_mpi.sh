#!/bin/bash
# `make bench`, cluster part: replications per second on the 100-point sweep
# (tests/bench/sweep-100.yaml, 100 x 1000 replications, the whole run with
# its output file) as 1 process x 1 thread, 1 process x N threads and
# N ranks x 1 thread (N = the cores here), the parallel efficiency of each,
# and what starting MPI costs. Best of REPEATS runs each.
# Usage: tests/bench/bench_mpi.sh BRANCHSIM BRANCHSIM_MPI [MPIRUN]
set -euo pipefail
serial=$1 mpi=$2 mpirun=${3:-mpirun}
cores=$(nproc)
repeats=${REPEATS:-3}
scenario=tests/bench/sweep-100.yaml
reps=$((100 * 1000))
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none

best_s() { # best wall time of REPEATS runs of "$@"
    local best=
    for _ in $(seq "$repeats"); do
        local t0 t1
        t0=$(date +%s.%N)
        "$@" >/dev/null
        t1=$(date +%s.%N)
        best=$(echo "$t0 $t1 ${best:-1e9}" | awk '{d = $2 - $1; print (d < $3 ? d : $3)}')
    done
    echo "$best"
}

start_1=$(best_s "$serial" --version)
start_mpi=$(best_s "$mpirun" -np "$cores" --bind-to none "$mpi" --version)
echo "MPI start-up: mpirun -np $cores branchsim-mpi --version takes $(awk -v a="$start_mpi" 'BEGIN{printf "%.3f", a}') s, branchsim --version $(awk -v a="$start_1" 'BEGIN{printf "%.3f", a}') s"

one=$(best_s "$serial" run "$scenario" -q -j 1 -o "$out/a.h5")
threads=$(best_s "$serial" run "$scenario" -q -j "$cores" -o "$out/b.h5")
ranks=$(best_s "$mpirun" -np "$cores" --bind-to none "$mpi" run "$scenario" -q -j 1 -o "$out/c.h5")
awk -v one="$one" -v th="$threads" -v rk="$ranks" -v n="$cores" -v reps="$reps" 'BEGIN {
    printf "100-point sweep (%d replications), replications/s, efficiency = speed-up / %d:\n", reps, n
    printf "  1 process  x 1 thread    %8.0f/s\n", reps / one
    printf "  1 process  x %d threads   %8.0f/s  efficiency %.2f\n", n, reps / th, one / th / n
    printf "  %d ranks    x 1 thread    %8.0f/s  efficiency %.2f (%.2f of the threaded run)\n", n, reps / rk,
           one / rk / n, th / rk
}'
