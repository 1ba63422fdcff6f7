#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The shared libiotsafe exports its public API and nothing else.

usage: exports.py NM LIBRARY INCLUDE_DIR CC [CC_ARGS...]

The public API is every function and every extern object declared in
INCLUDE_DIR/iotsafe/*.h (read from the preprocessed headers, so comments,
macros and the C++ guards do not count). The exports are the defined dynamic
symbols of LIBRARY (nm -D --defined-only). Prints a TAP stream: one check
that no internal symbol is exported, one that no public function is missing.
"""
import glob
import os
import re
import subprocess
import sys


def public_names(include_dir, cc):
    headers = sorted(glob.glob(os.path.join(include_dir, 'iotsafe', '*.h')))
    if not headers:
        sys.exit('no headers under %s/iotsafe' % include_dir)
    src = ''.join('#include "%s"\n' % os.path.abspath(h) for h in headers)
    pp = subprocess.run(cc + ['-E', '-I', include_dir, '-x', 'c', '-'], input=src,
                        capture_output=True, text=True, check=True).stdout
    # keep only what the line markers attribute to our headers
    ours = {os.path.abspath(h) for h in headers}
    keep, text = False, []
    for line in pp.splitlines():
        m = re.match(r'#\s*\d+\s+"([^"]*)"', line)
        if m:
            keep = os.path.abspath(m.group(1)) in ours
        elif keep:
            text.append(line)
    text = ' '.join(text)
    # drop __attribute__((...)) with its balanced parentheses
    while True:
        i = text.find('__attribute__')
        if i < 0:
            break
        j, depth = text.index('(', i), 0
        for k in range(j, len(text)):
            depth += {'(': 1, ')': -1}.get(text[k], 0)
            if depth == 0:
                break
        text = text[:i] + text[k + 1:]
    # top-level declarations: split at ';' outside braces, drop brace bodies;
    # a function body (a brace after ')') ends its definition
    decls, cur, depth, body = [], [], 0, False
    for ch in text:
        if ch == '{':
            if depth == 0:
                body = ''.join(cur).rstrip().endswith(')')
            depth += 1
        elif ch == '}':
            depth -= 1
            if depth == 0 and body:
                decls.append(''.join(cur).strip())
                cur, body = [], False
        elif depth == 0:
            if ch == ';':
                decls.append(''.join(cur).strip())
                cur = []
            else:
                cur.append(ch)
    names = set()
    for d in decls:
        # static inline helpers of a header are not library symbols
        if not d or d.startswith('typedef') or re.search(r'\bstatic\b', d):
            continue
        m = re.search(r'([A-Za-z_]\w*)\s*\(', d)
        if m and not re.search(r'\(\s*\*', d[:m.end() + 1]):
            names.add(m.group(1))                 # a function
        elif re.match(r'extern\b', d):
            m = re.search(r'([A-Za-z_]\w*)\s*(\[[^\]]*\])*\s*$', d)
            if m:
                names.add(m.group(1))             # an object
    return names


def exported_names(nm, lib):
    out = subprocess.run([nm, '-D', '--defined-only', lib], capture_output=True, text=True,
                         check=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        # version nodes show as absolute symbols (A); they are not API
        if len(parts) == 3 and parts[1] != 'A':
            names.add(parts[2].split('@')[0])
    return names


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    nm, lib, include_dir, cc = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    public = public_names(include_dir, cc)
    exported = exported_names(nm, lib)
    internal = sorted(exported - public)
    missing = sorted(public - exported)
    print('1..2')
    print('# %d public names declared, %d symbols exported by %s'
          % (len(public), len(exported), os.path.basename(lib)))
    print('%s 1 - no internal symbol exported' % ('not ok' if internal else 'ok'))
    for n in internal:
        print('#   exported but not declared in include/iotsafe: %s' % n)
    print('%s 2 - every public function exported' % ('not ok' if missing else 'ok'))
    for n in missing:
        print('#   declared in include/iotsafe but not exported: %s' % n)
    return 1 if internal or missing else 0


if __name__ == '__main__':
    sys.exit(main())
