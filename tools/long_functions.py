"""long_functions.py [--max N] FILE...: the C functions longer than N lines
(default 80), from the line that names the function to its closing brace,
one per line as FILE:LINE: NAME (N lines). Exit 1 when there is one.

It reads the house style (docs/development.md): a definition's name line
starts in column 0 and its closing brace is a `}` in column 0."""
import re
import sys

NAME = re.compile(r"^[A-Za-z_][\w \t\*]*?\b(\w+)\s*\(")


def functions(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    start = name = None
    in_body = False
    for i, line in enumerate(lines):
        m = NAME.match(line)
        if start is None:
            if m and not line.rstrip().endswith(";"):
                start, name, in_body = i, m.group(1), line.rstrip().endswith("{")
        elif not in_body:  # between the name and the body's brace
            if line.startswith("{"):
                in_body = True
            elif line.rstrip().endswith(";"):  # a declaration, not a definition
                start = None
        elif line.startswith("}"):
            yield name, start + 1, i - start + 1
            start = None


def main(argv):
    limit = 80
    if argv[:1] == ["--max"]:
        limit, argv = int(argv[1]), argv[2:]
    long_ones = [(p, ln, name, n) for p in argv for name, ln, n in functions(p) if n > limit]
    for p, ln, name, n in long_ones:
        print(f"{p}:{ln}: {name} ({n} lines)")
    return 1 if long_ones else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
