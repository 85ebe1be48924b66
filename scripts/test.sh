#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs the unit tests, then the tests that
# go through the real pcscd with the simulated card behind vpcd.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift format lint --strict --recursive Sources Tests Package.swift
swift build --build-tests
# The PCSC integration suite drives scripts/pcsc-harness.sh; its pcscd lives in a private namespace.
JPKID_PCSC_TESTS=1 scripts/pcsc-harness.sh isolated -- swift test
for t in Tests/system/*.sh; do
    echo "== $t"
    scripts/pcsc-harness.sh run -- "$t"
done
# Release build, .deb, units, udev rules, socket activation.
Tests/packaging/deb.sh
# libFuzzer targets (Fuzz/, built apart with the sanitizers): each runs 60 s from its seed corpus.
scripts/fuzz.sh all 60
