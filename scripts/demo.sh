#!/usr/bin/env bash
# The main job on a machine with no card reader: pcscd + the simulated My Number card behind
# vpcd + jpkid over PC/SC, then a status query and a staff diagnosis with jpkictl.
#   scripts/demo.sh [jpki-sim options]      e.g. scripts/demo.sh --scenario renewable
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build
scripts/pcsc-harness.sh run "$@" -- sh -c '
    export JPKID_SOCKET=$JPKI_HARNESS_DIR/jpkid.sock
    .build/debug/jpkid --socket "$JPKID_SOCKET" --status-group "" --operator-group "" 2>"$JPKI_HARNESS_DIR/jpkid.log" &
    pid=$!
    trap "kill $pid" EXIT
    for i in $(seq 100); do
        .build/debug/jpkictl status 2>/dev/null | grep -q "\[ready\]" && break
        sleep 0.1
    done
    .build/debug/jpkictl status || true
    echo
    .build/debug/jpkictl diagnose || true
'
