"""call_cycles.py [--except A B]... FILE...: circles between C files, where
file A calls a function that B defines and B, directly or through other
files, calls one that A defines. Prints each circle's files and the calls
that close it, as A -> B (function); exit 1 when there is one.

A file's functions are its non-static definitions (the house style of
tools/long_functions.py: the name line in column 0); its calls are the
names followed by "(" outside comments and strings. Calls through function
pointers and macros are not seen. --except A B ignores the calls between
files A and B, both ways: a known circle that is being removed."""
import re
import sys
from pathlib import Path

from long_functions import functions

CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(")
# Comments, then string and character literals (with their escapes).
NOISE = re.compile(r"/\*.*?\*/|//[^\n]*|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'", re.S)


def defined(path):
    """The functions that path defines: {name: static or not}."""
    lines = Path(path).read_text(encoding="utf-8").split("\n")
    return {name: lines[line - 1].startswith("static") for name, line, _ in functions(path)}


def called(path):
    text = NOISE.sub(" ", Path(path).read_text(encoding="utf-8"))
    return set(CALL.findall(text))


def calls_between(paths, excepted):
    """edges[a][b]: the functions of b that a calls, for a != b."""
    own = {p: defined(p) for p in paths}
    owner = {name: p for p in paths for name, static in own[p].items() if not static}
    edges = {p: {} for p in paths}
    for a in paths:
        for name in sorted(called(a) - own[a].keys()):  # a static of a's own may share a name
            b = owner.get(name)
            if b is not None and b != a and frozenset((a, b)) not in excepted:
                edges[a].setdefault(b, []).append(name)
    return edges


def circles(edges):
    """Strongly connected sets of more than one file (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for v in edges:
        if v not in index:
            visit(v)
    return sorted(found)


def main(argv):
    excepted = set()
    while argv[:1] == ["--except"]:
        excepted.add(frozenset((argv[1], argv[2])))
        argv = argv[3:]
    edges = calls_between(argv, excepted)
    found = circles(edges)
    for part in found:
        print("circle: " + ", ".join(part))
        for a in part:
            for b in part:
                if b in edges[a]:
                    print(f"  {a} -> {b} ({', '.join(edges[a][b])})")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
