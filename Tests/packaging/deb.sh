#!/usr/bin/env bash
# Builds the .deb, unpacks it into a scratch root and checks what a kiosk would get:
# files, dependencies, units (verify, security score), sysusers/tmpfiles, udev rules, and the
# daemon started the way systemd does (socket activation, MemoryDenyWriteExecute).
set -uo pipefail
cd "$(dirname "$0")/../.."
passed=0
failed=0
work=$(mktemp -d /tmp/jpkid-pkg.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
check() {
    local name=$1; shift
    if "$@" >"$work/out" 2>&1; then
        passed=$((passed + 1)); echo "ok   $name"
    else
        failed=$((failed + 1)); echo "FAIL $name"; sed 's/^/     /' "$work/out" | head -20
    fi
}

NO_BUILD=${NO_BUILD:-} scripts/build-deb.sh >"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; exit 1; }
deb=$(ls dist/jpkid_*.deb | head -1)
root=$work/root
mkdir -p "$root"
dpkg-deb -x "$deb" "$root"
dpkg-deb -e "$deb" "$work/DEBIAN"

check "the package depends on pcscd and libccid" sh -c "dpkg-deb -f '$deb' Depends | grep -q 'pcscd' && dpkg-deb -f '$deb' Depends | grep -q 'libccid'"
check "the configuration is a conffile" grep -qx /etc/jpkid/jpkid.json "$work/DEBIAN/conffiles"
for f in usr/bin/jpkid usr/bin/jpkictl usr/lib/systemd/system/jpkid.service usr/lib/systemd/system/jpkid.socket \
    usr/lib/sysusers.d/jpkid.conf usr/lib/tmpfiles.d/jpkid.conf usr/lib/udev/rules.d/93-jpkid-readers.rules \
    usr/share/polkit-1/rules.d/60-jpkid-pcscd.rules etc/jpkid/jpkid.json usr/share/doc/jpkid/README.md \
    usr/share/doc/jpkid/docs/operations.md usr/share/doc/jpkid/docs/api.md usr/share/doc/jpkid/docs/openapi.yaml; do
    check "installs /$f" test -s "$root/$f"
done
check "the binaries need no Swift runtime from the build machine" \
    sh -c "! ldd '$root/usr/bin/jpkid' | grep -E 'not found|libswift|libFoundation'"
size=$(stat -c %s "$deb")
echo "     package: $(basename "$deb") $size bytes; jpkid $(stat -c %s "$root/usr/bin/jpkid"), jpkictl $(stat -c %s "$root/usr/bin/jpkictl") bytes installed"
check "the package is at most 15 MB" test "$size" -le 15000000
check "the package depends on no libssl, and jpkid links neither libssl nor libcrypto" \
    sh -c "! dpkg-deb -f '$deb' Depends | grep -q libssl && ! ldd '$root/usr/bin/jpkid' | grep -E 'libssl|libcrypto'"
check "the installed jpkid contains no test double (no simulator type in its metadata)" \
    sh -c "! grep -a -q -E 'CardSimulator|SimulatedCard|JPKIDaemonSimulation' '$root/usr/bin/jpkid'"
check "jpkictl links no X.509 or crypto code (swift-certificates, swift-crypto)" \
    sh -c "! grep -a -q -E '4X509|6Crypto|CCryptoBoringSSL|SwiftASN1' '$root/usr/bin/jpkictl'"
check "the installed binaries are stripped; their debug symbols are in jpkid-dbgsym, found by build id" \
    sh -c "file '$root/usr/bin/jpkid' '$root/usr/bin/jpkictl' | grep -c ', stripped' | grep -qx 2 && \
        dbg=\$(ls dist/jpkid-dbgsym_*.deb | head -1) && id=\$(readelf -n '$root/usr/bin/jpkid' | sed -n 's/.*Build ID: //p') && \
        dpkg-deb -c \"\$dbg\" | grep -q \"usr/lib/debug/.build-id/\$(echo \$id | cut -c1-2)/\$(echo \$id | cut -c3-).debug\""
# verify resolves the units' dependencies and commands inside the root: give it what a Debian
# system has around the package (systemd's own units, kill).
host=$work/host
mkdir -p "$host/usr/lib/systemd" "$host/usr/bin"
cp -a /lib/systemd/system "$host/usr/lib/systemd/"
cp -a "$root/." "$host/"
cp /bin/kill "$host/usr/bin/kill"
ln -s usr/bin "$host/bin"
check "systemd-analyze verify: jpkid.service and jpkid.socket are clean" \
    sh -c "systemd-analyze verify --root='$host' '$host/usr/lib/systemd/system/jpkid.socket' '$host/usr/lib/systemd/system/jpkid.service' 2>&1 | tee /dev/stderr | { ! grep -q .; }"
systemd-analyze security --offline=true --root="$root" "$root/usr/lib/systemd/system/jpkid.service" >"$work/security" 2>&1
score=$(sed -n 's/.*Overall exposure level for jpkid.service: \([0-9.]*\).*/\1/p' "$work/security")
echo "     systemd-analyze security --offline=true jpkid.service: ${score:-?}"
check "security exposure is 1.5 or lower" awk -v s="${score:-99}" 'BEGIN { exit !(s <= 1.5) }'
check "sysusers creates the jpkid user and both groups" sh -c "systemd-sysusers --root='$root' && \
    grep -q '^jpkid:' '$root/etc/passwd' && grep -q '^jpkid-status:' '$root/etc/group' && grep -q '^jpkid-operator:' '$root/etc/group'"
check "tmpfiles entries apply" systemd-tmpfiles --root="$root" --create jpkid.conf
check "udev rules: syntax and every supported reader" python3 Tests/packaging/check-udev-rules.py \
    "$root/usr/lib/udev/rules.d/93-jpkid-readers.rules"

# Socket activation exactly as systemd does it, under MDWE, on the simulated card through pcscd.
check "socket-activated jpkid serves the inherited socket under MemoryDenyWriteExecute and reads the card" \
    scripts/pcsc-harness.sh run -- Tests/packaging/socket-activation.sh "$root"

echo "packaging: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
