"""The Makefile and tools/deps.sh as a careless user meets them: make install takes a
PREFIX with a space as one directory and refuses an empty or relative one; a plain
make checks only the build's own libraries and installs nothing, and honours
*_CFLAGS/*_LIBS without pkg-config; make test names what each suite lacks; the
builds (check, ASan, fuzz, MPI) and make clean stay inside BUILD; the invariants
are compiled into the C tests' and the ASan build, never into the release build."""
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BRANCHSIM = (ROOT / os.environ.get("BRANCHSIM", "build/branchsim")).resolve()
# make test-asan passes its variables (BUILD, INVARIANTS, SANITIZE) down in
# MAKEFLAGS and in the environment: the makes here start from a clean slate.
MAKE_VARS = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "BUILD", "CHECK_BUILD", "INVARIANTS", "OPT",
             "SANITIZE", "WERROR", "BUILD_DEFS", "REVISION", "CFLAGS", "LDFLAGS", "CC", "PKG_CONFIG", "HDF5_PKG",
             "PYTHON", "MPICC", "MPIRUN", "FUZZ_CC", "FUZZ_LLVM", "FUZZ_BUILD"}
CLEAN_ENV = {k: v for k, v in os.environ.items()
             if k not in MAKE_VARS and not k.endswith(("_CFLAGS", "_LIBS"))}


def make(*args, env=None, cwd=ROOT):
    return subprocess.run(["make", "-C", str(cwd), *args], capture_output=True, text=True,
                          env=dict(CLEAN_ENV, **(env or {})))


def make_install(*args):
    # -o: never rebuild the binary under test (an ASan build stays one).
    build = BRANCHSIM.parent
    return make("-s", "-o", f"{build}/branchsim", f"BUILD={build}", "install", *args)


def test_install_takes_a_prefix_with_a_space_as_one_directory(tmp_path):
    stray = ROOT / "space-install-test"
    r = make_install(f"DESTDIR={tmp_path}", "PREFIX=/opt/with space-install-test")
    assert r.returncode == 0, r.stderr
    prefix = tmp_path / "opt" / "with space-install-test"
    assert os.access(prefix / "bin" / "branchsim", os.X_OK)
    assert (prefix / "share" / "branchsim" / "scenarios" / "default.yaml").is_file()
    assert (prefix / "share" / "branchsim" / "analysis" / "report.py").is_file()
    assert (prefix / "lib" / "python3" / "dist-packages" / "branchsim" / "results.py").is_file()
    assert not stray.exists() and not (tmp_path / "opt" / "with").exists()


def test_installed_pages_link_to_installed_pages(tmp_path):
    """scenarios/README.md and README.md link into docs/: the docs are
    installed beside them, so every link to a page or a figure resolves."""
    from test_docs import links
    assert make_install(f"DESTDIR={tmp_path}", "PREFIX=/usr").returncode == 0
    share = tmp_path / "usr" / "share" / "branchsim"
    pages = [share / "README.md", share / "scenarios" / "README.md", *sorted((share / "docs").glob("*.md"))]
    assert len(pages) > 5 and (share / "docs" / "model.md").is_file()
    bad = [f"{page}: {target}" for page in pages for target in links(page.read_text())
           if target.partition("#")[0].endswith((".md", ".png"))
           and not (page.parent / target.partition("#")[0]).exists()]
    assert bad == []


def test_install_refuses_an_empty_or_relative_prefix(tmp_path):
    for prefix in ("", "rel"):
        r = make_install(f"DESTDIR={tmp_path}", f"PREFIX={prefix}")
        assert r.returncode != 0 and "PREFIX must be an absolute path" in r.stderr, r.stderr
    assert list(tmp_path.iterdir()) == []


