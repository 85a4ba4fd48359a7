#!/usr/bin/env python3
"""Prints a block of the project README as printed, so the install tests run exactly that.

  quickstart.py LANG          the first ```LANG block of the README's "## Quickstart" section
  quickstart.py --toml        the first ```toml block of its "## Install" section

Exits 1 (naming what is missing) when there is no such block.
"""
import os
import re
import sys

README = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                      "README.md")


def section(text, title):
    m = re.search(r"^## %s\s*$(.*?)(?=^## |\Z)" % re.escape(title), text, re.M | re.S)
    return m.group(1) if m else None


def block(text, lang):
    m = re.search(r"^```%s\s*\n(.*?)^```\s*$" % re.escape(lang), text, re.M | re.S)
    return m.group(1) if m else None


def main(argv):
    if len(argv) != 1:
        sys.exit(__doc__)
    text = open(README, encoding="utf-8").read()
    title, lang = ("Install", "toml") if argv[0] == "--toml" else ("Quickstart", argv[0])
    body = section(text, title)
    found = block(body, lang) if body is not None else None
    if found is None:
        print("README.md has no ```%s block in its '## %s' section" % (lang, title), file=sys.stderr)
        return 1
    sys.stdout.write(found)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
