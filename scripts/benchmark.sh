#!/usr/bin/env bash
# Prints figures (no pass/fail): card operations in-process, through the real pcscd with the
# simulated card behind vpcd, and the jpkid API on that card. Release build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product jpki-bench
swift build -c release --product jpkid
swift build -c release --product jpki-sim
bin=$(swift build -c release --show-bin-path)
JPKI_SIM=$bin/jpki-sim scripts/pcsc-harness.sh run -- sh -c "
    '$bin/jpkid' --socket \"\$JPKI_HARNESS_DIR/jpkid.sock\" --status-group '' --operator-group '' \
        --reader-filter 'PCD 00 01' 2>/dev/null &
    pid=\$!
    trap 'kill \$pid' EXIT
    sleep 1
    '$bin/jpki-bench' --iterations \${ITERATIONS:-50} --reader 'Virtual PCD 00 00'
    kill \$pid; trap - EXIT
    '$bin/jpkid' --simulate --socket \"\$JPKI_HARNESS_DIR/sim.sock\" --status-group '' --operator-group '' 2>/dev/null &
    pid=\$!
    trap 'kill \$pid' EXIT
    sleep 1
    '$bin/jpki-bench' --iterations \${ITERATIONS:-50} --socket \"\$JPKI_HARNESS_DIR/sim.sock\" | grep API
"
