#!/usr/bin/env bash
# Through the real pcscd: every PIN session ends in a power cycle (vpcd control bytes 0
# then 1, never 2) that jpkid checks; a second PC/SC client finds nothing verified after any kind
# of PIN operation; a reader that keeps the card's state is found and refused; a card that
# answers 6F 00 after a power-up is read and verified. Run inside `scripts/pcsc-harness.sh run`.
#
# JPKID_BIN may name another jpkid (for example one built from an older commit): the script then
# prints the same figures for it ("before"); the checks that need the power cycle fail there.
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"
export -f trace_query api
export trace

controls=$work/controls.log
restart_sim() { # jpki-sim options: the same card (state file), with the power-control log
    "$harness" sim-stop "$dir"
    wait_gone
    : >"$controls"
    "$harness" sim-start "$dir" --control-log "$controls" "$@"
    wait_ready
}
controls_since() { tail -n +"$(($1 + 1))" "$controls" | tr '\n' ' '; }
data=$(printf 'power cycle test' | base64)

start_jpkid
check "jpkid sees the card" wait_ready
restart_sim >/dev/null
reader=$(reader_id)
cid=$(card_id)
r=/v1/readers/$reader

# One operation of every kind that sends a PIN, each followed by a second client that selects
# each application and tries everything a verified PIN opens.
operations=(
    "verify-auth|$r/pins/auth/verify|{\"pin\":\"1234\",\"cardId\":\"$cid\"}"
    "verify-sign|$r/pins/sign/verify|{\"pin\":\"ABC123\",\"cardId\":\"$cid\"}"
    "verify-card-text|$r/pins/card-text/verify|{\"pin\":\"1234\",\"cardId\":\"$cid\"}"
    "sign-auth|$r/sign|{\"key\":\"auth\",\"pin\":\"1234\",\"data\":\"$data\",\"cardId\":\"$cid\"}"
    "sign-sign|$r/sign|{\"key\":\"sign\",\"pin\":\"ABC123\",\"data\":\"$data\",\"cardId\":\"$cid\"}"
    "change-auth|$r/pins/auth/change|{\"pin\":\"1234\",\"newPin\":\"4321\",\"cardId\":\"$cid\"}"
    "change-back|$r/pins/auth/change|{\"pin\":\"4321\",\"newPin\":\"1234\",\"cardId\":\"$cid\"}"
    "card-text|$r/card-text|{\"pin\":\"1234\",\"cardId\":\"$cid\"}"
    "card-face|$r/card-face|{\"pinA\":\"123456789018\",\"cardId\":\"$cid\"}"
    "login|$r/authenticate|{\"pin\":\"1234\",\"cardId\":\"$cid\"}"
    "wrong-pin|$r/pins/auth/verify|{\"pin\":\"9999\",\"cardId\":\"$cid\"}"
)
pinless=0
failures=0
: >"$work/second-client.txt"
for entry in "${operations[@]}"; do
    IFS='|' read -r name path body <<<"$entry"
    mark=$(wc -l <"$controls")
    status=$(api POST "$path" "$body" | tail -1)
    case $name in card-text | verify-card-text) first=D3921000310001010408 ;; card-face) first=D3921000310001010402 ;; *) first=D392F000260100000001 ;; esac
    result=$($pcsc_client pinless --first-aid $first)
    found=$(echo "$result" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["pinless"])')
    pinless=$((pinless + found))
    echo "$name: HTTP $status, controls [$(controls_since "$mark")], second client $result" >>"$work/second-client.txt"
    case $name in wrong-pin) [ "$status" = 401 ] || failures=$((failures + 1)) ;; *) [ "$status" = 200 ] || failures=$((failures + 1)) ;; esac
done
check "every PIN operation answered as expected" bash -c "cat '$work/second-client.txt'; [ $failures = 0 ]"
check "after each of ${#operations[@]} PIN operations a second client found nothing verified" \
    bash -c "cat '$work/second-client.txt'; [ $pinless = 0 ]"
