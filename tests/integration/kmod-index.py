#!/usr/bin/env python3
"""Decode kmod's index files (modules.*.bin) and compare dependency indexes.

  kmod-index.py dump FILE.bin
      one line per value: KEY<TAB>PRIORITY<TAB>VALUE, keys in byte order,
      a key's values in stored order
  kmod-index.py compare-deps OURS THEIRS
      OURS and THEIRS are two modules.dep.bin or two modules.dep: the same
      modules (in the same order for modules.dep; with the same keys and
      priorities for modules.dep.bin), each with the same path and the same
      set of dependencies, listed in a valid load order; prints each
      difference, exit 1 if there is one
  kmod-index.py check-order MODULES.DEP
      every line lists its dependencies in a valid load order

A valid load order: modprobe loads a module's dependency list from the end,
so each dependency D of a line must come before (to the left of) every
dependency of D that the line lists.

The format (kmod's libkmod-index.c): big-endian uint32 magic 0xB007F457,
version 0x00020001 and the root node's offset. A node offset's high bits are
flags: 0x80000000 a NUL-terminated prefix follows, 0x20000000 children
(first byte, last byte, one uint32 child offset per byte in between, 0 for
none), 0x40000000 values (uint32 count, then per value uint32 priority and a
NUL-terminated string); offset & 0x0FFFFFFF is the node's file position. A
node's key is the concatenation along its path of each child's byte and
prefix, starting with the root's prefix.
"""
import struct
import sys

MAGIC, VERSION = 0xB007F457, 0x00020001
F_PREFIX, F_VALUES, F_CHILDS, F_MASK = 0x80000000, 0x40000000, 0x20000000, 0x0FFFFFFF
MAX_SHOWN = 50


class Bad(Exception):
    pass


def is_index(path):
    with open(path, 'rb') as f:
        head = f.read(4)
    return len(head) == 4 and struct.unpack('>I', head)[0] == MAGIC


def read_index(path):
    """[(key, priority, value)] in key order (bytes, int, bytes)"""
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < 12:
        raise Bad(f'{path}: too short for a kmod index')
    magic, version, root = struct.unpack_from('>III', data, 0)
    if magic != MAGIC or version != VERSION:
        raise Bad(f'{path}: magic {magic:#x} version {version:#x}, not a kmod index v2')

    def cstr(pos):
        end = data.index(b'\0', pos)
        return data[pos:end], end + 1

    out, seen = [], set()
    stack = [(root, b'')]  # depth-first; children pushed in reverse byte order
    while stack:
        off, key = stack.pop()
        pos = off & F_MASK
        if pos in seen or pos >= len(data):
            raise Bad(f'{path}: bad or repeated node offset {off:#x}')
        seen.add(pos)
        if off & F_PREFIX:
            prefix, pos = cstr(pos)
            key += prefix
        children = []
        if off & F_CHILDS:
            first, last = data[pos], data[pos + 1]
            pos += 2
            for ch in range(first, last + 1):
                child = struct.unpack_from('>I', data, pos)[0]
                pos += 4
                if child:
                    children.append((child, key + bytes([ch])))
        if off & F_VALUES:
            count = struct.unpack_from('>I', data, pos)[0]
            pos += 4
            for _ in range(count):
                prio = struct.unpack_from('>I', data, pos)[0]
                value, pos = cstr(pos + 4)
                out.append((key, prio, value))
        stack.extend(reversed(children))
    return out


def s(b):
    return b.decode('utf-8', 'backslashreplace')


def parse_dep_line(line):
    path, sep, rest = line.partition(':')
    if not sep:
        raise Bad(f'not a modules.dep line: {line!r}')
    return path, rest.split()


def order_errors(path, deps, depmap):
    """the load-order violations in one line (depmap: path -> its deps)"""
    errs, pos = [], {d: i for i, d in enumerate(deps)}
    for i, d in enumerate(deps):
        for dd in depmap.get(d, ()):
            if dd in pos and pos[dd] < i:
                errs.append(f'{path}: {d} is listed after its dependency {dd}: '
                            'modprobe, loading from the end, would load it first')
    return errs


