#!/usr/bin/env bash
# Prints jpkid's figures as one Markdown table, each beside an anchor measured in the same run, and
# asserts nothing. The daemon measured is the jpkid of the .deb that scripts/build-deb.sh makes (the
# release build, as packaged), over the real pcscd with the simulated card (jpki-sim) behind vpcd,
# inside scripts/pcsc-harness.sh's private namespace. The anchors: nginx-light (1 worker, a Unix
# socket, the same response bytes from a file) measured by the same load generator
# (`jpki-bench load`), and OpenSC's pkcs15-tool on the same simulated card.
#
#   sudo scripts/benchmark.sh        env: DURATION=10 (seconds per load run), CONNECTIONS=32, STREAMS=500,
#                                    STREAM_CLIENTS=20, RUNS=3, STARTS=5
#
# The load runs RUNS times, jpkid and nginx side by side each time; the table gives the median run
# (and the load average of each). The default configuration's per-client cap (32) holds: the load
# is 32 connections from one process, the STREAMS event streams come from STREAM_CLIENTS processes.
# jpkid is started STARTS times for the time to READY=1 (the median and the slowest).
# Needs root (packages, the harness's namespace). After the build it runs about three minutes.
# Progress goes to stderr, the table to stdout. A step that fails shows "failed" in its cell.
set -uo pipefail
cd "$(dirname "$0")/.."
here=$(pwd)
export LANG=C.UTF-8
unset LC_ALL LC_NUMERIC
export DURATION=${DURATION:-10} CONNECTIONS=${CONNECTIONS:-32} STREAMS=${STREAMS:-500}
export STREAM_CLIENTS=${STREAM_CLIENTS:-20} RUNS=${RUNS:-3} STARTS=${STARTS:-5}
log() { echo "benchmark: $*" >&2; }

if [ "${1:-}" != --measure ]; then
    set -e
    scripts/install-deps.sh
    if ! dpkg-query -W -f='${Status}' nginx-light 2>/dev/null | grep -q "install ok installed"; then
        sudo=""
        [ "$(id -u)" -eq 0 ] || sudo=sudo
        log "installing nginx-light (the anchor)"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nginx-light >/dev/null
    fi
    log "building: the .deb (jpkid and jpkictl as install.sh builds them), jpki-sim, jpki-bench"
    scripts/build-deb.sh >&2
    flags=(-c release --static-swift-stdlib)
    swift build "${flags[@]}" --product jpki-sim >&2
    swift build "${flags[@]}" --product jpki-bench >&2
    bin=$(swift build "${flags[@]}" --show-bin-path)
    deb=$(ls -t dist/jpkid_*.deb | head -1)
    commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
    git diff --quiet HEAD 2>/dev/null || commit="$commit+changes"
    export BENCH_BIN=$bin BENCH_DEB=$here/$deb BENCH_COMMIT=$commit JPKI_SIM=$bin/jpki-sim
    exec scripts/pcsc-harness.sh run -- "$0" --measure
fi

# ---- Inside the harness: pcscd runs, the simulated card is in "Virtual PCD 00 00". ----
dir=${JPKI_HARNESS_DIR:?run through scripts/benchmark.sh}
trace=${JPKI_SIM_TRACE:?}
bin=${BENCH_BIN:?}
harness=$here/scripts/pcsc-harness.sh
clients=("$(command -v python3)" "$here/scripts/benchmark-clients.py")
load_before=$(cut -d' ' -f1 /proc/loadavg)
work=$(mktemp -d /tmp/jpki-benchmark.XXXXXX)
chmod 755 "$work"
sock=$work/jpkid.sock
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
ulimit -n 8192 2>/dev/null || true

