"""Every scenario key the loader reads is documented in docs/scenario-keys.md,
and every key documented there is one it reads.

How the keys are found, without a second list of them: the config layer
records the names the model asks for in each mapping of the document
(sim/cfg_asked.c), and an unknown key is answered with all of them ("zz:
unknown key; the keys here are a, b, c"). So the test adds a probe key to
each mapping of each fixture in turn, runs `branchsim check` and reads the
list. A mapping read as names (segments, the choices of when_full, swept
keys) answers otherwise: its allowed names are read when the error gives
them, else its keys are data, documented with the key that holds it.

The fixtures are the shipped scenarios and tests/data/scenario-keys-*.yaml.
Only a mapping that is present is asked about, so the test also checks that
the fixtures give every key the loader asks for somewhere: a new section or
sub-mapping then needs a fixture, and its keys are probed in turn.
"""
import copy
import re
import subprocess

import pytest
import yaml

PROBE = "zz_probe_key"
UNKNOWN = re.compile(re.escape(PROBE) + r": unknown key; the keys here are (.*) \(docs/scenario-keys\.md\)$")
OPTIONS = re.compile(re.escape(PROBE) + r": '" + re.escape(PROBE) + r"' is not an option; allowed: ([^(]*?)(?: \(|$)")
# The documented name of a key of a distribution (scenario-keys.md, Distributions).
DIST = "<distribution>"


def dotted(path):
    """('counters', 0, 'schedule', 1, 'open') -> 'counters[].schedule[].open'."""
    out = []
    for p in path:
        if isinstance(p, int):
            out[-1] += "[]"
        else:
            out.append(p)
    return ".".join(out)


