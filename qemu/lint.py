#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Keeps the crate's layering: raw kernel access only in the abstraction directories.

Usage: lint.py [--root DIR] [--exceptions FILE] [--counts]

Checks rust_shmem.rs and src/**/*.rs (not the generated bindings) and prints `file:line: what`
for each violation; exit status 1 if there is any. The rules:

  layer      outside ABSTRACTION, a file may mention `bindings` (the raw bindings module), use an
             `extern` ABI (`extern "C"` fns and blocks) or `unsafe` at most as many times as its
             ceiling in the exceptions file (default 0). Fewer than the ceiling prints a note:
             lower it, so that debt once paid stays paid.
  safety     everywhere: an `unsafe {` block or `unsafe impl` needs a `// SAFETY:` comment in the
             comment lines just above it, or above the statement it sits in: at most SAFETY_CODE
             lines of code in between, none of them ending a statement (`;`, `}`) or holding
             another unsafe block, and no blank line.
  invariants in ABSTRACTION: a struct with a raw-pointer field (`*mut`, `*const`, `NonNull`,
             `Opaque<`) needs a `# Invariants` section in its doc comment.

The exceptions file has one ceiling a line, `path: kind count  # justification` (kind: bindings,
extern or unsafe); the justification is required. --counts prints today's counts in that format.
Comments and string literals are blanked before counting, so prose never counts.
"""
import argparse
import os
import re
import sys

# Directories (or files) that wrap the kernel's raw API (src/kabi/: the non-VFS ones); everything
# else is policy.
ABSTRACTION = ["src/vfs/", "src/kabi/"]
# Files never checked: generated code.
SKIP = re.compile(r"(^|/)bindings_generated\.rs$")
# How many lines of code may separate a `// SAFETY:` comment from its unsafe block.
SAFETY_CODE = 3

KINDS = {
    # A mention of the raw bindings module (`bindings::x`, `use crate::bindings`), not its `mod`.
    "bindings": re.compile(r"(?<!\bmod )\bbindings\b"),
    # An item with a foreign ABI: `extern "C" fn`, `extern "C" {`, `extern fn` (not `extern crate`).
    "extern": re.compile(r"\bextern\b(?!\s+crate\b)"),
    "unsafe": re.compile(r"\bunsafe\b"),
}
UNSAFE_NEEDS_SAFETY = re.compile(r"\bunsafe\s*(\{|impl\b)")
STRUCT = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?struct\s+(\w+)")
RAW_FIELD = re.compile(r"\*\s*(?:mut|const)\b|\bNonNull\b|\bOpaque\s*<")
STATEMENT_END = re.compile(r"[;}],?\s*$")
RAW_STRING = re.compile(r'(?<![\w])b?r(#*)"')
CHAR = re.compile(r"'(?:\\(?:u\{[0-9a-fA-F]+\}|x[0-9a-fA-F]{2}|.)|[^\\'\n])'")


def split(text):
    """Returns (code, comments): per line, the code with comments and literal contents blanked,
    and the comment text. Handles nested block comments, raw strings, chars versus lifetimes."""
    code, comm = [], []
    i, n, depth = 0, len(text), 0
    cur_code, cur_comm = [], []

    def newline():
        code.append("".join(cur_code))
        comm.append("".join(cur_comm))
        cur_code.clear()
        cur_comm.clear()

    while i < n:
        c = text[i]
        if c == "\n":
            newline()
            i += 1
        elif depth:  # inside /* */
            if text.startswith("/*", i):
                depth, i = depth + 1, i + 2
            elif text.startswith("*/", i):
                depth, i = depth - 1, i + 2
            else:
                cur_comm.append(c)
                i += 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            cur_comm.append(text[i:j])
            i = j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
        else:
            m = RAW_STRING.match(text, i)
            if m:
                end = text.find('"' + m.group(1), m.end())
                end = n if end < 0 else end + 1 + len(m.group(1))
                cur_code.append('""')
                for _ in range(text.count("\n", i, end)):
                    newline()
                i = end
            elif c == '"':
                j = i + 1
                while j < n and text[j] != '"':
                    j += 2 if text[j] == "\\" else 1
                cur_code.append('""')
                for _ in range(text.count("\n", i, j)):
                    newline()
                i = j + 1
            elif c == "'":
                m = CHAR.match(text, i)
                if m:
                    cur_code.append("' '")
                    i = m.end()
                else:  # a lifetime or label
                    cur_code.append(c)
                    i += 1
            else:
                cur_code.append(c)
                i += 1
    newline()
    return code, comm


def is_abstraction(path):
    return any(path == a.rstrip("/") or path.startswith(a) for a in ABSTRACTION)


def sources(root):
    files = ["rust_shmem.rs"] if os.path.isfile(os.path.join(root, "rust_shmem.rs")) else []
    for d, dirs, names in os.walk(os.path.join(root, "src")):
        dirs.sort()
        for name in sorted(names):
            path = os.path.relpath(os.path.join(d, name), root)
            if name.endswith(".rs") and not SKIP.search(path):
                files.append(path)
    return files


def read_ceilings(path, errors):
    ceilings = {}
    if not os.path.exists(path):
        return ceilings
    for no, line in enumerate(open(path, encoding="utf-8"), 1):
        body, _, why = line.partition("#")
        if not body.strip():
            continue
        m = re.fullmatch(r"\s*(\S+):\s+(\w+)\s+(\d+)\s*", body)
        where = f"{os.path.relpath(path)}:{no}"
        if not m or m.group(2) not in KINDS:
            errors.append(f"{where}: not `path: kind count  # why` with kind {'/'.join(KINDS)}")
        elif not why.strip():
            errors.append(f"{where}: ceiling without a justification comment")
        elif (m.group(1), m.group(2)) in ceilings:
            errors.append(f"{where}: second ceiling for {m.group(1)} {m.group(2)}")
        else:
            ceilings[(m.group(1), m.group(2))] = (int(m.group(3)), where)
    return ceilings


def check_safety(path, code, comm, errors):
    for k, line in enumerate(code):
        for m in UNSAFE_NEEDS_SAFETY.finditer(line):
            if not has_safety(code, comm, k, m.start()):
                what = "unsafe impl" if m.group(1) == "impl" else "unsafe block"
                errors.append(f"{path}:{k + 1}: {what} without a `// SAFETY:` comment above it")


def has_safety(code, comm, k, col):
    """Whether a SAFETY comment covers the unsafe at line k, column col."""
    if re.search(r"\bunsafe\s*\{", code[k][:col]):
        return False  # an earlier unsafe block on this line owns any comment above
    code_lines = 0
    for j in range(k - 1, -1, -1):
        if "SAFETY:" in comm[j]:
            return True
        if code[j].strip():
            # Another unsafe block, or the end of an earlier statement: the comment is not ours.
            if UNSAFE_NEEDS_SAFETY.search(code[j]) or STATEMENT_END.search(code[j]):
                return False
            code_lines += 1
            if code_lines > SAFETY_CODE:
                return False
        elif not comm[j].strip():
            return False  # a blank line ends the search
    return False


def struct_body(code, k):
    """The text of the struct declared on line k, up to its closing `}` or `;`."""
    text, depth = "", 0
    for line in code[k:]:
        for c in line:
            text += c
            if c in "{(":
                depth += 1
            elif c in "})":
                depth -= 1
                if depth == 0 and c == "}":
                    return text
            elif c == ";" and depth == 0:
                return text
        text += "\n"
    return text


def check_invariants(path, code, comm, errors):
    for k, line in enumerate(code):
        m = STRUCT.match(line)
        if not m or not RAW_FIELD.search(struct_body(code, k)):
            continue
        docs = []  # the doc comment above, through attributes and plain comments
        for j in range(k - 1, -1, -1):
            if code[j].strip() and not code[j].lstrip().startswith("#["):
                break
            if not code[j].strip() and not comm[j].strip():
                break
            docs.append(comm[j])
        if not any(re.match(r"\s*///\s*#\s*Invariants\b", d) for d in docs):
            errors.append(f"{path}:{k + 1}: struct {m.group(1)} holds a raw pointer but its doc "
                          "has no `# Invariants` section")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=os.path.dirname(here))
    ap.add_argument("--exceptions", default=None, help="default: ROOT/qemu/lint-exceptions")
    ap.add_argument("--counts", action="store_true", help="print today's counts as ceilings")
    args = ap.parse_args()
    exceptions = args.exceptions or os.path.join(args.root, "qemu", "lint-exceptions")

    errors, notes = [], []
    ceilings = read_ceilings(exceptions, errors)
    seen = set()
    for path in sources(args.root):
        text = open(os.path.join(args.root, path), encoding="utf-8").read()
        code, comm = split(text)
        check_safety(path, code, comm, errors)
        if is_abstraction(path):
            check_invariants(path, code, comm, errors)
            continue
        for kind, rx in KINDS.items():
            hits = [k for k, line in enumerate(code) for _ in rx.finditer(line)]
            ceiling, where = ceilings.get((path, kind), (0, None))
            seen.add((path, kind))
            if args.counts and hits:
                print(f"{path}: {kind} {len(hits)}")
            if len(hits) > ceiling:
                lines = ", ".join(str(k + 1) for k in hits[:12]) + (" ..." * (len(hits) > 12))
                errors.append(f"{path}:{hits[0] + 1}: {len(hits)} {kind} uses outside the "
                              f"abstraction layer, ceiling {ceiling} ({where or 'none set'}); "
                              f"lines {lines}")
            elif len(hits) < ceiling:
                notes.append(f"{where}: {path} has {len(hits)} {kind} uses, under its ceiling "
                             f"of {ceiling}: lower the ceiling")
    for key, (_, where) in ceilings.items():
        if key not in seen:
            errors.append(f"{where}: ceiling for {key[0]}, which is not a checked policy file")
    if args.counts:
        return 0
    for line in notes:
        print(f"note: {line}")
    for line in errors:
        print(line)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
