#!/usr/bin/env python3
"""Every source file is named in doc/architecture.md, by base name or path.

Covers the .c/.h files of src/, include/iotsafe/, provider/, pkcs11/, tools/,
sim/, fuzz/ and bench/, and scripts/*.sh. Prints the files the page does not name
and exits 1 if there are any. Usage: files_in_architecture.py SOURCE_ROOT
"""
import os
import re
import subprocess
import sys

C_DIRS = ("src", "include/iotsafe", "provider", "pkcs11", "tools", "sim", "fuzz", "bench")


def tracked(root):
    """Git-tracked files when root is a git checkout's top, else every file."""
    try:
        top = subprocess.run(["git", "-C", root, "rev-parse", "--show-toplevel"],
                             capture_output=True, text=True, check=True).stdout.strip()
        if os.path.realpath(top) == os.path.realpath(root):
            out = subprocess.run(["git", "-C", root, "ls-files"], capture_output=True,
                                 text=True, check=True).stdout
            return [f for f in out.splitlines() if os.path.isfile(os.path.join(root, f))]
    except (OSError, subprocess.CalledProcessError):
        pass
    files = []
    for d in C_DIRS + ("scripts",):
        for dirpath, _, names in os.walk(os.path.join(root, d)):
            files += [os.path.relpath(os.path.join(dirpath, n), root) for n in names]
    return files


def wanted(path):
    d, name = os.path.split(path)
    if d == "scripts":
        return name.endswith(".sh")
    return d in C_DIRS and name.endswith((".c", ".h"))


def named(text, path):
    # The path, or the base name not glued to a longer name (`tlv.c`, src/tlv.c).
    for s in (path, os.path.basename(path)):
        if re.search(r"(?<![\w.-])" + re.escape(s) + r"(?![\w-])", text):
            return True
    return False


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    with open(os.path.join(root, "doc", "architecture.md"), encoding="utf-8") as f:
        text = f.read()
    files = sorted(f for f in tracked(root) if wanted(f))
    if not files:
        print("no source files found under", root)
        return 1
    missing = [f for f in files if not named(text, f)]
    for f in missing:
        print("not in doc/architecture.md:", f)
    print(f"{len(files) - len(missing)} of {len(files)} source files named in doc/architecture.md")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
