#!/usr/bin/env python3
"""The README's artifact sizes table, from target/dist/ (made by release/build).

  sizes.py           print the table
  sizes.py --write   put it into README.md between <!-- sizes --> and <!-- /sizes -->
  sizes.py --check   exit 1 when the README names other artifacts, or a size off by more than
                     15% (sizes move a little with every change; a stale table does not pass)
"""
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIST = os.path.join(ROOT, "target", "dist")
README = os.path.join(ROOT, "README.md")
START, END = "<!-- sizes -->", "<!-- /sizes -->"
PATTERNS = ["python/*.whl", "npm/*.tgz", "goproxy/**/*.zip", "maven/**/*.jar", "nuget/*.nupkg",
            "crates/*.crate"]
# What each artifact holds, for the reader.
WHAT = [(".whl", "Python wheel (abi3, the native module inside)"),
        ("-linux-x64-gnu-", "npm platform package (the addon)"),
        (".tgz", "npm package (JS and types)"),
        (".zip", "Go module zip (the static archive inside)"),
        (".jar", "Maven jar (the native library inside)"),
        (".nupkg", "NuGet package (the native library inside)"),
        (".crate", "Rust crate (source)")]


def version():
    text = open(os.path.join(ROOT, "Cargo.toml")).read()
    return re.search(r'\[workspace\.package\][^\[]*?^version\s*=\s*"([^"]+)"', text, re.M | re.S).group(1)


def artifacts():
    v = version()
    found = []
    for pat in PATTERNS:
        for path in sorted(glob.glob(os.path.join(DIST, pat), recursive=True)):
            name = os.path.basename(path)
            if pat.startswith("goproxy/"):  # <module path>@v<version>.zip, as go names it
                rel = os.path.relpath(path, os.path.join(DIST, "goproxy"))
                name = rel.replace("/@v/", "@")
            name = name.replace(v, "<v>")
            found.append((name, os.path.getsize(path)))
    if not found:
        sys.exit("sizes.py: target/dist is empty: run release/build first")
    return found


def human(n):
    for unit in ("B", "KiB", "MiB"):
        if n < 1024 or unit == "MiB":
            return ("%d %s" % (n, unit)) if unit == "B" else ("%.1f %s" % (n, unit))
        n /= 1024.0


def parse_size(text):
    m = re.match(r"([\d.]+) (B|KiB|MiB)$", text.strip())
    return float(m.group(1)) * {"B": 1, "KiB": 1024, "MiB": 1024 * 1024}[m.group(2)] if m else None


def table():
    lines = ["| artifact | what | size |", "|---|---|---:|"]
    for name, size in artifacts():
        what = next(w for suffix, w in WHAT if suffix in name)
        lines.append("| `%s` | %s | %s |" % (name, what, human(size)))
    return "\n".join(lines) + "\n"


def readme_parts():
    text = open(README, encoding="utf-8").read()
    i, j = text.find(START), text.find(END)
    if i < 0 or j < i:
        sys.exit("sizes.py: README.md has no %s ... %s block" % (START, END))
    return text, i + len(START), j


def main(argv):
    if argv == ["--write"]:
        text, i, j = readme_parts()
        with open(README, "w", encoding="utf-8") as f:
            f.write(text[:i] + "\n" + table() + text[j:])
        return 0
    if argv == ["--check"]:
        text, i, j = readme_parts()
        shown = {}
        for m in re.finditer(r"^\| `([^`]+)` \| [^|]* \| ([^|]+) \|$", text[i:j], re.M):
            shown[m.group(1)] = parse_size(m.group(2))
        actual = dict(artifacts())
        bad = []
        if set(shown) != set(actual):
            bad.append("README names %s, target/dist has %s" % (sorted(shown), sorted(actual)))
        for name, size in actual.items():
            s = shown.get(name)
            if s is not None and abs(s - size) > 0.15 * size:
                bad.append("%s: README says %s, it is %s" % (name, human(s), human(size)))
        for b in bad:
            print("sizes.py: " + b, file=sys.stderr)
        if bad:
            print("sizes.py: run `sdk-tests/install/sizes.py --write` after release/build", file=sys.stderr)
        return 1 if bad else 0
    if argv:
        sys.exit(__doc__)
    sys.stdout.write(table())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
