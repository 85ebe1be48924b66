#!/usr/bin/env bash
# The staff page (jpkictl ui) in Debian's chromium, against jpkid on the simulated card behind
# vpcd. Run inside `scripts/pcsc-harness.sh run` (default scenario; the card is inserted). The
# browser checks are Tests/browser/staff_ui.py; screenshots go to .build/screenshots.
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"

for tool in /usr/bin/chromium /usr/bin/chromedriver; do
    [ -x "$tool" ] || { echo "FAIL $tool is missing: run scripts/install-deps.sh"; exit 1; }
done
/usr/bin/python3 -c 'import selenium' 2>/dev/null || { echo "FAIL python3-selenium is missing: run scripts/install-deps.sh"; exit 1; }

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

"$ctl" ui >"$work/ui.out" 2>"$work/ui.log" &
ui_pid=$!
background_pids+=("$ui_pid")
check "jpkictl ui prints its URL with a token" sh -c "
    for i in \$(seq 100); do grep -Eq 'http://127\.0\.0\.1:[0-9]+/\?token=[0-9a-f]{64}' '$work/ui.out' && exit 0; sleep 0.1; done
    cat '$work/ui.out' '$work/ui.log'; exit 1"
url=$(grep -Eo 'http://127\.0\.0\.1:[0-9]+/\?token=[0-9a-f]{64}' "$work/ui.out")
check "the ui server listens on 127.0.0.1 only" sh -c "
    port=\$(echo '$url' | sed -E 's|.*:([0-9]+)/.*|\1|'); ss -ltnH | awk '{print \$4}' | grep -E \":\$port\$\" | grep -qvx \"127.0.0.1:\$port\" && exit 1
    ss -ltnH | awk '{print \$4}' | grep -qx \"127.0.0.1:\$port\""

/usr/bin/python3 "$here/Tests/browser/staff_ui.py" --url "$url" --socket "$JPKID_SOCKET" \
    --screenshots "$here/.build/screenshots" --harness "$harness" --dir "$dir" --jpkid-pid "$jpkid_pid" \
    2>&1 | sed 's/^/  /' | tee "$work/browser.out"
browser=${PIPESTATUS[0]}
wait "$jpkid_pid" 2>/dev/null
jpkid_pid=""
check "every browser check passed" test "$browser" -eq 0
check "screenshots at 1280x800 and 800x1280 are PNG files" sh -c "
    for f in staff-ui-1280x800.png staff-ui-800x1280.png; do
        head -c 8 '$here/.build/screenshots/'\$f | od -An -tx1 | grep -q '89 50 4e 47' || { echo \$f; exit 1; }
    done"
check "the ui server's log: requests (method, path, status) and no PIN, token or query" sh -c "
    cat '$work/ui.log'; grep -q '^jpkictl ui: POST /api/readers/r[0-9a-f]*/pins/auth/verify 200' '$work/ui.log' &&
    grep -q 'GET / 403' '$work/ui.log' &&
    ! grep -E '9999|9998|1234|token|\?' '$work/ui.log'"
check "no PIN and no personal data in jpkid's log" sh -c "
    ! grep -E '9999|9998|1234|花子|霞が関|1990' '$work/jpkid.log'"
kill "$ui_pid" 2>/dev/null

finish "staff page"
