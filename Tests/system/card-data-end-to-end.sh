#!/usr/bin/env bash
# Card data end to end: pcscd + jpki-sim behind vpcd + jpkid (PC/SC mode) + jpkictl.
# Run inside `scripts/pcsc-harness.sh run` (default scenario; the card is inserted):
#   scripts/pcsc-harness.sh run -- Tests/system/card-data-end-to-end.sh
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"
watch_pid=""

start_jpkid
"$ctl" watch --json >"$work/events.jsonl" 2>"$work/watch.log" &
watch_pid=$!
background_pids+=("$watch_pid")

check "jpkid sees the inserted card through pcscd" wait_ready
check "status lists the card-face PIN B counter (no maximum: the card does not report one)" \
    sh -c "'$ctl' pin status | grep -Eq '^card-face-b +5\$'"
check "card-text: the basic four attributes, no my number by default" \
    sh -c "out=\$(echo 1234 | '$ctl' card-text) || exit 1; echo \"\$out\"
        echo \"\$out\" | grep -q 'デジタル　花子' && echo \"\$out\" | grep -q '1990-01-02' \
        && ! echo \"\$out\" | grep -q 'my number'"
check "card-text --fields myNumber: masked" \
    sh -c "echo 1234 | '$ctl' card-text --fields myNumber | grep -qx 'my number:  \*\*\*\* \*\*\*\* 9018'"
check "card-text --show-my-number: the 12 digits" \
    sh -c "echo 1234 | '$ctl' card-text --fields myNumber,name --show-my-number | grep -q '123456789018'"
check "a wrong card-text PIN exits 5 and lowers its counter" \
    sh -c "echo 9999 | '$ctl' card-text; [ \$? -eq 5 ] && '$ctl' pin status | grep -Eq '^card-text +2/3'"
check "status lists both JUKI PINs, each naming its application" \
    sh -c "'$ctl' pin status | grep -Eq '^juki +3/3 +\(common card AP\)\$' \
        && '$ctl' pin status | grep -Eq '^juki-ap +3/3 +\(JUKI AP\)\$'"
check "card-text with 照合番号A opens only the my number: the default fields exit 8, no try spent" \
    sh -c "echo 123456789018 | '$ctl' card-text --with a; [ \$? -eq 8 ] && '$ctl' pin status | grep -Eq '^card-text-a +5\$'"
check "card-text with 照合番号A and --fields myNumber" \
    sh -c "echo 123456789018 | '$ctl' card-text --with a --fields myNumber | grep -qx 'my number:  \*\*\*\* \*\*\*\* 9018'"
check "card-text with 照合番号B's parts: the four attributes" \
    sh -c "printf '1990-01-02\n2035\n5678\n' | '$ctl' card-text --with b | grep -q 'デジタル　花子'"
check "card-face: a birth date that is no date exits 8 and spends nothing" \
    sh -c "printf '1990-13-02\n2035\n5678\n' | '$ctl' card-face; [ \$? -eq 8 ] && '$ctl' pin status | grep -Eq '^card-face-b +5\$'"
check "card-face with 照合番号B's parts (birth date as a date; jpkid writes the era year) writes the photo" \
    sh -c "printf '1990-01-02\n2035\n5678\n' | '$ctl' card-face --photo-output '$work/face.jp2' \
        && '$ctl' pin status | grep -Eq '^card-face-b +5\$'"
check "the card-face birth-date key takes the birth date" \
    sh -c "echo 1990-01-02 | '$ctl' pin verify card-face-birth-date"
check "... and it is a JPEG 2000 file (jp2 signature box)" \
    sh -c "[ \"\$(head -c 12 '$work/face.jp2' | od -An -tx1 | tr -d ' \n')\" = 0000000c6a5020200d0a870a ]"
check "... that opj_decompress can decode, where installed" \
    sh -c "! command -v opj_decompress >/dev/null || opj_decompress -i '$work/face.jp2' -o '$work/face.ppm'"
check "the two new PINs must match (exit 8), nothing is sent" \
    exits 8 sh -c "printf '1234\n8642\n8643\n' | '$ctl' pin change auth"
check "change the auth PIN" sh -c "printf '1234\n8642\n8642\n' | '$ctl' pin change auth"
check "... the old auth PIN now fails (exit 5)" exits 5 sh -c "echo 1234 | '$ctl' pin verify auth"
check "... the new one works" exits 0 sh -c "echo 8642 | '$ctl' pin verify auth"
check "change the sign PIN" sh -c "printf 'ABC123\nXYZ789A\nXYZ789A\n' | '$ctl' pin change sign"
printf 'e-Tax return' >"$work/data"
check "sign with the new sign PIN" \
    sh -c "echo XYZ789A | '$ctl' sign --key sign --input '$work/data' --output '$work/sig' --certificate-output '$work/cert.pem'"
check "... and the signature verifies with openssl" \
    sh -c "openssl x509 -in '$work/cert.pem' -pubkey -noout >'$work/pub.pem' \
        && openssl dgst -sha256 -verify '$work/pub.pem' -signature '$work/sig' '$work/data'"
check "the old sign PIN fails" exits 5 sh -c "echo ABC123 | '$ctl' pin verify sign"

kill "$watch_pid" 2>/dev/null; wait "$watch_pid" 2>/dev/null; watch_pid=""
check "no PIN and no personal data in the daemon's log or the event stream" sh -c "
    ! grep -E '1234|9999|8642|ABC123|XYZ789A|02010220355678|123456789018|9018|花子|霞が関|1990|female' \
        '$work/jpkid.log' '$work/events.jsonl'"

finish "card data end-to-end"
