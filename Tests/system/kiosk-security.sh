#!/usr/bin/env bash
# Through the real pcscd: another local PC/SC client never finds the card verified, the
# final-try guard cannot be raced, a PIN reaches only the card it was meant for and only while
# its client waits, a reset by another client is normal, and the APDU budgets hold. Run inside
# `scripts/pcsc-harness.sh run` (default scenario; the card is inserted).
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"
export -f trace_query api
export trace

restart_sim() { # jpki-sim options: the same card (state file), other faults
    "$harness" sim-stop "$dir"
    wait_gone
    "$harness" sim-start "$dir" "$@"
    wait_ready
}

start_jpkid
check "jpkid sees the card" wait_ready

# --- The attack: a second client waits in SCardBeginTransaction while jpkid works -------------
check "control: after a leaky client's VERIFY (SCARD_LEAVE_CARD) the attack signs without a PIN" bash -c "
    $pcsc_client leak --pin 1234 >'$work/leak.json' && $pcsc_client attack --min-tries 1 | tee '$work/control.json'
    grep -q '\"signatures\": 1' '$work/control.json'"

# jpkid verifies and signs over and over (each APDU slowed by 5 ms, so every operation holds the
# card for a while); the attacker loops meanwhile, at least 200 tries.
attack_during() { # label, then the jpkictl arguments jpkid runs in a loop
    local label=$1; shift
    rm -f "$work/stop" "$work/progress"
    $pcsc_client attack --min-tries 200 --pause-ms 20 --stop-file "$work/stop" --progress "$work/progress" \
        >"$work/attack-$label.json" 2>&1 &
    local attacker=$!
    background_pids+=("$attacker")
    local ops=0 tries waited
    # Until the attacker has tried 200 times and found jpkid's transaction in its way at least 10
    # times (how often depends on how fast each side runs on a loaded machine), at most 1000 times.
    while [ "$ops" -lt 1000 ]; do
        echo "${PIN:-1234}" | "$ctl" "$@" >/dev/null 2>&1
        ops=$((ops + 1))
        # The line has no newline: read sets the fields and still answers 1.
        tries=0 waited=0
        read -r tries waited 2>/dev/null <"$work/progress" || :
        [ "${tries:-0}" -ge 200 ] && [ "${waited:-0}" -ge 10 ] && [ "$ops" -ge 20 ] && break
        kill -0 "$attacker" 2>/dev/null || break  # it gave up (its own deadline)
    done
    touch "$work/stop"
    wait "$attacker"
    echo "jpkid operations: $ops" >>"$work/attack-$label.json"
}
attack_verdict() { # label: zero signatures and zero verified failures, 200+ tries, many of them waiting
    /usr/bin/python3 - "$work/attack-$1.json" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
print("\n".join(lines))
result = json.loads(lines[0])
ok = result["tries"] >= 200 and result["signatures"] == 0 and result["verified_failures"] == 0 and result["waited"] >= 10
sys.exit(0 if ok else 1)
PY
}
restart_sim --delay-ms 5 >/dev/null
attack_during verify pin verify auth
check "attack while jpkid verifies: 200+ tries, zero signatures" attack_verdict verify
figure "$(head -2 "$work/attack-verify.json" | tr '\n' ' ')"
attack_during sign sign --key auth --input /etc/hostname --output /dev/null
check "attack while jpkid signs: 200+ tries, zero signatures" attack_verdict sign
figure "$(head -2 "$work/attack-sign.json" | tr '\n' ' ')"
restart_sim --delay-ms 5 --fail-authorised-signatures >/dev/null
attack_during halfway sign --key auth --input /etc/hostname --output /dev/null
check "attack while jpkid's signing fails after its VERIFY: 200+ tries, nothing verified found" \
    attack_verdict halfway
figure "$(head -2 "$work/attack-halfway.json" | tr '\n' ' ')"
check "... every one of those jpkid operations failed halfway (card_error)" \
    bash -c "echo 1234 | '$ctl' sign --key auth --input /etc/hostname --output /dev/null 2>&1 | grep -q card_error"

# --- The final-try guard and its VERIFY are one transaction ----------------------------------
restart_sim >/dev/null
echo 9999 | "$ctl" pin verify card-text >/dev/null 2>&1
check "card-text PIN at 2/3" pin_is card-text 2/3
restart_sim --delay-ms 100 >/dev/null
rm -f "$work/trigger" "$work/spender-ready"
$pcsc_client spend --aid D3921000310001010408 --fid 0011 --pin 9999 --trigger-file "$work/trigger" \
    --ready-file "$work/spender-ready" >"$work/spend.json" 2>&1 &
spender=$!
background_pids+=("$spender")
wait_file "$work/spender-ready" >/dev/null
mark=$(trace_mark)
(echo 0000 | "$ctl" pin verify card-text >"$work/race.out" 2>&1; echo $? >"$work/race.rc") &
# The moment jpkid's guard has read the counter, the other client asks for the card.
for _ in $(seq 200); do [ "$(trace_query "$mark" empty-verifies)" -ge 1 ] && break; sleep 0.02; done
touch "$work/trigger"
wait "$spender"
wait_file "$work/race.rc" >/dev/null
check "jpkid's VERIFY found the count its guard read: wrong PIN, 1 left (not blocked, exit 5)" \
    bash -c "cat '$work/race.out'; [ \"\$(cat '$work/race.rc')\" = 5 ] && grep -q '1 of 3' '$work/race.out'"
