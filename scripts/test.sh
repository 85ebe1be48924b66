#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs the unit tests, then the tests that
# go through the real pcscd with the simulated card behind vpcd.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift format lint --strict --recursive Sources Tests Package.swift
# The OpenAPI document jpkid serves is generated from docs/openapi.yaml: re-generate, fail on a diff.
scripts/embed-openapi.py --check
# The docs against the tree: every relative link and #anchor resolves, the module graph in
# docs/architecture.md is Package.swift's.
scripts/check-docs.py
swift build --build-tests
# The PCSC integration suite drives scripts/pcsc-harness.sh; its pcscd lives in a private namespace.
# Serial: in parallel, tests that generate RSA keys starve the daemon fixtures of threads.
JPKID_PCSC_TESTS=1 scripts/pcsc-harness.sh isolated -- swift test --no-parallel
# The system tests run the daemon as installed: the release build (Tests/packaging reuses it).
swift build -c release --static-swift-stdlib --product jpkid
export JPKID_BIN=$(swift build -c release --show-bin-path)/jpkid
# From here every step runs even when an earlier one failed, and the run fails at the end with
# the list: one CI run shows every failure.
failed=()
step() { echo "== $*"; "$@" || failed+=("$*"); }
for t in Tests/system/*.sh; do
    step scripts/pcsc-harness.sh run -- "$t"
done
# The API contract: schemathesis against the release jpkid on the simulated card (docs/openapi.yaml).
step Tests/contract/schemathesis.sh
# The fleet kit: alert rules, their unit tests, the dashboard's queries.
step Tests/packaging/prometheus-rules.sh
# Release build, .deb, units, udev rules, socket activation.
step Tests/packaging/deb.sh
# libFuzzer targets (Fuzz/, built apart with the sanitizers): each runs 30 s from its seed corpus.
step scripts/fuzz.sh all 30
if [ "${#failed[@]}" -gt 0 ]; then
    printf 'FAILED: %s\n' "${failed[@]}"
    exit 1
fi
echo "all tests passed"
