"""`branchsim --help` and `branchsim CMD --help`: each command's usage names
every option the command accepts, read from its getopt table in the source
(a new option without help text fails here), on stdout with exit 0."""
import re

import pytest

from conftest import REPO

# Each command, the function that parses its options, and its source file.
COMMANDS = {
    "run": ("sim/main.c", "cmd_run"),
    "check": ("sim/main.c", "cmd_check"),
    "describe": ("sim/main.c", "cmd_describe"),
    "plan": ("sim/plan.c", "bs_cmd_plan"),
    "rerun": ("sim/rerun.c", "bs_cmd_rerun"),
}


def function_body(path, name):
    text = (REPO / path).read_text()
    m = re.search(r"^(?:static )?int " + name + r"\(", text, re.M)
    assert m, f"{name} not found in {path}"
    end = re.search(r"^}", text[m.end():], re.M)
    return text[m.start():m.end() + end.start()]


def accepted_options(command):
    """The long options of the command's `struct option` table and the short
    ones of its getopt_long optstring, as --name and -x."""
    body = function_body(*COMMANDS[command])
    table = re.search(r"struct option opts\[\] = \{(.*?)\};", body, re.S)
    assert table, f"no option table in {command}"
    longs = re.findall(r'\{"([a-z-]+)",', table.group(1))
    optstring = re.search(r'getopt_long\(argc, argv, "([^"]*)"', body)
    assert optstring, f"no getopt_long call in {command}"
    shorts = [c for c in optstring.group(1) if c.isalpha()]
    assert longs, command
    return ["--" + n for n in longs] + ["-" + c for c in shorts]


def names_option(text, option):
    return re.search(r"(?<![\w-])" + re.escape(option) + r"(?![\w-])", text) is not None


def test_every_command_is_covered():
    """A command added to dispatch without an entry here fails."""
    text = (REPO / "sim/main.c").read_text()
    dispatched = set(re.findall(r'strcmp\(argv\[1\], "([a-z]+)"\) == 0\)\s*\n\s*return', text))
    assert dispatched == set(COMMANDS)


@pytest.mark.parametrize("flag", ["--help", "-h"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_command_help_names_every_option(branchsim, command, flag):
    r = branchsim(command, flag)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert r.stdout.startswith(f"Usage: branchsim {command} "), r.stdout
    for option in accepted_options(command) + ["--help", "-h"]:
        assert names_option(r.stdout, option), f"{command} --help does not name {option}"


@pytest.mark.parametrize("args", [("plan", "x.yaml", "--vary", "k", "--help"), ("describe", "x.h5", "-h"),
                                  ("run", "-o", "x.h5", "--help")])
def test_help_anywhere_before_double_dash(branchsim, args):
    r = branchsim(*args)
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.startswith(f"Usage: branchsim {args[0]} ")


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_top_level_help_lists_the_commands(branchsim, flag):
    r = branchsim(flag)
    assert r.returncode == 0 and r.stderr == ""
    # help2man makes the man page's SYNOPSIS of the "Usage:" and "  or:" lines, its
    # OPTIONS of the "Options:" paragraph.
    assert r.stdout.startswith("Usage: branchsim run ")
    for command in COMMANDS:
        assert re.search(rf"^  {command} ", r.stdout, re.M), command
        assert re.search(rf"^(Usage|  or): +branchsim {command} ", r.stdout, re.M), command
    assert "branchsim CMD --help" in r.stdout
    assert re.search(r"^Options:\n  -h, --help .*\n      --version ", r.stdout, re.M), r.stdout


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_unknown_option_is_exit_2_with_the_usage_on_stderr(branchsim, command):
    r = branchsim(command, "--no-such-option", "x")
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert lines[0] == f"branchsim: {command}: unknown option '--no-such-option'"
    assert lines[1].startswith(f"Usage: branchsim {command} ")
    for option in accepted_options(command):
        assert names_option(r.stderr, option), option


def test_an_unknown_command_is_exit_2_even_with_help(branchsim):
    r = branchsim("bogus", "--help")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("branchsim: unknown command 'bogus'\nUsage: ")
