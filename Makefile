# branchsim: build, test, bench, install. Libraries are found with
# pkg-config; override the *_CFLAGS / *_LIBS variables on a cluster (module
# systems), e.g. make HDF5_CFLAGS=-I$HDF5_DIR/include HDF5_LIBS="-L$HDF5_DIR/lib -lhdf5":
# then neither the build nor its check asks pkg-config for that library.
# make builds and never installs: what is missing, tools/deps.sh names with
# its Debian package; make deps installs it (apt-get).

PREFIX      ?= /usr/local
BUILD       ?= build
# make clean removes BUILD, and the build writes into it: never the sources.
ifneq ($(filter $(patsubst %/,%,$(abspath $(BUILD)))/%,$(CURDIR)/),)
$(error BUILD='$(BUILD)' is the source tree or a folder above it)
endif
# Nor a folder of the tree's own files or one inside it (make clean BUILD=scenarios).
SOURCE_DIRS = .ci .git analysis docs models scenarios sim tests tools
ifneq ($(filter $(foreach d,$(SOURCE_DIRS),$(CURDIR)/$d $(CURDIR)/$d/%),$(patsubst %/,%,$(abspath $(BUILD)))),)
$(error BUILD='$(BUILD)' holds the source tree's files (or is inside a folder of them))
endif
CC          ?= cc
PKG_CONFIG  ?= pkg-config
HDF5_PKG    ?= hdf5-serial
PYTHON      ?= /usr/bin/python3
MPICC       ?= mpicc
MPIRUN      ?= mpirun
HELP2MAN    ?= help2man

GSL_CFLAGS    ?= $(shell $(PKG_CONFIG) --cflags gsl 2>/dev/null)
GSL_LIBS      ?= $(shell $(PKG_CONFIG) --libs gsl 2>/dev/null)
HDF5_CFLAGS   ?= $(shell $(PKG_CONFIG) --cflags $(HDF5_PKG) 2>/dev/null)
HDF5_LIBS     ?= $(shell $(PKG_CONFIG) --libs $(HDF5_PKG) 2>/dev/null)
HDF5_HL_LIBS  ?= -lhdf5_hl
YAML_CFLAGS   ?= $(shell $(PKG_CONFIG) --cflags yaml-0.1 2>/dev/null)
YAML_LIBS     ?= $(shell $(PKG_CONFIG) --libs yaml-0.1 2>/dev/null)
CMOCKA_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   ?= $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)
RANDOM123_CFLAGS ?=
FUZZ_CC       ?= clang-14
FUZZ_LLVM     ?= 14

OPT      ?= -O2 -g
WERROR   ?= -Werror
SANITIZE ?=
REVISION := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
ifneq ($(REVISION),unknown)
REVISION := $(REVISION)$(shell git diff --quiet HEAD -- 2>/dev/null || echo -dirty)
endif

# INVARIANTS: -DBS_CHECK_INVARIANTS in the C tests' and the ASan build
# (sim/invariant.h), never in the release build.
INVARIANTS ?=
ALL_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -fopenmp $(OPT) -Wall -Wextra $(WERROR) $(SANITIZE) \
             -DBS_REVISION='"$(REVISION)"' $(BUILD_DEFS) $(INVARIANTS) $(GSL_CFLAGS) $(HDF5_CFLAGS) $(YAML_CFLAGS) $(RANDOM123_CFLAGS) \
             -MMD -MP $(CFLAGS)
ALL_LDFLAGS = -fopenmp $(SANITIZE) $(LDFLAGS)
LIBS = $(HDF5_HL_LIBS) $(HDF5_LIBS) $(YAML_LIBS) $(GSL_LIBS) -lm

