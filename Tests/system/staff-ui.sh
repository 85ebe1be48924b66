#!/usr/bin/env bash
# The staff page (jpkictl ui) in Debian's chromium, against jpkid on the simulated card behind
# vpcd. Run inside `scripts/pcsc-harness.sh run` (default scenario; the card is inserted). The
# browser checks are Tests/browser/staff_ui.py; screenshots go to .build/screenshots.
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/staff-ui.sh"

require_chromium

start_jpkid
check "jpkid sees the inserted card through pcscd" wait_ready

check "diagnose (ja) shows no English tokens (the reader's device name aside)" sh -c "
    out=\$(LANG=ja_JP.UTF-8 '$ctl' diagnose); echo \"\$out\"
    echo \"\$out\" | grep -q 'カード: マイナンバーカード' || exit 1
    ! echo \"\$out\" | sed '1s/（[^）]*）\$//' | grep -E '[A-Za-z_]{2,}'"
check "status (ja) shows no English tokens (ids and the reader's device name aside)" sh -c "
    out=\$(LANG=ja_JP.UTF-8 '$ctl' status); echo \"\$out\"
    echo \"\$out\" | grep -q '暗証番号 利用者証明用電子証明書の暗証番号（数字4桁）: ●●● 残り3回（3/3）' || exit 1
    ! echo \"\$out\" | sed -E 's/^r[0-9a-f]{6}（[^）]*）//; s/[0-9a-f]{24}//' | grep -E '[A-Za-z_]{2,}'"
check "diagnose: no renewal date for CA certificates" sh -c "
    LANG=ja_JP.UTF-8 '$ctl' diagnose | grep '認証局証明書' | grep -v '更新可能' | grep -c . | grep -qx 2"

check "jpkictl ui prints its URL" start_staff_ui
check "its URL holds no secret and its launcher file is one-time (0600)" sh -c "
    cat '$work/ui.out'
    grep -Eq 'runs at http://127\.0\.0\.1:[0-9]+/ ' '$work/ui.out' && ! grep -q 'token' '$work/ui.out' &&
    [ \"\$(stat -c %a '$launcher')\" = 600 ]"
check "the ui server listens on 127.0.0.1 only" sh -c "
    ss -ltnH | awk '{print \$4}' | grep -E \":$port\$\" | grep -qvx \"127.0.0.1:$port\" && exit 1
    ss -ltnH | awk '{print \$4}' | grep -qx \"127.0.0.1:$port\""

# Another local user (nobody, in no jpkid group) cannot use the page, even with a session's
# secrets, and cannot fill its connection slots.
check "another uid's connection is closed at once, unanswered (curl: empty reply), and logged" sh -c "
    setpriv --reuid=65534 --regid=65534 --clear-groups curl -sS --max-time 5 -o /dev/null '$url'; rc=\$?
    echo \"curl exit \$rc\"; [ \$rc -eq 52 ] || [ \$rc -eq 56 ] || exit 1
    for i in \$(seq 50); do grep -q 'refused a connection from uid 65534' '$work/ui.log' && exit 0; sleep 0.1; done; exit 1"
shared_ports() { # another uid binds 127.0.0.2:P, P the port of a connection this user holds open
    local staff_fd staff ports served
    exec {staff_fd}< <(/usr/bin/python3 - "$port" <<'PY'
import socket, sys, time
held = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(10)]
print(" ".join(str(s.getsockname()[1]) for s in held), flush=True)
time.sleep(8)
PY
)
    staff=$!
    read -r -t 10 -u "$staff_fd" ports
    served=$(setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 - "$port" $ports <<'PY'
import socket, sys
port, served = int(sys.argv[1]), 0
for p in sys.argv[2:]:
    s = socket.socket()
    s.bind(("127.0.0.2", int(p)))
    s.connect(("127.0.0.1", port))
    s.settimeout(5)
    s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % port)
    try:
        served += bool(s.recv(100))
    except OSError:
        pass
    s.close()
print(served)
PY
)
    kill "$staff" 2>/dev/null
    exec {staff_fd}<&-
    echo "ports of this user's connections: $ports"
    echo "connections from 127.0.0.2 on those ports answered: ${served:-?} of 10"
    [ "$served" = 0 ]
}
check "another uid on 127.0.0.2 with the ports of this user's connections is never served (0 of 10)" shared_ports
flood() { # 40 connections of uid 65534 held open, then 20 page loads by this user
    local ready flood_fd flooder
    # nobody cannot write in $work: it says "ready" on its standard output.
    exec {flood_fd}< <(setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 - "$port" <<'PY'
import socket, sys, time
held = []
for _ in range(40):
    s = socket.socket()
    s.connect(("127.0.0.1", int(sys.argv[1])))
    held.append(s)
print("ready", flush=True)
end = time.monotonic() + 15
while time.monotonic() < end:  # reopen whatever the server closed, at once
    for i, s in enumerate(held):
        s.setblocking(False)
        try:
            if s.recv(1) == b"":
                raise OSError
        except BlockingIOError:
            continue
        except OSError:
            s.close()
            held[i] = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    time.sleep(0.01)
PY
)
    flooder=$!
    read -r -t 20 -u "$flood_fd" ready
    [ "$ready" = ready ] || { echo "the flood did not start"; return 1; }
    local ok=0 status
    for _ in $(seq 20); do
        status=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "$url")
        [ "$status" = 403 ] && ok=$((ok + 1))  # served (no session: 403), not refused as busy (503)
    done
    kill "$flooder" 2>/dev/null
    exec {flood_fd}<&-
    echo "page loads served during the flood: $ok of 20"
    [ "$ok" -eq 20 ]
}
check "40 connections of another uid, reopened at once, take no slot: 20 of 20 page loads served" flood
figure "$(cat "$work/out" | tail -1)"

/usr/bin/python3 "$here/Tests/browser/staff_ui.py" --url "$url" --launcher "$launcher" --socket "$JPKID_SOCKET" \
    --screenshots "$here/.build/screenshots" --harness "$harness" --dir "$dir" --jpkid-pid "$jpkid_pid" \
    --ctl "$ctl" --ui-log "$work/ui.log" --ui-pid "$ui_pid" --pcsc-client "$here/Tests/system/lib/pcsc_client.py" \
    2>&1 | sed 's/^/  /' | tee "$work/browser.out"
browser=${PIPESTATUS[0]}
wait "$jpkid_pid" 2>/dev/null
jpkid_pid=""
check "every browser check passed" test "$browser" -eq 0
check "screenshots at 1280x800 and 800x1280 are PNG files" sh -c "
    for f in staff-ui-1280x800.png staff-ui-800x1280.png; do
        head -c 8 '$here/.build/screenshots/'\$f | od -An -tx1 | grep -q '89 50 4e 47' || { echo \$f; exit 1; }
    done"
check "the ui server's log: requests (method, path, status) and no PIN, secret or query" sh -c "
    cat '$work/ui.log'; grep -q '^jpkictl ui: POST /api/readers/r[0-9a-f]*/pins/auth/verify 200' '$work/ui.log' &&
    grep -q 'GET / 403' '$work/ui.log' && grep -q 'POST /session 200' '$work/ui.log' &&
    ! grep -E '9999|9998|1234|token|[0-9a-f]{64}|\?' '$work/ui.log'"
check "no PIN and no personal data in jpkid's log" sh -c "
    ! grep -E '9999|9998|1234|花子|霞が関|1990' '$work/jpkid.log'"
kill "$ui_pid" 2>/dev/null

finish "staff page"
