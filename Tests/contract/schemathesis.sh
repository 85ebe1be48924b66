#!/usr/bin/env bash
# Contract tests: schemathesis (from PyPI, pinned, in a venv) generates requests from
# docs/openapi.yaml and checks every answer of jpkid against it, through the real pcscd and the
# simulated card behind vpcd. Stateful and negative testing (phases examples, coverage, fuzzing,
# stateful), at least 300 generated requests per operation, bounded in time.
#
#   Tests/contract/schemathesis.sh          (enters scripts/pcsc-harness.sh run by itself)
#
# The card runs with --endless-tries: a wrong PIN answers 63 Cx but spends no try, so the
# thousands of wrong PINs the run sends never block it (checked at the end). The PIN changes
# run last, on their own, so a PIN they change does not turn the other operations' right PINs
# (the document's examples) into wrong ones. schemathesis speaks TCP only: socat bridges a
# loopback port (inside the harness' private network namespace) to jpkid's Unix socket.
# Environment: JPKID_BIN (default the debug build), CONTRACT_TIME_LIMIT (seconds, default 600;
# a run takes 3 to 8 minutes on 2 cores, most of it schemathesis generating requests),
# CONTRACT_MAX_EXAMPLES (default 300).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
schemathesis_version=4.32.5
time_limit=${CONTRACT_TIME_LIMIT:-600}
max_examples=${CONTRACT_MAX_EXAMPLES:-300}
venv=${JPKID_CONTRACT_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/jpkid/schemathesis-$schemathesis_version}
# Installed before entering the harness: its private network namespace has no route to PyPI.
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$schemathesis_version"; then
    echo "installing schemathesis $schemathesis_version into $venv"
    rm -rf "$venv"
    /usr/bin/python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version"
fi
export JPKID_CONTRACT_VENV=$venv
if [ -z "${JPKI_HARNESS_DIR:-}" ]; then
    exec "$root/scripts/pcsc-harness.sh" run --endless-tries -- "$0" "$@"
fi
# shellcheck source=../system/lib/common.sh
. "$root/Tests/system/lib/common.sh"

command -v socat >/dev/null || { echo "socat is missing (scripts/install-deps.sh)"; exit 2; }

start_jpkid
check "jpkid reads the simulated card" wait_ready
reader=$(reader_id)
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" "UNIX-CONNECT:$JPKID_SOCKET" 2>>"$work/socat.log" &
background_pids+=($!)
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/v1/health" && break; sleep 0.1; done
check "the bridge reaches jpkid" curl -sf -o /dev/null "http://127.0.0.1:$port/v1/health"

export JPKID_CONTRACT_URL=http://127.0.0.1:$port JPKID_READER_ID=$reader JPKID_CARD_ID=$(card_id)
export JPKID_CONTRACT_HOOKS=$root/Tests/contract/hooks.py
# Kept after the run: schemathesis' output and its ndjson reports (every request and check).
report=$root/.build/contract
rm -rf "$report"
started=$(date +%s)
st() { # report-name, schemathesis options...: one run, bounded by what is left of the time limit
    local name=$1; shift
    local left=$((time_limit - ($(date +%s) - started)))
    [ "$left" -gt 10 ] || { echo "no time left for $name"; return 1; }
    # From the report directory: schemathesis keeps a cache (.schemathesis/) where it runs.
    (cd "$report" && timeout --kill-after=10 "$left" "$venv/bin/schemathesis" --config-file "$root/Tests/contract/schemathesis.toml" \
        run "$root/docs/openapi.yaml" --no-color --max-examples "$max_examples" \
        --seed "${CONTRACT_SEED:-$RANDOM}" \
        --report ndjson --report-ndjson-path "$report/$name.ndjson" "$@" >"$report/$name.out" 2>&1)
    local rc=$?
    # The failures in full (each with a curl line that reproduces it), else the summary.
    if [ $rc -ne 0 ]; then sed -n '/^=* FAILURES =*$/,$p' "$report/$name.out" | head -300; fi
    sed -n '/^=* SUMMARY =*$/,$p' "$report/$name.out"
    return $rc
}
mkdir -p "$report"
# The event stream never ends: schemathesis would wait on it. It is checked with curl below.
run_st() { # what, st arguments...: like check, with schemathesis' failures and summary in full
    local name=$1; shift
    if st "$@" >"$work/st.out" 2>&1; then
        passed=$((passed + 1)); echo "ok   $name"
    else
        failed=$((failed + 1)); echo "FAIL $name"
    fi
    sed 's/^/     /' "$work/st.out"
}
run_st "schemathesis: every operation but the PIN changes and the event stream" \
    main --phases examples,coverage,fuzzing,stateful --exclude-operation-id streamEvents --exclude-operation-id changeReaderPIN \
    --exclude-operation-id changeCardPIN
run_st "schemathesis: the PIN changes" \
    change --phases examples,coverage,fuzzing --include-operation-id changeReaderPIN --include-operation-id changeCardPIN

events_head() { curl -s -D - -o /dev/null --max-time 2 "$@" "http://127.0.0.1:$port/v1/events" || true; }
check "the event stream answers text/event-stream" bash -c \
    "$(declare -f events_head); port=$port; events_head | grep -qi '^content-type: text/event-stream'"
check "a bad Last-Event-ID is 400 bad_request" bash -c \
    "curl -s -H 'Last-Event-ID: x' http://127.0.0.1:$port/v1/events | grep -q '\"code\":\"bad_request\"'"
# --endless-tries kept every PIN open however many wrong PINs were sent.
check "no PIN was blocked by the run (and jpkid still answers)" bash -c \
    "body=\$(curl -sf http://127.0.0.1:$port/v1/readers) && echo \"\$body\" | grep -q '\"pins\"' && \
        ! echo \"\$body\" | grep -q '\"blocked\":true'"

# The counts: operations tested, requests sent, failures (each distinct failure once).
if ! /usr/bin/python3 - "$report" "$max_examples" <<'PY'
import json, pathlib, sys
requests, per_operation, failures, stateful = 0, {}, set(), 0
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.ndjson")):
    for line in path.read_text().splitlines():
        scenario = json.loads(line).get("ScenarioFinished")
        if not scenario:
            continue
        recorder = scenario.get("recorder") or {}
        label = recorder.get("label") or "?"
        calls = len(recorder.get("interactions") or {})
        requests += calls
        if scenario.get("phase") == "stateful":
            stateful += calls
        else:
            per_operation[label] = per_operation.get(label, 0) + calls
        for checks in (recorder.get("checks") or {}).values():
            for check in checks:
                if str(check.get("status")).lower() == "failure":
                    failures.add((label, check.get("name")))
print(f"     figure: contract: {len(per_operation)} operations, {requests} requests "
      f"({stateful} in stateful sequences), {len(failures)} failures")
for label, count in sorted(per_operation.items()):
    print(f"     figure:   {label}: {count} requests")
for label, name in sorted(failures):
    print(f"     FAILURE {label}: {name}")
# A GET without parameters has one valid request: schemathesis sends it and its wrong methods.
plain = {"GET /v1/health", "GET /v1/metrics", "GET /v1/openapi.json", "GET /v1/readers"}
fewest = min((n for label, n in per_operation.items() if label not in plain), default=0)
print(f"     figure: fewest requests for an operation that takes input: {fewest}")
if fewest < min(300, int(sys.argv[2])):
    print("FAIL fewer than 300 requests for an operation that takes input")
    sys.exit(1)
PY
then
    failed=$((failed + 1))
fi

figure "contract run: $(($(date +%s) - started)) s"
finish "schemathesis contract"
