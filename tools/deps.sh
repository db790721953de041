#!/bin/sh
# Says what the build or a test suite lacks and which Debian packages provide
# it; with --install, installs those with apt-get (through sudo when not root).
# Usage: tools/deps.sh [--install | --list] [GROUP...]
#   GROUP: build (the default: what a plain make needs), install, mpi, test-c, test-py,
#   test-asan, test-mpi, test-fuzz, fuzz, fuzz-coverage, bench, all.
#   --list prints every Debian package the groups need, present or not
#   (tools/debian-packages.txt is the list for all, checked by tests/test_install.py).
# Exit 0 when nothing is missing (or all of it got installed), 1 otherwise, 2 on a bad argument.
#
# A library is found with pkg-config unless its *_CFLAGS or *_LIBS is set (the
# Makefile passes those a user gave, e.g. from a cluster's module system): then
# a small program is compiled and linked with them instead, and pkg-config is
# not needed. Random123 is header-only: its check compiles with RANDOM123_CFLAGS.
# shellcheck disable=SC2317 # the group_* functions are called by name
set -eu
mode=check groups=
for arg in "$@"; do
    case "$arg" in
    --install) mode=install ;;
    --list) mode=list ;;
    build | install | mpi | test-c | test-py | test-asan | test-mpi | test-fuzz | fuzz | fuzz-coverage | bench | all)
        groups="$groups $arg" ;;
    *) echo "usage: tools/deps.sh [--install | --list] [build|install|mpi|test-c|test-py|test-asan|test-mpi|test-fuzz|fuzz|fuzz-coverage|bench|all ...]" >&2
       exit 2 ;;
    esac
