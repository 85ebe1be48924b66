#!/usr/bin/env bash
# Builds dist/jpkid_VERSION_ARCH.deb with dpkg-deb from the tree scripts/install.sh stages.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's/.*static let version = "\(.*\)".*/\1/p' Sources/JPKIDaemon/HTTP/APIHandler.swift)
arch=$(dpkg --print-architecture)
stage=$(mktemp -d /tmp/jpkid-deb.XXXXXX)
debug=$(mktemp -d /tmp/jpkid-dbgsym.XXXXXX)
trap 'rm -rf "$stage" "$debug"' EXIT

DESTDIR=$stage DEBUG_DESTDIR=$debug PREFIX=/usr scripts/install.sh
mkdir -p "$stage/DEBIAN"
size=$(du -sk "$stage" | cut -f1)
cat >"$stage/DEBIAN/control" <<CONTROL
Package: jpkid
Version: $version
Architecture: $arch
Maintainer: jpkid developers <jpkid@localhost>
Installed-Size: $size
Depends: pcscd, libccid (>= 1.5.0), libpcsclite1, libstdc++6, libgcc-s1, libc6, systemd
Recommends: pcsc-tools
Section: admin
Priority: optional
Homepage: https://localhost/jpkid
Description: My Number card (JPKI) daemon for kiosks
 jpkid talks PC/SC to contactless readers holding Japan's My Number card, reads its
 certificates and PIN counters, verifies PINs and signs, and serves all of it to local
 programs over a Unix-socket JSON API. jpkictl is its command line.
CONTROL
echo "/etc/jpkid/jpkid.json" >"$stage/DEBIAN/conffiles"
cat >"$stage/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
    systemd-sysusers jpkid.conf >/dev/null 2>&1 || true
    systemd-tmpfiles --create jpkid.conf >/dev/null 2>&1 || true
    if command -v udevadm >/dev/null && [ -d /run/udev ]; then udevadm control --reload || true; fi
    if [ -d /run/systemd/system ]; then
        systemctl daemon-reload
        systemctl enable jpkid.socket >/dev/null 2>&1 || true
        # An upgrade restarts the daemon on the new binary; the socket stays, clients reconnect.
        systemctl restart jpkid.socket || true
        systemctl try-restart jpkid.service || true
    fi
fi
POSTINST
cat >"$stage/DEBIAN/prerm" <<'PRERM'
#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
    systemctl disable --now jpkid.socket jpkid.service >/dev/null 2>&1 || true
fi
PRERM
cat >"$stage/DEBIAN/postrm" <<'POSTRM'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
POSTRM
chmod 755 "$stage/DEBIAN/postinst" "$stage/DEBIAN/prerm" "$stage/DEBIAN/postrm"
mkdir -p dist
dpkg-deb --root-owner-group --build "$stage" "dist/jpkid_${version}_${arch}.deb"

# The debug symbols, apart: jpkid-dbgsym, as Debian builds them for its own packages.
mkdir -p "$debug/DEBIAN"
cat >"$debug/DEBIAN/control" <<CONTROL
Package: jpkid-dbgsym
Version: $version
Architecture: $arch
Maintainer: jpkid developers <jpkid@localhost>
Installed-Size: $(du -sk "$debug" | cut -f1)
Depends: jpkid (= $version)
Section: debug
Priority: optional
Description: debug symbols for jpkid
 The DWARF debug information of jpkid and jpkictl, found by gdb through their build ids.
CONTROL
dpkg-deb --root-owner-group --build "$debug" "dist/jpkid-dbgsym_${version}_${arch}.deb"
