#!/usr/bin/env bash
# A connection table no member can fill. A status-group member forks 9
# processes that open 32 event streams each (288 connections: the whole 256-slot table before
# caps were per user) while an operator verifies the auth PIN every second: every verify must
# succeed; the flood is refused per uid, logged (rate-limited, with the uid) and counted by reason.
# Then the operator-reserved slots, in a 48-slot table: three status members together fill it;
# with no reserve the operator's verify fails (so the next part can fail), with 8 reserved the
# third member is refused its last 8 and the operator still gets in. Users are numeric uids/gids
# (setpriv); nothing is added to the system.
# Run inside `scripts/pcsc-harness.sh run`.
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"

status_gid=65510 operator_gid=65511
flooder_uid=65501 second_uid=65503 third_uid=65504 operator_uid=65502
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
            # jpkid answers a refused connection at once and closes it without reading, so the
            # request may meet a closed socket (EPIPE): the 503 is still there to read.
            head = b""
            try:
                s.connect(path)
                try:
                    s.sendall(b"GET /v1/events HTTP/1.1\r\nHost: jpkid\r\n\r\n")
                except OSError:
                    pass
                head = s.recv(200)
            except OSError:
                pass
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
check "... the flooder got its per-user share, no more (32 connections, 1 to 8 event streams)" sh -c "
    cat '$work/flood-$flooder_uid.out'; grep -Eq 'streams open [1-8],' '$work/flood-$flooder_uid.out'"
check "... every other connection was refused and counted by reason (user_cap + event_streams >= 280)" bash -c "
    u=\$(metric 'reason=\"user_cap\"'); e=\$(metric 'reason=\"event_streams\"'); echo \"user_cap \$u event_streams \$e\"
    [ \$((\${u%.*} + \${e%.*})) -ge 280 ] && [ \"\${e%.*}\" -ge 1 ]"
check "... and logged with the uid, rate-limited (a few lines, not hundreds)" sh -c "
    n=\$(grep -c 'connection refused' '$work/jpkid.log'); echo \"\$n lines\"; grep 'connection refused' '$work/jpkid.log' | head -3
    grep 'connection refused' '$work/jpkid.log' | grep -q 'uid=$flooder_uid' && [ \"\$n\" -ge 1 ] && [ \"\$n\" -le 20 ]"
figure "refusals: user_cap $(metric 'reason="user_cap"'), event_streams $(metric 'reason="event_streams"'), log lines $(grep -c 'connection refused' "$work/jpkid.log")"
stop_flood
check "after the flood the operator still verifies" as_operator "$ctl" pin verify auth <<<1234

# Operator-reserved slots: 48 in all, 16 connections and 16 streams per user. Three status
# members open 16 each, one after the other. Without a reserve they fill the table and the
# operator is refused (table_full): the reserve is what lets the operator in.
small_jpkid() { # reserved slots
    stop_jpkid
    printf '{"maxConnections": 48, "operatorReservedConnections": %d, "maxConnectionsPerUser": 16, "maxEventStreamsPerUser": 16}\n' \
        "$1" >"$work/small-$1.json"
    run_jpkid "$work/small-$1.json"
    check "jpkid (48 slots, $1 reserved) sees the card" wait_ready
    start_flood "$flooder_uid" 1 16 && start_flood "$second_uid" 1 16 && start_flood "$third_uid" 1 16
    figure "status members ($1 reserved): $(cat "$work/flood-$flooder_uid.out"); $(cat "$work/flood-$second_uid.out"); $(cat "$work/flood-$third_uid.out")"
}
small_jpkid 0
check "with no reserve, three status members fill all 48 slots" sh -c "
    grep -q 'streams open 16, refused (503) 0' '$work/flood-$third_uid.out'"
operator_refused() {
    local out rc
    out=$(as_operator "$ctl" pin verify auth <<<1234 2>&1); rc=$?
    echo "exit $rc: $out"
    [ "$rc" -ne 0 ] && grep -qi 'too many open connections\|too_many_connections' <<<"$out"
}
check "... and the operator's verify fails (too_many_connections)" operator_refused
stop_flood
check "... refused as table_full" bash -c "m=\$(metric 'reason=\"table_full\"'); echo \$m; [ \"\${m%.*}\" -ge 1 ]"

# The same with 8 reserved: the third member gets the last 8 unreserved slots, its other 8 are
# refused (reserved_for_operators), and the operator verifies in a reserved slot.
small_jpkid 8
check "three status members hold the 40 unreserved slots, the rest is refused" sh -c "
    grep -q 'streams open 16, refused (503) 0' '$work/flood-$second_uid.out' &&
    grep -q 'streams open 8, refused (503) 8' '$work/flood-$third_uid.out'"
check "... as reserved_for_operators (8)" bash -c "m=\$(metric 'reason=\"reserved_for_operators\"'); echo \$m; [ \"\${m%.*}\" -eq 8 ]"
check "... and the operator verifies in a reserved slot" as_operator "$ctl" pin verify auth <<<1234
stop_flood
check "no PIN in the daemon's log" sh -c "! grep -w 1234 '$work/jpkid.log'"
finish "connection flood"
