#!/usr/bin/env python3
"""The guide's size rules: no Rust function over 80 lines (tests included), no file over 400.

Usage: .ci/sizes.py [DIR_OR_FILE ...] (default: crates src tests). Prints every function and file
over its limit, then the longest of each, and exits 1 when any is over. A function is counted from
its `fn` line to the line of its closing brace, found by matching braces outside strings, raw
strings, characters and comments.
"""

import os
import re
import sys

FN_LIMIT = 80
FILE_LIMIT = 400
FN = re.compile(r"fn\s+(\w+)")
RAW_STRING = re.compile(r"b?r(#*)\"")
CHAR = re.compile(r"b?'(\\u\{[0-9a-fA-F]+\}|\\x[0-9a-fA-F]{2}|\\.|[^\\'])'")


def starts_word(text, i):
    return i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")


def skip_literal(text, i):
    """The index after a comment, string or character literal starting at `i`, else None."""
    if text.startswith("//", i):
        end = text.find("\n", i)
        return len(text) if end < 0 else end
    if text.startswith("/*", i):
        return text.find("*/", i + 2) + 2
    if not starts_word(text, i):
        return None
    raw = RAW_STRING.match(text, i)
    if raw:
        close = '"' + raw.group(1)
        return text.find(close, raw.end()) + len(close)
    if text.startswith('"', i) or text.startswith('b"', i):
        j = text.index('"', i) + 1
        while text[j] != '"':
            j += 2 if text[j] == "\\" else 1
        return j + 1
    char = CHAR.match(text, i)
    return char.end() if char else None


def functions(text):
    """(name, first line, last line) of every function with a body in `text`."""
    found, stack, pending, depth, i = [], [], None, 0, 0
    while i < len(text):
        end = skip_literal(text, i)
        if end is not None:
            i = end
            continue
        c = text[i]
        named = FN.match(text, i) if starts_word(text, i) else None
        if named:
            pending, depth = (named.group(1), text.count("\n", 0, i) + 1), 0
            i = named.end()
            continue
        if c in "([" and pending:
            depth += 1
        elif c in ")]" and pending:
            depth -= 1
        elif c == ";" and pending and depth == 0:
            pending = None  # a declaration without a body
        elif c == "{":
            stack.append(pending)
            pending = None
        elif c == "}":
            top = stack.pop()
            if top:
                found.append((top[0], top[1], text.count("\n", 0, i) + 1))
        i += 1
    return found


def rust_files(roots):
    for root in roots:
        if os.path.isfile(root):
            yield root
            continue
        for directory, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if d not in ("target", ".git")]
            for name in sorted(names):
                if name.endswith(".rs"):
                    yield os.path.join(directory, name)


def main():
    fns, files = [], []
    for path in rust_files(sys.argv[1:] or ["crates", "src", "tests"]):
        with open(path, encoding="utf-8") as file:
            text = file.read()
        files.append((text.count("\n"), path))
        fns += [(last - first + 1, f"{path}:{first} {name}") for name, first, last in functions(text)]
    over = 0
    for kind, sizes, limit in (("fn", fns, FN_LIMIT), ("file", files, FILE_LIMIT)):
        sizes.sort(reverse=True)
        for lines, where in sizes:
            if lines > limit:
                print(f"{kind} over {limit} lines: {lines} {where}")
                over += 1
        if sizes:
            print(f"longest {kind}: {sizes[0][0]} lines, {sizes[0][1]}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
