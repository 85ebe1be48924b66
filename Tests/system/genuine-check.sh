#!/usr/bin/env bash
# The counter's IC-chip check end to end (reference 13): pcscd + jpki-sim (signed with its own CVC
# hierarchy, test-style ids) behind vpcd + jpkid (PC/SC mode, configured with that hierarchy's
# CA keys) + jpkictl, one card per verdict. Prints the APDUs and milliseconds per check.
#   scripts/pcsc-harness.sh run -- Tests/system/genuine-check.sh
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"
cvc=$work/cvc
pin_b=02010220355678        # 照合番号B of the default holder (born 1990-01-02, 平成2年)
parts='1990-01-02\n2035\n5678\n'   # the same, as jpkictl asks for it

insert() { # scenario: a fresh card of that scenario, signed with the hierarchy in $cvc
    "$harness" sim-stop "$dir" >/dev/null 2>&1
    wait_gone || return 1
    rm -f "$JPKI_SIM_STATE"
    "$harness" sim-start "$dir" --scenario "$1" --cvc-hierarchy "$cvc" >/dev/null || return 1
}
apdus_since() { # mark what expected
    local got
    got=$(trace_query "$1" "$2")
    [ "$got" -eq "$3" ] || { echo "$2 since the mark: $got, expected $3"; return 1; }
}
verdict_is() { # expected verdict of one check with PIN B through the API
    local got
    got=$(api POST /v1/card/card-face/check "{\"pinB\":\"$pin_b\",\"cardId\":\"$(card_id)\"}" | /usr/bin/python3 -c '
import json, sys
lines = sys.stdin.read().rstrip("\n").rsplit("\n", 1)
print(json.loads(lines[0])["verdict"] if lines[1] == "200" else "status " + lines[1] + " " + lines[0])')
    [ "$got" = "$1" ] || { echo "verdict: $got, expected $1"; return 1; }
}

check "the simulator makes its hierarchy and the key files for jpkid" insert default
check "... two CA key files with test-style ids" sh -c "ls '$cvc/keys' | grep -c json | grep -qx 2"
printf '{"cvcKeys": "%s", "cvcTestKeyIds": ["6000023/001", "6000033/001"]}\n' "$cvc/keys" >"$work/jpkid.json"
start_jpkid --config "$work/jpkid.json"
check "jpkid sees the card" wait_ready

mark=$(trace_mark)
check "default card: genuine" verdict_is genuine
figure "card-face check: $(trace_query "$mark" all) APDUs: $(/usr/bin/python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()[int(sys.argv[2]):]
print(", ".join(json.loads(l)["command"][:11] for l in lines if l.strip()))' "$trace" "$mark")"
check "... one VERIFY with the code" apdus_since "$mark" pin-verifies 1
times=()
id=$(card_id)
for _ in 1 2 3 4 5; do
    start=$(date +%s%N)
    api POST /v1/card/card-face/check "{\"pinB\":\"$pin_b\",\"cardId\":\"$id\"}" >/dev/null
    times+=($((($(date +%s%N) - start) / 1000000)))
done
figure "card-face check: median $(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p) ms of 5 (curl included; runs: ${times[*]})"
check "jpkictl check-card: genuine exits 0 and prints the steps" \
    sh -c "out=\$(printf '$parts' | '$ctl' check-card) || exit 1; echo \"\$out\"
        echo \"\$out\" | grep -q '^verdict: *genuine' && echo \"\$out\" | grep -q 'card-face-challenge: passed'"
mark=$(trace_mark)
check "a mistyped code (month 13) costs no try: refused before any APDU (exit 8)" \
    exits 8 sh -c "printf '1990-13-02\n2035\n5678\n' | '$ctl' check-card"
check "... nor does a security code of 3 digits" exits 8 sh -c "printf '1990-01-02\n2035\n567\n' | '$ctl' check-card"
check "... nothing reached the card" apdus_since "$mark" all 0

mark=$(trace_mark)
check "jpkictl age-check: at least 20, genuine (exit 0), no birth date shown" \
    sh -c "out=\$(echo 1990-01-02 | '$ctl' age-check --minimum-age 20) || exit 1; echo \"\$out\"
        echo \"\$out\" | grep -q 'at least 20 on .*: yes' && ! echo \"\$out\" | grep -q 'birth date:'"
figure "age check: $(trace_query "$mark" all) APDUs"
check "jpkictl age-check: not yet 40 (exit 10)" exits 10 sh -c "echo 1990-01-02 | '$ctl' age-check --minimum-age 40"
check "jpkictl age-check --show-birth-date prints it" \
    sh -c "echo 1990-01-02 | '$ctl' age-check --minimum-age 20 --show-birth-date | grep -q 'birth date: 1990-01-02'"

for pair in forged-face:forged cloned-chip:forged unknown-issuer:unknown_issuer key-mismatch:key_mismatch; do
    scenario=${pair%%:*} want=${pair#*:}
    check "$scenario: inserted" insert "$scenario"
    check "$scenario: jpkid has read it" wait_ready
    check "$scenario: $want" verdict_is "$want"
done
check "jpkictl age-check on the key-mismatch card: no answer about the age (exit 9)" \
    exits 9 sh -c "echo 1990-01-02 | '$ctl' age-check --minimum-age 20"
check "jpkictl check-card exits 9 for a card that is not genuine" exits 9 sh -c "printf '$parts' | '$ctl' check-card"

check "the metrics count each verdict, with no personal label" sh -c "
    m=\$(curl -sS --unix-socket '$JPKID_SOCKET' http://jpkid/v1/metrics | grep '^jpkid_genuine_checks_total')
    echo \"\$m\"
    echo \"\$m\" | grep -q 'check=\"card-face\",verdict=\"forged\"} 2' && ! echo \"\$m\" | grep -Eq '1990|花子'"
check "no code and no personal data in the daemon's log" sh -c "! grep -E '$pin_b|5678|19900102|1990-01-02|020102|花子' '$work/jpkid.log'"

finish "genuine check end-to-end"
