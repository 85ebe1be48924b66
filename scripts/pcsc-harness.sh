#!/usr/bin/env bash
# The PC/SC test harness: a private, real pcscd with only vsmartcard's vpcd reader, and the
# simulated My Number card behind it. Used by the README's scripts and the integration tests.
#
#   pcsc-harness.sh run [jpki-sim options] -- command [args]   everything below, around a command
#   pcsc-harness.sh start DIR          start pcscd (refuses when another pcscd runs)
#   pcsc-harness.sh sim-start DIR [jpki-sim options]   insert the simulated card
#   pcsc-harness.sh sim-stop DIR       remove it (stop jpki-sim) and wait until PC/SC sees it gone
#   pcsc-harness.sh sim-pull DIR       arm the removal of a card started with --remove-on-signal N:
#                                      it is pulled after N more APDUs
#   pcsc-harness.sh pcscd-stop DIR     stop pcscd only (an outage)
#   pcsc-harness.sh pcscd-start DIR    start pcscd again
#   pcsc-harness.sh stop DIR           stop everything DIR started, by PID
#   pcsc-harness.sh isolated -- command [args]   run a command in a private mount and network
#                                      namespace (its own /run/pcscd and loopback), where the
#                                      other subcommands can start a pcscd beside the system's
#
# `run` enters such a namespace by itself where it can (root, util-linux unshare, iproute2), so a
# running system pcscd, or a second test run, never collides with it. Without namespaces it
# refuses to start beside another pcscd.
#
# pcscd runs as `pcscd --foreground --config DIR/reader.conf.d` (never --auto-exit). jpki-sim runs
# as `jpki-sim --vpcd 127.0.0.1:35963 --state DIR/card.json --trace DIR/trace.jsonl`, so the card
# survives a sim-stop/sim-start and its APDUs (never PIN bytes) are in the trace.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
sim=${JPKI_SIM:-$here/.build/debug/jpki-sim}
socket=/run/pcscd/pcscd.comm
vpcd_driver=/usr/lib/pcsc/drivers/serial/libifdvpcd.so

fail() { echo "pcsc-harness: $*" >&2; exit 2; }

# Whether this process already runs in a namespace the harness made (or the caller made one).
isolated() { [ "${JPKI_PCSC_ISOLATED:-}" = 1 ]; }
can_isolate() { command -v ip >/dev/null && unshare --mount --net --propagation private true 2>/dev/null; }
# Runs "$@" in a new mount + network namespace: a tmpfs over /run/pcscd, loopback up.
enter_isolation() {
    mkdir -p /run/pcscd
    JPKI_PCSC_ISOLATED=1 exec unshare --mount --net --propagation private -- bash -c '
        set -e
        mount -t tmpfs -o mode=0755 jpki-harness /run/pcscd
        ip link set lo up
        exec "$@"' bash "$@"
}

# A process that exists and is not a zombie (a reaped-late child still matches pgrep and kill -0).
running() { [ -r "/proc/$1/stat" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]; }
alive() { [ -f "$1" ] && running "$(cat "$1")"; }
other_pcscd() { for pid in $(pgrep -x pcscd); do running "$pid" && echo "$pid"; done; }

stop_pid() { # pidfile
    [ -f "$1" ] || return 0
    local pid
    pid=$(cat "$1")
    rm -f "$1"
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do running "$pid" || return 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
}

pcscd_start() {
    local dir=$1
    command -v pcscd >/dev/null || fail "pcscd is not installed (apt-get install pcscd vsmartcard-vpcd)"
    [ -e "$vpcd_driver" ] || fail "vsmartcard-vpcd is not installed (apt-get install vsmartcard-vpcd)"
    if ! isolated && [ -n "$(other_pcscd)" ]; then
        fail "another pcscd is already running (pid $(other_pcscd | tr '\n' ' ')); stop it first \
(systemctl stop pcscd.socket pcscd.service): the harness needs its own pcscd with only the vpcd reader"
    fi
    mkdir -p "$dir/reader.conf.d"
    printf 'FRIENDLYNAME "Virtual PCD"\nDEVICENAME   /dev/null:0x8C7B\nLIBPATH      %s\nCHANNELID    0x8C7B\n' \
        "$vpcd_driver" >"$dir/reader.conf.d/vpcd"
    # A stale pid file (it ends with a NUL byte) or socket makes pcscd refuse to start.
    rm -f /run/pcscd/pcscd.pid "$socket"
    setsid pcscd --foreground --config "$dir/reader.conf.d" >>"$dir/pcscd.log" 2>&1 </dev/null &
    echo $! >"$dir/pcscd.pid"
    # pcscd opens the vpcd listeners before its client socket: the socket means vpcd is ready.
    for _ in $(seq 100); do [ -S "$socket" ] && return 0; alive "$dir/pcscd.pid" || break; sleep 0.1; done
    cat "$dir/pcscd.log" >&2
    fail "pcscd did not create $socket"
}

