#!/usr/bin/env python3
"""Checks udev rules syntax (keys, operators, quoting, GOTO labels) and that every reader of
the reference's table is covered. Prints 'N passed, N failed'."""
import re
import sys

READERS = {  # reference section 10: readers that work with My Number cards (not the RC-S380)
    "Sony RC-S300/S": ("054c", "0dc8"), "Sony RC-S300/P": ("054c", "0dc9"),
    "Sony RC-S660/U": ("054c", "0d8f"), "ACS ACR1251": ("072f", "221a"),
    "ACS ACR1252": ("072f", "223b"), "ACS ACR1255U-J1 (223e)": ("072f", "223e"),
    "ACS ACR1255U-J1 (223f)": ("072f", "223f"),
}
NOT_SUPPORTED = [("054c", "06c1"), ("054c", "06c3")]  # RC-S380: no PC/SC driver
KEYS = r"(ACTION|SUBSYSTEM|SUBSYSTEMS|DEVTYPE|DRIVER|DRIVERS|KERNEL|TEST|TAG|GOTO|LABEL|RUN|MODE|GROUP|OWNER|" \
       r"ENV\{[A-Za-z_]+\}|ATTR\{[A-Za-z_/]+\}|ATTRS\{[A-Za-z_/]+\})"
ITEM = re.compile(r'^\s*' + KEYS + r'\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"\s*$')

path = sys.argv[1]
passed = failed = 0
def check(ok, what):
    global passed, failed
    print(("ok   " if ok else "FAIL ") + what)
    passed += ok
    failed += not ok

lines = [l.rstrip("\n") for l in open(path, encoding="utf-8")]
labels, gotos, covered, bad = set(), set(), set(), []
for number, line in enumerate(lines, 1):
    if not line.strip() or line.lstrip().startswith("#"):
        continue
    items = [i for i in line.split(",")]
    vendor = product = None
    for item in items:
        m = ITEM.match(item)
        if not m:
            bad.append(f"{number}: {item.strip()}")
            continue
        key, op, value = m.groups()
        if key == "LABEL": labels.add(value)
        if key == "GOTO": gotos.add(value)
        if key == "ATTR{idVendor}" and op == "==": vendor = value
        if key == "ATTR{idProduct}" and op == "==": product = value
        if key in ("MODE", "GROUP", "OWNER") or (key == "RUN"):
            bad.append(f"{number}: {key} would fight libccid/pcscd")
    if vendor and product:
        covered.add((vendor, product))
check(not bad, "every item is KEY OP \"value\" with a known key and operator" + ("".join("\n     " + b for b in bad)))
check(gotos <= labels, "every GOTO has its LABEL")
check(any('ATTR{power/control}="on"' in l for l in lines), "USB autosuspend is turned off")
check(any('ENV{SYSTEMD_WANTS}+="jpkid.service"' in l for l in lines) and any('TAG+="systemd"' in l for l in lines),
      "plugging a reader in wants jpkid.service")
for name, ids in READERS.items():
    check(ids in covered, f"covers {name} {ids[0]}:{ids[1]}")
check(not any(ids in covered for ids in NOT_SUPPORTED), "does not list the RC-S380 (no PC/SC driver)")
print(f"udev rules: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
