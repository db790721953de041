"""CITATION.cff is valid CFF 1.2.0 with the binary's version; CHANGELOG.md
keeps an Unreleased section and a section for that version."""
import re

import pytest

from conftest import REPO

REQUIRED = ["cff-version", "message", "title", "authors"]


def citation():
    text = (REPO / "CITATION.cff").read_text()
    try:
        import yaml
    except ImportError:  # a line check of the top-level keys instead
        cff = {m.group(1): m.group(2).strip().strip('"') for m in re.finditer(r"^([a-z-]+):(.*)$", text, re.M)}
        cff["authors"] = [{"name": n} for n in re.findall(r'^\s+- name:\s*"?([^"\n]+)', text, re.M)]
        return cff
    return yaml.safe_load(text)


def binary_version(branchsim):
    r = branchsim("--version")
    assert r.returncode == 0
    return re.match(r"branchsim (\S+) ", r.stdout).group(1)


def test_citation_has_the_required_keys():
    cff = citation()
    for key in REQUIRED:
        assert cff.get(key), key
    assert str(cff["cff-version"]) == "1.2.0"
    assert str(cff["license"]) == "GPL-3.0-or-later"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(cff["date-released"]))
    if isinstance(cff["authors"], list):
        assert all(a.get("name") or a.get("family-names") for a in cff["authors"])


def test_citation_version_is_the_binarys(branchsim):
    assert str(citation()["version"]) == binary_version(branchsim)


def test_changelog_has_unreleased_and_this_version(branchsim):
    text = (REPO / "CHANGELOG.md").read_text()
    assert re.search(r"^## \[Unreleased\]$", text, re.M)
    assert re.search(rf"^## \[{re.escape(binary_version(branchsim))}\] - \d{{4}}-\d{{2}}-\d{{2}}$", text, re.M)
