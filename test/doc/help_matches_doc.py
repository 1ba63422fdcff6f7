#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""iotsafe-tool's and iotsafe-sim's help agree with their documents (and so
with their man pages, which pandoc makes from the same documents).

usage: help_matches_doc.py TOOL SIM DOCDIR [MANDIR]

Checks, as TAP: the global options of `iotsafe-tool --help` are those of
doc/iotsafe-tool.md; the commands and their synopses are the same in both;
`iotsafe-tool COMMAND --help` shows that synopsis and only options the
document gives the command; the exit codes agree; the environment variables
the help names are in the document's Environment table. The options of
`iotsafe-sim --help` are those of the OPTIONS of doc/man/iotsafe-sim.1.md,
its settings (with their words) those of SETTINGS, its fault kinds those of
FAULT INJECTION. The provider's environment variables (the settings table of
doc/provider.md) are those of the ENVIRONMENT of
doc/man/provider-iotsafe.7.md. The PKCS#11 module's settings table (in
doc/pkcs11.md) has the keys and variables of libiotsafe's option table
(src/options.c), and the ENVIRONMENT of doc/man/iotsafe-pkcs11.8.md names
those variables and IOTSAFE_PKCS11_CONF. When MANDIR holds the built man
pages, the rendered pages show every synopsis and option, and each has the
usual sections in the usual order.
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
    doc_codes = {row[0] for row in table_rows(md_section(doc, "Exit status"))}
    check("exit codes: help and document list the same", help_codes == doc_codes,
          f"help: {sorted(help_codes, key=int)}\ndocument: {sorted(doc_codes)}")

    # ---- environment variables of iotsafe-tool
    help_env = set(re.findall(r"\bIOTSAFE_[A-Z_]+", out))
    doc_env = {code_spans(row[0])[0] for row in table_rows(md_section(doc, "Environment"))}
    check("iotsafe-tool: every variable --help names is in the document's Environment",
          help_env and help_env <= doc_env, f"not in the document: {sorted(help_env - doc_env)}")

    # ---- iotsafe-sim: its man page against its --help
    rc, sout = run(sim, "--help")
    check("iotsafe-sim --help exits 0", rc == 0, sout)
    page_md = open(os.path.join(docdir, "man", "iotsafe-sim.1.md"), encoding="utf-8").read()
    usage, _, settings = sout.partition("\nSettings")
    help_opts_sim = set(re.findall(r"--[a-z-]+", usage)) | {"--help"}
    doc_opts_sim = set(re.findall(r"\*\*(--[a-z-]+)\*\*", md_section(page_md, "OPTIONS")))
    check("iotsafe-sim: help and OPTIONS list the same options",
          len(help_opts_sim) > 1 and help_opts_sim == doc_opts_sim,
          f"help only: {sorted(help_opts_sim - doc_opts_sim)}\n"
          f"page only: {sorted(doc_opts_sim - help_opts_sim)}")

    help_set = dict(re.findall(r"^  ([a-z0-9-]+)=(.*)$", settings, re.M))
    # SETTINGS: one item per setting, its term `**name**=values` at the start
    # of a line; `**prefix-***WORD*` stands for prefix-x with each `x` of its item.
    items = re.split(r"\n\n(?=\*\*)", md_section(page_md, "SETTINGS"))
    documented, words_of = set(), {}
    for item in items:
        term = item.split("\n", 1)[0]
        if not term.startswith("**"):
            continue
        m = re.match(r"\*\*([a-z0-9]+-)\*\*\*[A-Z]+\*", term)
        if m:
            names = {m.group(1) + w for w in code_spans(item)}
            documented |= names & set(help_set)
            continue
        for name in re.findall(r"\*\*([a-z0-9-]+)\*\*", term):
            documented.add(name)
            words_of[name] = term
    check("iotsafe-sim: help and SETTINGS list the same settings",
          help_set and set(help_set) == documented,
          f"help only: {sorted(set(help_set) - documented)}\n"
          f"page only: {sorted(documented - set(help_set))}")
    wrong = []
    for name, values in sorted(help_set.items()):
        if name in words_of and re.fullmatch(r"[A-Za-z0-9]+(\|[A-Za-z0-9]+)+", values):
            missing_words = [w for w in values.split("|") if f"`{w}`" not in words_of[name]]
            if missing_words:
                wrong.append(f"{name}: {missing_words}")
    check("iotsafe-sim: SETTINGS gives each setting the words of --help", not wrong, "\n".join(wrong))

    fault_line = help_set.get("fault", "")
    help_faults = {k.strip() for k in fault_line.split(";")[0].split(",")} - {"none", ""}
    doc_faults = set(re.findall(r"^\*\*([a-z0-9-]+)\*\*", md_section(page_md, "FAULT INJECTION"), re.M))
    doc_faults |= set(re.findall(r"^\*\*[a-z0-9-]+\*\*, \*\*([a-z0-9-]+)\*\*",
                                 md_section(page_md, "FAULT INJECTION"), re.M))
    check("iotsafe-sim: help and FAULT INJECTION list the same fault kinds",
          help_faults and help_faults == doc_faults,
          f"help only: {sorted(help_faults - doc_faults)}\npage only: {sorted(doc_faults - help_faults)}")

    # ---- the provider's environment variables
    prov = open(os.path.join(docdir, "provider.md"), encoding="utf-8").read()
    prov_env = {c for row in table_rows(md_section(prov, "Configuration")) if len(row) > 1
                for c in code_spans(row[1]) if re.fullmatch(r"IOTSAFE_[A-Z_]+", c)}
    prov_page = open(os.path.join(docdir, "man", "provider-iotsafe.7.md"), encoding="utf-8").read()
    page_env = set(re.findall(r"\bIOTSAFE_[A-Z_]+", md_section(prov_page, "ENVIRONMENT")))
    check("provider-iotsafe(7): ENVIRONMENT names the variables of the settings table",
          prov_env and prov_env == page_env,
          f"table only: {sorted(prov_env - page_env)}\nENVIRONMENT only: {sorted(page_env - prov_env)}")

    # ---- the PKCS#11 module's settings: the shared option table, its document, its man page
    options_c = open(os.path.join(docdir, "..", "src", "options.c"), encoding="utf-8").read()
    code_opts = dict(re.findall(r'\{\s*"([a-z-]+)",\s*"(IOTSAFE_[A-Z_]+)"', options_c))
    p11 = open(os.path.join(docdir, "pkcs11.md"), encoding="utf-8").read()
    p11_rows = [row for row in table_rows(md_section(p11, "Settings")) if len(row) > 1]
    p11_opts = {code_spans(row[0])[0]: code_spans(row[1])[0] for row in p11_rows
                if code_spans(row[0]) and code_spans(row[1])}
    check("pkcs11.md: the Settings table has the keys and variables of src/options.c",
          code_opts and p11_opts == code_opts,
          f"code: {sorted(code_opts.items())}\ndocument: {sorted(p11_opts.items())}")
    p11_page = open(os.path.join(docdir, "man", "iotsafe-pkcs11.8.md"), encoding="utf-8").read()
    p11_env = set(re.findall(r"\bIOTSAFE_[A-Z0-9_]+", md_section(p11_page, "ENVIRONMENT")))
    want_env = set(code_opts.values()) | {"IOTSAFE_PKCS11_CONF"}
    check("iotsafe-pkcs11(8): ENVIRONMENT names the settings' variables and IOTSAFE_PKCS11_CONF",
          p11_env == want_env,
          f"missing: {sorted(want_env - p11_env)}\nextra: {sorted(p11_env - want_env)}")

    # ---- the built man pages: synopses, options, sections
    man = shutil.which("man")
    pages = {"iotsafe-tool.1": None, "iotsafe-sim.1": None, "provider-iotsafe.7": None,
             "iotsafe-pkcs11.8": None}
    if mandir and man:
        env = dict(os.environ, MANWIDTH="400", MAN_KEEP_FORMATTING="0")
        for name in pages:
            path = os.path.join(mandir, name)
            if os.path.exists(path):
                p = subprocess.run([man, "-l", path], capture_output=True, text=True, env=env,
                                   check=False)
                # overstrike (groff 1.22) or SGR escapes (groff 1.23 in Debian 13) for bold and italics
                plain = re.sub(r".\x08|\x1b\[[0-9;]*m", "", p.stdout)
                pages[name] = plain.replace("\u2010", "-") if p.returncode == 0 else ""
    if all(v is not None for v in pages.values()):
        text = norm(pages["iotsafe-tool.1"])
        absent = [n for n, (syn, _) in doc_rows.items() if syn not in text]
        check("iotsafe-tool(1) shows every command synopsis", text and not absent, f"absent: {absent}")
        absent = [o for o in sorted(help_opts) if o.split(", ")[-1] not in text]
        check("iotsafe-tool(1) shows every global option", not absent, f"absent: {absent}")
        text = norm(pages["iotsafe-sim.1"])
        absent = [o for o in sorted(help_opts_sim) if o not in text]
        check("iotsafe-sim(1) shows every option", text and not absent, f"absent: {absent}")
        for name, rendered in pages.items():
            heads = [l for l in rendered.splitlines() if re.fullmatch(r"[A-Z][A-Z0-9 :()/.,'-]*", l)]
            # EXAMPLES may come early in a long page (provider-iotsafe.7)
            want = ["NAME", "SYNOPSIS", "DESCRIPTION"]
            need = ["ENVIRONMENT", "FILES", "SEE ALSO"]
            if name.endswith(".1"):
                need.insert(0, "EXIT STATUS")
            order = [h for h in heads if h in need]
            check(f"{name}: usual sections in the usual order",
                  heads[:3] == want and heads[-1] == "SEE ALSO" and order == need
                  and "EXAMPLES" in heads, f"sections: {heads}")
            ex = rendered.split("\nEXAMPLES\n", 1)[-1]
            first = next((l.strip() for l in ex.splitlines() if l.startswith("       ") and
                          l.strip().startswith(("sudo", "iotsafe", "openssl"))), "")
            check(f"{name}: EXAMPLES start with the quick start",
                  first.startswith("sudo apt install pcscd vsmartcard-vpcd"), f"first command: {first}")
    else:
        N_skip = "man pages not built (no pandoc) or no man command"
        print(f"ok {N + 1} - the man pages # SKIP {N_skip}")
        globals()["N"] = N + 1

    print(f"1..{N}")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