def read_deps(path):
    """(kind, [(key, priority, path, deps)]) of a modules.dep(.bin)"""
    if is_index(path):
        rows = []
        for key, prio, value in read_index(path):
            p, deps = parse_dep_line(s(value))
            rows.append((s(key), prio, p, deps))
        return 'bin', rows
    with open(path, encoding='utf-8', errors='backslashreplace') as f:
        rows = [(None, None) + tuple(parse_dep_line(line)) for line in f if line.strip()]
    return 'text', rows


def compare_deps(ours_path, theirs_path):
    kind, ours = read_deps(ours_path)
    kind2, theirs = read_deps(theirs_path)
    if kind != kind2:
        raise Bad(f'{ours_path} is {kind}, {theirs_path} is {kind2}: compare like with like')
    diffs = []
    depmap = {p: deps for _, _, p, deps in theirs}
    if kind == 'text':
        ours_paths = [r[2] for r in ours]
        theirs_paths = [r[2] for r in theirs]
        if ours_paths != theirs_paths:
            a, b = set(ours_paths), set(theirs_paths)
            diffs += [f'module only in {ours_path}: {p}' for p in ours_paths if p not in b]
            diffs += [f'module only in {theirs_path}: {p}' for p in theirs_paths if p not in a]
            if a == b:
                i = next(i for i, (x, y) in enumerate(zip(ours_paths, theirs_paths)) if x != y)
                diffs.append(f'the modules are in another order: line {i + 1} is {ours_paths[i]}, '
                             f'{theirs_paths[i]} in {theirs_path}')
        t = {p: deps for _, _, p, deps in theirs}
        pairs = [(p, deps, t[p]) for _, _, p, deps in ours if p in t]
    else:
        def by_key(rows, name):
            d = {}
            for key, prio, p, deps in rows:
                if key in d:
                    diffs.append(f'{name}: key {key} has more than one value')
                d[key] = (prio, p, deps)
            return d
        o, t = by_key(ours, ours_path), by_key(theirs, theirs_path)
        diffs += [f'key only in {ours_path}: {k}' for k in o if k not in t]
        diffs += [f'key only in {theirs_path}: {k}' for k in t if k not in o]
        pairs = []
        for k in sorted(set(o) & set(t)):
            (op, opath, odeps), (tp, tpath, tdeps) = o[k], t[k]
            if op != tp:
                diffs.append(f'key {k}: priority {op}, {tp} in {theirs_path}')
            if opath != tpath:
                diffs.append(f'key {k}: path {opath}, {tpath} in {theirs_path}')
            else:
                pairs.append((opath, odeps, tdeps))
    for p, odeps, tdeps in pairs:
        if len(odeps) != len(set(odeps)):
            diffs.append(f'{p}: a dependency is listed twice: {" ".join(odeps)}')
        if set(odeps) != set(tdeps):
            extra = sorted(set(odeps) - set(tdeps))
            missing = sorted(set(tdeps) - set(odeps))
            diffs.append(f'{p}: dependencies differ: extra {extra}, missing {missing}')
        diffs += order_errors(p, odeps, depmap)
    return kind, len(pairs), diffs


def check_order(path):
    _, rows = read_deps(path)
    depmap = {p: deps for _, _, p, deps in rows}
    diffs = []
    for _, _, p, deps in rows:
        diffs += order_errors(p, deps, depmap)
    return len(rows), diffs


def report(diffs):
    for d in diffs[:MAX_SHOWN]:
        print(d)
    if len(diffs) > MAX_SHOWN:
        print(f'... and {len(diffs) - MAX_SHOWN} more differences')
    return 1 if diffs else 0


def main(argv):
    try:
        if len(argv) == 3 and argv[1] == 'dump':
            out = sys.stdout.buffer
            for key, prio, value in read_index(argv[2]):
                out.write(b'%s\t%d\t%s\n' % (key, prio, value))
            return 0
        if len(argv) == 4 and argv[1] == 'compare-deps':
            kind, n, diffs = compare_deps(argv[2], argv[3])
            if not diffs:
                print(f'{argv[2]}: same as {argv[3]} ({kind}, {n} modules compared)')
            return report(diffs)
        if len(argv) == 3 and argv[1] == 'check-order':
            n, diffs = check_order(argv[2])
            if not diffs:
                print(f'{argv[2]}: {n} modules, every dependency list in a valid load order')
            return report(diffs)
    except (Bad, OSError, ValueError, IndexError, struct.error) as e:
        print(f'kmod-index.py: {e}', file=sys.stderr)
        return 2
    print(__doc__.split('\n\n')[1], file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