check "... the other client waited for jpkid's transaction, then spent the last try" \
    bash -c "cat '$work/spend.json'; grep -q '\"verify\": \"63C0\"' '$work/spend.json'"
figure "other client: $(cat "$work/spend.json")"
check "... the card saw jpkid's VERIFY (63 C1) before the other client's (63 C0)" \
    bash -c "[ \"\$(trace_query $mark pin-verify-sws)\" = '63C1 63C0' ]"

# --- A client that gives up spends no try ----------------------------------------------------
restart_sim >/dev/null
reader=$(reader_id)
cid=$(card_id)
rm -f "$work/held" "$work/release"
$pcsc_client hold --ready-file "$work/held" --release-file "$work/release" >/dev/null 2>&1 &
holder=$!
background_pids+=("$holder")
wait_file "$work/held" >/dev/null
mark=$(trace_mark)
check "a verify that waits for a card another client holds times out at the client (curl exit 28)" \
    exits 28 curl -sS --max-time 1 --unix-socket "$JPKID_SOCKET" -X POST -H 'Content-Type: application/json' \
    -d "{\"pin\":\"9999\",\"cardId\":\"$cid\"}" "http://jpkid/v1/readers/$reader/pins/auth/verify"
touch "$work/release"
wait "$holder"
# The next verify queues behind the abandoned one, so when it answers that one has finished.
check "... the next verify goes through" exits 0 bash -c "echo 1234 | '$ctl' pin verify auth"
check "... and the abandoned PIN never reached the card (only the right one did)" \
    bash -c "[ \"\$(trace_query $mark pin-verify-sws)\" = 9000 ]"

# --- A reset by another client is normal ------------------------------------------------------
$pcsc_client reset >/dev/null
check "after another client reset the card, verify works (no card_reset)" \
    exits 0 bash -c "echo 1234 | '$ctl' pin verify auth"
$pcsc_client reset >/dev/null
check "... and so does a refresh" bash -c "'$ctl' status --refresh | grep -q '\[ready\]'"

# --- APDU budgets, counted on the simulator's trace ------------------------------------------
mark=$(trace_mark)
"$ctl" status --reader "$reader" --refresh >/dev/null 2>&1
check "full card summary in at most 19 APDUs (extended length; 11 + 5 for the PIN A/B counters + 3 for the JUKI AP PIN and the birth-date key)" \
    bash -c "[ \$(trace_query $mark all) -le 19 ]"
figure "summary: $(trace_query "$mark" all) APDUs"
mark=$(trace_mark)
echo 1234 | "$ctl" pin verify auth >/dev/null 2>&1
check "verify a PIN (auth: the selection check, no readable file) in at most 5 APDUs" bash -c "[ \$(trace_query $mark all) -le 5 ]"
figure "verify: $(trace_query "$mark" all) APDUs"
mark=$(trace_mark)
echo 1234 | "$ctl" sign --key auth --input /etc/hostname --output /dev/null >/dev/null 2>&1
check "sign with the auth key in at most 7 APDUs (with the check after the power cycle)" bash -c "[ \$(trace_query $mark all) -le 7 ]"
figure "sign (auth): $(trace_query "$mark" all) APDUs"

# --- A PIN reaches only the card it was meant for ---------------------------------------------
cid_a=$(card_id)
"$harness" sim-stop "$dir"
wait_gone
mv "$JPKI_SIM_STATE" "$dir/card-a.json"
"$harness" sim-start "$dir" --scenario auth-final-try
wait_ready >/dev/null
mark=$(trace_mark)
check "card B gets a new cardId" bash -c "[ \"\$(card_id)\" != '$cid_a' ]"
check "a POST with card A's cardId is refused: 409 card_changed" bash -c "
    out=\$(api POST /v1/readers/$reader/pins/auth/verify '{\"pin\":\"9999\",\"cardId\":\"$cid_a\"}'); echo \"\$out\"
    [ \"\$(echo \"\$out\" | tail -1)\" = 409 ] && echo \"\$out\" | grep -q card_changed"
check "jpkictl with A's --card-id exits 4" \
    exits 4 bash -c "echo 9999 | '$ctl' pin verify auth --card-id $cid_a"
check "... nothing reached card B: no VERIFY, its auth PIN still on its last try" \
    bash -c "[ \"\$(trace_query $mark pin-verifies)\" = 0 ] && \
        '$bin/jpki-sim' --state '$JPKI_SIM_STATE' --dump | grep -q '\"0018\": {\"remaining\": 1'"
# B's trace (now in the same file) and A's saved state stay apart: put A back for the next script.
"$harness" sim-stop "$dir"
mv "$dir/card-a.json" "$JPKI_SIM_STATE"

check "no PIN in the daemon's log" bash -c "! grep -E '1234|9999|0000' '$work/jpkid.log'"
finish "kiosk security"