def mappings(node, path=()):
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from mappings(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from mappings(v, path + (i,))


def at(doc, path):
    for p in path:
        doc = doc[p]
    return doc


def probe(branchsim, doc, path, tmp_path):
    """('keys', names) or ('data', None) for the mapping at path."""
    probed = copy.deepcopy(doc)
    at(probed, path)[PROBE] = 0
    f = tmp_path / "probe.yaml"
    f.write_text(yaml.safe_dump(probed, sort_keys=False))
    r = branchsim("check", f)
    errors = [line for line in r.stderr.splitlines() if ": warning: " not in line]
    assert r.returncode == 2 and len(errors) == 1 and PROBE in errors[0], (
        f"probing {dotted(path) or 'the top level'} gave no error about the probe key: {r.stderr}")
    m = UNKNOWN.search(errors[0]) or OPTIONS.search(errors[0])
    # An unknown-key error whose list did not parse (cut short, or worded
    # otherwise) must not pass for a mapping of data.
    assert m or "unknown key" not in errors[0], f"cannot read the names asked for: {errors[0]}"
    return ("keys", m.group(1).split(", ")) if m else ("data", None)


def fixtures(repo):
    return sorted(repo.glob("scenarios/*.yaml")) + sorted(repo.glob("tests/data/scenario-keys-*.yaml"))


@pytest.fixture(scope="module")
def read_keys(branchsim, repo, tmp_path_factory):
    """What the loader reads, over every fixture: {mapping path: names asked},
    the mapping paths read as data, and {mapping path: names given}."""
    tmp = tmp_path_factory.mktemp("probe")
    asked, data, given, seen = {}, set(), {}, set()
    for f in fixtures(repo):
        r = branchsim("check", f)
        assert r.returncode == 0, f"{f} is not valid: {r.stderr}"
        doc = yaml.safe_load(f.read_text())
        for path, node in mappings(doc):
            where = dotted(path)
            given.setdefault(where, set()).update(node)
            if (where, frozenset(node)) in seen:
                continue  # the same mapping with the same keys asks for the same names
            seen.add((where, frozenset(node)))
            kind, names = probe(branchsim, doc, path, tmp)
            if kind == "data":
                data.add(where)
            else:
                asked.setdefault(where, set()).update(names)
    return asked, data, given


def documented(text):
    """{key: unit} of every row of a table whose first column is `key`."""
    keys, in_table = {}, False
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if not cells:
            in_table = False
        elif cells[0] == "key":
            in_table = True
        elif in_table and not set(cells[0]) <= set("-: "):
            for key in re.findall(r"`([^`]+)`", cells[0]):
                keys[key] = cells[1] if len(cells) > 1 else ""
    return keys


def full_keys(asked):
    return {f"{where}.{name}" if where else name for where, names in asked.items() for name in names}


def undocumented(keys, doc):
    """The keys read but not in the reference: a key is documented by its own
    row, by rows of keys below it (a section), or, under a key whose unit is a
    distribution, by the row of the distribution key of that name."""
    missing = []
    for key in sorted(keys):
        parent, _, name = key.rpartition(".")
        if key in doc or any(d.startswith((key + ".", key + "[].")) for d in doc):
            continue
        if "distribution" in doc.get(parent, "") and f"{DIST}.{name}" in doc:
            continue
        missing.append(key)
    return missing


def unread(keys, data, doc):
    """Documented keys the loader does not read (placeholders and keys inside
    a mapping read as data are left out)."""
    def read(d):
        return d in keys or any(k.startswith((d + ".", d + "[].")) for k in keys)
    return sorted(d for d in doc if "<" not in d and not read(d)
                  and not any(d.startswith(p + ".") for p in data))


def test_every_key_read_is_documented(read_keys, repo):
    asked, _, _ = read_keys
    doc = documented((repo / "docs/scenario-keys.md").read_text())
    missing = undocumented(full_keys(asked), doc)
    assert not missing, f"keys the loader reads that docs/scenario-keys.md does not list: {missing}"


def test_every_key_documented_is_read(read_keys, repo):
    asked, data, _ = read_keys
    doc = documented((repo / "docs/scenario-keys.md").read_text())
    extra = unread(full_keys(asked), data, doc)
    assert not extra, f"keys docs/scenario-keys.md lists that the loader does not read: {extra}"


def test_fixtures_give_every_key_asked(read_keys):
    asked, _, given = read_keys
    lacking = sorted(f"{where}.{name}" if where else name
                     for where, names in asked.items() for name in names - given.get(where, set()))
    assert not lacking, (f"the loader asks for {lacking}, which no fixture gives, so keys below them "
                         "go unprobed: add them to tests/data/scenario-keys-all.yaml")


def test_a_missing_or_stale_row_is_found(read_keys, repo):
    """The negative case: a reference without one key's row, or with a row for
    a key nobody reads, fails the checks above."""
    asked, data, _ = read_keys
    keys = full_keys(asked)
    text = (repo / "docs/scenario-keys.md").read_text()
    for key in ("exposure.close_contact_min", "counters[].schedule[].open", "appointments.when_full.leave"):
        assert key in keys
        rows = [line for line in text.splitlines() if line.startswith(f"| `{key}` |")]
        assert len(rows) == 1, key
        assert undocumented(keys, documented(text.replace(rows[0] + "\n", ""))) == [key]
    bogus = text.replace("| `exposure.close_contact_min` |", "| `exposure.bogus_min` | min | 0 | | |\n"
                         "| `exposure.close_contact_min` |")
    assert unread(keys, data, documented(bogus)) == ["exposure.bogus_min"]
    # A distribution's keys are documented once, under <distribution>.
    no_cv = "\n".join(line for line in text.splitlines() if not line.startswith(f"| `{DIST}.cv` |"))
    assert "transactions[].service_min.cv" in undocumented(keys, documented(no_cv))


def test_the_hints_point_at_the_reference(branchsim, tmp_path):
    """An unknown key's hint names docs/scenario-keys.md, which exists."""
    f = tmp_path / "s.yaml"
    f.write_text("demand: {customers_per_day: 10, qqqqqqqqqqqq: 1}\n"
                 "transactions: [{service_min: 1}]\ncounters: [{count: 1}]\n")
    r = branchsim("check", f)
    assert r.returncode == 2 and "(docs/scenario-keys.md)" in r.stderr, r.stderr
