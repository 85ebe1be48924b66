#!/usr/bin/env bash
# End to end: pcscd + jpki-sim behind vpcd + jpkid (PC/SC mode) + jpkictl. Run inside
# `scripts/pcsc-harness.sh run` (default scenario; the card is inserted).
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"
watch_pid=""

start_jpkid
"$ctl" watch --json >"$work/events.jsonl" 2>"$work/watch.log" &
watch_pid=$!
background_pids+=("$watch_pid")

check "jpkid sees the inserted card through pcscd" wait_ready
check "a malformed --reader is refused before any request (exit 64)" \
    exits 64 sh -c "'$ctl' status --reader '../readers/x' 2>/dev/null"
check "status: every PIN full" sh -c "'$ctl' pin status | grep -q '^auth  *3/3' && '$ctl' pin status | grep -q '^sign  *5/5'"
check "status: the auth certificate and its renewal window" \
    sh -c "'$ctl' status | grep -Eq 'cert auth +expires [0-9]{4}-[0-9]{2}-[0-9]{2} .*renewable from'"
check "a wrong PIN exits 5" exits 5 sh -c "echo 9999 | '$ctl' pin verify auth"
check "the count went down to 2/3" pin_is auth 2/3
check "the right PIN exits 0" exits 0 sh -c "echo 1234 | '$ctl' pin verify auth"
check "the count is restored to 3/3" pin_is auth 3/3
check "a malformed PIN exits 8 and costs nothing" exits 8 sh -c "echo 12345 | '$ctl' pin verify auth"
check "... the count is still 3/3" pin_is auth 3/3
echo 0000 | "$ctl" pin verify juki >/dev/null 2>&1
echo 0000 | "$ctl" pin verify juki >/dev/null 2>&1
check "the final try is refused without confirmation (exit 7)" exits 7 sh -c "echo 0000 | '$ctl' pin verify juki"
check "with confirmation the PIN blocks (exit 6)" \
    exits 6 sh -c "echo 0000 | '$ctl' pin verify juki --confirm-final-attempt"
check "status shows the JUKI PIN blocked" pin_is juki BLOCKED
check "status exits 10 when a PIN is blocked" exits 10 "$ctl" status
check "diagnose (ja) says where to reset it" \
    sh -c "LANG=ja_JP.UTF-8 '$ctl' diagnose | grep -q 'ロックされています'"
check "diagnose (en) too" sh -c "LANG=C '$ctl' diagnose | grep -q 'is blocked'"

printf 'kiosk login challenge' >"$work/data"
check "jpkictl sign with the auth key" \
    sh -c "echo 1234 | '$ctl' sign --key auth --input '$work/data' --output '$work/sig' --certificate-output '$work/cert.pem'"
check "the signature verifies with openssl" sh -c "openssl x509 -in '$work/cert.pem' -pubkey -noout >'$work/pub.pem' \
    && openssl dgst -sha256 -verify '$work/pub.pem' -signature '$work/sig' '$work/data'"
check "cert export auth equals the simulator's certificate" \
    sh -c "'$ctl' cert export auth --der --output '$work/auth.der' && \
        '$bin/jpki-sim' --state '$dir/card.json' --export-certificate auth | openssl x509 -outform DER | cmp - '$work/auth.der'"

# Pull the card in the middle of a read: a fresh insertion, read and settled, is armed to be
# pulled at the 8th APDU from now; the refreshed read below needs 11.
"$harness" sim-stop "$dir"
wait_gone
"$harness" sim-start "$dir" --remove-on-signal 7 --reinsert-after-ms 1500
wait_ready >/dev/null
reader=$(reader_id)
"$harness" sim-pull "$dir"
check "a card pulled mid-read fails the read with card_removed (exit 4)" \
    sh -c "out=\$('$ctl' status --reader '$reader' --refresh 2>&1); rc=\$?; echo \"\$out\"
        [ \$rc -eq 4 ] && echo \"\$out\" | grep -q card_removed"
check "... pulled by the armed fault, once" \
    sh -c "cat '$dir/jpki-sim.log'; grep -c 'card removed (removal injected by fault)' '$dir/jpki-sim.log' | grep -qx 1"
check "the card comes back and reads cleanly" wait_ready

# Restart pcscd under the daemon.
"$harness" sim-stop "$dir"
"$harness" pcscd-stop "$dir"
check "health shows PC/SC unavailable" sh -c "for i in \$(seq 100); do '$ctl' health | grep -q 'PC/SC unavailable' && exit 0; sleep 0.1; done; exit 1"
"$harness" pcscd-start "$dir"
"$harness" sim-start "$dir"
check "after pcscd restarts the card is ready again (no jpkid restart)" wait_ready
check "health shows PC/SC connected" sh -c "'$ctl' health | grep -q 'PC/SC connected'"

kill "$watch_pid" 2>/dev/null; wait "$watch_pid" 2>/dev/null
check "events: inserted, ready, failed, verified, blocked, removed, pcsc outage and return" sh -c "
    for type in card-inserted card-ready pin-failed pin-verified pin-blocked card-removed pcsc-unavailable pcsc-restored; do
        grep -q \"\\\"type\\\":\\\"\$type\\\"\" '$work/events.jsonl' || { echo missing \$type; exit 1; }
    done"
check "every card and PIN event carries the cardId of its insertion" /usr/bin/python3 -c "
import json, sys
events = [json.loads(l) for l in open('$work/events.jsonl') if l.strip()]
bad = [e for e in events if e['type'].startswith(('card-', 'pin-')) and len(e.get('cardId', '')) != 24]
print(bad); sys.exit(1 if bad or not events else 0)"
check "no PIN and no personal data in the daemon's log or the event stream" sh -c "
    ! grep -E '1234|9999|0000|12345|ABC123|花子|霞が関|1990' '$work/jpkid.log' '$work/events.jsonl'"
kill -TERM "$jpkid_pid"
check "SIGTERM stops jpkid and removes its socket" sh -c "
    for i in \$(seq 50); do kill -0 $jpkid_pid 2>/dev/null || break; sleep 0.1; done
    ! kill -0 $jpkid_pid 2>/dev/null && [ ! -e '$JPKID_SOCKET' ]"
jpkid_pid=""

finish "jpkid end-to-end"