done
[ -n "$groups" ] || groups=build
CC=${CC:-cc}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
HDF5_PKG=${HDF5_PKG:-hdf5-serial}
HDF5_HL_LIBS=${HDF5_HL_LIBS--lhdf5_hl}
PYTHON=${PYTHON:-/usr/bin/python3}
MPICC=${MPICC:-mpicc}
MPIRUN=${MPIRUN:-mpirun}
HELP2MAN=${HELP2MAN:-help2man}
FUZZ_CC=${FUZZ_CC:-clang-14}
FUZZ_LLVM=${FUZZ_LLVM:-14}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# need ITEM PACKAGE...: ITEM is missing; the Debian PACKAGEs provide it.
need() {
    item=$1
    shift
    echo "$item $*"
}
# has COMMAND...: runs COMMAND, a check; in --list mode nothing is present.
has() {
    [ "$mode" != list ] && "$@" >/dev/null 2>&1
}
found() { # PROGRAM: on PATH, or an executable file when named with a slash
    case "$1" in
    */*) [ -f "$1" ] && [ -x "$1" ] ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
    esac
}
tool() { # a program on PATH, or in the sbin folders where Debian puts daemons
    (PATH="$PATH:/usr/sbin:/sbin" && found "$1")
}
compiles() { # CC CFLAGS LIBS HEADER: a program including HEADER compiles and links
    printf '#include <stdarg.h>\n#include <stddef.h>\n#include <stdint.h>\n#include <setjmp.h>\n#include <%s>\nint main(void) { return 0; }\n' \
        "$4" >"$tmp/t.c"
    # shellcheck disable=SC2086 # flags are words
    "$1" $2 "$tmp/t.c" $3 -o "$tmp/t"
}
compiler() { # CC: the compiler itself
    case "$1" in
    *mpicc*) pkgs="openmpi-bin libopenmpi-dev" ;;
    clang-[0-9]*) pkgs=$1 ;;
    *clang*) pkgs=clang ;;
    *) pkgs=build-essential ;;
    esac
    # shellcheck disable=SC2086
    has tool "$1" || need "$1" $pkgs
}
# library CC NAME VAR HEADER PACKAGE: the pkg-config package NAME, or the
# flags in VAR_CFLAGS / VAR_LIBS when either is set.
library() {
    set_flags='' cflags='' libs=''
    eval "set_flags=\${$3_CFLAGS+1}\${$3_LIBS+1} cflags=\${$3_CFLAGS-} libs=\${$3_LIBS-}"
    [ "$3" = HDF5 ] && libs="$HDF5_HL_LIBS $libs"
    if [ -n "$set_flags" ]; then
        has compiles "$1" "$cflags" "$libs" "$4" || need "$2($3_CFLAGS/$3_LIBS)" "$5"
    elif [ "$mode" = list ]; then
        need pkg-config pkg-config
        need "$2" "$5"
    elif found "$PKG_CONFIG"; then
        has "$PKG_CONFIG" --exists "$2" || need "$2" "$5"
    else
        need pkg-config pkg-config # the libraries are checked once it is there
    fi
}
hdf5_package() {
    case "$1" in
    hdf5-openmpi) echo libhdf5-openmpi-dev ;;
    hdf5-mpich) echo libhdf5-mpich-dev ;;
    *) echo libhdf5-dev ;;
    esac
}
python_modules() { # MODULE...: found by $PYTHON (not imported: fast)
    if ! has found "$PYTHON"; then
        need "$PYTHON" python3
        [ "$mode" = list ] || return 0
    fi
    if [ "$mode" = list ]; then
        absent="$*"
    else
        absent=$("$PYTHON" -c 'import importlib.util, sys
print(" ".join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))' "$@")
    fi
    for m in $absent; do
        case "$m" in
        netCDF4) need netCDF4 python3-netcdf4 ;;
        simpy) need simpy python3-simpy3 ;;
        *) need "$m" "python3-$m" ;;
        esac
    done
}

group_build() { # make: the simulator's own libraries, nothing for the tests
    compiler "$CC"
    library "$CC" gsl GSL gsl/gsl_rng.h libgsl-dev
    library "$CC" "$HDF5_PKG" HDF5 hdf5_hl.h "$(hdf5_package "$HDF5_PKG")"
    library "$CC" yaml-0.1 YAML yaml.h libyaml-dev
    if found "$CC"; then
        has compiles "$CC" "-E ${RANDOM123_CFLAGS:-}" "" Random123/philox.h || need Random123 librandom123-dev
    else # checked again with the compiler
        has test -f /usr/include/Random123/philox.h || need Random123 librandom123-dev
    fi
}
group_install() { # make install: help2man makes the man page
    has tool "$HELP2MAN" || need "$HELP2MAN" help2man
}
group_mpi() { # make mpi: OpenMPI and parallel HDF5
    compiler "$MPICC"
    library "$MPICC" hdf5-openmpi HDF5 hdf5_hl.h libhdf5-openmpi-dev
}
group_test_c() { # cmocka
    library "$CC" cmocka CMOCKA cmocka.h libcmocka-dev
}
group_test_py() { # pytest and what the tests and analysis/ import; chromium renders the HTML report,
    # make install (help2man) and groff the man page
    python_modules pytest h5py numpy scipy matplotlib pandas xarray netCDF4 yaml
    has tool chromium || need chromium chromium
    group_install
    has tool groff || need groff groff-base
}
group_test_mpi() { # the cluster build, mpirun and a SLURM started for the tests
    group_mpi
    has tool "$MPIRUN" || need "$MPIRUN" openmpi-bin
    for daemon in slurmctld slurmd; do
        has tool "$daemon" || need "$daemon" "$daemon"
    done
    has tool sbatch || need sbatch slurm-client
    has tool munged || need munged munge
    python_modules pytest h5py numpy
}
group_fuzz() { # clang with its libFuzzer runtime and OpenMP
    case "$FUZZ_CC" in clang-[0-9]*) v=${FUZZ_CC#clang-} ;; *) v=$FUZZ_LLVM ;; esac
    compiler "$FUZZ_CC"
    if has tool "$FUZZ_CC"; then
        # -print-file-name echoes a bare name when the file is not there
        for f in "libclang_rt.fuzzer-$(uname -m).a:libclang-rt-$v-dev" "include/omp.h:libomp-$v-dev"; do
            case $("$FUZZ_CC" -print-file-name="${f%%:*}") in /*) ;; *) need "${f%%:*}" "${f#*:}" ;; esac
        done
    else
        need "libclang_rt.fuzzer" "libclang-rt-$v-dev"
        need omp.h "libomp-$v-dev"
    fi
}
group_fuzz_coverage() { # make fuzz-coverage: the fuzz build and llvm's coverage tools
    group_fuzz
    for t in llvm-profdata llvm-cov; do
        has tool "$t-$FUZZ_LLVM" || need "$t-$FUZZ_LLVM" "llvm-$FUZZ_LLVM"
    done
}
group_bench() { # make bench: the cluster build, mpirun and SimPy for the comparison
    group_mpi
    has tool "$MPIRUN" || need "$MPIRUN" openmpi-bin
    python_modules simpy
}
gaps_of() { # GROUP: one line per missing item, "ITEM PACKAGE..."
    case "$1" in
    test-asan) group_test_c; group_test_py ;;
    test-fuzz) group_fuzz ;;
    *) "group_$(echo "$1" | tr - _)" ;;
    esac
}
expand() { # the groups asked for, "all" spelled out
    for g in $groups; do
        [ "$g" = all ] && g="build install test-c test-py mpi test-mpi fuzz fuzz-coverage bench"
        echo "$g"
    done | tr ' ' '\n' | awk 'NF && !seen[$0]++'
}
report() { # says what each group lacks; exit status 1 when anything does
    status=0 build_lacks=0
    for g in $(expand); do
        gaps=$(gaps_of "$g")
        [ -n "$gaps" ] || continue
        status=1
        label="make $g"
        [ "$g" = build ] && label="make (the build)" build_lacks=1
        items=$(echo "$gaps" | cut -d' ' -f1 | awk '!seen[$0]++' | tr '\n' ' ')
        pkgs=$(echo "$gaps" | cut -d' ' -f2- | tr ' ' '\n' | awk 'NF && !seen[$0]++' | tr '\n' ' ')
        echo "$label needs: ${items}(Debian packages: ${pkgs% })" >&2
    done
    return $status
}
packages() { # every Debian package that would provide what is missing
    for g in $(expand); do gaps_of "$g"; done | cut -d' ' -f2- | tr ' ' '\n' | awk 'NF && !seen[$0]++'
}

case "$mode" in
list)
    packages
    exit 0 ;;
check)
    report && exit 0
    if command -v apt-get >/dev/null 2>&1; then
        echo "make deps installs them (apt-get, through sudo when not root; all of them: tools/debian-packages.txt)." >&2
    else
        echo "Install them with your package manager (the Debian names above)." >&2
    fi
    [ "$build_lacks" = 0 ] ||
        echo "Or point the Makefile at a library without pkg-config (cluster modules), e.g." \
             "make HDF5_CFLAGS=-I\$HDF5_DIR/include HDF5_LIBS=\"-L\$HDF5_DIR/lib -lhdf5\"; RANDOM123_CFLAGS=-I... for Random123." >&2
    exit 1 ;;
esac

# --install: apt-get the packages of what is missing; twice at most, as a
# missing pkg-config hides which libraries are missing.
if ! command -v apt-get >/dev/null 2>&1; then
    report || { echo "tools/deps.sh --install needs apt-get (Debian/Ubuntu); install the above with your package manager." >&2; exit 1; }
    exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
updated=0 tried=""
for round in 1 2; do
    pkgs=$(packages | tr '\n' ' ')
    [ -n "$pkgs" ] || exit 0
    [ "$pkgs" != "$tried" ] || break
    tried=$pkgs
    echo "installing with apt-get (round $round): $pkgs" >&2
    [ "$updated" = 1 ] || $sudo apt-get update
    updated=1
    # shellcheck disable=SC2086 # one word per package
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $pkgs
done
# What apt-get did not provide (another HDF5_PKG, a pkg-config that finds
# nothing): say so rather than report success.
report 2>"$tmp/report" && exit 0
echo "still missing after apt-get install:" >&2
cat "$tmp/report" >&2
exit 1
