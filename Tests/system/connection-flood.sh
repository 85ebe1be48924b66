#!/usr/bin/env bash
# Issue 19 point 4: a connection table no member can fill. A status-group member forks 9
# processes that open 32 event streams each (288 connections: the whole 256-slot table before
# caps were per user) while an operator verifies the auth PIN every second: every verify must
# succeed; the flood is refused per uid, logged (rate-limited, with the uid) and counted by reason.
# Then the operator-reserved slots: two status members together reach the non-reserved share and
# the operator still gets in. Users are numeric uids/gids (setpriv); nothing is added to the system.
# Run inside `scripts/pcsc-harness.sh run`.
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"

status_gid=65510 operator_gid=65511
flooder_uid=65501 second_uid=65503 operator_uid=65502
# The socket's directory must be reachable by the test users ($work is root's, mode 0700).
sockdir=$(mktemp -d /tmp/jpkid-flood.XXXXXX)
chmod 755 "$sockdir"
trap 'cleanup; rm -rf "$sockdir"' EXIT
export JPKID_SOCKET=$sockdir/jpkid.sock
as_status() { setpriv --reuid="$1" --regid="$1" --groups="$status_gid" "${@:2}"; }
as_operator() { setpriv --reuid="$operator_uid" --regid="$operator_uid" --groups="$status_gid,$operator_gid" "$@"; }

