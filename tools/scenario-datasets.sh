#!/bin/bash
# Runs every shipped scenario and bench scenario with one build of branchsim,
# small and fixed (-r 24 -s 7 on 2 threads, and -r 9 with the scenario's seed
# on 1), into OUT_DIR: run it with two builds, then compare the two folders
# with tools/same_datasets.py (results must not change unless an issue says).
#   tools/scenario-datasets.sh OLD/build/branchsim /tmp/old
#   tools/scenario-datasets.sh build/branchsim /tmp/new
#   /usr/bin/python3 tools/same_datasets.py /tmp/old /tmp/new
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 BRANCHSIM OUT_DIR" >&2; exit 2; }
bin=$1 out=$2
repo=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
for f in "$repo"/scenarios/*.yaml "$repo"/tests/bench/*.yaml; do
    n=$(basename "$f" .yaml)
    "$bin" run "$f" -r 24 -s 7 -q -j 2 -o "$out/$n.h5"
    "$bin" run "$f" -r 9 -q -j 1 -o "$out/$n-default-seed.h5"
done
