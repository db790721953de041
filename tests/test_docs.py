"""The documentation against what the code does.

docs/output.md lists every metric in tables, one per group of the registry
(models/metrics.c); a run's file gives each metric its CF `units` (a count's noun in
`counted`) as the registry says, so the tables are compared with a small run's file: a
missing, extra or misnamed metric, or wrong units, fails. And every relative link in
README.md, scenarios/README.md and docs/*.md must point at a file (and
heading) that exists.
"""
import re
import unicodedata

import h5py
import pytest

# The groups of metrics of a result file, as docs/output.md marks its tables
# (<!-- metrics: GROUP -->): each is the HDF5 group holding one dataset per
# metric of that registry group.
GROUPS = ("replications", "segments", "roles", "slots", "standards", "timeseries", "pooled")
# Datasets in those groups that are not metrics: the slots' start times
# (written only when points have different slots) and the per-segment
# subgroup of /pooled; and in every group its coordinate variables (point,
# replication, the entity names, bin and bin_start; see file_metrics).
NOT_METRICS = {"slots": {"start_min"}, "pooled": {"segments"}}


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def units_cell(attrs):
    """A table's units cell from a variable's attributes: "min", "1", or a
    count's "1 (customers)"."""
    counted = attrs.get("counted")
    return text(attrs["units"]) + (f" ({text(counted)})" if counted is not None else "")


def doc_metric_tables(text):
    """{group: {name: unit}} from the tables marked <!-- metrics: GROUP -->.

    A row's first cell names one metric or several (`a`, `b`), each in
    backticks; the second cell is the unit. A group marked twice, or a name
    twice in one group, is an error in the page."""
    tables = {}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.fullmatch(r"<!-- metrics: (\w+) -->", line.strip())
        if not m:
            continue
        group = m.group(1)
        assert group not in tables, f"docs/output.md marks the table of {group} twice"
        rows = {}
        j = i + 1
        while j < len(lines) and lines[j].startswith("|"):
            cells = [c.strip() for c in lines[j].strip().strip("|").split("|")]
            j += 1
            if len(cells) < 2 or set(cells[0]) <= set("-: ") or not cells[0].startswith("`"):
                continue  # the header and its rule
            unit = cells[1].strip("`")
            for name in re.findall(r"`([^`]+)`", cells[0]):
                assert name not in rows, f"docs/output.md lists {group}/{name} twice"
                rows[name] = unit
        tables[group] = rows
    return tables


def file_metrics(path):
    """{group: {name: units cell}} of a result file: the registry as a run writes it."""
    out = {}
    with h5py.File(path, "r") as f:
        for group in GROUPS:
            skip = NOT_METRICS.get(group, set()) | {"bin_start"} | set(f["scenarios"])  # swept keys
            out[group] = {
                name: units_cell(f[group][name].attrs)
                for name in f[group]
                if name not in skip and isinstance(f[group][name], h5py.Dataset)
                and "CLASS" not in f[group][name].attrs  # a dimension scale: a coordinate
            }
    return out


def compare_metrics(doc, registry):
    """The differences, one line each (empty when the page is right)."""
    problems = []
    for group in sorted(set(doc) | set(registry)):
        d, r = doc.get(group), registry.get(group)
        if d is None:
            problems.append(f"{group}: no table in docs/output.md")
            continue
        if r is None:
            problems.append(f"{group}: a table in docs/output.md but no such group in the registry")
            continue
        for name in sorted(set(r) - set(d)):
            problems.append(f"{group}/{name}: in the registry, missing from docs/output.md")
        for name in sorted(set(d) - set(r)):
            problems.append(f"{group}/{name}: in docs/output.md, not in the registry")
        for name in sorted(set(d) & set(r)):
            if d[name] != r[name]:
                problems.append(f"{group}/{name}: docs/output.md says units '{d[name]}', the registry '{r[name]}'")
    return problems


@pytest.fixture(scope="module")
def registry(branchsim, repo, tmp_path_factory):
    out = tmp_path_factory.mktemp("docs") / "mmc.h5"
    r = branchsim("run", repo / "scenarios" / "mmc.yaml", "-r", "2", "-j", "1", "-q", "-o", out)
    assert r.returncode == 0, r.stderr
    return file_metrics(out)


@pytest.fixture(scope="module")
def doc(repo):
    return doc_metric_tables((repo / "docs" / "output.md").read_text())


def test_output_doc_lists_every_metric_of_the_registry(doc, registry):
    assert set(registry) == set(GROUPS)
    assert all(registry[g] for g in GROUPS), "a group of the registry wrote no metric"
    assert compare_metrics(doc, registry) == []


