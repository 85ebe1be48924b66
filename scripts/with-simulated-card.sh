#!/usr/bin/env bash
# Runs a command with the simulated My Number card behind a private, real pcscd.
#
#   scripts/with-simulated-card.sh [jpki-sim options] -- command [args]
#
# Starts `pcscd --foreground` with a reader configuration holding only vsmartcard's vpcd
# (never --auto-exit), waits for its socket, starts `jpki-sim --vpcd 127.0.0.1:35963` with the
# given options and a state file, waits until PC/SC sees the card, runs the command, and stops
# everything it started by PID, also when the command fails or the script is interrupted.
# The command sees JPKI_SIM_STATE (the card's state file), JPKI_SIM_TRACE (APDU trace, JSON lines,
# no PIN bytes), JPKI_SIM_LOG, JPKI_SIM_PID and PCSCD_PID.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
sim=${JPKI_SIM:-$here/.build/debug/jpki-sim}
socket=/run/pcscd/pcscd.comm
vpcd_driver=/usr/lib/pcsc/drivers/serial/libifdvpcd.so

sim_args=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do sim_args+=("$1"); shift; done
[ "${1:-}" = "--" ] || { echo "usage: $0 [jpki-sim options] -- command [args]" >&2; exit 2; }
shift
[ $# -gt 0 ] || { echo "usage: $0 [jpki-sim options] -- command [args]" >&2; exit 2; }

fail() { echo "with-simulated-card: $*" >&2; exit 2; }
command -v pcscd >/dev/null || fail "pcscd is not installed (apt-get install pcscd vsmartcard-vpcd)"
[ -e "$vpcd_driver" ] || [ -e "$vpcd_driver.0.8" ] || fail "vsmartcard-vpcd is not installed (apt-get install vsmartcard-vpcd)"
[ -x "$sim" ] || fail "$sim not found: run 'swift build' first"
if pgrep -x pcscd >/dev/null; then
    fail "another pcscd is already running (pid $(pgrep -x pcscd | tr '\n' ' ')); stop it first \
(systemctl stop pcscd.socket pcscd.service), this harness needs its own pcscd with the vpcd reader"
fi

work=$(mktemp -d /tmp/jpki-harness.XXXXXX)
pcscd_pid=""
sim_pid=""
cleanup() {
    local rc=$?
    [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null || true
    if [ -n "$pcscd_pid" ]; then
        kill "$pcscd_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pcscd_pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pcscd_pid" 2>/dev/null || true
        wait "$pcscd_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$work/reader.conf.d"
cat > "$work/reader.conf.d/vpcd" <<CONF
FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:0x8C7B
LIBPATH      $vpcd_driver
CHANNELID    0x8C7B
CONF
# A stale pid file (it ends with a NUL byte) makes pcscd refuse to start.
if [ -e /run/pcscd/pcscd.pid ] && ! pgrep -x pcscd >/dev/null; then rm -f /run/pcscd/pcscd.pid "$socket"; fi

pcscd --foreground --config "$work/reader.conf.d" >"$work/pcscd.log" 2>&1 &
pcscd_pid=$!
for _ in $(seq 100); do [ -S "$socket" ] && break; kill -0 "$pcscd_pid" 2>/dev/null || break; sleep 0.1; done
[ -S "$socket" ] || { cat "$work/pcscd.log" >&2; fail "pcscd did not create $socket"; }

export JPKI_SIM_STATE="$work/card.json" JPKI_SIM_TRACE="$work/trace.jsonl" JPKI_SIM_LOG="$work/jpki-sim.log"
"$sim" --vpcd 127.0.0.1:35963 --state "$JPKI_SIM_STATE" --trace "$JPKI_SIM_TRACE" "${sim_args[@]}" \
    >"$JPKI_SIM_LOG" 2>&1 &
sim_pid=$!
for _ in $(seq 100); do
    grep -q "card inserted" "$JPKI_SIM_LOG" 2>/dev/null && break
    kill -0 "$sim_pid" 2>/dev/null || break
    sleep 0.1
done
grep -q "card inserted" "$JPKI_SIM_LOG" || { cat "$JPKI_SIM_LOG" >&2; fail "jpki-sim did not connect to vpcd"; }
# pcscd notices the card on its next ATR poll (every 400 ms): wait until PC/SC reports it.
if command -v opensc-tool >/dev/null; then
    for _ in $(seq 50); do
        opensc-tool --list-readers 2>/dev/null | grep -Eq "^0 +Yes +.*Virtual PCD 00 00" && break
        sleep 0.1
    done
else
    sleep 1
fi
export JPKI_SIM_PID=$sim_pid PCSCD_PID=$pcscd_pid
set +e
"$@"
rc=$?
set -e
exit $rc
