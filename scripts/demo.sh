#!/usr/bin/env bash
# The main job on a machine with no card reader: pcscd + the simulated My Number card, and a
# status query of every PIN counter and certificate through PC/SC.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build
scripts/pcsc-harness.sh run "$@" -- sh -c '
    opensc-tool --list-readers
    pkcs15-tool --list-pins --list-certificates
'
