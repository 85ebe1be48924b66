#!/usr/bin/env bash
# Builds jpkid in release mode and installs it: binaries, systemd units, sysusers/tmpfiles
# entries, udev rules, the polkit rule, a default configuration, the README and the guides in docs/.
#
#   sudo scripts/install.sh                     # into / with PREFIX=/usr
#   DESTDIR=/tmp/stage scripts/install.sh       # stage a tree (what build-deb.sh does)
#   NO_BUILD=1 ...                              # reuse an existing release build
#   DEBUG_DESTDIR=/tmp/dbg ...                  # keep the debug symbols there (stripped otherwise)
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=${PREFIX:-/usr}
DESTDIR=${DESTDIR:-}
root=$DESTDIR

if [ -z "${NO_BUILD:-}" ]; then
    swift build -c release --static-swift-stdlib --product jpkid
    swift build -c release --static-swift-stdlib --product jpkictl
fi
bin=$(swift build -c release --show-bin-path)

# The binaries go in stripped. Their debug symbols go to DEBUG_DESTDIR when it is set (what
# build-deb.sh packs as jpkid-dbgsym), under /usr/lib/debug/.build-id where gdb and
# debuginfod look for them; the stripped binary keeps a debuglink to its file.
for name in jpkid jpkictl; do
    install -Dm755 "$bin/$name" "$root$PREFIX/bin/$name"
    debug=
    if [ -n "${DEBUG_DESTDIR:-}" ]; then
        id=$(readelf -n "$bin/$name" | sed -n 's/.*Build ID: \([0-9a-f]*\).*/\1/p')
        [ -n "$id" ] || { echo "install.sh: $bin/$name has no build id" >&2; exit 1; }
        debug=$DEBUG_DESTDIR/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug
        mkdir -p "$(dirname "$debug")"
        objcopy --only-keep-debug --compress-debug-sections=zlib "$bin/$name" "$debug"
        chmod 644 "$debug"
    fi
    strip --strip-all "$root$PREFIX/bin/$name"
    if [ -n "$debug" ]; then objcopy --add-gnu-debuglink="$debug" "$root$PREFIX/bin/$name"; fi
done
for unit in jpkid.service jpkid.socket; do
    sed "s|/usr/bin/|$PREFIX/bin/|g" "systemd/$unit" >"$root.unit.tmp"
    install -Dm644 "$root.unit.tmp" "$root$PREFIX/lib/systemd/system/$unit"
done
rm -f "$root.unit.tmp"
install -Dm644 systemd/jpkid.sysusers "$root$PREFIX/lib/sysusers.d/jpkid.conf"
install -Dm644 systemd/jpkid.tmpfiles "$root$PREFIX/lib/tmpfiles.d/jpkid.conf"
install -Dm644 udev/93-jpkid-readers.rules "$root$PREFIX/lib/udev/rules.d/93-jpkid-readers.rules"
install -Dm644 systemd/jpkid-polkit.rules "$root$PREFIX/share/polkit-1/rules.d/60-jpkid-pcscd.rules"
install -Dm644 README.md "$root$PREFIX/share/doc/jpkid/README.md"
# The guides the README and the units' Documentation= point to, with the API contract.
for doc in docs/*.md docs/openapi.yaml docs/staff-ui.png; do
    install -Dm644 "$doc" "$root$PREFIX/share/doc/jpkid/$doc"
done
# Keep an existing configuration: it is the administrator's.
if [ ! -e "$root/etc/jpkid/jpkid.json" ]; then
    install -Dm644 systemd/jpkid.json "$root/etc/jpkid/jpkid.json"
fi

if [ -z "$DESTDIR" ] && [ -d /run/systemd/system ]; then
    systemd-sysusers jpkid.conf 2>/dev/null || systemd-sysusers
    systemd-tmpfiles --create jpkid.conf 2>/dev/null || true
    command -v udevadm >/dev/null && udevadm control --reload || true
    systemctl daemon-reload
    systemctl enable --now jpkid.socket
    echo "installed; 'systemctl status jpkid.socket', then 'jpkictl status' once a reader is plugged in"
fi
