"""dataset_digests.py DIR [--write FILE | --check FILE]: one SHA-256 per
result file in DIR over every dataset's name, dtype, shape and bytes
(attributes, which record the build and the time, are left out), so a
refactor can prove that no result moved without keeping the old build.
DIR is made by tools/scenario-datasets.sh. --write records the digests;
--check compares with a record and names each file that differs (then
compare dataset by dataset with tools/same_datasets.py against the old
build). Exit 0 when all match, 1 when one differs, 2 on bad usage."""
import hashlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from same_datasets import datasets  # noqa: E402


def file_digest(path):
    sets = datasets(path)
    h = hashlib.sha256()
    for name in sorted(sets):
        dtype, shape, raw = sets[name]
        h.update(f"{name}\0{dtype}\0{shape}\0".encode())
        h.update(raw if isinstance(raw, bytes) else raw.encode())
    return h.hexdigest(), len(sets)


def digests(directory):
    return {p.name: file_digest(p) for p in sorted(Path(directory).glob("*.h5"))}


def read_record(path):
    record = {}
    for line in Path(path).read_text().splitlines():
        if line and not line.startswith("#"):
            name, n_sets, digest = line.split()
            record[name] = (digest, int(n_sets))
    return record


def check(found, record):
    bad = 0
    for name in sorted(set(found) | set(record)):
        if found.get(name) != record.get(name):
            print(f"differs: {name} (recorded {record.get(name)}, now {found.get(name)})")
            bad += 1
    n_sets = sum(n for _, n in found.values())
    print(f"{len(found)} files, {n_sets} datasets: {'identical' if not bad else 'NOT identical'}")
    return 1 if bad or not found else 0


def main(argv):
    if len(argv) != 3 or argv[1] not in ("--write", "--check"):
        print(__doc__, file=sys.stderr)
        return 2
    found = digests(argv[0])
    if argv[1] == "--check":
        return check(found, read_record(argv[2]))
    lines = ["# tools/dataset_digests.py DIR --write FILE: file, datasets, SHA-256"]
    lines += [f"{name} {n} {d}" for name, (d, n) in found.items()]
    Path(argv[2]).write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
