#!/usr/bin/python3
"""Checks the docs against the tree (scripts/test.sh runs it; standard-library Python):
- every relative link in README.md and docs/*.md names a file that exists and, with a #fragment,
  a heading of that file (GitHub's anchors), so a moved section or file breaks the test command;
- the module graph in docs/architecture.md ("## Modules") names, for every target of
  Package.swift, exactly the targets it depends on (`swift package dump-package`), so a module
  added or rewired without its line in the graph fails too.
Prints each problem and exits 1 when there is one."""
import json
import pathlib
import re
import subprocess
import sys
import tempfile

root = pathlib.Path(__file__).resolve().parent.parent
problems = []


def prose(text):
    """The text outside fenced code blocks."""
    return re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)


def anchors(text):
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, -1 -2 for repeats."""
    seen, out = {}, set()
    for heading in re.findall(r"^#{1,6} +(.+?) *$", prose(text), flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        out.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
        seen[slug] = seen.get(slug, 0) + 1
    return out


def check_links():
    pages = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)\s]+)\)", prose(text)):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:, file:
                continue
            path, _, fragment = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            where = f"{page.relative_to(root)}: ({target})"
            if not linked.exists():
                problems.append(f"{where}: no file {path}")
            elif fragment and linked.suffix == ".md" and fragment not in anchors(linked.read_text(encoding="utf-8")):
                problems.append(f"{where}: no heading #{fragment} in {linked.relative_to(root)}")


def documented_graph():
    text = (root / "docs/architecture.md").read_text(encoding="utf-8")
    section = text.split("\n## Modules\n", 1)[1]
    block = re.search(r"^```\n(.*?)^```", section, flags=re.S | re.M).group(1)
    entries, current = {}, None
    for line in block.splitlines():
        if not line.strip():
            continue
        if line[0].isspace():
            entries[current] += " " + line.strip()
        else:
            current, _, rest = line.partition(" ")
            entries[current] = rest
    return entries


def check_graph():
    # A scratch path of its own: reading the manifest never waits for a build's lock on .build.
    with tempfile.TemporaryDirectory() as scratch:
        dump = subprocess.run(
            ["swift", "package", "--scratch-path", scratch, "dump-package"],
            cwd=root, capture_output=True, text=True, check=True,
        ).stdout
    targets = {t["name"]: t for t in json.loads(dump)["targets"] if t["type"] != "test"}
    documented = documented_graph()
    for name, target in targets.items():
        actual = {
            value[0] for dependency in target["dependencies"] for kind, value in dependency.items()
            if kind in ("byName", "target") and value[0] in targets
        }
        if name not in documented:
            # A C shim or system library with nothing under it needs no line of its own.
            if actual or target["type"] not in ("system", "regular") or not name.startswith("C"):
                problems.append(f"docs/architecture.md: no line for the target {name} (depends on {sorted(actual)})")
            continue
        line = documented[name]
        arrow = line.split("->", 1)[1] if "->" in line else ""
        # Target names after the arrow; external products [in brackets] and (notes) do not count.
        named = set(re.findall(r"[A-Za-z][\w-]*", re.sub(r"\[[^\]]*\]|\([^)]*\)", "", arrow))) & set(targets)
        if named != actual:
            problems.append(
                f"docs/architecture.md: {name} is drawn depending on {sorted(named)}, Package.swift says {sorted(actual)}"
            )
    for name in documented:
        if name not in targets:
            problems.append(f"docs/architecture.md: {name} is drawn but is no target of Package.swift")


check_links()
check_graph()
for problem in problems:
    print(problem)
if problems:
    sys.exit(f"{len(problems)} problem(s) in the docs")
print("docs: links and the module graph match the tree")
