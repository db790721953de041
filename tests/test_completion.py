"""The bash completion (tools/branchsim-completion.bash), called as bash calls it:
COMP_WORDS and COMP_CWORD set, _branchsim run, COMPREPLY read back. What it
offers comes from the binary's --help at completion time, so it is checked
against the commands main.c dispatches and the options their getopt tables take."""
import os
import subprocess

import pytest

from conftest import REPO, branchsim_path
from test_help import COMMANDS, accepted_options

SCRIPT = REPO / "tools" / "branchsim-completion.bash"
BRANCHSIM = branchsim_path().resolve()
CALL = f'source "{SCRIPT}"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _branchsim; printf "%s\\n" "${{COMPREPLY[@]}}"'


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A folder with scenarios, results and a subfolder, as the user's."""
    d = tmp_path_factory.mktemp("completion")
    for name in ("a.yaml", "with space.yaml", "b.h5", "notes.txt", "sub/c.yaml"):
        (d / name).parent.mkdir(exist_ok=True)
        (d / name).write_text("")
    return d


def complete(*words, cwd=None):
    """COMPREPLY for the command line `branchsim WORDS...`, the last word the
    one being completed; branchsim found on PATH, as a user types it."""
    env = dict(os.environ, PATH=f"{BRANCHSIM.parent}{os.pathsep}{os.environ['PATH']}")
    r = subprocess.run(["bash", "-c", CALL, "bash", "branchsim", *words], capture_output=True, text=True, env=env,
                       cwd=cwd)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    return sorted(line for line in r.stdout.splitlines() if line)


def test_the_commands_after_branchsim():
    assert complete("") == sorted(COMMANDS)
    assert complete("de") == ["describe"]
    assert complete("--v") == ["--version"]


def test_a_commands_options_from_its_help():
    assert complete("run", "--r") == ["--replications", "--resume"]
    for command in COMMANDS:
        assert set(complete(command, "-")) == set(accepted_options(command)) | {"-h", "--help"}, command


def test_the_choices_of_an_option_and_none_for_a_number():
    assert complete("plan", "--search", "") == ["grid", "monotone"]
    assert complete("plan", "--search", "=", "m") == ["monotone"]  # --search=m, split at "=" by bash
    assert complete("run", "-r", "") == []
    assert complete("no-such-command", "") == []


def test_scenario_files_for_a_scenario_and_result_files_for_a_result(files):
    assert complete("run", "", cwd=files) == ["a.yaml", "sub", "with space.yaml"]
    assert complete("check", "w", cwd=files) == ["with space.yaml"]
    assert complete("run", "-q", "sub/", cwd=files) == ["sub/c.yaml"]
    assert complete("describe", "", cwd=files) == ["b.h5", "sub"]
    assert complete("run", "a.yaml", "-o", "", cwd=files) == ["b.h5", "sub"]
