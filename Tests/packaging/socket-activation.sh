#!/usr/bin/env bash
# Inside `scripts/pcsc-harness.sh run` (pcscd + the simulated card behind vpcd): the packaged
# jpkid started exactly as systemd starts it (a listening socket as fd 3 with LISTEN_FDS,
# LISTEN_PID, LISTEN_FDNAMES) and under MemoryDenyWriteExecute. It must serve the inherited socket,
# bind none of its own, and read the card through pcscd.
#   socket-activation.sh ROOT    ROOT: the unpacked package
set -euo pipefail
root=$1
work=$JPKI_HARNESS_DIR/activation
mkdir -p "$work"
sock=$work/jpkid.sock
here=$(cd "$(dirname "$0")" && pwd)
systemd-socket-activate -l "$sock" --fdname=jpkid.socket \
    python3 "$here/mdwe-exec.py" "$root/usr/bin/jpkid" --status-group "" --operator-group "" \
    --socket "$work/not-this-one.sock" >"$work/jpkid.log" 2>&1 &
activator=$!
trap 'kill $activator 2>/dev/null; wait $activator 2>/dev/null' EXIT
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
fail() { echo "FAIL: $*"; sed 's/^/     /' "$work/jpkid.log" | tail -20; exit 1; }
ok=
for _ in $(seq 100); do "$root/usr/bin/jpkictl" health --socket "$sock" >/dev/null 2>&1 && ok=1 && break; sleep 0.1; done
[ -n "$ok" ] || fail "socket-activated jpkid does not answer on the inherited socket"
grep -q 'inherited fd 3' "$work/jpkid.log" || fail "jpkid did not say it took the inherited socket"
[ ! -e "$work/not-this-one.sock" ] || fail "jpkid bound a socket of its own"
ok=
for _ in $(seq 100); do
    "$root/usr/bin/jpkictl" status --socket "$sock" 2>/dev/null | grep -q my_number_card && ok=1 && break
    sleep 0.1
done
[ -n "$ok" ] || fail "jpkid does not show the simulated card read through pcscd"
echo "socket activation, MemoryDenyWriteExecute, the card through pcscd: ok"