# Helpers. Every wait is bounded; a figure that cannot be taken stays "failed".
ms1() { awk -v v="$1" 'BEGIN { printf "%.1f", v }'; }
ms2() { awk -v v="$1" 'BEGIN { printf "%.2f", v }'; }
loadavg() { cut -d' ' -f1 /proc/loadavg; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "failed" }'; }
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }
rss_kib() { # pids: the sum of their VmRSS in KiB
    local pid
    for pid in "$@"; do cat "/proc/$pid/status"; done 2>/dev/null | awk '/^VmRSS/ { s += $2 } END { print s + 0 }'
}
anon_kib() { awk '/^RssAnon/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
unit() { if [ "$1" = failed ]; then echo failed; else echo "$1 $2"; fi; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }
field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p" | head -1; }
trace_lines() { if [ -f "$trace" ]; then wc -l <"$trace"; else echo 0; fi; }
wait_line() { # file ERE [seconds]: prints the first matching line; fails after the time
    local i
    for i in $(seq $((${3:-20} * 20))); do
        grep -m1 -E "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    log "no line matching '$2' in $(basename "$1") within ${3:-20} s"
    return 1
}
wait_count() { # file ERE count [seconds]: until more than `count` lines match; prints the last one
    local i
    for i in $(seq $((${4:-20} * 20))); do
        if [ "$(grep -cE "$2" "$1" 2>/dev/null)" -gt "$3" ]; then grep -E "$2" "$1" | tail -1; return 0; fi
        sleep 0.05
    done
    log "no new '$2' in $(basename "$1") within ${4:-20} s"
    return 1
}
api() { curl -sS --max-time 30 --unix-socket "$sock" "http://localhost$1"; }
ready_reader() { # the id of a reader whose card is ready, once there is one (20 s at most)
    local i id
    for i in $(seq 200); do
        id=$(api /v1/readers 2>/dev/null | python3 -c '
import json, sys
ready = [r["id"] for r in json.load(sys.stdin)["readers"] if r["state"] == "ready"]
print(ready[0] if ready else "")' 2>/dev/null)
        [ -n "$id" ] && { echo "$id"; return 0; }
        sleep 0.1
    done
    log "no reader with a ready card within 20 s"
    return 1
}
hold() { # socket path -> sets hold_pid; waits until every connection has its first answer bytes
    "${clients[@]}" hold "$1" "$2" "$STREAMS" "$STREAM_CLIENTS" >"$work/hold.out" 2>&1 &
    hold_pid=$!
    pids+=("$hold_pid")
    held=$(wait_line "$work/hold.out" '^open' 60 | awk '{ print $2 }')
}
unhold() { kill "$hold_pid" 2>/dev/null; wait "$hold_pid" 2>/dev/null; }
reinsert() { # [jpki-sim options]: removes the card, inserts it again and waits for jpkid's card-ready
    # (the event client must run); sets inserted_ms (from starting jpki-sim) and inserted_apdus
    local removed ready mark t0 line
    removed=$(grep -c " card-removed$" "$work/events.out")
    "$harness" sim-stop "$dir" >&2
    wait_count "$work/events.out" " card-removed$" "$removed" >/dev/null || return 1
    ready=$(grep -c " card-ready$" "$work/events.out")
    mark=$(trace_lines)
    t0=$EPOCHREALTIME
    "$harness" sim-start "$dir" "$@" >&2 || return 1
    line=$(wait_count "$work/events.out" " card-ready$" "$ready" 30) || return 1
    inserted_ms=$(ms_between "$t0" "${line%% *}")
    inserted_apdus=$(($(trace_lines) - mark))
}

# Every figure starts as "failed" and is set when its step works.
for v in deb_size jpkid_size jpkictl_size nginx_deb nginx_size card_inproc card_pcscd pins_ms pins_apdus \
    certs_ms certs_apdus start_ms readers rss_idle rss_streams held_jpkid insert_ms insert_apdus refresh_apdus \
    nginx_rss_idle nginx_rss_conns held_nginx jpkid_rps nginx_rps share jpkid_lat nginx_lat body_bytes \
    jpkid_errors nginx_errors slow_p99 slow_refreshes refresh_ms slow_errors per_stream nginx_per_conn p99_ratio \
    load_idle load_streams load_nginx_idle load_nginx_conns load_start start_all runs_all; do
    printf -v "$v" failed
done

# ---- The package ----
log "package sizes"
if dpkg-deb -x "$BENCH_DEB" "$work/pkg"; then
    deb_size=$(mb "$(stat -c %s "$BENCH_DEB")")
    jpkid_size=$(mb "$(stat -c %s "$work/pkg/usr/bin/jpkid")")
    jpkictl_size=$(mb "$(stat -c %s "$work/pkg/usr/bin/jpkictl")")
fi
jpkid=$work/pkg/usr/bin/jpkid
# nginx-light is a metapackage: the server is Debian's nginx (the binary) and nginx-common.
nginx_deb=$(for p in nginx nginx-common; do apt-cache show "$p" 2>/dev/null | awk '/^Size:/ { print $2; exit }'; done |
    awk '{ s += $1 } END { if (NR == 2) printf "%.1f MB", s / 1e6; else print "failed" }')
nginx_size=$(mb "$(stat -c %s "$(command -v nginx)")")

# ---- The card without jpkid: the old figures, and OpenSC as the anchor ----
log "card reads in-process and through pcscd (jpki-bench card)"
if "$bin/jpki-bench" card --iterations 20 --reader "Virtual PCD 00 00" >"$work/card.txt" 2>&1; then
    card_inproc=$(awk '/^in-process readSummary/ { printf "%.2f ms, %d APDUs", $3, $7 }' "$work/card.txt")
    card_pcscd=$(awk '/^pcscd readSummary/ { printf "%.1f ms", $3 }' "$work/card.txt")
else
    sed 's/^/    /' "$work/card.txt" >&2
fi
opensc() { # name, pkcs15-tool options: prints "wall-ms APDUs"; a fresh HOME, so no OpenSC file cache
    local mark t0 t1
    mark=$(trace_lines)
    mkdir -p "$work/opensc-$1"
    t0=$EPOCHREALTIME
    HOME=$work/opensc-$1 pkcs15-tool "${@:2}" >"$work/opensc-$1.out" 2>&1 || { echo "failed failed"; return; }
    t1=$EPOCHREALTIME
    echo "$(ms_between "$t0" "$t1") $(($(trace_lines) - mark))"
}
log "OpenSC: pkcs15-tool --list-pins, --list-certificates"
read -r pins_ms pins_apdus < <(opensc pins --list-pins)
read -r certs_ms certs_apdus < <(opensc certs --list-certificates)

# ---- jpkid: start, idle, event streams, insertion ----
# The packaged configuration with room for the STREAMS event streams, all from root: maxConnections,
# maxConnectionsPerUser and maxEventStreamsPerUser (default 256, 32, 8) raised to 1024. The load's
# CONNECTIONS connections come from one process, the streams from STREAM_CLIENTS processes.
raised="maxConnections, maxConnectionsPerUser and maxEventStreamsPerUser 1024"
python3 - "$work/pkg/etc/jpkid/jpkid.json" "$work/jpkid.json" "$sock" <<'PY'
import json, os, sys
config = json.load(open(sys.argv[1])) if os.path.exists(sys.argv[1]) else {}
config.update(socket=sys.argv[3], maxConnections=1024, maxConnectionsPerUser=1024, maxEventStreamsPerUser=1024)
json.dump(config, open(sys.argv[2], "w"))
PY
start_jpkid() { # starts jpkid: sets jpkid_pid, and started_ms (from exec to READY=1); fails without READY=1
    local t0 ready_at
    rm -f "$work/notify.sock"
    "${clients[@]}" notify "$work/notify.sock" >"$work/notify.out" 2>&1 &
    pids+=($!)
    wait_line "$work/notify.out" '^listening' >/dev/null || return 1
    t0=$EPOCHREALTIME
    # As the unit runs it (MALLOC_ARENA_MAX=2), but as root and without the groups.
    NOTIFY_SOCKET=$work/notify.sock MALLOC_ARENA_MAX=2 "$jpkid" --config "$work/jpkid.json" \
        --status-group "" --operator-group "" >>"$work/jpkid.log" 2>&1 &
    jpkid_pid=$!
    pids+=("$jpkid_pid")
    ready_at=$(wait_line "$work/notify.out" '^[0-9]' 30) || { tail -20 "$work/jpkid.log" >&2; return 1; }
    started_ms=$(ms_between "$t0" "$ready_at")
}
log "jpkid: start to READY=1 ($STARTS times)"
load_start=$(loadavg)
starts=()
for i in $(seq "$STARTS"); do
    start_jpkid || break
    starts+=("$started_ms")
    if [ "$i" -lt "$STARTS" ]; then kill "$jpkid_pid"; wait "$jpkid_pid" 2>/dev/null; fi
done
if [ ${#starts[@]} -eq "$STARTS" ]; then
    start_ms="$(printf '%s\n' "${starts[@]}" | median) ms, slowest $(printf '%s\n' "${starts[@]}" | sort -n | tail -1) ms"
    start_all="${starts[*]}"
fi

if reader_id=$(ready_reader); then
    readers=$(api /v1/readers | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["readers"]))')
    mark=$(trace_lines)
    api "/v1/readers/$reader_id?refresh=1" >/dev/null && refresh_apdus=$(($(trace_lines) - mark))
    sleep 2 # idle: let the start's allocations settle
    idle_kib=$(rss_kib "$jpkid_pid")
    idle_anon=$(anon_kib "$jpkid_pid")
    rss_idle=$(mib "$idle_kib")
    load_idle=$(loadavg)

    log "jpkid: RSS with $STREAMS open event streams from $STREAM_CLIENTS processes"
    hold "$sock" /v1/events
    held_jpkid=$held
    sleep 1
    streams_kib=$(rss_kib "$jpkid_pid")
    streams_anon=$(anon_kib "$jpkid_pid")
    rss_streams=$(mib "$streams_kib")
    load_streams=$(loadavg)
    [ "${held:-0}" -gt 0 ] && per_stream=$(awk -v a="$idle_kib" -v b="$streams_kib" -v n="$held" \
        -v c="${idle_anon:-0}" -v d="${streams_anon:-0}" \
        'BEGIN { printf "%.1f KiB (anonymous memory %.1f KiB; the rest, pages of the binary the streams ran)", (b - a) / n, (d - c) / n }')
    unhold

    log "jpkid: insertion to card-ready (3 times)"
    "${clients[@]}" events "$sock" >"$work/events.out" 2>&1 &
    pids+=($!)
    if wait_line "$work/events.out" '^subscribed' >/dev/null; then
        subscribed=1
        times=()
        for _ in 1 2 3; do
            reinsert || break
            times+=("$inserted_ms")
            insert_apdus=$inserted_apdus
        done
        [ ${#times[@]} -gt 0 ] && insert_ms="$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((${#times[@]} + 1) / 2))p") ms (${times[*]})"
    fi
fi

# ---- nginx: the same bytes from a file, 1 worker, a Unix socket ----
log "nginx: idle, $STREAMS open connections"
mkdir -p "$work/nginx/www/v1" "$work/nginx/logs"
content_type=$(curl -sS --max-time 30 --unix-socket "$sock" -o "$work/nginx/www/v1/readers" \
    -w '%{content_type}' http://localhost/v1/readers) || content_type=application/json
cat >"$work/nginx/nginx.conf" <<CONF
daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile 2048;
user root;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_timeout 600s;
    keepalive_requests 1000000000;
    types { }
    default_type ${content_type:-application/json};
    server {
        listen unix:$work/nginx.sock;
        root $work/nginx/www;
    }
}
CONF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/logs/error.log" >&2 &
nginx_pid=$!
pids+=("$nginx_pid")
for _ in $(seq 100); do [ -S "$work/nginx.sock" ] && break; sleep 0.1; done
if [ -S "$work/nginx.sock" ]; then
    nginx_procs() { echo "$nginx_pid" $(pgrep -P "$nginx_pid"); }
    sleep 1
    nginx_idle_kib=$(rss_kib $(nginx_procs))
    nginx_rss_idle=$(mib "$nginx_idle_kib")
    load_nginx_idle=$(loadavg)
    hold "$work/nginx.sock" /v1/readers
    held_nginx=$held
    sleep 1
    nginx_conns_kib=$(rss_kib $(nginx_procs))
    nginx_rss_conns=$(mib "$nginx_conns_kib")
    load_nginx_conns=$(loadavg)
    [ "${held:-0}" -gt 0 ] && nginx_per_conn=$(awk -v a="$nginx_idle_kib" -v b="$nginx_conns_kib" -v n="$held" \
        'BEGIN { printf "%.1f KiB", (b - a) / n }')
    unhold
else
    log "nginx did not start"; cat "$work/nginx/logs/error.log" >&2
fi

# ---- Cached GET /v1/readers under load: jpkid, then nginx, RUNS times; the median run ----
# Each run loads jpkid, then nginx, from one client process (the same generator): the two figures
# of a run share the machine's load of the moment. The run with the median share is reported.
runs_all=""
for run in $(seq "$RUNS"); do
    log "load run $run/$RUNS: GET /v1/readers, $CONNECTIONS connections, $DURATION s each on jpkid and nginx"
    before=$(loadavg)
    "$bin/jpki-bench" load --socket "$sock" --label jpkid --socket "$work/nginx.sock" --label nginx \
        --connections "$CONNECTIONS" --duration "$DURATION" >"$work/load$run.txt" 2>&1
    echo "loadavg $before $(loadavg)" >>"$work/load$run.txt"
    cat "$work/load$run.txt" >&2
    s=$(sed -n 's/^share .*=//p' "$work/load$run.txt")
    [ -n "$s" ] && echo "$s $run" >>"$work/shares.txt"
    j=$(grep "^jpkid " "$work/load$run.txt") && n=$(grep "^nginx " "$work/load$run.txt") &&
        runs_all+="${runs_all:+; }$(field "$j" rps)/$(field "$n" rps) req/s, p99 $(ms2 "$(field "$j" p99_ms)")/$(ms2 "$(field "$n" p99_ms)") ms"
done
if [ -s "$work/shares.txt" ]; then
    median_run=$(sort -n "$work/shares.txt" | awk '{ r[NR] = $2 } END { print r[int((NR + 1) / 2)] }')
    cp "$work/load$median_run.txt" "$work/load.txt"
    load_run=$(sed -n 's/^loadavg //p' "$work/load.txt" | tr ' ' '-')
fi
for who in jpkid nginx; do
    line=$(grep "^$who " "$work/load.txt" 2>/dev/null) || continue
    printf -v "${who}_rps" "%s req/s" "$(field "$line" rps)"
    printf -v "${who}_lat" "%s / %s ms" "$(ms2 "$(field "$line" p50_ms)")" "$(ms2 "$(field "$line" p99_ms)")"
    printf -v "${who}_errors" "%s non-200, %s errors" "$(field "$line" non200)" "$(field "$line" errors)"
    printf -v "${who}_p99" "%s" "$(field "$line" p99_ms)"
    body_bytes=$(field "$line" body_bytes)
done
share=$(sed -n 's/^share .*=//p' "$work/load.txt" 2>/dev/null)
[ -n "$share" ] || share=failed
[ -n "${jpkid_p99:-}" ] && [ -n "${nginx_p99:-}" ] &&
    p99_ratio=$(awk -v a="$jpkid_p99" -v b="$nginx_p99" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "failed" }')
kill "$nginx_pid" 2>/dev/null

# ---- The same load while another client refreshes a slow card ----
if [ -n "${subscribed:-}" ]; then
    log "load while refreshing a card that takes 30 ms per APDU"
    if reinsert --delay-ms 30 && slow_id=$(ready_reader); then
        "$bin/jpki-bench" load --socket "$sock" --label refresh --connections 1 --warmup 0 \
            --duration $((DURATION + 2)) --path "/v1/readers/$slow_id?refresh=1" >"$work/refresh.txt" 2>&1 &
        refresher=$!
        pids+=("$refresher")
        "$bin/jpki-bench" load --socket "$sock" --label jpkid-refreshing --connections "$CONNECTIONS" \
            --duration "$DURATION" >"$work/slow.txt" 2>&1
        wait "$refresher"
        cat "$work/slow.txt" "$work/refresh.txt" >&2
        if line=$(grep "^jpkid-refreshing " "$work/slow.txt"); then
            slow_p99="$(ms1 "$(field "$line" p99_ms)") ms"
            slow_errors="$(field "$line" non200) non-200, $(field "$line" errors) errors"
        fi
        if line=$(grep "^refresh " "$work/refresh.txt"); then
            refresh_ms="$(ms1 "$(field "$line" p50_ms)") ms"
            slow_refreshes=$(field "$line" requests)
        fi
    fi
fi
kill "$jpkid_pid" 2>/dev/null
wait "$jpkid_pid" 2>/dev/null

# ---- The table ----
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo
echo "jpkid $BENCH_COMMIT, $(date -u +%Y-%m-%d), $(nproc) cores ($cpu), Linux $(uname -r);" \
    "load average at the start $load_before, at the end $(cut -d' ' -f1 /proc/loadavg)"
echo
echo "| figure | jpkid | anchor | anchor's figure | load average |"
echo "|---|---|---|---|---|"
echo "| \`.deb\` size | $deb_size | Debian's \`nginx\` + \`nginx-common\` .debs | $nginx_deb | |"
echo "| binaries as packaged: jpkid, jpkictl | $jpkid_size, $jpkictl_size | \`/usr/sbin/nginx\` | $nginx_size | |"
echo "| RSS idle, $readers readers (a card in one) | $rss_idle | nginx idle (master + worker) | $nginx_rss_idle | $load_idle, $load_nginx_idle |"
echo "| RSS with $STREAMS open event streams from $STREAM_CLIENTS processes ($held_jpkid answered) | $rss_streams | nginx with $STREAMS open keep-alive connections ($held_nginx answered) | $nginx_rss_conns | $load_streams, $load_nginx_conns |"
echo "| RSS per stream: (with streams − idle) / streams | $per_stream | nginx per connection | $nginx_per_conn | |"
echo "| cached \`GET /v1/readers\`, $CONNECTIONS keep-alive connections, $DURATION s ($body_bytes-byte body), the median of $RUNS runs | $jpkid_rps ($jpkid_errors) | nginx, 1 worker, the same bytes from a file | $nginx_rps ($nginx_errors) | ${load_run:-} |"
echo "| req/s as a share of nginx's | $share | | | |"
echo "| latency p50 / p99 at that load; p99 as a multiple of nginx's | $jpkid_lat; $p99_ratio × | nginx | $nginx_lat | |"
echo "| every run: jpkid/nginx req/s, p99 | ${runs_all:-failed} | | | |"
echo "| \`GET /v1/readers\` p99 at that load while a client refreshes a card with 30 ms per APDU | $slow_p99 ($slow_refreshes refreshes; $slow_errors) | one refresh of that card, p50 | $refresh_ms | |"
echo "| APDUs for the full summary: on insertion, on refresh | $insert_apdus, $refresh_apdus | \`pkcs15-tool --list-pins\`, \`--list-certificates\` | $pins_apdus, $certs_apdus | |"
echo "| start to \`READY=1\`, median of $STARTS ($start_all ms) | $start_ms | \`pkcs15-tool --list-pins\` wall time | $(unit "$pins_ms" ms) | $load_start |"
echo "| insertion to the \`card-ready\` event, median (all) | $insert_ms | \`pkcs15-tool --list-certificates\` wall time | $(unit "$certs_ms" ms) | |"
echo "| \`readSummary\` in-process (simulator) | $card_inproc | \`readSummary\` through pcscd + vpcd | $card_pcscd | |"
echo
echo "Load: \`jpki-bench load\` (SwiftNIO, 1 thread, one request at a time per connection, 1 s warm-up)," \
    "the same for both servers, $RUNS runs each loading jpkid then nginx; the run with the median share is shown." \
    "jpkid runs as the unit does (MALLOC_ARENA_MAX=2) with the packaged configuration plus $raised" \
    "(one user, root, holds the load's $CONNECTIONS connections from one process and the $STREAMS streams from" \
    "$STREAM_CLIENTS processes). Insertion is timed from starting jpki-sim (vpcd, pcscd's" \
    "400 ms poll, jpkid's read). OpenSC runs with an empty HOME (no file cache)."