def test_deps_install_fails_when_the_install_did_not_help(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    for name in ("apt-get", "sudo"):  # sudo: when the tests do not run as root
        (fake / name).write_text("#!/bin/sh\n[ \"$(basename \"$0\")\" = sudo ] && exec \"$@\"\nexit 0\n")
        (fake / name).chmod(stat.S_IRWXU)
    env = dict(os.environ, PATH=f"{fake}:{os.environ['PATH']}", PKG_CONFIG="false")
    r = subprocess.run([str(ROOT / "tools" / "deps.sh"), "--install"], capture_output=True, text=True, env=env)
    assert r.returncode == 1 and "still missing after apt-get install" in r.stderr, r.stderr


def test_make_report_takes_names_with_spaces(tmp_path):
    out = tmp_path / "my results.h5"
    r = subprocess.run([str(BRANCHSIM), "run", str(ROOT / "scenarios" / "mmc.yaml"), "-r", "2", "-q", "-o", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(["make", "-s", "-C", str(ROOT), f"OUT={out}", f"DIR={tmp_path / 'my report'}", "report"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "my report" / "report.md").is_file()


def fake_tools(tmp_path, missing_pkg_config=()):
    """A PATH whose apt-get and sudo only record that they were called, and a
    pkg-config that logs each call and knows none of missing_pkg_config."""
    fake = tmp_path / "bin"
    fake.mkdir()
    called = tmp_path / "apt-get-called"
    for name in ("apt-get", "sudo"):
        (fake / name).write_text(f"#!/bin/sh\ntouch {called}\nexit 0\n")
        (fake / name).chmod(stat.S_IRWXU)
    log = tmp_path / "pkg-config.log"
    real = shutil.which("pkg-config") or "false"
    hidden = "|".join(f'*" {name} "*' for name in missing_pkg_config) or "/"
    (fake / "pkg-config").write_text(f"#!/bin/sh\necho \"$*\" >> {log}\n"
                                     f"case \" $* \" in {hidden}) exit 1 ;; esac\nexec {real} \"$@\"\n")
    (fake / "pkg-config").chmod(stat.S_IRWXU)
    env = dict(PATH=f"{fake}:{os.environ['PATH']}", PKG_CONFIG=str(fake / "pkg-config"))
    return env, called, log


def test_a_plain_make_checks_dependencies_and_installs_nothing(tmp_path):
    """make only builds: with a library missing it names it and its Debian
    package, says make deps installs it, and never runs apt-get."""
    env, called, _ = fake_tools(tmp_path)
    env["PKG_CONFIG"] = "false"
    r = make("-s", f"BUILD={tmp_path / 'build'}", env=env)
    assert r.returncode != 0
    assert "make (the build) needs: gsl hdf5-serial yaml-0.1 (Debian packages: libgsl-dev libhdf5-dev " \
           "libyaml-dev)" in r.stderr and "make deps installs them" in r.stderr, r.stderr
    assert not called.exists()
    assert not (tmp_path / "build" / "branchsim").exists()


def test_a_plain_make_ignores_what_only_the_tests_need(tmp_path):
    """No cmocka, pytest, OpenMPI, SLURM or clang: the build's check passes
    (it is what a plain make runs before compiling), and the suites' checks
    name what they lack."""
    env, called, _ = fake_tools(tmp_path, missing_pkg_config=("cmocka", "hdf5-openmpi"))
    env.update(PYTHON="/no/such/python3", MPICC="/no/such/mpicc", MPIRUN="/no/such/mpirun",
               FUZZ_CC="/no/such/clang-14", HELP2MAN="/no/such/help2man")
    build = tmp_path / "build"
    r = make("-s", f"BUILD={build}", f"{build}/.deps-ok", env=env)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    for suite, lacks in (("test-c", "cmocka (Debian packages: libcmocka-dev)"),
                         ("test-py", "/no/such/python3 /no/such/help2man (Debian packages: python3 help2man)"),
                         ("mpi", "/no/such/mpicc hdf5-openmpi (Debian packages: openmpi-bin libopenmpi-dev "
                                 "libhdf5-openmpi-dev)"),
                         ("test-fuzz", "/no/such/clang-14 libclang_rt.fuzzer omp.h"),
                         ("install", "/no/such/help2man (Debian packages: help2man)")):
        r = make("-s", f"BUILD={build}", f"check-deps-{suite}", env=env)
        assert r.returncode != 0 and f"make {suite} needs: {lacks}" in r.stderr, r.stderr
    assert not called.exists()


def pkg_config(*args):
    if not shutil.which("pkg-config"):
        pytest.skip("needs pkg-config to find the flags it then passes by hand")
    return subprocess.run(["pkg-config", *args], capture_output=True, text=True, check=True).stdout.strip()


def test_make_honours_library_flags_without_pkg_config(tmp_path):
    """A cluster's module system gives *_CFLAGS/*_LIBS and no .pc file: the
    check and the build use those, and ask pkg-config nothing."""
    overrides = [f"GSL_CFLAGS={pkg_config('--cflags', 'gsl')}", f"GSL_LIBS={pkg_config('--libs', 'gsl')}",
                 f"HDF5_CFLAGS={pkg_config('--cflags', 'hdf5-serial')}",
                 f"HDF5_LIBS={pkg_config('--libs', 'hdf5-serial')}",
                 f"YAML_CFLAGS={pkg_config('--cflags', 'yaml-0.1')}", f"YAML_LIBS={pkg_config('--libs', 'yaml-0.1')}"]
    env, called, log = fake_tools(tmp_path, missing_pkg_config=("gsl", "hdf5-serial", "yaml-0.1"))
    build = tmp_path / "build"
    r = make("-s", f"BUILD={build}", *overrides, f"{build}/.deps-ok", env=env)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    r = make("-n", f"BUILD={build}", *overrides, env=env)
    assert r.returncode == 0, r.stderr
    link = [line for line in r.stdout.splitlines() if line.endswith(f"-o {build}/branchsim")]
    assert len(link) == 1 and pkg_config("--libs", "hdf5-serial") in link[0], r.stdout
    assert not log.exists(), log.read_text()
    # A wrong override is named, not installed over.
    r = make("-s", f"BUILD={tmp_path / 'wrong'}", *overrides, "GSL_LIBS=-lno_such_gsl", f"{tmp_path}/wrong/.deps-ok",
             env=env)
    assert r.returncode != 0 and "needs: gsl(GSL_CFLAGS/GSL_LIBS)" in r.stderr, r.stderr
    assert not called.exists()


def test_make_test_names_what_each_suite_lacks_and_runs_none(tmp_path):
    """make test fails before running a suite when one cannot run, naming
    what each lacks; a suite is never skipped quietly. (CC is missing too:
    were the check to pass, the build would stop at once.)"""
    env, called, _ = fake_tools(tmp_path, missing_pkg_config=("cmocka",))
    env.update(PYTHON="/no/such/python3", MPICC="/no/such/mpicc", FUZZ_CC="/no/such/clang-14")
    r = make("-s", f"BUILD={tmp_path / 'build'}", "CC=/no/such/cc", "test", env=env)
    assert r.returncode != 0
    for needs in ("make (the build) needs: /no/such/cc", "make test-c needs: cmocka",
                  "make test-py needs: /no/such/python3", "make test-mpi needs: /no/such/mpicc",
                  "make test-fuzz needs: /no/such/clang-14", "make deps installs them",
                  "make test runs every suite and none"):
        assert needs in r.stderr, r.stderr
    assert not (tmp_path / "build" / "sim").exists() and not called.exists()


def test_the_debian_package_list_is_what_deps_sh_checks():
    listed = [line for line in (ROOT / "tools" / "debian-packages.txt").read_text().splitlines()
              if line and not line.startswith("#")]
    r = subprocess.run([str(ROOT / "tools" / "deps.sh"), "--list", "all"], capture_output=True, text=True,
                       env=CLEAN_ENV)
    assert r.returncode == 0, r.stderr
    assert sorted(r.stdout.split()) == sorted(listed)


def compiles(dry_run):
    """The (object, flags) of each compile in a make -n output."""
    return [(m.group(2), m.group(1)) for m in re.finditer(r"^\S*(?:cc|clang-14|mpicc) (.*) -c \S+ -o (\S+)$", dry_run,
                                                           re.MULTILINE)]


def test_invariants_are_checked_in_the_test_builds_only(tmp_path):
    """BS_CHECK_INVARIANTS (sim/invariant.h) is in every object of the C
    tests' and the ASan build, and in none of the release build."""
    build = tmp_path / "build"
    release = compiles(make("-n", f"BUILD={build}").stdout)
    assert len(release) > 20 and not [o for o, flags in release if "BS_CHECK_INVARIANTS" in flags]
    for target, where in (("test-c", build / "check"), ("test-asan", build / "asan")):
        r = make("-n", f"BUILD={build}", target)
        objects = compiles(r.stdout)
        assert len(objects) > 20, r.stdout + r.stderr
        assert all(o.startswith(f"{where}/") and "-DBS_CHECK_INVARIANTS" in flags for o, flags in objects), r.stdout


@pytest.mark.parametrize("target", ["test-c", "test-asan", "fuzz-build", "mpi"])
def test_every_build_stays_inside_build(tmp_path, target):
    build = tmp_path / "build"
    r = make("-n", f"BUILD={build}", target)
    objects = compiles(r.stdout)
    assert objects and all(o.startswith(f"{build}/") for o, _ in objects), r.stdout + r.stderr


def test_make_clean_removes_build_and_refuses_the_source_tree(tmp_path):
    # On a copy of the Makefile: were BUILD ignored or the guard to fail,
    # the copy is what would go.
    src = tmp_path / "src"
    (src / "build").mkdir(parents=True)
    shutil.copy(ROOT / "Makefile", src)
    (src / "build" / "keep").write_text("")
    build = tmp_path / "elsewhere"
    (build / "sim").mkdir(parents=True)
    (build / "sim" / "x.o").write_text("")
    r = make("-s", f"BUILD={build}", "clean", cwd=src)
    assert r.returncode == 0 and not build.exists() and (src / "build" / "keep").exists(), r.stderr
    for bad in (".", "", "./", str(tmp_path)):
        r = make("-s", f"BUILD={bad}", "clean", cwd=src)
        assert r.returncode != 0 and "is the source tree or a folder above it" in r.stderr, r.stderr
        assert (src / "Makefile").exists()


def test_make_clean_refuses_a_folder_of_sources(tmp_path):
    # make clean BUILD=scenarios would remove the shipped scenarios (rm -rf
    # BUILD): a folder of the tree's own files, or one inside it, is no BUILD.
    src = tmp_path / "src"
    shutil.copy(ROOT / "Makefile", src.mkdir(parents=True) or src)
    for d in ("scenarios", "sim", "tests/bench", "docs"):
        (src / d).mkdir(parents=True)
        (src / d / "keep").write_text("")
    for bad in ("scenarios", "./sim/", "tests", "tests/bench", "docs/x", str(src / "sim")):
        r = make("-s", f"BUILD={bad}", "clean", cwd=src)
        assert r.returncode != 0 and "holds the source tree's files" in r.stderr, (bad, r.stderr)
    assert all((src / d / "keep").exists() for d in ("scenarios", "sim", "tests/bench", "docs"))
    for good in ("build", "build-debug", "simx"):
        (src / good).mkdir()
        r = make("-s", f"BUILD={good}", "clean", cwd=src)
        assert r.returncode == 0 and not (src / good).exists(), (good, r.stderr)


def make_uninstall(*args):
    return make("-s", "uninstall", *args)


def files_under(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir())


def test_uninstall_removes_every_file_install_installed(tmp_path):
    prefix = "/opt/with space"
    assert make_install(f"DESTDIR={tmp_path}", f"PREFIX={prefix}").returncode == 0
    share = tmp_path / "opt" / "with space" / "share" / "branchsim"
    assert len(files_under(tmp_path)) > 20
    # The bytecode Python writes beside the scripts when they run from there.
    (share / "analysis" / "__pycache__").mkdir()
    (share / "analysis" / "__pycache__" / "report.cpython-311.pyc").write_bytes(b"")
    package = tmp_path / "opt" / "with space" / "lib" / "python3" / "dist-packages" / "branchsim"
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "results.cpython-311.pyc").write_bytes(b"")
    r = make_uninstall(f"DESTDIR={tmp_path}", f"PREFIX={prefix}")
    assert r.returncode == 0, r.stderr
    assert files_under(tmp_path) == []
    assert not share.exists() and not package.exists()
    # bin, share and lib/python3/dist-packages are not ours: they stay.
    assert (tmp_path / "opt" / "with space" / "bin").is_dir()


def test_uninstall_keeps_a_strangers_file(tmp_path):
    assert make_install(f"DESTDIR={tmp_path}", "PREFIX=/usr").returncode == 0
    share = tmp_path / "usr" / "share" / "branchsim"
    (share / "docs" / "notes.txt").write_text("mine\n")
    (share / "site.yaml").write_text("mine\n")
    (tmp_path / "usr" / "bin" / "other-tool").write_text("#!/bin/sh\n")
    r = make_uninstall(f"DESTDIR={tmp_path}", "PREFIX=/usr")
    assert r.returncode == 0, r.stderr
    assert files_under(tmp_path) == ["usr/bin/other-tool", "usr/share/branchsim/docs/notes.txt",
                                     "usr/share/branchsim/site.yaml"]
    assert "kept" in r.stderr and "docs" in r.stderr
    assert not (share / "scenarios").exists() and not (share / "analysis").exists()


def test_uninstall_refuses_an_empty_or_relative_prefix(tmp_path):
    for prefix in ("", "rel"):
        r = make_uninstall(f"DESTDIR={tmp_path}", f"PREFIX={prefix}")
        assert r.returncode != 0 and "make uninstall: PREFIX must be an absolute path" in r.stderr, r.stderr


def test_install_installs_the_license(tmp_path):
    """GPL-3.0-or-later (the binary links GSL): the full text, installed
    where README.md says."""
    text = (ROOT / "LICENSE").read_text()
    assert "GNU GENERAL PUBLIC LICENSE" in text and "Version 3, 29 June 2007" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert "License: GPL-3.0-or-later, see [LICENSE](LICENSE)" in (ROOT / "README.md").read_text()
    assert make_install(f"DESTDIR={tmp_path}", "PREFIX=/usr").returncode == 0
    assert (tmp_path / "usr" / "share" / "branchsim" / "LICENSE").read_text() == text


def rendered(page):
    """The page as man shows it (groff, which man-db runs), with every
    warning groff has; words hyphenated at a line's end joined again."""
    r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", str(page)], capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    return re.sub("\u2010\n *", "", re.sub(".\b", "", r.stdout))


def sections(text):
    """{heading: its text} of a rendered page, in order."""
    parts = re.split(r"^([A-Z][A-Z ]*[A-Z])$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def test_install_installs_the_man_page_and_the_completion(tmp_path):
    """make install makes branchsim.1 from the binary's help (help2man): it
    renders without a warning, has the usual sections, and names every
    command in its synopsis and every option of each in the command's
    subsection; the bash completion is installed where bash-completion looks.
    make uninstall removes both, and leaves the folders, which are not ours."""
    from test_help import COMMANDS, accepted_options, names_option
    assert make_install(f"DESTDIR={tmp_path}", "PREFIX=/usr").returncode == 0
    page = tmp_path / "usr" / "share" / "man" / "man1" / "branchsim.1"
    parts = sections(rendered(page))
    assert list(parts)[:4] == ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS"], list(parts)
    assert {"COMMANDS", "EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES", "SEE ALSO"} <= set(parts), list(parts)
    assert parts["NAME"].split() == "branchsim - simulate a bank branch's day, sweep its settings and plan its " \
                                    "counters".split()
    synopsis = " ".join(parts["SYNOPSIS"].split())
    commands = dict(zip(*[iter(re.split(r"^   (\w+)$", parts["COMMANDS"], flags=re.M)[1:])] * 2))
    assert sorted(commands) == sorted(COMMANDS)
    for command in COMMANDS:
        assert f"branchsim {command} " in synopsis, command
        assert f"branchsim {command} " in " ".join(commands[command].split()), command
        for option in accepted_options(command) + ["--help", "-h"]:
            assert names_option(commands[command], option), f"{command}: {option}"
    assert "--version" in parts["OPTIONS"] and "/usr/share/branchsim/scenarios/" in parts["FILES"]
    completion = tmp_path / "usr" / "share" / "bash-completion" / "completions" / "branchsim"
    assert completion.read_text() == (ROOT / "tools" / "branchsim-completion.bash").read_text()
    assert make_uninstall(f"DESTDIR={tmp_path}", "PREFIX=/usr").returncode == 0
    assert not page.exists() and not completion.exists() and page.parent.is_dir() and completion.parent.is_dir()


def test_install_without_help2man_installs_nothing(tmp_path):
    r = make_install(f"DESTDIR={tmp_path}", "PREFIX=/usr", "HELP2MAN=/no/such/help2man")
    assert r.returncode != 0 and "make install needs: /no/such/help2man (Debian packages: help2man)" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_package_is_installed_where_python_looks_and_uninstalled(tmp_path):
    """make install puts the package where Debian's python3 looks for PREFIX
    (/usr: /usr/lib/python3/dist-packages; /usr/local: its own site folder),
    and the installed copy reads a result file; uninstall removes it."""
    import sys
    site = {"/usr": "/usr/lib/python3/dist-packages",
            "/usr/local": f"/usr/local/lib/python3.{sys.version_info.minor}/dist-packages"}
    for prefix, where in site.items():
        assert make_install(f"DESTDIR={tmp_path}", f"PREFIX={prefix}").returncode == 0
        assert (tmp_path / where.lstrip("/") / "branchsim" / "tables.py").is_file(), prefix
    paths = subprocess.run(["/usr/bin/python3", "-c", "import sys; print(sys.path)"], capture_output=True,
                           text=True, env=CLEAN_ENV, cwd=tmp_path).stdout
    assert all(f"'{where}'" in paths for where in site.values()), paths
    out = tmp_path / "mmc.h5"
    r = subprocess.run([str(BRANCHSIM), "run", str(ROOT / "scenarios" / "mmc.yaml"), "-r", "2", "-q", "-o", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    installed = tmp_path / "usr" / "lib" / "python3" / "dist-packages"
    r = subprocess.run(["/usr/bin/python3", "-c", "import branchsim; print(branchsim.__file__); "
                        f"t = branchsim.tidy({str(out)!r}); print(t.loc[t.metric == 'served', 'n'].item())"],
                       capture_output=True, text=True, cwd=tmp_path,
                       env=dict(CLEAN_ENV, PYTHONPATH=str(installed)))
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [str(installed / "branchsim" / "__init__.py"), "2"]
    for prefix, where in site.items():
        assert make_uninstall(f"DESTDIR={tmp_path}", f"PREFIX={prefix}").returncode == 0
        assert not (tmp_path / where.lstrip("/") / "branchsim").exists()
