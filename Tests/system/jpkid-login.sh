#!/usr/bin/env bash
# Kiosk login end to end: pcscd + jpki-sim behind vpcd + jpkid (PC/SC mode, trust anchors from
# `jpki-sim --export-ca`) + jpkictl authenticate, the result checked independently with
# `openssl verify -CAfile` and `openssl dgst -verify`. Run inside `scripts/pcsc-harness.sh run`.
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"

start_with_anchors() { # trust anchor directory
    printf '{"trustAnchors": "%s"}\n' "$1" >"$work/jpkid.json"
    start_jpkid --config "$work/jpkid.json"
    wait_ready >/dev/null
}
stop_jpkid() {
    kill -TERM "$jpkid_pid" 2>/dev/null && wait "$jpkid_pid" 2>/dev/null
    jpkid_pid=""
}

# The integrator's step: install the JPKI CA certificates (here: the simulated card's test CAs).
check "jpki-sim --export-ca writes the card's two CA certificates" \
    sh -c "'$bin/jpki-sim' --state '$dir/card.json' --export-ca '$work/anchors' && \
        openssl x509 -in '$work/anchors/auth-ca.pem' -noout && openssl x509 -in '$work/anchors/sign-ca.pem' -noout"
start_with_anchors "$work/anchors"
check "jpkid logs the loaded anchors" grep -q "trust anchors loaded" "$work/jpkid.log"
check "status shows no trust problem" sh -c "'$ctl' status >'$work/status' ; rc=\$?; cat '$work/status'; \
    [ \$rc -eq 0 ] && ! grep -q 'not issued by a trusted CA\|trust not checked' '$work/status'"
check "the reader view carries trust codes" sh -c "'$ctl' status --json | grep -q '\"trust\":\"trusted\"'"

challenge=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
check "jpkictl authenticate with a given challenge: authenticated (exit 0)" \
    sh -c "echo 1234 | '$ctl' authenticate --challenge $challenge --signature-output '$work/sig' \
        --certificate-output '$work/cert.pem' --challenge-output '$work/challenge' | tee /dev/stderr | grep -q '^authenticated: yes'"
check "the challenge signed is the one given" sh -c "[ \"\$(od -An -tx1 '$work/challenge' | tr -d ' \n')\" = $challenge ]"
check "openssl verify -CAfile: the auth certificate chains to the exported auth CA" \
    sh -c "openssl verify -CAfile '$work/anchors/auth-ca.pem' '$work/cert.pem' | grep -q ': OK'"
check "openssl dgst -verify: the signature is SHA-256 over the challenge under the certificate" \
    sh -c "openssl x509 -in '$work/cert.pem' -pubkey -noout >'$work/pub.pem' && \
        openssl dgst -sha256 -verify '$work/pub.pem' -signature '$work/sig' '$work/challenge' | grep -q 'Verified OK'"
check "the certificate is the card's auth certificate" \
    sh -c "'$bin/jpki-sim' --state '$dir/card.json' --export-certificate auth | cmp - '$work/cert.pem'"

check "without a challenge jpkid makes 32 random bytes, and openssl agrees" \
    sh -c "echo 1234 | '$ctl' authenticate --json --signature-output '$work/sig2' --challenge-output '$work/challenge2' >'$work/login.json' && \
        [ \$(wc -c <'$work/challenge2') -eq 32 ] && ! cmp -s '$work/challenge' '$work/challenge2' && \
        openssl dgst -sha256 -verify '$work/pub.pem' -signature '$work/sig2' '$work/challenge2' | grep -q 'Verified OK'"
check "... the answer says authenticated, trusted, revocation not checked" \
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if (d["authenticated"], d["trust"], d["revocationChecked"]) == (True, "trusted", False) else 1)' "$work/login.json"
check "jpki-verify (offline) accepts the signature and the chain" \
    "$bin/jpki-verify" --signature "$work/sig" --input "$work/challenge" --certificate "$work/cert.pem" \
    --trust-anchors "$work/anchors" --ca "$work/anchors/auth-ca.pem"
head -c 1 "$work/sig" | tr '\000-\377' '\001-\377\000' >"$work/bad-sig"
tail -c +2 "$work/sig" >>"$work/bad-sig"
check "jpki-verify refuses a changed signature (exit 9), as openssl does" \
    sh -c "out=\$('$bin/jpki-verify' --signature '$work/bad-sig' --input '$work/challenge' --certificate '$work/cert.pem' \
        --trust-anchors '$work/anchors'); rc=\$?; echo \"\$out\"; [ \$rc -eq 9 ] && echo \"\$out\" | grep -q 'signature: INVALID' && \
        ! openssl dgst -sha256 -verify '$work/pub.pem' -signature '$work/bad-sig' '$work/challenge'"
