#!/usr/bin/python3
"""Turns an HDF5 file into an h5build program (tests/fuzz/h5build.h): the
seeds of the structured reader targets are real files written this way.

    h5_to_ops.py IN.h5 OUT [--keep N] [--drop GROUP,...] [--max-payload BYTES] [--flags F] [--metric M]

--keep N keeps the first N variables of each group (and every coordinate
variable: dimension scales and swept keys' copies), --drop leaves groups out,
--max-payload cuts each value payload (h5build repeats it to fill the
values), so that a seed stays a few KB.
"""
import argparse
import struct
import sys

import h5py
import numpy as np

GROUP, DSET, ATTR, ROOT, UP = 0, 1, 2, 3, 7
PLAIN = {"<f8": 0, ">f8": 1, "<f4": 2, "<u8": 3, "<i8": 4, "<i4": 5, "|u1": 6, "|i1": 7}


def name(text):
    return text.encode() + b"\0"


def type_spec(dtype):
    """(type bytes, kind) or None for types h5build cannot make."""
    info = h5py.check_string_dtype(dtype)
    if info is not None:
        if info.length is None:
            return bytes([8 if info.encoding == "utf-8" else 9]), "vstr"
        pad = 1  # NULLPAD, as h5py writes fixed strings
        return bytes([10, info.length - 1, pad, 1 if info.encoding == "utf-8" else 0]), "fixed"
    code = PLAIN.get(dtype.newbyteorder("<").str if dtype.byteorder == "=" else dtype.str)  # native: x86
    return (bytes([code]), "plain") if code is not None else None


def space_spec(shape):
    if shape is None:
        return bytes([1])
    if len(shape) == 0:
        return bytes([0])
    if len(shape) > 3:
        return None
    out = bytes([len(shape) + 1])
    for d in shape:
        out += struct.pack("<H", d) if d < 0xFFFF else b"\xff\xff" + struct.pack("<Q", d)
    return out


def payload(value, kind, dtype, limit):
    if kind == "vstr":
        items = np.asarray(value, dtype=object).reshape(-1)
        raw = b"\0".join(v if isinstance(v, bytes) else str(v).encode() for v in items)
    else:
        raw = np.asarray(value, dtype=dtype).tobytes()
    raw = raw[:limit]
    return struct.pack("<H", len(raw)) + raw


def attrs(obj, limit):
    out = b""
    for key in obj.attrs:
        aid = obj.attrs.get_id(key)
        spec = type_spec(aid.dtype)
        shape = space_spec(aid.shape)
        if spec is None or shape is None:
            continue  # references (dimension scales) and the like
        out += bytes([ATTR]) + name(key) + spec[0] + shape + payload(obj.attrs[key], spec[1], aid.dtype, limit)
    return out


def dataset(d, key, limit):
    spec = type_spec(d.dtype)
    shape = space_spec(d.shape)
    if spec is None or shape is None:
        return b""
    value = d[()] if d.size * d.dtype.itemsize <= limit else d[tuple(slice(0, 1) for _ in d.shape)]
    return bytes([DSET]) + name(key) + spec[0] + shape + bytes([0]) + payload(value, spec[1], d.dtype, limit) + \
        attrs(d, limit)


def convert(f, keep, drop, limit):
    out = attrs(f, limit)
    for gname, g in f.items():
        if gname in drop:
            continue
        if isinstance(g, h5py.Dataset):
            out += bytes([ROOT]) + dataset(g, gname, limit)
            continue
        out += bytes([GROUP]) + name(gname) + bytes([1]) + attrs(g, limit)
        kept = 0
        for dname, d in g.items():
            if not isinstance(d, h5py.Dataset):
                continue
            coordinate = "CLASS" in d.attrs or ("scenarios" in f and gname != "scenarios" and dname in f["scenarios"])
            if not coordinate:
                if kept >= keep:
                    continue
                kept += 1
            out += dataset(d, dname, limit) + bytes([UP])
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("--keep", type=int, default=1 << 30)
    p.add_argument("--drop", default="")
    p.add_argument("--max-payload", type=int, default=65535)
    p.add_argument("--flags", type=int, default=4)
    p.add_argument("--metric", default=None)
    a = p.parse_args()
    flags = a.flags | (2 if a.metric else 0)
    head = bytes([flags]) + (name(a.metric) if a.metric else b"")
    with h5py.File(a.src, "r") as f:
        body = convert(f, a.keep, set(filter(None, a.drop.split(","))), min(a.max_payload, 65535))
    with open(a.dst, "wb") as out:
        out.write(head + body)


if __name__ == "__main__":
    sys.exit(main())