def test_metric_comparison_catches_drift(doc, registry):
    assert compare_metrics(doc, registry) == []

    def changed(edit):
        d = {g: dict(rows) for g, rows in doc.items()}
        edit(d)
        return compare_metrics(d, registry)

    missing = changed(lambda d: d["replications"].pop("wait_p90_min"))
    assert missing == ["replications/wait_p90_min: in the registry, missing from docs/output.md"]
    extra = changed(lambda d: d["segments"].update(wait_p99_min="min"))
    assert extra == ["segments/wait_p99_min: in docs/output.md, not in the registry"]
    renamed = changed(lambda d: d["roles"].update(counter_utilisation=d["roles"].pop("counter_utilization")))
    assert sorted(renamed) == ["roles/counter_utilisation: in docs/output.md, not in the registry",
                               "roles/counter_utilization: in the registry, missing from docs/output.md"]
    unit = changed(lambda d: d["timeseries"].update(concentration="quanta/m3"))
    assert unit == ["timeseries/concentration: docs/output.md says units 'quanta/m3', the registry 'm-3 (quanta)'"]
    no_table = changed(lambda d: d.pop("pooled"))
    assert no_table == ["pooled: no table in docs/output.md"]


def test_table_parser_reads_rows_of_several_names():
    text = "\n".join([
        "<!-- metrics: replications -->",
        "| metric | unit | meaning |",
        "|---|---|---|",
        "| `wait_mean_min`, `wait_p90_min` | min | waits |",
        "| `served` | customers | served |",
        "",
        "| `outside` | table | not marked |",
    ])
    assert doc_metric_tables(text) == {
        "replications": {"wait_mean_min": "min", "wait_p90_min": "min", "served": "customers"}}


# Links ------------------------------------------------------------------


def slug(heading):
    """GitHub's anchor for a Markdown heading."""
    text = re.sub(r"[`*_]|\[|\]\([^)]*\)", "", heading.strip()).lower()
    text = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LN")
    return text.replace(" ", "-")


def anchors(text):
    seen, out = {}, set()
    for heading in re.findall(r"^#{1,6} (.+)$", strip_fences(text), flags=re.M):
        s = slug(heading)
        n = seen.get(s, 0)
        seen[s] = n + 1
        out.add(s if n == 0 else f"{s}-{n}")
    return out


def strip_fences(text):
    return re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)


def strip_code(text):
    """Text without fenced blocks and code spans, where [x](y) is no link."""
    return re.sub(r"`[^`\n]*`", "", strip_fences(text))


def links(text):
    return re.findall(r"\]\(([^)\s]+)\)", strip_code(text))


def doc_files(repo):
    return [repo / "README.md", repo / "scenarios" / "README.md", *sorted((repo / "docs").glob("*.md"))]


def test_every_relative_link_resolves(repo):
    bad = []
    for page in doc_files(repo):
        for target in links(page.read_text()):
            if re.match(r"[a-z]+:", target):
                continue  # https:, mailto:
            path, _, anchor = target.partition("#")
            dest = (page.parent / path).resolve() if path else page
            if not dest.exists():
                bad.append(f"{page.relative_to(repo)}: {target}: no such file")
            elif anchor and dest.suffix == ".md" and anchor not in anchors(dest.read_text()):
                bad.append(f"{page.relative_to(repo)}: {target}: no heading with that anchor")
    assert bad == []


def test_link_check_catches_a_broken_anchor():
    assert slug("Clusters (MPI and SLURM)") == "clusters-mpi-and-slurm"
    assert slug("A planner's answer: `branchsim plan`") == "a-planners-answer-branchsim-plan"
    page = "# Top\n## Per day: `/replications`\n## Top\n"
    assert anchors(page) == {"top", "per-day-replications", "top-1"}
    assert "per-day" not in anchors(page)
    assert links("see [x](a.md#b) and `[no](link.md)`\n```\n[no](x)\n```\n") == ["a.md#b"]


def test_output_doc_layout_names_every_root_object(branchsim, repo, tmp_path):
    """Each group and dimension scale at a result file's root appears in
    docs/output.md's Layout block (/slot and /standard were missing)."""
    out = tmp_path / "appointments.h5"
    r = branchsim("run", repo / "scenarios" / "appointments.yaml", "-r", "2", "-j", "1", "-q", "-o", out)
    assert r.returncode == 0, r.stderr
    text = (repo / "docs" / "output.md").read_text()
    layout = text[text.index("## Layout"):text.index("## Statistics")]
    named = set(re.findall(r"/(\w+)", layout))
    with h5py.File(out) as f:
        assert sorted(set(f) - named) == []


@pytest.mark.parametrize("page", ["README.md", "scenarios/README.md"])
def test_the_readmes_smallest_scenario_is_a_stable_queue(branchsim, repo, tmp_path, page):
    """Both READMEs offer their YAML block as the M/M/c queue to start from;
    4608 customers in the default 8-hour day gave rho = 2.4, a line that
    grows all day (check warned)."""
    text = (repo / page).read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    assert blocks
    for k, block in enumerate(blocks):
        path = tmp_path / f"block{k}.yaml"
        path.write_text(block)
        r = branchsim("check", path)
        assert r.returncode == 0 and "warning" not in r.stderr, block + r.stderr


def test_readme_quick_start_is_two_commands(repo):
    """The quick start is exactly two commands on a fresh Debian/Ubuntu
    machine: one that installs, builds and runs the default scenario, one that
    runs the tests (docs/development.md). Anything else goes below it."""
    readme = (repo / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"\n\n((?:    \S.*\n)+)", section).group(1)
    commands = [line.split("#", 1)[0].split() for line in block.splitlines()]
    assert commands == [["make", "run"], ["make", "test"]], block
