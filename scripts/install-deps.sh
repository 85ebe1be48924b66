#!/usr/bin/env bash
# Installs the Debian packages jpkid builds and tests with. Idempotent; needs root (or sudo).
set -euo pipefail
packages=(binutils file pcscd vsmartcard-vpcd libccid libpcsclite-dev libssl-dev opensc openssl pkg-config procps curl python3 python3-pyscard util-linux iproute2 systemd chromium chromium-driver python3-selenium fonts-noto-cjk python3-yaml python3-venv socat prometheus)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
