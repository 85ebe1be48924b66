#!/usr/bin/env bash
# Prometheus metrics end to end: pcscd + jpki-sim behind vpcd + jpkid (PC/SC mode).
# A scripted session (insert, wrong PIN, right PIN, sign, remove, a pcscd outage) through jpkictl,
# then every counter at its exact value in GET /v1/metrics, `promtool check metrics` on the
# exposition, no card or reader identity in any label, and the textfile mode: the file appears,
# is whole at every read, parses, and is mode 0644 under the unit's UMask=0077.
# Run inside `scripts/pcsc-harness.sh run`.
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"
umask 077

metrics() { curl -sS --unix-socket "$JPKID_SOCKET" http://jpkid/v1/metrics; }
# The value of one sample: name and labels exactly as a PromQL selector would put them, in any
# order (`jpkid_signatures_total{key="auth"}`); "absent" when there is no such sample.
value() { # file selector
    /usr/bin/python3 - "$1" "$2" <<'PY'
import re, sys
text, selector = open(sys.argv[1]).read(), sys.argv[2]
def parse(series):
    name, _, rest = series.partition("{")
    return name, dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', rest))
want = parse(selector)
for line in text.splitlines():
    if line and not line.startswith("#"):
        series, _, number = line.rpartition(" ")
        if parse(series) == want:
            print(int(float(number)) if float(number).is_integer() else number)
            sys.exit(0)
print("absent")
PY
}
is() { # file selector expected
    local got
    got=$(value "$1" "$2")
    [ "$got" = "$3" ] || { echo "$2 is $got, expected $3"; return 1; }
}
wait_metric() { # selector expected: up to 20 s
    for _ in $(seq 200); do
        metrics >"$work/poll" 2>/dev/null && [ "$(value "$work/poll" "$1")" = "$2" ] && return 0
        sleep 0.1
    done
    echo "$1 is $(value "$work/poll" "$1"), expected $2"
    return 1
}

# The card is out while jpkid starts: its insertion is part of the script.
"$harness" sim-stop "$dir"
mark=$(trace_mark)
mkdir -p "$work/textfile"
textfile=$work/textfile/jpkid.prom
start_jpkid --metrics-textfile "$textfile" --metrics-textfile-interval 1
# vpcd gives pcscd two readers (slots 00 00 and 00 01): the gauge must match what PC/SC reports.
readers=$(opensc-tool --list-readers 2>/dev/null | grep -c "Virtual PCD")
check "jpkid_readers_present is what PC/SC lists ($readers), and nothing is inserted yet" wait_metric 'jpkid_readers_present' "$readers"
check "... jpkid_cards_inserted_total is 0" wait_metric 'jpkid_cards_inserted_total' 0

# The session.
"$harness" sim-start "$dir"
wait_ready >/dev/null
cardid=$(card_id)
reader=$(reader_id)
check "a wrong PIN exits 5" exits 5 sh -c "echo 9999 | '$ctl' pin verify auth"
check "the right PIN exits 0" exits 0 sh -c "echo 1234 | '$ctl' pin verify auth"
printf 'document' >"$work/doc"
check "a signature with the auth key" sh -c "echo 1234 | '$ctl' sign --key auth --input '$work/doc' --output '$work/sig'"
"$ctl" status --json >"$work/status.json"
"$harness" sim-stop "$dir"
check "the card is removed" wait_gone
apdus=$(trace_query "$mark" all)
metrics >"$work/m1"

check "GET /v1/metrics: 200, text/plain; version=0.0.4; charset=utf-8" sh -c \
    "curl -sS -o /dev/null -w '%{http_code} %{content_type}' --unix-socket '$JPKID_SOCKET' http://jpkid/v1/metrics \
        | grep -qx '200 text/plain; version=0.0.4; charset=utf-8'"
check "cards inserted: 1" is "$work/m1" 'jpkid_cards_inserted_total' 1
check "card reads: 1 ok" is "$work/m1" 'jpkid_card_reads_total{result="ok"}' 1
check "card read duration: 1 observation" is "$work/m1" 'jpkid_card_read_duration_seconds_count' 1
check "auth PIN wrong_pin: 1" is "$work/m1" 'jpkid_pin_verifications_total{pin="auth",result="wrong_pin"}' 1
check "auth PIN verified: 2 (the verify and the signature's)" \
    is "$work/m1" 'jpkid_pin_verifications_total{pin="auth",result="verified"}' 2
none_of() { # file pin results...: each of these results counted 0 times
    local file=$1 pin=$2 r; shift 2
    for r in "$@"; do is "$file" "jpkid_pin_verifications_total{pin=\"$pin\",result=\"$r\"}" 0 || return 1; done
}
check "auth PIN blocked, format, final_attempt_refused: 0" none_of "$work/m1" auth blocked format final_attempt_refused
check "sign PIN verified: 0" is "$work/m1" 'jpkid_pin_verifications_total{pin="sign",result="verified"}' 0
check "PIN blocks: 0" is "$work/m1" 'jpkid_pin_blocks_total{pin="auth"}' 0
check "signatures: 1 with the auth key" is "$work/m1" 'jpkid_signatures_total{key="auth"}' 1
check "signatures: 0 with the sign key" is "$work/m1" 'jpkid_signatures_total{key="sign"}' 0
check "APDUs sent: as many as the card received ($apdus)" is "$work/m1" 'jpkid_apdus_sent_total' "$apdus"
figure "$apdus APDUs for the insertion read, two verifies and a signature"
check "readers present: $readers" is "$work/m1" 'jpkid_readers_present' "$readers"
check "pcscd available: 1" is "$work/m1" 'jpkid_pcsc_available' 1
check "pcscd outages: 0" is "$work/m1" 'jpkid_pcsc_outages_total' 0
verify='jpkid_http_requests_total{route="/v1/readers/{id}/pins/{kind}/verify",method="POST"'
check "verify requests: one 401" is "$work/m1" "$verify,status=\"401\"}" 1
check "verify requests: one 200" is "$work/m1" "$verify,status=\"200\"}" 1
check "sign requests: one 200" is "$work/m1" 'jpkid_http_requests_total{route="/v1/readers/{id}/sign",method="POST",status="200"}' 1
check "event streams open: 0" is "$work/m1" 'jpkid_event_streams_open' 0
for reason in table_full user_cap reserved_for_operators event_streams; do
    check "connections refused ($reason): 0" is "$work/m1" "jpkid_connections_refused_total{reason=\"$reason\"}" 0
done
check "promtool check metrics accepts the exposition" sh -c "promtool check metrics <'$work/m1'"
check "IC-chip checks start at 0 for every verdict (the key_mismatch alert sees the first)" \
    is "$work/m1" 'jpkid_genuine_checks_total{check="card-face",verdict="key_mismatch"}' 0
# The fleet kit (alert rules, dashboard) names only metrics this jpkid really exports.
check "every metric deploy/prometheus uses is in the exposition" sh -c "
    for name in \$(grep -ohE 'jpkid_[a-z_]+' '$here'/deploy/prometheus/*.yml '$here'/deploy/prometheus/*.json | sort -u); do
        base=\$(echo \"\$name\" | sed -E 's/_(bucket|sum|count)\$//')
        grep -qE \"^(# TYPE )?\$base(_bucket|_sum|_count)?[ {]\" '$work/m1' || { echo \"missing: \$name\"; exit 1; }
    done"

labels_clean() { # file: no label value holds the card id, a certificate serial, the reader's name or id
    /usr/bin/python3 - "$1" "$work/status.json" "$cardid" "$reader" <<'PY'
import json, re, sys
text, status, card_id, reader = open(sys.argv[1]).read(), json.load(open(sys.argv[2])), sys.argv[3], sys.argv[4]
view = status["readers"][0]
secrets = [card_id, reader, view["name"]] + [c["serialNumber"] for c in view["card"]["certificates"].values()]
assert len(secrets) == 6 and all(secrets), secrets
values = re.findall(r'="((?:[^"\\]|\\.)*)"', text)
assert values, "no labels"
bad = [(v, s) for v in values for s in secrets if s in v]
print(bad or f"{len(values)} label values checked against {len(secrets)} identities")
sys.exit(1 if bad else 0)
PY
}
check "no label value holds the card id, a certificate serial, the reader's name or id" labels_clean "$work/m1"

# A pcscd outage: counted once, and the gauge follows.
"$harness" pcscd-stop "$dir"
check "pcscd stopped: jpkid_pcsc_available goes to 0" wait_metric 'jpkid_pcsc_available' 0
check "... one outage" wait_metric 'jpkid_pcsc_outages_total' 1
"$harness" pcscd-start "$dir"
check "pcscd back: jpkid_pcsc_available is 1 again" wait_metric 'jpkid_pcsc_available' 1
check "... still one outage" wait_metric 'jpkid_pcsc_outages_total' 1
check "... and the readers are back" wait_metric 'jpkid_readers_present' "$readers"

# The textfile mode.
check "the metrics textfile appears" wait_file "$textfile"
check "... promtool check metrics accepts it" sh -c "promtool check metrics <'$textfile'"
check "... it is mode 0644 although jpkid's umask is 0077" sh -c "[ \"\$(stat -c %a '$textfile')\" = 644 ]"
check "... it follows the counters (cards inserted: 1, outages: 1)" sh -c "
    for _ in \$(seq 100); do
        grep -qx 'jpkid_cards_inserted_total 1' '$textfile' && grep -qx 'jpkid_pcsc_outages_total 1' '$textfile' && exit 0
        sleep 0.1
    done; cat '$textfile'; exit 1"
whole_at_every_read() { # reads the file for 3.5 s while jpkid rewrites it every second
    /usr/bin/python3 - "$textfile" <<'PY'
import sys, time
path = sys.argv[1]
families = ["jpkid_cards_inserted_total", "jpkid_card_reads_total", "jpkid_card_read_duration_seconds",
    "jpkid_apdus_sent_total", "jpkid_pin_verifications_total", "jpkid_pin_blocks_total", "jpkid_signatures_total",
    "jpkid_readers_present", "jpkid_pcsc_available", "jpkid_pcsc_outages_total", "jpkid_http_requests_total",
    "jpkid_http_request_duration_seconds", "jpkid_event_streams_open", "jpkid_power_cycle_checks_total",
    "jpkid_readers_unsafe", "jpkid_connections_refused_total", "jpkid_genuine_checks_total"]
import os
reads, files, end = 0, set(), time.monotonic() + 3.5
while time.monotonic() < end:
    with open(path) as f:
        files.add(os.fstat(f.fileno()).st_ino)  # each rewrite is a new file renamed over the old
        text = f.read()
    reads += 1
    assert text.endswith("\n"), f"read {reads} does not end with a newline"
    for line in text.splitlines():
        assert line.startswith("# ") or len(line.rsplit(" ", 1)) == 2 and float(line.rsplit(" ", 1)[1]) >= 0, line
    missing = [f for f in families if f"# TYPE {f} " not in text]
    assert not missing, f"read {reads} lacks {missing}"
assert len(files) >= 3, f"only {len(files)} rewrites seen"
print(f"{reads} reads across {len(files)} rewrites, all whole")
PY
}
check "... whole at every read while it is rewritten" whole_at_every_read
figure "$(cat "$work/out")"
kill -TERM "$jpkid_pid" && wait "$jpkid_pid"
jpkid_pid=""
check "after SIGTERM no temporary file is left beside it" sh -c "[ \"\$(ls '$work/textfile')\" = jpkid.prom ]"
check "a relative or non-.prom textfile path is refused at start" sh -c "
    out=\$(timeout 10 '${JPKID_BIN:-$bin/jpkid}' --socket '$work/x.sock' --metrics-textfile '$work/m.txt' 2>&1); rc=\$?
    echo \"\$out\"; [ \$rc -ne 0 ] && echo \"\$out\" | grep -q 'metricsTextfile must be an absolute path ending in .prom'"
check "no PIN in the daemon's log" sh -c "! grep -wE '9999|1234' '$work/jpkid.log'"
finish "metrics"
