#!/bin/sh
# Regenerates the HDF5-derived seeds of the reader targets (tests/fuzz/seeds/
# describe, resume, describe_raw, resume_raw) from files that small runs write: the
# result files of two scenarios and the checkpoint of fuzz_resume's own run.
# Run from the repository root after `make` and `make fuzz-build`; the seeds
# of the scenario loader (seeds/load) are YAML files kept by hand.
set -eu
BRANCHSIM=${BRANCHSIM:-build/branchsim}
FUZZ_BUILD=${FUZZ_BUILD:-build/fuzz}
PYTHON=${PYTHON:-/usr/bin/python3}
seeds=tests/fuzz/seeds
ops="$PYTHON tests/fuzz/h5_to_ops.py"
# Breakdowns and time series are not read by describe: left out (each kept
# group keeps its coordinates, which describe must tell from metrics).
skip=segments,roles,timeseries,slots,standards,breakdown_summary
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$BRANCHSIM" run scenarios/mmc.yaml -r 8 -o "$tmp/mmc.h5" --quiet
"$BRANCHSIM" run scenarios/counters-sweep.yaml -r 8 -o "$tmp/sweep.h5" --quiet
"$BRANCHSIM" run $seeds/load/sweep-points-text.yaml -r 8 -o "$tmp/text.h5" --quiet

rm -f $seeds/describe/* $seeds/resume/* $seeds/describe_raw/* $seeds/resume_raw/*
$ops "$tmp/mmc.h5" $seeds/describe/mmc --keep 3 --drop $skip --max-payload 512
$ops "$tmp/sweep.h5" $seeds/describe/sweep --keep 2 --drop $skip --max-payload 512
$ops "$tmp/sweep.h5" $seeds/describe/sweep-csv --keep 2 --drop $skip --max-payload 512 --flags 5
$ops "$tmp/text.h5" $seeds/describe/text-keys --keep 2 --drop $skip --max-payload 512 --metric online

BSFUZZ_WRITE_CHECKPOINT="$tmp/checkpoint.h5" "$FUZZ_BUILD/tests/fuzz/fuzz_resume" 2>/dev/null
# Whole (every block matches its checksum) and cut (the blocks do not)
$ops "$tmp/checkpoint.h5" $seeds/resume/checkpoint
$ops "$tmp/checkpoint.h5" $seeds/resume/checkpoint-cut --max-payload 256
cp "$tmp/checkpoint.h5" $seeds/resume_raw/checkpoint.h5

# Raw files for fuzz_describe_raw: each result cut to its root attributes,
# its groups' coordinates and two metrics, written afresh so that no freed space is left in them.
for f in mmc sweep text; do
    $PYTHON - "$tmp/$f.h5" $seeds/describe_raw/$f.h5 <<'PY'
import sys
import h5py
src, dst = sys.argv[1:]
with h5py.File(src, "r") as a, h5py.File(dst, "w", track_order=True) as b:
    b.attrs.update({k: v for k, v in a.attrs.items() if k != "scenario_yaml"})
    for g in ("summary", "compare", "replications", "scenarios"):
        out = b.create_group(g, track_order=True)
        out.attrs.update({k: v for k, v in a[g].attrs.items()})
        coords = [n for n in a[g] if "CLASS" in a[g][n].attrs or (g != "scenarios" and n in a["scenarios"])]
        for name in coords + [n for n in a[g] if n not in coords][:2]:
            d = a[g][name]
            cut = g == "replications" and (d.ndim == 2 or name == "replication")  # two replications
            out.create_dataset(name, data=(d[:, :2] if d.ndim == 2 else d[:2]) if cut else d[()])
            out[name].attrs.update({k: v for k, v in d.attrs.items() if k not in ("DIMENSION_LIST", "REFERENCE_LIST")})
PY
done
ls -l $seeds/describe $seeds/resume $seeds/describe_raw
