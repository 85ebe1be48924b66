# Shared by the end-to-end scripts in Tests/system (sourced, not run). They run inside
# `scripts/pcsc-harness.sh run`, which provides JPKI_HARNESS_DIR, JPKI_SIM_STATE, JPKI_SIM_TRACE.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
# jpkictl speaks Japanese under a Japanese locale: the scripts read its English output.
export LANG=C.UTF-8
unset LC_ALL LC_MESSAGES
bin=$here/.build/debug
harness=$here/scripts/pcsc-harness.sh
pcsc_client="/usr/bin/python3 $here/Tests/system/lib/pcsc_client.py"
dir=${JPKI_HARNESS_DIR:?run inside scripts/pcsc-harness.sh run}
trace=${JPKI_SIM_TRACE:?}
work=$(mktemp -d /tmp/jpkid-system.XXXXXX)
export JPKID_SOCKET=$work/jpkid.sock
ctl=$bin/jpkictl
passed=0
failed=0
jpkid_pid=""
background_pids=()
cleanup() {
    for pid in "${background_pids[@]}"; do kill "$pid" 2>/dev/null; done
    [ -n "$jpkid_pid" ] && kill "$jpkid_pid" 2>/dev/null && wait "$jpkid_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

check() { # name, command...
    local name=$1; shift
    if "$@" >"$work/out" 2>&1; then
        passed=$((passed + 1)); echo "ok   $name"
    else
        failed=$((failed + 1)); echo "FAIL $name"; sed 's/^/     /' "$work/out" | head -20
    fi
}
exits() { # expected status, command...
    local want=$1; shift
    "$@"; local got=$?
    [ "$got" -eq "$want" ] || { echo "exit $got, expected $want"; return 1; }
}
pin_is() { # kind expected ("2/3" or "BLOCKED"); a note naming the application may follow
    "$ctl" pin status | grep -Eq "^$1 +$2( +\(.*\))?\$" || { "$ctl" pin status; return 1; }
}
wait_ready() { # up to 20 s: after a pcscd outage the monitor retries with a backoff of up to 5 s
    for _ in $(seq 200); do
        # status exits 10 while a PIN is blocked: read its output, not its status.
        { "$ctl" status 2>/dev/null || true; } | grep -q "\[ready\]" && return 0
        sleep 0.1
    done
    "$ctl" status
    return 1
}
wait_gone() { # until jpkid has noticed the card is out (a stale "ready" would fool wait_ready)
    for _ in $(seq 100); do
        { "$ctl" status 2>/dev/null || true; } | grep -q "\[ready\]" || return 0
        sleep 0.1
    done
    return 1
}
wait_file() { # path: up to 20 s
    for _ in $(seq 200); do [ -e "$1" ] && return 0; sleep 0.1; done
    echo "$1 did not appear"
    return 1
}
start_jpkid() { # [more jpkid options]; $JPKID_BIN (test.sh: the release build, as installed), the unit's environment
    MALLOC_ARENA_MAX=2 "${JPKID_BIN:-$bin/jpkid}" --socket "$JPKID_SOCKET" --status-group "" --operator-group "" \
        --log-level debug "$@" >>"$work/jpkid.log" 2>&1 &
    jpkid_pid=$!
    for _ in $(seq 100); do [ -S "$JPKID_SOCKET" ] && break; sleep 0.1; done
}
# The simulator's trace: lines so far, and the APDUs since a mark (one JSON object a line).
trace_mark() { wc -l <"$trace"; }
# What the trace shows since a mark: `all` (APDU count), `pin-verifies` (VERIFYs that carried
# a PIN), `pin-verify-sws` (their status words), `empty-verifies`.
trace_query() { # mark what
    /usr/bin/python3 - "$trace" "$1" "$2" <<'PY'
import json, sys
path, mark, what = sys.argv[1], int(sys.argv[2]), sys.argv[3]
entries = [json.loads(line) for line in open(path).read().splitlines()[mark:] if line.strip()]
verifies = [e for e in entries if e["ins"] == 0x20]
if what == "all":
    print(len(entries))
elif what == "pin-verifies":
    print(sum(1 for e in verifies if e["dataLength"] > 0))
elif what == "empty-verifies":
    print(sum(1 for e in verifies if e["dataLength"] == 0))
elif what == "pin-verify-sws":
    print(" ".join(format(e["statusWord"], "04X") for e in verifies if e["dataLength"] > 0))
PY
}
card_id() { "$ctl" status --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["readers"][0]["card"]["cardId"])'; }
reader_id() { "$ctl" status 2>/dev/null | awk 'NR == 1 { print $1 }'; }
# A raw API call: method path [json]; prints the body, then the HTTP status on the last line.
api() {
    curl -sS --unix-socket "$JPKID_SOCKET" -X "$1" ${3:+-H 'Content-Type: application/json' -d "$3"} \
        -w '\n%{http_code}\n' "http://jpkid$2"
}
figure() { echo "     figure: $*"; }
finish() { # name of the script
    echo "$1: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
