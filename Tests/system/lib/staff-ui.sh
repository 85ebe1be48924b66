# Shared by the staff page's system tests (staff-ui.sh, staff-ui-genuine.sh); sourced after
# common.sh. The browser checks themselves are in Tests/browser (staff_page.py their shared part).

require_chromium() { # the browser tests need Debian's chromium, its driver and python3-selenium
    local tool
    for tool in /usr/bin/chromium /usr/bin/chromedriver; do
        [ -x "$tool" ] || { echo "FAIL $tool is missing: run scripts/install-deps.sh"; exit 1; }
    done
    /usr/bin/python3 -c 'import selenium' 2>/dev/null ||
        { echo "FAIL python3-selenium is missing: run scripts/install-deps.sh"; exit 1; }
}

# Starts `jpkictl ui` with a private runtime directory (the launcher files and the server's
# control socket live there: another run's server on this machine is not this one's) and waits up
# to 10 s for it to print its URL and launcher file. Sets ui_pid, url, launcher and port; its
# output is in $work/ui.out, its log in $work/ui.log.
start_staff_ui() {
    export XDG_RUNTIME_DIR=$work/runtime
    mkdir -p -m 700 "$XDG_RUNTIME_DIR"
    "$ctl" ui >"$work/ui.out" 2>"$work/ui.log" &
    ui_pid=$!
    background_pids+=("$ui_pid")
    for _ in $(seq 100); do grep -q 'file://' "$work/ui.out" && break; sleep 0.1; done
    cat "$work/ui.out" "$work/ui.log"
    url=$(grep -Eo 'http://127\.0\.0\.1:[0-9]+/' "$work/ui.out" | head -1)
    launcher=$(grep -o 'file://[^ ]*' "$work/ui.out" | sed 's|^file://||')
    port=$(echo "$url" | sed -E 's|.*:([0-9]+)/.*|\1|')
    [ -n "$url" ] && [ -n "$launcher" ]
}