CLI_SRC   = sim/main.c sim/cli.c sim/plan.c sim/plan_search.c sim/plan_target.c sim/provenance.c sim/rerun.c
CORE_SRC  = $(filter-out $(CLI_SRC),$(wildcard sim/*.c)) $(wildcard models/*.c)
CORE_OBJ  = $(CORE_SRC:%.c=$(BUILD)/%.o)
TESTS     = test_unit test_erlang test_model test_choices test_exposure test_standards
TEST_BINS = $(TESTS:%=$(BUILD)/tests/%)
BENCH_BINS = $(BUILD)/tests/bench/bench_mmc $(BUILD)/tests/bench/bench_rng

# Keep test and bench objects between runs.
.SECONDARY:

.PHONY: all deps run mpi test test-c run-test-c test-py test-asan test-mpi test-fuzz fuzz fuzz-build fuzz-bins \
        bench report validate fuzz-coverage install uninstall clean

all: $(BUILD)/branchsim

# tools/deps.sh GROUP... says what the build (GROUP build) or a make target
# lacks and which Debian packages provide it, and fails; --install installs
# them. It gets the tools this make uses and the *_CFLAGS / *_LIBS a user set
# (on the command line or in the environment), and checks those libraries
# with them instead of pkg-config.
user_set = $(filter command environment override,$(origin $1))
DEPS = env CC='$(CC)' PKG_CONFIG='$(PKG_CONFIG)' HDF5_PKG='$(HDF5_PKG)' HDF5_HL_LIBS='$(HDF5_HL_LIBS)' \
       PYTHON='$(PYTHON)' MPICC='$(MPICC)' MPIRUN='$(MPIRUN)' HELP2MAN='$(HELP2MAN)' FUZZ_CC='$(FUZZ_CC)' FUZZ_LLVM='$(FUZZ_LLVM)' \
       RANDOM123_CFLAGS='$(RANDOM123_CFLAGS)' \
       $(foreach l,GSL HDF5 YAML CMOCKA,$(if $(call user_set,$l_CFLAGS)$(call user_set,$l_LIBS),\
       $l_CFLAGS='$($l_CFLAGS)' $l_LIBS='$($l_LIBS)')) tools/deps.sh

# Installs with apt-get (through sudo when not root) what the build and every
# test suite lack; elsewhere says what to install.
deps:
	@$(DEPS) --install all

# A plain make checks the build's own libraries once per build folder (not
# what only the tests need) and stops when one is missing; it installs nothing.
$(BUILD)/.deps-ok: tools/deps.sh
	@$(DEPS) build
	@mkdir -p $(@D) && touch $@

# make check-deps-GROUP: what a target needs (test-c, test-mpi, fuzz, ...).
check-deps-%:
	@$(DEPS) $*

$(BUILD)/%.o: %.c | $(BUILD)/.deps-ok
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# The objects that record the revision (--version, the output's build line,
# the checkpoint's identity) are rebuilt when it changes.
REVISION_STAMP := $(BUILD)/.revision
$(shell mkdir -p $(BUILD) && (echo '$(REVISION)' | cmp -s - $(REVISION_STAMP) || echo '$(REVISION)' > $(REVISION_STAMP)))
$(BUILD)/sim/main.o $(BUILD)/sim/output.o $(BUILD)/sim/checkpoint.o $(BUILD)/sim/rerun.o: $(REVISION_STAMP)

$(BUILD)/branchsim: $(CLI_SRC:%.c=$(BUILD)/%.o) $(CORE_OBJ)
	$(CC) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

$(BUILD)/tests/%.o: ALL_CFLAGS += $(CMOCKA_CFLAGS)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(CORE_OBJ)
	$(CC) $(ALL_LDFLAGS) $^ $(CMOCKA_LIBS) $(LIBS) -o $@

$(BUILD)/tests/bench/%: $(BUILD)/tests/bench/%.o $(CORE_OBJ)
	$(CC) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

# The cluster build: OpenMPI and parallel HDF5 (named explicitly: once it is
# installed, plain `hdf5` means it), objects in $(BUILD)/mpi.
mpi: | check-deps-mpi
	$(MAKE) BUILD=$(BUILD)/mpi CC=$(MPICC) HDF5_PKG=hdf5-openmpi BUILD_DEFS=-DBS_MPI $(BUILD)/mpi/branchsim
	ln -f $(BUILD)/mpi/branchsim $(BUILD)/branchsim-mpi

# Quick start: install what is missing (make deps), build, run the default scenario.
run: deps
	$(MAKE) $(BUILD)/branchsim
	$(BUILD)/branchsim run scenarios/default.yaml -o default.h5

# The C tests link their own objects, built with the invariants checked, in
# $(CHECK_BUILD); the release objects in $(BUILD) never have them.
CHECK_BUILD ?= $(BUILD)/check
test-c: check-deps-test-c
	@$(MAKE) --no-print-directory BUILD=$(CHECK_BUILD) INVARIANTS=-DBS_CHECK_INVARIANTS run-test-c

run-test-c: $(TEST_BINS)
	@for t in $(TEST_BINS); do echo "== $$t"; $$t || exit 1; done

# PYTEST_SELECT narrows the run (test-asan leaves out the tests of Python code).
PYTEST_SELECT ?=
test-py: check-deps-test-py $(BUILD)/branchsim
	BRANCHSIM=$(BUILD)/branchsim $(PYTHON) -m pytest -q $(PYTEST_SELECT) tests

# The same C and CLI tests under AddressSanitizer and UndefinedBehaviorSanitizer,
# invariants checked: one set of objects in $(BUILD)/asan, for both. The tests
# of the Python tools and docs and the long statistical checks (marked in
# tests/conftest.py) are left out: the sanitizers check C, not Python or a
# number, and the release test-py has run them.
test-asan: check-deps-test-asan
	$(MAKE) BUILD=$(BUILD)/asan CHECK_BUILD=$(BUILD)/asan INVARIANTS=-DBS_CHECK_INVARIANTS \
	    OPT="-O1 -g -fno-omit-frame-pointer" SANITIZE="-fsanitize=address,undefined -fno-sanitize-recover=all" \
	    PYTEST_SELECT='-m "not python_tools and not statistical"' test-c test-py

# MPI runs against the serial build, bitwise (tests/test_mpi.py), and a
# sweep submitted to a SLURM started on this machine (needs root).
test-mpi: check-deps-test-mpi all mpi
	BRANCHSIM=$(BUILD)/branchsim BRANCHSIM_MPI=$(BUILD)/branchsim-mpi MPIRUN=$(MPIRUN) \
	    $(PYTHON) -m pytest -q tests/mpi

# Every suite. What any of them lacks is named first, and make test fails
# before running one: a suite skipped for a missing package would pass unseen.
TEST_GROUPS = build test-c test-py test-mpi test-fuzz
test:
	@$(DEPS) $(TEST_GROUPS) || { echo "make test runs every suite and none while one lacks something" \
	    "(each also runs alone: make test-c, test-py, test-mpi, test-asan, test-fuzz)." >&2; exit 1; }
	$(MAKE) all
	$(MAKE) test-c test-py
	$(MAKE) test-mpi
	$(MAKE) test-asan
	$(MAKE) test-fuzz

# Fuzzing (docs/development.md, "Fuzzing"): libFuzzer targets built with clang under
# ASan/UBSan in $(FUZZ_BUILD), the core objects there too with coverage
# instrumentation. Each target's corpus grows in $(FUZZ_BUILD)/corpus/NAME
# from the committed seeds in tests/fuzz/seeds/NAME (and the shipped
# scenarios, for load); findings (inputs that crashed, leaked, hung or ran
# out of memory) go to $(FUZZ_BUILD)/findings.
FUZZ_BUILD         ?= $(BUILD)/fuzz
FUZZ_SECONDS       ?= 600
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_TARGETS       ?= load describe resume describe_raw resume_raw
FUZZ_SMOKE_TARGETS  = load describe resume
FUZZ_OPTS          ?= -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 -print_final_stats=1
FUZZ_DICT_load      = -dict=tests/fuzz/scenario.dict
FUZZ_DICT_describe  = -dict=tests/fuzz/h5.dict
FUZZ_DICT_resume    = -dict=tests/fuzz/h5.dict
FUZZ_SEED_FILES_load = scenarios/*.yaml
FUZZ_SUPPORT        = $(BUILD)/tests/fuzz/fuzz_common.o $(BUILD)/tests/fuzz/h5build.o

$(BUILD)/tests/fuzz/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_SUPPORT) $(CORE_OBJ)
	$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer $^ $(LIBS) -o $@

fuzz-bins: $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz/fuzz_%)

# The revision is fixed so that checkpoint seeds match every commit's build.
fuzz-build: | check-deps-fuzz
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) REVISION=fuzz OPT="-O1 -g -fno-omit-frame-pointer" \
	    SANITIZE="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" fuzz-bins

fuzz-run-%: fuzz-build
	@mkdir -p $(FUZZ_BUILD)/corpus/$* $(FUZZ_BUILD)/findings
	$(if $(FUZZ_SEED_FILES_$*),cp $(FUZZ_SEED_FILES_$*) $(FUZZ_BUILD)/corpus/$*/)
	$(FUZZ_BUILD)/tests/fuzz/fuzz_$* $(FUZZ_OPTS) $(FUZZ_DICT_$*) -max_total_time=$(FUZZ_SECONDS) \
	    -artifact_prefix=$(FUZZ_BUILD)/findings/$*- $(FUZZ_BUILD)/corpus/$* tests/fuzz/seeds/$*

# The long run, every target in turn (make -j N runs N at once):
# make fuzz [FUZZ_SECONDS=3600] [FUZZ_TARGETS="load describe"]
fuzz: $(FUZZ_TARGETS:%=fuzz-run-%)

# Line coverage of the corpora so far (llvm-cov), per source file:
# a build with clang's source-based coverage in $(FUZZ_BUILD)-cov runs
# every corpus input once. make fuzz-coverage [FUZZ_TARGETS=...]
fuzz-coverage: | check-deps-fuzz-coverage
	$(MAKE) BUILD=$(FUZZ_BUILD)-cov CC=$(FUZZ_CC) REVISION=fuzz OPT="-O1 -g" \
	    SANITIZE="-fsanitize=fuzzer-no-link -fprofile-instr-generate -fcoverage-mapping" fuzz-bins
	rm -f $(FUZZ_BUILD)-cov/*.profraw
	for t in $(FUZZ_TARGETS); do mkdir -p $(FUZZ_BUILD)/corpus/$$t; \
	    LLVM_PROFILE_FILE=$(FUZZ_BUILD)-cov/$$t.profraw $(FUZZ_BUILD)-cov/tests/fuzz/fuzz_$$t -runs=0 \
	    $(FUZZ_BUILD)/corpus/$$t tests/fuzz/seeds/$$t >/dev/null 2>&1 || exit 1; done
	llvm-profdata-$(FUZZ_LLVM) merge -o $(FUZZ_BUILD)-cov/all.profdata $(FUZZ_BUILD)-cov/*.profraw
	llvm-cov-$(FUZZ_LLVM) report -instr-profile $(FUZZ_BUILD)-cov/all.profdata \
	    $(foreach t,$(FUZZ_TARGETS),$(if $(filter $t,$(firstword $(FUZZ_TARGETS))),,-object) \
	    $(FUZZ_BUILD)-cov/tests/fuzz/fuzz_$t) $(CORE_SRC)

# A smoke run of about a minute in all, the last part of make test.
test-fuzz:
	$(MAKE) FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) $(FUZZ_SMOKE_TARGETS:%=fuzz-run-%)

bench: check-deps-bench $(BENCH_BINS) all mpi
	$(BUILD)/tests/bench/bench_rng
	$(BUILD)/tests/bench/bench_mmc
	$(PYTHON) tests/bench/mmc_simpy.py --replications 20 --compare $(BUILD)/bench_mmc.txt
	tests/bench/bench_mpi.sh $(BUILD)/branchsim $(BUILD)/branchsim-mpi $(MPIRUN)

# The simulator against queueing theory and the Wells-Riley model (about
# 20 s; not part of make test): writes docs/validation.md and its figures
# (docs/validation-*.png), the scenarios and result files in $(BUILD)/validate.
validate: check-deps-test-py $(BUILD)/branchsim
	$(PYTHON) tools/validate.py --branchsim $(BUILD)/branchsim --workdir $(BUILD)/validate --docs docs

# A report with figures of a result file: make report OUT=sweep.h5 [DIR=report]
DIR ?= report
report:
	@test -n "$(OUT)" || { echo "usage: make report OUT=result.h5 [DIR=report]"; exit 2; }
	$(PYTHON) analysis/report.py "$(OUT)" -o "$(DIR)"

# What make install puts in $(PREFIX)/share/branchsim, folder by folder;
# make uninstall removes these names and nothing else.
SHARE_DIR       = $(DESTDIR)$(PREFIX)/share/branchsim
SHARE_SCENARIOS = $(wildcard scenarios/*.yaml) scenarios/README.md
SHARE_SLURM     = $(wildcard scenarios/slurm/*.sbatch)
SHARE_ANALYSIS  = $(wildcard analysis/*.py)
SHARE_TOP       = README.md LICENSE CHANGELOG.md CITATION.cff
SHARE_DOCS      = $(wildcard docs/*.md docs/*.png)
SHARE_FILES     = $(SHARE_SCENARIOS) $(SHARE_SLURM) $(SHARE_ANALYSIS) $(SHARE_TOP) $(SHARE_DOCS)
# Its folders, deepest first (uninstall removes each when empty, then share/branchsim).
SHARE_DIRS      = scenarios/slurm scenarios analysis/__pycache__ analysis docs
BIN_FILES       = branchsim branchsim-mpi
# The man page, made by help2man from the binary's --help (tools/man-page.sh),
# and the bash completion: one file each, in folders that are not ours.
MAN_DIR         = $(DESTDIR)$(PREFIX)/share/man/man1
COMPLETION_DIR  = $(DESTDIR)$(PREFIX)/share/bash-completion/completions
# The Python package goes where $(PYTHON) imports it from for PREFIX: on
# Debian /usr/lib/python3/dist-packages for /usr, /usr/local/lib/python3.X/
# dist-packages for /usr/local, PREFIX/lib/python3/dist-packages for another
# PREFIX (then PYTHONPATH names it); elsewhere the interpreter's scheme.
PY_PACKAGE      = $(wildcard analysis/branchsim/*.py)
PYTHON_SITE_PY  = import sys, sysconfig as c; p = sys.argv[1]; s = c.get_scheme_names(); \
                  k, b = ("posix_local", "/usr") if p == "/usr/local" and "posix_local" in s else \
                  ("deb_system", p) if "deb_system" in s else ("posix_prefix", p); \
                  print(c.get_path("purelib", k, vars={"base": b}))
PYTHON_SITE    ?= $(shell $(PYTHON) -c '$(PYTHON_SITE_PY)' '$(PREFIX)' 2>/dev/null || \
                  echo '$(PREFIX)/lib/python3/dist-packages')
PACKAGE_DIR     = $(DESTDIR)$(PYTHON_SITE)/branchsim
CHECK_PREFIX = case '$(PREFIX)' in /*) ;; *) echo "make $@: PREFIX must be an absolute path, got '$(PREFIX)'" >&2; \
               exit 2 ;; esac

# Paths quoted: a PREFIX with a space is one directory, not two (one of
# them inside the source tree); an empty or relative PREFIX is refused.
# The man page is made first: without help2man nothing is installed.
install: $(BUILD)/branchsim
	@$(CHECK_PREFIX)
	@$(DEPS) install
	HELP2MAN='$(HELP2MAN)' tools/man-page.sh $(BUILD)/branchsim "$(PREFIX)" > $(BUILD)/branchsim.1
	install -d "$(MAN_DIR)" "$(COMPLETION_DIR)"
	install -m 644 $(BUILD)/branchsim.1 "$(MAN_DIR)/branchsim.1"
	install -m 644 tools/branchsim-completion.bash "$(COMPLETION_DIR)/branchsim"
	install -d "$(DESTDIR)$(PREFIX)/bin" "$(SHARE_DIR)/scenarios/slurm" "$(SHARE_DIR)/analysis" "$(SHARE_DIR)/docs" \
	    "$(PACKAGE_DIR)"
	install -m 755 $(BUILD)/branchsim "$(DESTDIR)$(PREFIX)/bin/branchsim"
	install -m 644 $(SHARE_SCENARIOS) "$(SHARE_DIR)/scenarios/"
	install -m 755 $(SHARE_SLURM) "$(SHARE_DIR)/scenarios/slurm/"
	if [ -x $(BUILD)/branchsim-mpi ]; then install -m 755 $(BUILD)/branchsim-mpi "$(DESTDIR)$(PREFIX)/bin/"; fi
	install -m 644 $(SHARE_ANALYSIS) "$(SHARE_DIR)/analysis/"
	install -m 644 $(PY_PACKAGE) "$(PACKAGE_DIR)/"
	install -m 644 $(SHARE_TOP) "$(SHARE_DIR)/"
	install -m 644 $(SHARE_DOCS) "$(SHARE_DIR)/docs/"
	@$(PYTHON) -c 'import sys; sys.exit(sys.argv[1] in sys.path)' "$(PYTHON_SITE)" 2>/dev/null && echo "make install:" \
	    "$(PYTHON) does not look in $(PYTHON_SITE): PYTHONPATH=$(PYTHON_SITE) imports branchsim" >&2 || true

# Removes what make install installs (same PREFIX and DESTDIR), the
# bytecode Python compiled from the installed scripts, and the folders of
# share/branchsim once empty: a file of anyone else's stays, and so do
# its folders.
uninstall:
	@$(CHECK_PREFIX)
	rm -f -- $(foreach f,$(BIN_FILES),"$(DESTDIR)$(PREFIX)/bin/$f") "$(MAN_DIR)/branchsim.1" \
	    "$(COMPLETION_DIR)/branchsim"
	rm -f -- $(foreach f,$(SHARE_FILES),"$(SHARE_DIR)/$f")
	rm -f -- $(foreach f,$(basename $(notdir $(SHARE_ANALYSIS))),"$(SHARE_DIR)/analysis/__pycache__/$f".cpython-*.pyc)
	rm -f -- $(foreach f,$(notdir $(PY_PACKAGE)),"$(PACKAGE_DIR)/$f" \
	    "$(PACKAGE_DIR)/__pycache__/$(basename $f)".cpython-*.pyc)
	@for d in $(SHARE_DIRS:%="$(SHARE_DIR)/%") "$(SHARE_DIR)" "$(PACKAGE_DIR)/__pycache__" "$(PACKAGE_DIR)"; do \
	    if [ -d "$$d" ]; then rmdir -- "$$d" 2>/dev/null || \
	    echo "make uninstall: kept $$d: it holds files make install did not install" >&2; fi; done

# Removes $(BUILD), and so the check, ASan, fuzz and MPI builds inside it.
clean:
	rm -rf -- '$(BUILD)'

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
