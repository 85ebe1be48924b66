#!/usr/bin/env bash
# Through the real pcscd: jpkid stays bounded and responsive while other programs hold
# the card, clients stall, flood and send garbage, the card is pulled at every APDU and pcscd
# dies. Prints a figure for each line. Run inside `scripts/pcsc-harness.sh run`.
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"
rel="/usr/bin/python3 $here/Tests/system/lib/reliability.py --socket $JPKID_SOCKET"
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
json_get() { /usr/bin/python3 -c "import json,sys; d=json.loads(sys.stdin.readline()); print(eval(sys.argv[1], {}, {'d': d}))" "$1"; }
reader_named() { "$ctl" status --json | /usr/bin/python3 -c "
import json, sys
print(next(r['id'] for r in json.load(sys.stdin)['readers'] if r['name'].endswith('$1')))"; }
second_card_start() {
    setsid "$bin/jpki-sim" --vpcd 127.0.0.1:35964 --state "$dir/card-b.json" >"$dir/sim-b.log" 2>&1 </dev/null &
    echo $! >"$dir/sim-b.pid"
    background_pids+=("$(cat "$dir/sim-b.pid")")
    for _ in $(seq 100); do
        opensc-tool --list-readers 2>/dev/null | grep -Eq "^1 +Yes +.*Virtual PCD 00 01" && return 0
        sleep 0.1
    done
    return 1
}
export -f json_get trace_query
export trace
both_ready() { [ "$("$ctl" status 2>/dev/null | grep -c '\[ready\]')" -ge 2 ]; }

# Every client here is root, one user: its share is the whole table, so the figures below are the
# table's (256). The per-user caps and the operators' reserve are tested in connection-flood.sh.
echo '{"maxConnectionsPerUser": 256, "maxEventStreamsPerUser": 256}' >"$work/jpkid.json"
start_jpkid --config "$work/jpkid.json"
check "jpkid sees the first card" wait_ready
check "a second reader with a card" second_card_start
check "... both are read" bash -c "for i in \$(seq 100); do $(declare -f both_ready); ctl='$ctl' both_ready && exit 0; sleep 0.1; done; exit 1"
reader_a=$(reader_named "00 00")
reader_b=$(reader_named "00 01")

# 1. 5,000 idle connections from 50 processes, on the daemon as it starts (what they cost, not
# what earlier parts left in the heap).
idle_baseline=$(rss_kib "$jpkid_pid")
baseline_sockets=$(find "/proc/$jpkid_pid/fd" -lname 'socket:*' | wc -l)
$rel idle-connections --workers 50 --per-worker 100 --hold 60 --rss-pid "$jpkid_pid" \
    --baseline-sockets "$baseline_sockets" >"$work/idle.json"
figure "idle connections: $(cat "$work/idle.json"), RSS before $idle_baseline KiB"
check "5,000 idle connections: the cap (256) holds" \
    bash -c "[ \"\$(json_get 'd[\"server_connections\"] <= 256' <'$work/idle.json')\" = True ]"
check "... RSS stays at most 40 MiB" bash -c "[ \"\$(json_get 'd[\"rss_kib_with_connections\"] <= 40960' <'$work/idle.json')\" = True ]"
check "... a new client beyond the cap gets 503" bash -c "[ \"\$(json_get 'd[\"new_client_status\"]' <'$work/idle.json')\" = 503 ]"
check "... and a normal client is served once they close" \
    bash -c "[ \"\$(json_get '\"served_again_after_ms\" in d' <'$work/idle.json')\" = True ]"

# 2. Another PC/SC client holds card A exclusively for 60 s.
rm -f "$work/held" "$work/release"
$pcsc_client hold --ready-file "$work/held" --release-file "$work/release" >/dev/null 2>&1 &
holder=$!
background_pids+=("$holder")
wait_file "$work/held" >/dev/null
$rel held --held "$reader_a" --other "$reader_b" --seconds "${HOLD_SECONDS:-60}" >"$work/held.json"
touch "$work/release"; wait "$holder"
figure "held card: $(cat "$work/held.json")"
check "while card A is held: health, reader B and new event streams answer within 100 ms" \
    bash -c "[ \"\$(json_get 'max(d[\"max_ms\"].values()) <= 100' <'$work/held.json')\" = True ]"
check "... and a verify on card A fails with card_busy within its 10 s timeout" \
    bash -c "[ \"\$(json_get 'd[\"held_reader_verify\"][\"code\"] == \"card_busy\" and d[\"held_reader_verify\"][\"ms\"] <= 11000' <'$work/held.json')\" = True ]"

# 3. One event stream that never reads while 500 events are produced. A first 500 events with no
# stream warm the daemon up, so what is measured is what the stalled stream costs.
$rel stalled-stream --reader "$reader_b" --count 500 --no-stall >/dev/null
before=$(rss_kib "$jpkid_pid")
$rel stalled-stream --reader "$reader_b" --count 500 >"$work/stalled.json"
after=$(rss_kib "$jpkid_pid")
figure "stalled stream: $(cat "$work/stalled.json"), RSS $before -> $after KiB"
check "a stalled event stream grows RSS by at most 2 MiB" [ $((after - before)) -le 2048 ]
check "... and is cut (overflow logged, the connection closed)" bash -c "
    grep -q 'event stream overflowed' '$work/jpkid.log' && [ \"\$(json_get 'd[\"stream_closed\"]' <'$work/stalled.json')\" = True ]"

# 4. 500 slowloris connections for 60 s.
# The slow client is another user (nobody, with group 0 for the socket's mode 0660): the caps
# are per user, and the normal client (root, an operator) keeps the operators' reserved slots.
chmod 711 "$work"
$rel slowloris --conns 500 --seconds "${SLOWLORIS_SECONDS:-60}" --as-uid 65534 >"$work/slowloris.json"
chmod 700 "$work"
figure "slowloris: $(cat "$work/slowloris.json")"
check "500 slow-header connections: a normal client is served throughout, p99 <= 50 ms" \
    bash -c "[ \"\$(json_get 'd[\"failures\"] == 0 and d[\"p99_ms\"] <= 50' <'$work/slowloris.json')\" = True ]"

# 5. 2,000 malformed requests.
baseline=$(rss_kib "$jpkid_pid")
$rel malformed --count 2000 >"$work/malformed.json"
for _ in $(seq 50); do [ $(($(rss_kib "$jpkid_pid") - baseline)) -le 2048 ] && break; sleep 0.1; done
settled=$(rss_kib "$jpkid_pid")
figure "malformed: $(cat "$work/malformed.json"), RSS $baseline -> $settled KiB"
check "2,000 malformed requests: no crash, health answers" \
    bash -c "kill -0 $jpkid_pid && [ \"\$(json_get 'd[\"health_after\"]' <'$work/malformed.json')\" = 200 ]"
check "... RSS back to baseline +- 2 MiB" [ $((settled - baseline)) -le 2048 -a $((baseline - settled)) -le 2048 ]

# 6. 10,000 random malformed PINs against every PIN endpoint.
mark=$(trace_mark)
counters_before=$("$bin/jpki-sim" --state "$JPKI_SIM_STATE" --dump | grep -o '"remaining": [0-9]*' | tr -d '\n')
$rel random-pins --reader "$reader_a" --count 10000 >"$work/pins.json"
counters_after=$("$bin/jpki-sim" --state "$JPKI_SIM_STATE" --dump | grep -o '"remaining": [0-9]*' | tr -d '\n')
figure "random PINs: $(cat "$work/pins.json"), VERIFYs with data on the card: $(trace_query "$mark" pin-verifies)"
check "10,000 malformed PINs: zero VERIFYs with data reached the card" \
    bash -c "[ \$(trace_query $mark pin-verifies) = 0 ] && [ \"\$(json_get 'd[\"sent\"]' <'$work/pins.json')\" -ge 10000 ]"
check "... and every counter is unchanged" [ "$counters_before" = "$counters_after" ]

# 7. The card pulled at each APDU of the insertion read and of a sign.
pulled_ok=0
for n in $(seq 1 11); do
    "$harness" sim-stop "$dir"; wait_gone >/dev/null
    "$harness" sim-start "$dir" --remove-after "$n" --reinsert-after-ms 1500 >/dev/null 2>&1
    wait_ready >/dev/null 2>&1 && kill -0 "$jpkid_pid" && pulled_ok=$((pulled_ok + 1))
done
sign_ok=0
for n in $(seq 1 6); do
    # Armed after the card is read: the sign's APDU n is the first that does not arrive.
    "$harness" sim-stop "$dir"; wait_gone >/dev/null
    "$harness" sim-start "$dir" --remove-on-signal $((n - 1)) --reinsert-after-ms 1500 >/dev/null 2>&1
    wait_ready >/dev/null
    "$harness" sim-pull "$dir" >/dev/null 2>&1
    echo 1234 | timeout 30 "$ctl" sign --key auth --input /etc/hostname --output /dev/null >/dev/null 2>&1
    wait_ready >/dev/null 2>&1 && kill -0 "$jpkid_pid" && sign_ok=$((sign_ok + 1))
done
figure "pulled during the insertion read at APDU 1..11: $pulled_ok of 11 read cleanly afterwards; during a sign: $sign_ok of 6"
check "the card pulled at each APDU of the insertion read: no crash or hang, the next read is clean" [ "$pulled_ok" = 11 ]
check "... and in the middle of a sign" [ "$sign_ok" = 6 ]

# 8. pcscd killed and restarted 20 times under 20 requests a second.
kill "$(cat "$dir/sim-b.pid")" 2>/dev/null
rm -f "$work/stop-poll"
$rel poll --rate 20 --stop-file "$work/stop-poll" >"$work/poll.json" &
poller=$!
background_pids+=("$poller")
recovered=0
for i in $(seq 1 20); do
    "$harness" sim-stop "$dir" >/dev/null 2>&1
    kill -9 "$(cat "$dir/pcscd.pid")" 2>/dev/null
    for _ in $(seq 50); do [ -r "/proc/$(cat "$dir/pcscd.pid")/stat" ] || break; sleep 0.1; done
    rm -f "$dir/pcscd.pid"
    "$harness" pcscd-start "$dir" >/dev/null 2>&1
    "$harness" sim-start "$dir" >/dev/null 2>&1
    wait_ready >/dev/null 2>&1 && recovered=$((recovered + 1))
done
touch "$work/stop-poll"; wait "$poller"
figure "pcscd killed 20 times: $recovered recovered; polling: $(cat "$work/poll.json")"
check "pcscd killed and restarted 20 times: all 20 recovered, jpkid never restarted" \
    bash -c "[ $recovered = 20 ] && kill -0 $jpkid_pid"
check "... and the API answered every poll meanwhile" bash -c "[ \"\$(json_get 'd[\"failed\"]' <'$work/poll.json')\" = 0 ]"

# 9. A client-supplied path cannot forge a log line.
curl -s --unix-socket "$JPKID_SOCKET" "http://jpkid/v1/x%0a<3>forged" >/dev/null
figure "log line: $(grep -F 'forged' "$work/jpkid.log" | head -1)"
check "a path with %0a<3>forged logs as one escaped line" \
    bash -c "grep -qF '/v1/x\\n<3>forged' '$work/jpkid.log' && ! grep -q '^<3>forged' '$work/jpkid.log'"

# 10. Not dumpable, no core files (a jpkid running as nobody: its /proc files stay root's).
nobody_dir=$(mktemp -d /tmp/jpkid-nobody.XXXXXX)
chmod 755 "$nobody_dir" && chown 65534:65534 "$nobody_dir"
setpriv --reuid 65534 --regid 65534 --clear-groups "${JPKID_BIN:-$bin/jpkid}" --socket "$nobody_dir/jpkid.sock" \
    --status-group "" --operator-group "" >"$work/nobody.log" 2>&1 &
nobody_pid=$!
background_pids+=("$nobody_pid")
for _ in $(seq 100); do [ -S "$nobody_dir/jpkid.sock" ] && break; sleep 0.1; done
kill -0 "$nobody_pid" 2>/dev/null || cat "$work/nobody.log"
figure "jpkid as uid $(stat -c %u "/proc/$nobody_pid" 2>/dev/null || echo ?): /proc/PID/status owned by uid $(stat -c %u "/proc/$nobody_pid/status"), $(grep 'Max core file size' "/proc/$nobody_pid/limits" | tr -s ' ')"
check "/proc/PID shows the daemon not dumpable (owned by root though it runs as nobody)" \
    bash -c "[ \"\$(awk '/^Uid:/ { print \$2 }' /proc/$nobody_pid/status)\" = 65534 ] && [ \"\$(stat -c %u /proc/$nobody_pid/status)\" = 0 ]"
check "... and may write no core file" bash -c "grep -Eq 'Max core file size +0 +0' /proc/$nobody_pid/limits"
kill "$nobody_pid"
rm -rf "$nobody_dir"

# 11. SIGTERM with 50 idle keep-alive clients and one open event stream.
# Two processes of 25, one with an event stream.
$rel idle-clients --count 25 --hold 30 >"$work/clients.json" &
background_pids+=("$!")
$rel idle-clients --count 25 --hold 30 --no-stream >"$work/clients2.json" &
background_pids+=("$!")
for _ in $(seq 200); do
    grep -q '"open"' "$work/clients.json" && grep -q '"open"' "$work/clients2.json" && break
    sleep 0.1
done
start=$(date +%s%N)
kill -TERM "$jpkid_pid"
for _ in $(seq 100); do kill -0 "$jpkid_pid" 2>/dev/null || break; sleep 0.02; done
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
figure "SIGTERM with $(head -1 "$work/clients.json") $(head -1 "$work/clients2.json"): exited after $elapsed ms"
check "SIGTERM with 50 idle clients and an event stream: exit within 2 s" \
    bash -c "grep -q '\"open\": 25' '$work/clients.json' && grep -q '\"open\": 25' '$work/clients2.json' \
        && ! kill -0 $jpkid_pid 2>/dev/null && [ $elapsed -le 2000 ]"
jpkid_pid=""

finish "reliability"