stop_jpkid

# Anchors of another simulator PKI: the same CA names, other keys.
"$bin/jpki-sim" --state "$work/other-card.json" --export-ca "$work/other-anchors" 2>/dev/null
start_with_anchors "$work/other-anchors"
check "another PKI: status flags the card in Japanese (exit 10)" \
    sh -c "out=\$(LANG=ja_JP.UTF-8 '$ctl' status); rc=\$?; echo \"\$out\"; [ \$rc -eq 10 ] && \
        echo \"\$out\" | grep -q 'この証明書は信頼できる認証局から発行されていません'"
check "another PKI: diagnose (ja) says so too" \
    sh -c "LANG=ja_JP.UTF-8 '$ctl' diagnose | grep -q 'この証明書は信頼できる認証局から発行されていません'"
check "another PKI: authenticate is untrusted_issuer, not authenticated (exit 9)" \
    sh -c "out=\$(echo 1234 | '$ctl' authenticate --certificate-output '$work/cert3.pem'); rc=\$?; echo \"\$out\"; [ \$rc -eq 9 ] && \
        echo \"\$out\" | grep -q 'trust: untrusted_issuer'"
check "... and openssl verify -CAfile agrees" \
    sh -c "! openssl verify -CAfile '$work/other-anchors/auth-ca.pem' '$work/cert3.pem'"
stop_jpkid

# A card whose signatures do not verify.
"$harness" sim-stop "$dir"
"$harness" sim-start "$dir" --tamper-signature
start_with_anchors "$work/anchors"
check "tampered signature: authenticate is bad_signature and returns no signature" \
    sh -c "echo 1234 | '$ctl' authenticate --json >'$work/bad.json'; rc=\$?; cat '$work/bad.json'; [ \$rc -eq 9 ] && \
        python3 -c 'import json,sys; d=json.load(open(\"$work/bad.json\")); sys.exit(0 if d[\"trust\"] == \"bad_signature\" and not d[\"authenticated\"] and \"signature\" not in d else 1)'"
check "tampered signature: jpkictl sign fails with card_error" \
    sh -c "printf data >'$work/doc'; out=\$(echo 1234 | '$ctl' sign --key auth --input '$work/doc' --output '$work/doc.sig' 2>&1); rc=\$?; \
        echo \"\$out\"; [ \$rc -eq 1 ] && echo \"\$out\" | grep -q card_error && [ ! -e '$work/doc.sig' ]"
stop_jpkid
"$harness" sim-stop "$dir"
"$harness" sim-start "$dir"

# No anchors: not an error, but said.
start_with_anchors "$work/no-such-directory"
check "no anchors: status says trust not checked and exits 0" \
    sh -c "out=\$('$ctl' status); rc=\$?; echo \"\$out\"; [ \$rc -eq 0 ] && echo \"\$out\" | grep -q 'trust not checked'"
check "no anchors: diagnose (ja) says it too, in Japanese" sh -c "LANG=ja_JP.UTF-8 '$ctl' diagnose | grep -q '発行元は未確認です'"
check "no anchors: authenticate is never authenticated (not_checked, exit 9)" \
    sh -c "out=\$(echo 1234 | '$ctl' authenticate); rc=\$?; echo \"\$out\"; [ \$rc -eq 9 ] && echo \"\$out\" | grep -q 'trust: not_checked'"
stop_jpkid

mkdir -p "$work/broken"
printf -- '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' >"$work/broken/ca.pem"
printf '{"trustAnchors": "%s"}\n' "$work/broken" >"$work/broken.json"
check "an invalid anchor file stops jpkid at start with a clear message" \
    sh -c "out=\$(timeout 10 '$bin/jpkid' --config '$work/broken.json' --socket '$work/b.sock' 2>&1); rc=\$?; echo \"\$out\"; \
        [ \$rc -ne 0 ] && echo \"\$out\" | grep -q 'ca.pem' && [ ! -e '$work/b.sock' ]"

check "no PIN in the daemon's log" sh -c "! grep -E '1234' '$work/jpkid.log'"
finish "jpkid login"
