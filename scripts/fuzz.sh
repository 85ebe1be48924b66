#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ (with the fuzzer and address sanitizers, into .build-fuzz,
# apart from the main build) and runs one target, or each in turn, for SECONDS each.
#
#   scripts/fuzz.sh TARGET|all SECONDS [libFuzzer option ...]
#
# Targets: apdu card certificate pin http vpcd genuine tlv.
# Each starts from its committed seed corpus in Fuzz/corpus/TARGET; new corpus entries and crash
# inputs go to $JPKID_FUZZ_DIR (default /tmp/jpkid-fuzz), never into git. Prints the execution
# count of each run; exits non-zero when a target crashed (the input is named in the output; copy
# it to Fuzz/regressions/TARGET/ once the bug is fixed).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
    echo "usage: $0 TARGET|all SECONDS [libFuzzer option ...]" >&2
    exit 2
}
[ $# -ge 2 ] || usage
target=$1
seconds=$2
shift 2
[[ $seconds =~ ^[0-9]+$ ]] && [ "$seconds" -gt 0 ] || usage

all=(apdu card certificate pin http vpcd genuine tlv)
if [ "$target" = all ]; then
    targets=("${all[@]}")
elif [[ " ${all[*]} " == *" $target "* ]]; then
    targets=("$target")
else
    echo "unknown target '$target'; one of: ${all[*]} all" >&2
    exit 2
fi

# Coverage for libFuzzer and ASan everywhere, the root package's modules included; release for
# speed, with testing enabled for the internals the targets reach (HTTPServer.split, PIN bytes).
scratch=${JPKID_FUZZ_DIR:-/tmp/jpkid-fuzz}
mkdir -p "$scratch"
build_dir=.build-fuzz
echo "== building the fuzz targets into $build_dir"
started=$(date +%s)
# (The gold linker warns once per ASan helper symbol; those lines are dropped.)
# One product at a time: a plain `swift build` would also build the root package's executables.
for t in "${targets[@]}"; do
    if ! swift build --package-path Fuzz --scratch-path "$build_dir" -c release --product "fuzz-$t" \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -enable-testing \
        >"$scratch/build.log" 2>&1; then
        grep -v "Cannot export local symbol" "$scratch/build.log" | tail -n 60 >&2
        echo "the build of fuzz-$t failed (log: $scratch/build.log)" >&2
        exit 1
    fi
done
bin=$(swift build --package-path Fuzz --scratch-path "$build_dir" -c release --show-bin-path)
for t in "${targets[@]}"; do
    [ -x "$bin/fuzz-$t" ] || { echo "the build did not produce $bin/fuzz-$t" >&2; exit 1; }
done
echo "== built in $(($(date +%s) - started)) s"

# No LeakSanitizer: Swift packs enum tags into pointer bits (Data's storage, for one), so it
# reports live objects as leaked. Growth is caught by -rss_limit_mb and -malloc_limit_mb instead.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=0}
# Swift's own crash backtracer would symbolicate the whole sanitized binary for minutes; libFuzzer
# reports the crash and saves the input.
export SWIFT_BACKTRACE=enable=no
failed=()
for t in "${targets[@]}"; do
    corpus=$scratch/corpus/$t
    crashes=$scratch/crashes/$t
    mkdir -p "$corpus" "$crashes"
    log=$scratch/$t.log
    # Inputs no longer than the format needs: longer ones only slow every execution down.
    case $t in
        pin) max_len=64 ;;
        apdu) max_len=1024 ;;
        *) max_len=8192 ;;
    esac
    echo "== fuzz-$t for $seconds s (new corpus: $corpus, crashes: $crashes)"
    status=0
    # The first directory receives new entries; the seeds and the inputs of fixed crashes
    # (Fuzz/regressions/TARGET) are only read, and all run first. -timeout catches hangs.
    dirs=("$corpus" "Fuzz/corpus/$t")
    [ -d "Fuzz/regressions/$t" ] && dirs+=("Fuzz/regressions/$t")
    "$bin/fuzz-$t" "${dirs[@]}" -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=2048 -malloc_limit_mb=512 -detect_leaks=0 -max_len=$max_len -print_final_stats=1 -artifact_prefix="$crashes/" "$@" \
        >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    time=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
    if [ "$status" -ne 0 ]; then
        tail -n 40 "$log"
        echo "fuzz-$t: CRASH after ${runs:-?} executions (exit $status); inputs in $crashes, log $log"
        failed+=("$t")
    else
        echo "fuzz-$t: ${runs:-?} executions in ${time:-$seconds} s, no crash" \
            "(corpus $(find "$corpus" -type f | wc -l) new + $(find "Fuzz/corpus/$t" -type f | wc -l) seeds)"
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "crashed: ${failed[*]}" >&2
    exit 1
fi
