#!/usr/bin/env bash
# The staff page's 本人確認 (IC chip check) view in Debian's chromium: jpkid configured with the
# simulator's CVC hierarchy, one card per verdict (Tests/browser/staff_ui_genuine.py).
#   scripts/pcsc-harness.sh run -- Tests/system/staff-ui-genuine.sh
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/staff-ui.sh"

require_chromium
cvc=$work/cvc
"$harness" sim-stop "$dir" >/dev/null 2>&1
rm -f "$JPKI_SIM_STATE"
check "a card signed with the simulator's own hierarchy" "$harness" sim-start "$dir" --cvc-hierarchy "$cvc"
printf '{"cvcKeys": "%s", "cvcTestKeyIds": ["6000023/001", "6000033/001"]}\n' "$cvc/keys" >"$work/jpkid.json"
start_jpkid --config "$work/jpkid.json"
check "jpkid sees the card" wait_ready

check "jpkictl ui prints its URL and a launcher file" start_staff_ui

/usr/bin/python3 "$here/Tests/browser/staff_ui_genuine.py" --url "$url" --launcher "$launcher" \
    --screenshots "$here/.build/screenshots" \
    --harness "$harness" --dir "$dir" --cvc "$cvc" 2>&1 | sed 's/^/  /'
check "every browser check passed" test "${PIPESTATUS[0]}" -eq 0
check "the ui server's log: the check's requests, no code and no personal data" sh -c "
    grep -q 'POST /api/readers/r[0-9a-f]*/card-face/check 200' '$work/ui.log' &&
    ! grep -E '5678|1990|2035|花子' '$work/ui.log'"
check "no code and no personal data in jpkid's log" sh -c "! grep -E '5678|1990-01-02|19900102|花子' '$work/jpkid.log'"

finish "staff page genuine view"
