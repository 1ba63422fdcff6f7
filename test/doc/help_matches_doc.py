#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""iotsafe-tool's and iotsafe-sim's help agree with their documents (and so
with their man pages, which pandoc makes from the same documents).

usage: help_matches_doc.py TOOL SIM DOCDIR [MANDIR]

Checks, as TAP: the global options of `iotsafe-tool --help` are those of
doc/iotsafe-tool.md; the commands and their synopses are the same in both;
`iotsafe-tool COMMAND --help` shows that synopsis and only options the
document gives the command; the exit codes agree; every option of
`iotsafe-sim --help` is documented; and, when MANDIR holds the built man
pages, each rendered page shows every synopsis.
"""
import os
import re
import shutil
import subprocess
import sys

N = 0
FAILED = 0


def check(desc, good, detail=""):
    global N, FAILED
    N += 1
    if good:
        print(f"ok {N} - {desc}")
    else:
        FAILED += 1
        print(f"not ok {N} - {desc}")
        for line in str(detail).splitlines():
            print(f"# {line}")


def run(*argv):
    p = subprocess.run(argv, capture_output=True, text=True, check=False)
    return p.returncode, p.stdout


def norm(s):
    return " ".join(s.split())


def md_section(text, title):
    """Body of the `## title` section of a markdown document."""
    m = re.search(r"^## " + re.escape(title) + r"\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    return m.group(1) if m else ""


def table_rows(section):
    """Cells of each body row of the first pipe table in SECTION."""
    rows = []
    for line in section.splitlines():
        if not line.startswith("|") or re.match(r"^\|[-| ]+\|$", line):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        rows.append([c.replace("\\|", "|") for c in cells])
    return rows[1:]  # without the header row


def code_spans(cell):
    return re.findall(r"`([^`]+)`", cell)


def help_block(out, start):
    """Lines of the help output after the line START, up to a blank line."""
    lines = out.splitlines()
    i = lines.index(start) + 1
    block = []
    while i < len(lines) and lines[i].strip():
        block.append(lines[i])
        i += 1
    return block


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    tool, sim, docdir = sys.argv[1:4]
    mandir = sys.argv[4] if len(sys.argv) == 5 else None
    doc = open(os.path.join(docdir, "iotsafe-tool.md"), encoding="utf-8").read()

    rc, out = run(tool, "--help")
    check("iotsafe-tool --help exits 0", rc == 0, out)

    # ---- global options
    help_opts = set()
    for line in help_block(out, "Global options:"):
        m = re.match(r"^  (-h, --help|--[a-z-]+)", line)
        if m:
            help_opts.add(m.group(1))
    doc_opts = set()
    for row in table_rows(md_section(doc, "Global options")):
        spans = code_spans(row[0])
        name = ", ".join(s.split()[0] for s in spans)
        doc_opts.add(name)
    check("global options: help and document list the same",
          help_opts == doc_opts and help_opts,
          f"help only: {sorted(help_opts - doc_opts)}\ndocument only: {sorted(doc_opts - help_opts)}")

    # ---- commands and synopses
    help_syn = {}
    cur = None
    for line in help_block(out, "Commands:"):
        if line.startswith("  ") and not line.startswith("   "):
            cur = line.strip()
            help_syn[cur.split()[0]] = cur
        elif cur:
            help_syn[cur.split()[0]] = norm(help_syn[cur.split()[0]] + " " + line)
    doc_rows = {}
    for row in table_rows(md_section(doc, "Commands")):
        syn = code_spans(row[0])[0]
        doc_rows[syn.split()[0]] = (norm(syn), row[1])
    check("commands: help and document list the same",
          set(help_syn) == set(doc_rows) and help_syn,
          f"help: {sorted(help_syn)}\ndocument: {sorted(doc_rows)}")
    for name in sorted(set(help_syn) & set(doc_rows)):
        syn, text = doc_rows[name]
        check(f"{name}: synopsis in --help equals the document's", help_syn[name] == syn,
              f"help:     {help_syn[name]}\ndocument: {syn}")
        rc, cout = run(tool, name, "--help")
        usage = cout.split("\n\n")[0]
        check(f"{name} --help exits 0 and shows the synopsis",
              rc == 0 and norm(usage) == "usage: iotsafe-tool [GLOBAL OPTIONS] " + syn, cout)
        body = cout.split("\n\n", 1)[1] if "\n\n" in cout else ""
        body = body.split("\nOBJECT is one of:")[0].split("\nGlobal options and exit codes:")[0]
        extra = sorted(set(re.findall(r"--[a-z-]+", body)) - set(re.findall(r"--[a-z-]+", syn + " " + text)))
        check(f"{name} --help names only options the document gives it", not extra, f"not in the document: {extra}")

    # ---- exit codes
    help_codes = set(re.findall(r"(?:^|\s)(\d+) [a-z]", "\n".join(help_block(out, "Exit codes:"))))
    doc_codes = {row[0] for row in table_rows(md_section(doc, "Errors and exit codes"))}
    check("exit codes: help and document list the same", help_codes == doc_codes,
          f"help: {sorted(help_codes, key=int)}\ndocument: {sorted(doc_codes)}")

    # ---- iotsafe-sim
    rc, sout = run(sim, "--help")
    sim_docs = "".join(open(os.path.join(docdir, f), encoding="utf-8").read()
                       for f in ("man/iotsafe-sim.1.md", "simulator.md", "modem.md"))
    sim_opts = sorted(set(re.findall(r"--[a-z-]+", sout)))
    missing = [o for o in sim_opts if o not in sim_docs]
    check("iotsafe-sim --help exits 0", rc == 0, sout)
    check("every iotsafe-sim option is documented", sim_opts and not missing, f"undocumented: {missing}")

    # ---- the built man pages show the same synopses
    man = shutil.which("man")
    page = os.path.join(mandir, "iotsafe-tool.1") if mandir else None
    if page and os.path.exists(page) and man:
        env = dict(os.environ, MANWIDTH="400", MAN_KEEP_FORMATTING="0")
        p = subprocess.run([man, "-l", page], capture_output=True, text=True, env=env, check=False)
        text = norm(re.sub(r".\x08", "", p.stdout).replace("\u2010", "-"))
        absent = [n for n, (syn, _) in doc_rows.items() if syn not in text]
        check("iotsafe-tool(1) shows every command synopsis", p.returncode == 0 and not absent,
              f"absent: {absent}")
        absent = [o for o in sorted(help_opts) if o.split(", ")[-1] not in text]
        check("iotsafe-tool(1) shows every global option", not absent, f"absent: {absent}")
    else:
        N_skip = "man pages not built (no pandoc) or no man command"
        print(f"ok {N + 1} - iotsafe-tool(1) shows the synopses # SKIP {N_skip}")
        globals()["N"] = N + 1

    print(f"1..{N}")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
