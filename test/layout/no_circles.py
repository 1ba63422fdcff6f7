#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""No circles between the files of a layer.

usage: no_circles.py OBJDIR...

Each OBJDIR holds the object files of one library or program (libiotsafe,
the provider module, iotsafe-tool). A file depends on another when it uses a
symbol the other defines (from `nm`). Prints, as TAP, one check per OBJDIR:
the files that depend on each other in a circle, if any (each function
should live beside its callers' layer).
"""
import collections
import glob
import os
import subprocess
import sys


def depends(objdir):
    """file -> the files whose symbols it uses."""
    defined, used = {}, collections.defaultdict(set)
    for obj in sorted(glob.glob(os.path.join(objdir, "*.o"))):
        name = os.path.basename(obj).rsplit(".", 2)[0]
        out = subprocess.run(["nm", obj], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "TDBR":
                defined[parts[2]] = name
            elif len(parts) == 2 and parts[0] == "U":
                used[name].add(parts[1])
    graph = collections.defaultdict(set)
    for name, syms in used.items():
        graph[name] |= {defined[s] for s in syms if s in defined and defined[s] != name}
    return graph


def circles(graph):
    """Strongly connected components of more than one file (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def main():
    failed = 0
    for n, objdir in enumerate(sys.argv[1:], 1):
        graph = depends(objdir)
        found = circles(graph)
        what = os.path.basename(objdir.rstrip("/"))
        if not graph:
            print(f"not ok {n} - {what}: no object files found")
            failed += 1
        elif found:
            print(f"not ok {n} - {what}: files in a circle")
            for comp in found:
                print("# " + " <-> ".join(comp))
            failed += 1
        else:
            print(f"ok {n} - {what}: no circles among {len(graph)} files")
    print(f"1..{len(sys.argv) - 1}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
