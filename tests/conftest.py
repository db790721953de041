"""Shared fixtures for the command-line and output tests.

The binary under test comes from $BRANCHSIM (default build/branchsim); a
relative path is taken from the repository root (the parent of tests/).
"""
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# Test files whose subject is Python or bash (analysis/, tools/, the docs, the
# Makefile): they run the binary only to make their input files. make
# test-asan deselects them (-m "not python_tools"): a sanitizer checks C,
# and the release run of test-py has already run them.
PYTHON_TOOL_TESTS = {
    "test_analysis.py",
    "test_analysis_hostile.py",
    "test_citation.py",
    "test_completion.py",
    "test_docs.py",
    "test_install.py",
    "test_package.py",
    "test_report.py",
    "test_tools.py",
    "test_validation.py",
}

# Statistical checks that need a long run (10^5 days): their subject is a
# number, which a sanitizer does not change; test-asan leaves them out too
# (-m "not statistical"), while shorter runs there cover the same code.
LONG_STATISTICAL_TESTS = {
    "test_pooled_mean_wait_matches_the_transient_mm4_reference",
}


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "python_tools: a test of the Python tools or the docs, not of the C code (conftest.py)")
    config.addinivalue_line("markers", "statistical: a long statistical check (conftest.py)")


def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.name in PYTHON_TOOL_TESTS:
            item.add_marker(pytest.mark.python_tools)
        if item.originalname in LONG_STATISTICAL_TESTS:
            item.add_marker(pytest.mark.statistical)


def branchsim_path():
    p = Path(os.environ.get("BRANCHSIM", "build/branchsim"))
    return p if p.is_absolute() else REPO / p


@pytest.fixture(scope="session")
def branchsim():
    """Runs the binary: branchsim(*args, cwd=None) -> CompletedProcess (text)."""
    exe = branchsim_path()
    if not exe.is_file() or not os.access(exe, os.X_OK):
        pytest.fail(f"branchsim binary not found at {exe} (set BRANCHSIM or run make)")

    def run(*args, cwd=None, timeout=120):
        return subprocess.run(
            [str(exe), *map(str, args)],
            cwd=cwd,
            capture_output=True,
            timeout=timeout,
            text=True,
            errors="replace",
        )

    return run


def variables(group):
    """The names of a result file group's data variables: its datasets less
    its coordinates (dimension scales, the swept keys' copies, bin_start)."""
    import h5py
    keys = set(group.file["scenarios"]) if "scenarios" in group.file else set()
    return [n for n, o in group.items()
            if isinstance(o, h5py.Dataset) and "CLASS" not in o.attrs and n not in keys and n != "bin_start"]


@pytest.fixture(scope="session")
def repo():
    return REPO
