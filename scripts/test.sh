#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs the unit tests, then the tests that
# go through the real pcscd with the simulated card behind vpcd.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift format lint --strict --recursive Sources Tests Package.swift
swift build --build-tests
swift test
for t in Tests/conformance/*.sh; do
    echo "== $t"
    scripts/with-simulated-card.sh -- "$t"
done
