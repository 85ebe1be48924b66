#!/usr/bin/env bash
# Conformance: OpenSC, a client nobody here wrote, reads and uses the simulated card through the
# real pcscd. Run inside `scripts/pcsc-harness.sh run` (default scenario).
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
sim=${JPKI_SIM:-$here/.build/debug/jpki-sim}
module=$(ls /usr/lib/*/opensc-pkcs11.so 2>/dev/null | head -1)
work=$(mktemp -d /tmp/jpki-conformance.XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
check() { # name, then a command that must succeed
    local name=$1; shift
    if "$@" >"$work/out" 2>&1; then
        passed=$((passed + 1)); echo "ok   $name"
    else
        failed=$((failed + 1)); echo "FAIL $name"; sed 's/^/     /' "$work/out"
    fi
}
tries() { # PIN label -> tries left as pkcs15-tool --list-pins shows them
    pkcs15-tool --list-pins 2>/dev/null | awk -v label="$1" '
        /^PIN \[/ { current = ($0 ~ "\\[" label "\\]") }
        current && /Tries left/ { print $NF; exit }'
}
expect_eq() { [ "$1" = "$2" ] || { echo "expected '$2', got '$1'"; return 1; }; }

printf 'login challenge' >"$work/data"
# Real cards answer the empty VERIFY with 63 Cx even after a right PIN, and so does the simulator:
# OpenSC reads the counters right after a login, in any order of these steps.
check "pkcs11-tool --login first (the card is left verified by OpenSC)" \
    pkcs11-tool --module "$module" --login --pin 1234 --sign --mechanism SHA256-RSA-PKCS --id 01 \
        -i "$work/data" -o "$work/first.sig"
check "the reader 'Virtual PCD 00 00' holds a card" \
    sh -c 'opensc-tool --list-readers | grep -Eq "^0 +Yes +.*Virtual PCD 00 00"'
check "OpenSC's jpki driver claims the card" \
    sh -c 'opensc-tool --name | grep -q "^jpki$"'
check "--list-pins: auth PIN 3 tries left" sh -c "$(declare -f tries expect_eq); expect_eq \"\$(tries 'User Authentication PIN')\" 3"
check "--list-pins: sign PIN 5 tries left" sh -c "$(declare -f tries expect_eq); expect_eq \"\$(tries 'Digital Signature PIN')\" 5"
check "--list-certificates lists the four certificates" \
    sh -c 'test "$(pkcs15-tool --list-certificates | grep -c "^X.509 Certificate")" -eq 4'

"$sim" --state "$JPKI_SIM_STATE" --export-certificate auth >"$work/auth-sim.pem"
pkcs15-tool --read-certificate 01 >"$work/auth-opensc.pem" 2>/dev/null
openssl x509 -in "$work/auth-sim.pem" -outform DER -out "$work/auth-sim.der"
openssl x509 -in "$work/auth-opensc.pem" -outform DER -out "$work/auth-opensc.der" 2>/dev/null
check "--read-certificate 01 returns the simulator's auth certificate byte for byte" \
    cmp "$work/auth-sim.der" "$work/auth-opensc.der"

check "pkcs11-tool refuses a wrong auth PIN" \
    sh -c "! pkcs11-tool --module '$module' --login --pin 9999 --sign --mechanism SHA256-RSA-PKCS --id 01 \
        -i '$work/data' -o '$work/bad.sig'"
check "--list-pins: the wrong PIN lowered the auth count to 2" \
    sh -c "$(declare -f tries expect_eq); expect_eq \"\$(tries 'User Authentication PIN')\" 2"
check "pkcs11-tool signs with the auth key after --login" \
    pkcs11-tool --module "$module" --login --pin 1234 --sign --mechanism SHA256-RSA-PKCS --id 01 \
        -i "$work/data" -o "$work/auth.sig"
openssl x509 -in "$work/auth-sim.pem" -pubkey -noout >"$work/auth-pub.pem"
check "the signature verifies with openssl against the certificate" \
    openssl dgst -sha256 -verify "$work/auth-pub.pem" -signature "$work/auth.sig" "$work/data"
check "--list-pins right after that login: the auth count is back to 3" \
    sh -c "$(declare -f tries expect_eq); expect_eq \"\$(tries 'User Authentication PIN')\" 3"
check "... and the sign count still 5" \
    sh -c "$(declare -f tries expect_eq); expect_eq \"\$(tries 'Digital Signature PIN')\" 5"
check "the card agrees (simulator state)" \
    sh -c "\"$sim\" --state '$JPKI_SIM_STATE' --dump | grep -q '\"0018\": {\"remaining\": 3'"
check "the APDU trace holds VERIFYs but never a PIN's bytes" \
    sh -c "grep -q 'redacted' '$JPKI_SIM_TRACE' && ! grep -Eq '31 32 33 34|39 39 39 39' '$JPKI_SIM_TRACE'"

echo "opensc conformance: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