sim_start() {
    local dir=$1; shift
    [ -x "$sim" ] || fail "$sim not found: run 'swift build' first"
    alive "$dir/sim.pid" && fail "the simulated card is already inserted"
    : >"$dir/jpki-sim.log"
    setsid "$sim" --vpcd 127.0.0.1:35963 --state "$dir/card.json" --trace "$dir/trace.jsonl" "$@" \
        >>"$dir/jpki-sim.log" 2>&1 </dev/null &
    echo $! >"$dir/sim.pid"
    for _ in $(seq 100); do
        grep -q "card inserted" "$dir/jpki-sim.log" && break
        alive "$dir/sim.pid" || { cat "$dir/jpki-sim.log" >&2; fail "jpki-sim exited"; }
        sleep 0.1
    done
    grep -q "card inserted" "$dir/jpki-sim.log" || { cat "$dir/jpki-sim.log" >&2; fail "jpki-sim did not reach vpcd"; }
    # pcscd notices the card on its next ATR poll (every 400 ms): wait until PC/SC reports it.
    wait_card Yes
}

wait_card() { # Yes|No: wait until PC/SC reports the virtual reader with / without a card
    command -v opensc-tool >/dev/null || { sleep 1; return 0; }
    for _ in $(seq 50); do
        opensc-tool --list-readers 2>/dev/null | grep -Eq "^0 +$1 +.*Virtual PCD 00 00" && return 0
        sleep 0.1
    done
    fail "PC/SC did not report the card as '$1' within 5 s"
}

sim_stop() {
    local dir=$1
    [ -f "$dir/sim.pid" ] || return 0
    stop_pid "$dir/sim.pid"
    # Without this a quick sim-start could find the old card still listed and clients could see
    # no removal at all.
    alive "$dir/pcscd.pid" && wait_card No
    return 0
}

sim_pull() {
    local dir=$1 before
    alive "$dir/sim.pid" || fail "no simulated card is inserted"
    before=$(grep -c "removal armed" "$dir/jpki-sim.log" || true)
    kill -USR1 "$(cat "$dir/sim.pid")"
    for _ in $(seq 100); do
        [ "$(grep -c "removal armed" "$dir/jpki-sim.log" || true)" -gt "$before" ] && return 0
        sleep 0.05
    done
    fail "jpki-sim did not arm the removal (was it started with --remove-on-signal N?)"
}

cmd=${1:-}
shift || true
case "$cmd" in
start) pcscd_start "${1:?DIR}" ;;
pcscd-start) pcscd_start "${1:?DIR}" ;;
pcscd-stop) stop_pid "${1:?DIR}/pcscd.pid" ;;
sim-start) dir=${1:?DIR}; shift; sim_start "$dir" "$@" ;;
sim-stop) sim_stop "${1:?DIR}" ;;
sim-pull) sim_pull "${1:?DIR}" ;;
stop)
    stop_pid "${1:?DIR}/sim.pid"
    stop_pid "$1/pcscd.pid"
    ;;
isolated)
    [ "${1:-}" = "--" ] && [ $# -gt 1 ] || fail "usage: $0 isolated -- command [args]"
    shift
    if isolated || ! can_isolate; then exec "$@"; fi
    enter_isolation "$@"
    ;;
run)
    if ! isolated && can_isolate; then enter_isolation "$0" run "$@"; fi
    sim_args=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do sim_args+=("$1"); shift; done
    [ "${1:-}" = "--" ] && [ $# -gt 1 ] || fail "usage: $0 run [jpki-sim options] -- command [args]"
    shift
    dir=$(mktemp -d /tmp/jpki-harness.XXXXXX)
    trap '"$0" stop "$dir"; rm -rf "$dir"' EXIT
    trap 'exit 130' INT TERM
    pcscd_start "$dir"
    sim_start "$dir" "${sim_args[@]}"
    export JPKI_HARNESS_DIR=$dir JPKI_SIM_STATE=$dir/card.json JPKI_SIM_TRACE=$dir/trace.jsonl
    set +e
    "$@"
    rc=$?
    set -e
    exit $rc
    ;;
*) fail "usage: $0 run|start|stop|sim-start|sim-stop|sim-pull|pcscd-start|pcscd-stop ..." ;;
esac