run_jpkid() { # [config file]
    MALLOC_ARENA_MAX=2 "${JPKID_BIN:-$bin/jpkid}" --socket "$JPKID_SOCKET" --status-group "$status_gid" \
        --operator-group "$operator_gid" --log-level info ${1:+--config "$1"} >>"$work/jpkid.log" 2>&1 &
    jpkid_pid=$!
    for _ in $(seq 100); do [ -S "$JPKID_SOCKET" ] && break; sleep 0.1; done
}
stop_jpkid() { kill -TERM "$jpkid_pid" 2>/dev/null && wait "$jpkid_pid" 2>/dev/null; jpkid_pid=""; }
metric() { curl -sS --unix-socket "$JPKID_SOCKET" http://jpkid/v1/metrics | grep -F "$1" | awk '{print $2}'; }
export -f metric

# The flood: PROCS processes x PER connections, each a GET /v1/events kept open, held until
# $work/stop-flood exists (created by root: the flooder only reads it... it cannot, so it polls
# a file in the world-readable socket directory). Prints a tally: streams open, 503s, other.
flood() { # uid procs per
    as_status "$1" /usr/bin/python3 - "$JPKID_SOCKET" "$2" "$3" "$sockdir/stop-flood" <<'PY'
import os, socket, sys, time
path, procs, per, stop = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
r, w = os.pipe()
children = []
for _ in range(procs):
    pid = os.fork()
    if pid == 0:
        os.close(r)
        held, tally = [], {"open": 0, "refused": 0, "other": 0}
        for _ in range(per):
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(5)
            try:
                s.connect(path)
                s.sendall(b"GET /v1/events HTTP/1.1\r\nHost: jpkid\r\n\r\n")
                head = s.recv(200)
            except OSError:
                head = b""
            key = "open" if head.startswith(b"HTTP/1.1 200") else "refused" if b" 503 " in head[:20] else "other"
            tally[key] += 1
            held.append(s)
        os.write(w, ("%d %d %d\n" % (tally["open"], tally["refused"], tally["other"])).encode())
        while not os.path.exists(stop):
            time.sleep(0.05)
        os._exit(0)
    children.append(pid)
os.close(w)
reader = os.fdopen(r)
lines = " ".join(reader.readline() for _ in range(procs)).split()
totals = [sum(int(x) for x in lines[i::3]) for i in range(3)]
print("streams open %d, refused (503) %d, other %d" % tuple(totals), flush=True)
for pid in children:
    os.waitpid(pid, 0)
PY
}
start_flood() { # uid procs per: runs in the background; waits until every connection was tried
    rm -f "$sockdir/stop-flood" "$work/flood-$1.out"
    flood "$@" >"$work/flood-$1.out" 2>&1 &
    background_pids+=("$!")
    flood_pids+=("$!")
    for _ in $(seq 300); do [ -s "$work/flood-$1.out" ] && return 0; sleep 0.1; done
    echo "the flood did not finish opening"; return 1
}
flood_pids=()
stop_flood() { touch "$sockdir/stop-flood"; wait "${flood_pids[@]}"; flood_pids=(); }

run_jpkid
check "jpkid sees the card" wait_ready
cardid=$(card_id)
check "control: the operator verifies the auth PIN" as_operator "$ctl" pin verify auth <<<1234

start_flood "$flooder_uid" 9 32
figure "9 x 32 event streams by a status member: $(cat "$work/flood-$flooder_uid.out")"
verified=0
for i in $(seq 5); do
    sleep 1  # the operator's cadence (the issue's was 5 s)
    as_operator "$ctl" pin verify auth <<<1234 >>"$work/verify.out" 2>&1 && verified=$((verified + 1))
done
figure "operator verifies during the flood: $verified of 5"
check "every operator verify during the flood succeeds (5 of 5)" [ "$verified" -eq 5 ]
check "... the flooder got at most its per-user share (32 connections, 8 event streams)" sh -c "
    cat '$work/flood-$flooder_uid.out'; grep -Eq 'streams open [0-8],' '$work/flood-$flooder_uid.out'"
check "... every other connection was refused and counted by reason (user_cap + event_streams >= 280)" bash -c "
    u=\$(metric 'reason=\"user_cap\"'); e=\$(metric 'reason=\"event_streams\"'); echo \"user_cap \$u event_streams \$e\"
    [ \$((\${u%.*} + \${e%.*})) -ge 280 ] && [ \"\${e%.*}\" -ge 1 ]"
check "... and logged with the uid, rate-limited (a few lines, not hundreds)" sh -c "
    n=\$(grep -c 'connection refused' '$work/jpkid.log'); echo \"\$n lines\"; grep 'connection refused' '$work/jpkid.log' | head -3
    grep 'connection refused' '$work/jpkid.log' | grep -q 'uid=$flooder_uid' && [ \"\$n\" -ge 1 ] && [ \"\$n\" -le 20 ]"
figure "refusals: user_cap $(metric 'reason="user_cap"'), event_streams $(metric 'reason="event_streams"'), log lines $(grep -c 'connection refused' "$work/jpkid.log")"
stop_flood
check "after the flood the operator still verifies" as_operator "$ctl" pin verify auth <<<1234

# Operator-reserved slots: 48 in all, 8 of them reserved, 24 per user, 24 streams per user. Two
# status members take 24 + 16 = the 40 unreserved slots; a third connection of the second is
# refused (reserved_for_operators), and the operator still gets in.
stop_jpkid
cat >"$work/small.json" <<JSON
{"maxConnections": 48, "operatorReservedConnections": 8, "maxConnectionsPerUser": 24, "maxEventStreamsPerUser": 24}
JSON
run_jpkid "$work/small.json"
check "jpkid (48 slots, 8 reserved) sees the card" wait_ready
start_flood "$flooder_uid" 1 24
start_flood "$second_uid" 1 20
figure "status members: $(cat "$work/flood-$flooder_uid.out"); $(cat "$work/flood-$second_uid.out")"
check "two status members hold the 40 unreserved slots, the rest is refused" sh -c "
    grep -q 'streams open 24,' '$work/flood-$flooder_uid.out' && grep -q 'streams open 16, refused (503) 4' '$work/flood-$second_uid.out'"
check "... as reserved_for_operators (4)" bash -c "m=\$(metric 'reason=\"reserved_for_operators\"'); echo \$m; [ \"\${m%.*}\" -eq 4 ]"
check "... and the operator verifies in a reserved slot" as_operator "$ctl" pin verify auth <<<1234
stop_flood
check "no PIN in the daemon's log" sh -c "! grep -w 1234 '$work/jpkid.log'"
finish "connection flood"