figure "PIN-less answers to a second client after ${#operations[@]} PIN operations: $pinless"
check "every session ended with a power cycle (control 0 then 1) and never a warm reset (2)" bash -c "
    cat '$work/second-client.txt'
    ! grep -q 'controls \[[^]]*2' '$work/second-client.txt' && [ \$(grep -c 'controls \[0 1' '$work/second-client.txt') = ${#operations[@]} ]"

# --- APDUs and time per verify and per sign ---------------------------------------------------
measure() { # name path body: APDUs (from the trace) and milliseconds (curl), median of 5
    local total=() apdus=0
    for _ in 1 2 3 4 5; do
        local mark
        mark=$(trace_mark)
        local ms
        ms=$(curl -sS -o /dev/null -w '%{time_total}' --unix-socket "$JPKID_SOCKET" -X POST \
            -H 'Content-Type: application/json' -d "$3" "http://jpkid$2" | awk '{ printf "%d", $1 * 1000 }')
        total+=("$ms")
        # Certificate reads are not counted (the PIN sessions' budgets leave them out): a READ BINARY that brought data.
        apdus=$(/usr/bin/python3 - "$trace" "$mark" <<'PY'
import json, sys
entries = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()[int(sys.argv[2]):] if l.strip()]
print(sum(1 for e in entries if not (e["ins"] == 0xB0 and e["responseLength"] > 3)))
PY
        )
    done
    echo "$1 $apdus $(printf '%s\n' "${total[@]}" | sort -n | sed -n 3p)"
}
measure verify-auth "$r/pins/auth/verify" "{\"pin\":\"1234\",\"cardId\":\"$cid\"}" >"$work/figures"
measure verify-sign "$r/pins/sign/verify" "{\"pin\":\"ABC123\",\"cardId\":\"$cid\"}" >>"$work/figures"
measure sign-auth "$r/sign" "{\"key\":\"auth\",\"pin\":\"1234\",\"data\":\"$data\",\"cardId\":\"$cid\"}" >>"$work/figures"
measure sign-sign "$r/sign" "{\"key\":\"sign\",\"pin\":\"ABC123\",\"data\":\"$data\",\"cardId\":\"$cid\"}" >>"$work/figures"
while read -r name apdus ms; do figure "$name: $apdus APDUs without certificate reads, $ms ms (median of 5)"; done <"$work/figures"
budget() { awk -v n="$1" -v max="$2" '$1 == n { exit ($2 <= max ? 0 : 1) }' "$work/figures"; }
check "verify (auth, no readable file) in at most 5 APDUs" budget verify-auth 5
check "verify (sign, with the security check) in at most 7 APDUs" budget verify-sign 7
check "sign with the auth key in at most 7 APDUs" budget sign-auth 7
check "sign with the sign key in at most 9 APDUs" budget sign-sign 9

# --- A reader that ignores power-down -------------------------------------------------------
restart_sim --reader-keeps-state >/dev/null
cid=$(card_id)
mark=$(wc -l <"$controls")
check "on a reader that keeps the card's state, the verify still answers the card's result, with readerUnsafe" \
    bash -c "out=\$(api POST $r/pins/auth/verify '{\"pin\":\"1234\",\"cardId\":\"$cid\"}'); echo \"\$out\"
        [ \"\$(echo \"\$out\" | tail -1)\" = 200 ] && echo \"\$out\" | grep -q '\"readerUnsafe\":true'"
# The reader ignores the power-down: jpkid selects another application (which clears the state of
# the one left) and still ends the transaction with a power-down, never "as it is".
unsafe_controls=$(controls_since "$mark")
result=$($pcsc_client pinless --first-aid D392F000260100000001)
check "... and a second client still finds nothing verified: $result" bash -c "
    echo '$result' | /usr/bin/python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)[\"pinless\"] == 0 else 1)'"
check "... the transaction ended with a power-down of its own after the checks: [$unsafe_controls]" bash -c "
    [ \$(echo '$unsafe_controls' | tr ' ' '\\n' | grep -c '^0\$') -ge 3 ]"
check "... the reader view carries the mark (its state unchanged)" bash -c "
    out=\$(api GET $r); echo \"\$out\"; echo \"\$out\" | grep -q '\"unsafe\":{' && echo \"\$out\" | grep -q '\"state\":\"ready\"'"
check "... diagnose names the reader" bash -c "'$ctl' diagnose --reader $reader | tee /dev/stderr | grep -q 'Virtual PCD 00 00.*does not power the card down'"
check "... the log says so" grep -q "reader does not power the card down" "$work/jpkid.log"
mark=$(trace_mark)
check "... the next PIN operation is refused with reader_unsafe (409) before any APDU" bash -c "
    out=\$(api POST $r/pins/sign/verify '{\"pin\":\"ABC123\",\"cardId\":\"$cid\"}'); echo \"\$out\"
    [ \"\$(echo \"\$out\" | tail -1)\" = 409 ] && echo \"\$out\" | grep -q reader_unsafe && [ \$(trace_query $mark all) = 0 ]"
check "... the metric shows it" bash -c "api GET /v1/metrics | grep -E '^jpkid_readers_unsafe 1'"
restart_sim >/dev/null
check "... and the mark outlasts the card: refused on the next card too, until the reader is unplugged" bash -c "
    out=\$(api POST $r/pins/auth/verify '{\"pin\":\"1234\",\"cardId\":\"$(card_id)\"}'); echo \"\$out\"; echo \"\$out\" | grep -q reader_unsafe"

# --- A card that answers 6F 00 after each power-up, beside which jpkid starts -----------------
kill "$jpkid_pid"; wait "$jpkid_pid" 2>/dev/null; jpkid_pid=""
"$harness" sim-stop "$dir"
: >"$controls"
"$harness" sim-start "$dir" --control-log "$controls" --power-up-6f00
# pcscd powers an idle card down after its grace period; jpkid's connect powers it up again.
check "pcscd powered the idle card down" bash -c "for _ in \$(seq 200); do grep -q '^0' '$controls' && exit 0; sleep 0.1; done; cat '$controls'; exit 1"
mark=$(trace_mark)
start_jpkid
check "jpkid started beside the idle card reads it: ready" wait_ready
check "... its first command met 6F 00 and was sent once more" bash -c "
    /usr/bin/python3 - '$trace' $mark <<'PY'
import json, sys
entries = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()[int(sys.argv[2]):] if l.strip()]
print(entries[:3])
sys.exit(0 if entries[0]['statusWord'] == 0x6F00 and entries[1]['command'] == entries[0]['command'] else 1)
PY"
check "... and verifies (the 6F 00 after its own power cycle is met by its check)" \
    exits 0 bash -c "echo 1234 | '$ctl' pin verify auth"
check "... without marking the reader unsafe" bash -c "! api GET /v1/readers | grep -q '\"unsafe\"'"

finish power-cycle
