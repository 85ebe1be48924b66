#!/usr/bin/env bash
# Text from a card or from jpkid cannot act on the staff's terminal. A simulated
# card whose name and address hold escape sequences (clear screen, window title, a carriage return
# and a line break before a fake "PIN OK", a C1 CSI, bidi overrides): jpkictl prints them escaped
# (\uXXXX) in its tables and messages, and `--json` stays valid JSON with the same text. jpki-verify
# escapes what it prints too. Run inside `scripts/pcsc-harness.sh run`.
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"

# The hostile holder, as JSON escapes (the scenario file is plain ASCII).
name='\u001b]0;owned\u0007\u001b[2J\u202eＡ花子\r\nPIN OK\u2066x\u2069'
address='\u009b31m東京都\u202d千代田区\u001b[1A'
cat >"$work/hostile.json" <<JSON
{"name": "hostile", "holder": {"name": "$name", "address": "$address", "birthDate": "1990-01-02",
 "sex": "2", "myNumber": "123456789018"}}
JSON
"$harness" sim-stop "$dir"
rm -f "$JPKI_SIM_STATE"
"$harness" sim-start "$dir" --config "$work/hostile.json" >/dev/null
start_jpkid
check "jpkid sees the hostile card" wait_ready

# No byte of a control (C0 but the line feed, DEL, C1 as UTF-8) or a bidi control in a file.
raw_controls() { # file: prints what it finds, fails if anything
    /usr/bin/python3 - "$1" <<'PY'
import sys
text = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
bad = sorted({f"U+{ord(c):04X}" for c in text if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F
              or 0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069})
print("raw controls:", bad or "none")
sys.exit(1 if bad else 0)
PY
}
echo 1234 | "$ctl" card-text >"$work/table.out" 2>"$work/table.err"
check "card-text (table): exits 0" [ $? -eq 0 ]
check "... no raw control or bidi character reaches the terminal" raw_controls "$work/table.out"
check "... the name is shown escaped, on its own line (no fake 'PIN OK' line)" sh -c "
    cat '$work/table.out'
    grep -Fq 'name:       \\u001B]0;owned\\u0007\\u001B[2J\\u202EＡ花子\\u000D\\u000APIN OK\\u2066x\\u2069' '$work/table.out' &&
    ! grep -q '^PIN OK' '$work/table.out'"
check "... the address too" grep -Fq 'address:    \u009B31m東京都\u202D千代田区\u001B[1A' "$work/table.out"

echo 1234 | "$ctl" card-text --json >"$work/json.out"
check "card-text --json: no raw control or bidi character" raw_controls "$work/json.out"
check "... valid JSON whose name and address are the card's, character for character" \
    /usr/bin/python3 -c "
import json, sys
d = json.load(open('$work/json.out'))
want = json.load(open('$work/hostile.json'))['holder']
assert d['name'] == want['name'] and d['address'] == want['address'], (d, want)
print('names match')"

# A message from jpkid: the error it answers when the card is pulled is plain, but jpkid's
# messages that quote client text (an unknown field) come back through jpkictl's error path.
"$harness" sim-stop "$dir"
check "the card is pulled" wait_gone
echo 1234 | "$ctl" card-text >"$work/gone.out" 2>"$work/gone.err"
check "an error message from jpkid is printed safely" raw_controls "$work/gone.err"

# jpki-verify: a path given to it comes back in its error escaped.
bad_path=$(printf '%s/\033]0;owned\007\033[2J' "$work")
"$bin/jpki-verify" --signature "$bad_path" --input /etc/hostname --certificate /etc/hostname \
    >"$work/verify.out" 2>"$work/verify.err"
check "jpki-verify: an unreadable path with escape sequences is reported escaped" sh -c "
    cat '$work/verify.err'; grep -Fq '\\u001B]0;owned\\u0007' '$work/verify.err'"
check "... no raw control character" raw_controls "$work/verify.err"
finish "terminal safety"
