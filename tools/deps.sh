#!/bin/sh
# Checks that what the build needs is installed; installs it with apt-get on
# Debian/Ubuntu (sudo when not root), otherwise says exactly what is missing.
# Usage: tools/deps.sh [--install] [--cluster] [--fuzz]   (the package list: tools/debian-packages.txt)
# --cluster also checks what `make mpi` and its tests need (OpenMPI, parallel
# HDF5, SLURM), --fuzz what `make fuzz` needs (clang with libFuzzer and
# OpenMP); installing always installs the whole list.
set -eu
install=0 cluster=0 fuzz=0
for arg in "$@"; do
    case "$arg" in
    --install) install=1 ;;
    --cluster) cluster=1 ;;
    --fuzz) fuzz=1 ;;
    *) echo "usage: tools/deps.sh [--install] [--cluster] [--fuzz]" >&2; exit 2 ;;
    esac
done
here=$(cd "$(dirname "$0")" && pwd)
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
HDF5_PKG=${HDF5_PKG:-hdf5-serial}

missing() {
    command -v "$PKG_CONFIG" >/dev/null 2>&1 || { echo pkg-config; return; }
    for lib in gsl "$HDF5_PKG" yaml-0.1 cmocka; do
        "$PKG_CONFIG" --exists "$lib" || echo "$lib"
    done
    if [ "$cluster" = 1 ]; then # the cluster build (make mpi) and its tests
        command -v "${MPICC:-mpicc}" >/dev/null 2>&1 || echo mpicc
        "$PKG_CONFIG" --exists hdf5-openmpi || echo hdf5-openmpi
        PATH="$PATH:/usr/sbin" command -v slurmctld >/dev/null 2>&1 || echo slurm
    fi
    if [ "$fuzz" = 1 ]; then # the fuzz targets (make fuzz, make test-fuzz)
        cc=${FUZZ_CC:-clang-14}
        if command -v "$cc" >/dev/null 2>&1; then
            # -print-file-name echoes a bare name when the file is not there
            for lib in "libclang_rt.fuzzer-$(uname -m).a" include/omp.h; do
                case $("$cc" -print-file-name="$lib") in /*) ;; *) echo "$lib" ;; esac
            done
        else
            echo "$cc"
        fi
    fi
    [ -f /usr/include/Random123/philox.h ] || [ -n "${RANDOM123_CFLAGS:-}" ] || echo Random123
    /usr/bin/python3 -c 'import h5py, numpy, pytest, xarray, netCDF4' 2>/dev/null || echo python3-h5py/numpy/pytest/xarray/netcdf4
}

gaps=$(missing | tr '\n' ' ')
[ -z "$gaps" ] && exit 0
if [ "$install" = 0 ]; then
    echo "missing: $gaps(make deps or make run installs them; tools/debian-packages.txt lists them)" >&2
    exit 1
fi
if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    echo "installing build dependencies with apt-get (missing: $gaps)" >&2
    $sudo apt-get update
    # shellcheck disable=SC2046
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(grep -v '^#' "$here/debian-packages.txt")
    # The list may not provide what is missing (another HDF5_PKG, a
    # pkg-config that finds nothing): say so rather than report success.
    gaps=$(missing | tr '\n' ' ')
    [ -z "$gaps" ] && exit 0
    echo "still missing after apt-get install: $gaps" >&2
    exit 1
fi
cat >&2 <<MSG
branchsim needs (missing: $gaps):
  a C11 compiler with OpenMP, make, pkg-config,
  GSL (pkg-config gsl), serial HDF5 (pkg-config $HDF5_PKG), libyaml (pkg-config yaml-0.1),
  Random123 headers (Random123/philox.h), cmocka (pkg-config cmocka),
  Python 3 with h5py, numpy, matplotlib and pytest at /usr/bin/python3;
  for the cluster build and its tests: OpenMPI (mpicc, mpirun), parallel HDF5
  (pkg-config hdf5-openmpi), SLURM (slurmctld, slurmd, sbatch) and munge;
  for the fuzz targets: clang (FUZZ_CC, default clang-14) with its libFuzzer
  runtime and OpenMP (libomp).
Install them with your package manager, or point the Makefile at them:
  make GSL_CFLAGS=... GSL_LIBS=... HDF5_CFLAGS=... HDF5_LIBS=... RANDOM123_CFLAGS=-I...
MSG
exit 1
